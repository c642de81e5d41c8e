"""Adding a member while another transaction adds the same one: the database's unique
constraints decide, and the loser hears 409, not 500. (On SQLite writers queue, so the
loser sees the committed row up front; on PostgreSQL the insert itself collides.)"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from adminapp.accounts import services
from adminapp.accounts.models import OrgMembership, User
from adminapp.core.errors import Conflict
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _concurrently(write) -> threading.Thread:
    """Run ``write`` in another connection's transaction that stays open (uncommitted) for
    a moment after it has written; return once the row is written."""
    written = threading.Event()

    def run():
        try:
            with transaction.atomic():
                write()
                written.set()
                threading.Event().wait(1.0)  # still uncommitted while the caller proceeds
        finally:
            written.set()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert written.wait(10)
    return thread


def test_adding_a_member_someone_else_is_adding_right_now_is_409():
    tenant = make_tenant()
    newcomer = make_user()
    other = _concurrently(
        lambda: OrgMembership.objects.create(
            organization=tenant.org, user=newcomer, account_role="ADMIN"
        )
    )
    try:
        with pytest.raises(Conflict):
            services.org_member_add(
                actor=tenant.principal("ADMIN"),
                org_id=tenant.org.id,
                email=newcomer.email,
                role="MEMBER",
            )
    finally:
        other.join()
    assert list(
        OrgMembership.objects.filter(user=newcomer).values_list("account_role", flat=True)
    ) == ["ADMIN"]


def test_adding_a_new_email_whose_account_appears_meanwhile_adds_that_account():
    """As if the request had come a moment later: the account exists, so it is added (and
    the password given for a new account is not applied to someone else's)."""
    tenant = make_tenant()
    other = _concurrently(lambda: User.objects.create_user("race@example.com", PASSWORD))
    try:
        membership = services.org_member_add(
            actor=tenant.principal("ADMIN"),
            org_id=tenant.org.id,
            email="race@example.com",
            role="MEMBER",
            password="another-long-passphrase-42",
        )
    finally:
        other.join()
    user = User.objects.get(email="race@example.com")
    assert membership.user_id == user.id
    assert user.check_password(PASSWORD)
    assert OrgMembership.objects.filter(user=user, organization=tenant.org).count() == 1


def test_two_owners_demoting_each_other_at_once_leave_one_owner():
    tenant = make_tenant()
    OrgMembership.objects.filter(user=tenant.admin).update(account_role="OWNER")
    first, second = tenant.principal("OWNER"), tenant.principal("ADMIN")  # both owners now
    other = _concurrently(
        lambda: services.org_member_update_role(
            actor=second, org_id=tenant.org.id, user_id=tenant.owner.id, role="ADMIN"
        )
    )
    try:
        with pytest.raises(Conflict):
            services.org_member_update_role(
                actor=first, org_id=tenant.org.id, user_id=tenant.admin.id, role="ADMIN"
            )
    finally:
        other.join()
    owners = OrgMembership.objects.filter(organization=tenant.org, account_role="OWNER")
    assert list(owners.values_list("user_id", flat=True)) == [tenant.admin.id]


def test_two_owners_deactivating_each_other_at_once_leave_one_owner():
    """Each sees the other as an active owner up front; the owner rows' locks queue them, and
    the second, counting again after the first committed, hears last_owner."""
    tenant = make_tenant()
    second = make_user()
    OrgMembership.objects.create(organization=tenant.org, user=second, account_role="OWNER")
    second_principal = principal_of(tenant, second)
    other = _concurrently(
        lambda: services.org_member_set_active(
            actor=tenant.principal("OWNER"), org_id=tenant.org.id, user_id=second.id, active=False
        )
    )
    try:
        with pytest.raises(Conflict) as exc:
            services.org_member_set_active(
                actor=second_principal, org_id=tenant.org.id, user_id=tenant.owner.id, active=False
            )
    finally:
        other.join()
    assert exc.value.code == "last_owner"
    active = dict(
        User.objects.filter(id__in=[tenant.owner.id, second.id]).values_list("id", "is_active")
    )
    assert active == {tenant.owner.id: True, second.id: False}


def principal_of(tenant, user):
    from tests.factories import principal_for

    return principal_for(user, tenant.org)
