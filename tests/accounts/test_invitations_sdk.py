"""``client.organizations.invitations`` over HTTP against the live server: create, list,
resend, revoke return the SDK's pydantic types; refusals are the SDK's exceptions with the
API's codes; the holder of a link inspects and accepts it with a client that has no key."""

from __future__ import annotations

import pytest

from adminapp.accounts import services
from adminapp.client import (
    AdminClient,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableEntityError,
)
from adminapp.client.types import Invitation, InvitationAccepted, InvitationStatus

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clients(live_server, tenant):
    made: list[AdminClient] = []

    def make(role: str | None = "OWNER") -> AdminClient:
        key = tenant.keys[role] if role else None
        client = AdminClient(api_key=key, base_url=live_server.url, max_retries=0)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def test_invitations_through_the_sdk(clients, tenant):
    invitations = clients("ADMIN").organizations.invitations
    org = tenant.org.id
    created = invitations.create(org, email="sdk@example.com", role="MEMBER")
    assert isinstance(created, Invitation) and created.status is InvitationStatus.PENDING
    with pytest.raises(ConflictError) as exc:
        invitations.create(org, email="sdk@example.com")
    assert exc.value.code == "already_invited"
    with pytest.raises(PermissionDeniedError) as exc:
        invitations.create(org, email="boss@example.com", role="OWNER")
    assert exc.value.code == "owner_invite_forbidden"
    with pytest.raises(UnprocessableEntityError) as exc:
        invitations.create(org, email="nope")
    assert "email" in exc.value.fields

    for n in range(3):
        invitations.create(org, email=f"more{n}@example.com")
    page = invitations.list(org, limit=2)
    assert len(page.items) == 2 and page.has_more
    assert [i.email for i in page][-1] == "sdk@example.com"  # iterating walks every page

    resent = invitations.resend(org, created.id)
    assert resent.sent_at > created.sent_at
    revoked = invitations.revoke(org, created.id)
    assert revoked.status is InvitationStatus.REVOKED
    assert invitations.get(org, created.id).revoked_at is not None


def test_the_holder_of_a_link_inspects_and_accepts_it_without_a_key(clients, tenant):
    _, token = services.invitation_create(
        actor=tenant.principal(),
        org_id=tenant.org.id,
        email="holder@example.com",
        role="MEMBER",
        link_for=lambda t: t,
    )
    anonymous = clients(None).organizations.invitations
    preview = anonymous.inspect(token)
    assert preview.email == "holder@example.com" and preview.account_exists is False
    accepted = anonymous.accept(token, name="Holder", password="a-long-new-passphrase-42")
    assert isinstance(accepted, InvitationAccepted)
    assert accepted.organization.id == tenant.org.id and accepted.account_created
    with pytest.raises(ConflictError) as exc:
        anonymous.accept(token, name="Again", password="a-long-new-passphrase-42")
    assert exc.value.code == "invitation_used"
    with pytest.raises(NotFoundError) as exc:
        anonymous.inspect(token + "x")
    assert exc.value.code == "invitation_invalid"
