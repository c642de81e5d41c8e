"""Accepting a link while another request is accepting it: the invitation row's lock
decides, the link is used once, and the loser hears 409 ``invitation_used`` — no second
account, no second membership."""

from __future__ import annotations

import pytest
from django.utils import timezone

from adminapp.accounts import principals, services
from adminapp.accounts.models import Invitation, OrgMembership, User
from adminapp.core.errors import Conflict
from tests.accounts.test_member_races import _concurrently
from tests.factories import make_tenant, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_link_accepted_by_two_requests_at_once_joins_once():
    tenant = make_tenant()
    invitation, token = services.invitation_create(
        actor=tenant.principal(),
        org_id=tenant.org.id,
        email="racer@example.com",
        role="MEMBER",
        link_for=lambda t: t,
    )
    winner = make_user(email="winner@example.com")

    def accept_elsewhere():  # the other request, holding the row until it commits
        row = Invitation.objects.select_for_update().get(id=invitation.id)
        OrgMembership.objects.create(organization=tenant.org, user=winner, account_role="MEMBER")
        row.accepted_at = timezone.now()
        row.save(update_fields=["accepted_at"])

    other = _concurrently(accept_elsewhere)
    try:
        with pytest.raises(Conflict) as exc:
            services.invitation_accept(
                token=token,
                session_user=None,
                name="Racer",
                password="a-long-new-passphrase-42",
                visitor=principals.for_visitor(org_id=None),
            )
    finally:
        other.join()
    assert exc.value.code == "invitation_used"
    assert not User.objects.filter(email="racer@example.com").exists()
    assert OrgMembership.objects.filter(organization=tenant.org).count() == 5  # 4 + the winner
