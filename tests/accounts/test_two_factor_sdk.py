"""The SDK over HTTP against the live server: an owner requires two-factor sign-in with
``client.organizations.set_two_factor_required`` (refused with the API's code until they use
it themselves), and API keys keep working under the rule; the session-only calls refuse a
key with ``session_required``."""

from __future__ import annotations

import pyotp
import pytest

from adminapp.accounts.services import mfa
from adminapp.client import AdminClient, BadRequestError, ConflictError, PermissionDeniedError
from adminapp.client.types import Organization

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clients(live_server, tenant):
    made: list[AdminClient] = []

    def make(role: str) -> AdminClient:
        client = AdminClient(api_key=tenant.keys[role], base_url=live_server.url, max_retries=0)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def test_requiring_two_factor_through_the_sdk_leaves_keys_working(clients, tenant):
    owner, member = clients("OWNER"), clients("MEMBER")
    with pytest.raises(ConflictError) as exc:
        owner.organizations.set_two_factor_required(tenant.org.id, True)
    assert exc.value.code == "two_factor_disabled"
    principal = tenant.principal("OWNER")
    secret = mfa.enrolment_start(actor=principal)["secret"]
    mfa.enrolment_confirm(actor=principal, code=pyotp.TOTP(secret).now())

    org = owner.organizations.set_two_factor_required(tenant.org.id, True)
    assert isinstance(org, Organization) and org.require_two_factor is True
    assert member.organizations.get(tenant.org.id).require_two_factor is True
    with pytest.raises(PermissionDeniedError):
        member.organizations.set_two_factor_required(tenant.org.id, False)
    assert member.me.get().organization.id == tenant.org.id  # keys are not stopped
    assert list(member.spaces.list()) == []
    with pytest.raises(BadRequestError) as exc:
        member.me.sessions()
    assert exc.value.code == "session_required"
