"""Members' administration and the instance area through the SDK over HTTP against the live
server: the calls return the SDK's pydantic types, refusals are its exceptions carrying the
API's codes, and list calls walk every page in the order asked for."""

from __future__ import annotations

import pytest

from adminapp.accounts.models import OrgMembership, User
from adminapp.client import AdminClient, ConflictError, PermissionDeniedError
from adminapp.client.types import InstanceOrganizationCreated, InstanceUserDetail, OrgMember
from tests.factories import add_member, make_key, make_org, make_user

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clients(live_server):
    made: list[AdminClient] = []

    def make(key: str) -> AdminClient:
        client = AdminClient(api_key=key, base_url=live_server.url, max_retries=0)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def test_members_through_the_sdk(clients, tenant):
    owner = clients(tenant.keys["OWNER"])
    org = tenant.org.id
    for n in range(7):
        add_member(tenant.org, user=make_user(email=f"s{n}@example.com", name=f"S {n}"))
    emails = [m.user.email for m in owner.organizations.list_members(org, sort="email", limit=3)]
    assert emails == sorted(emails) and len(emails) == 11  # every page, in order

    member = owner.organizations.deactivate_member(org, tenant.annotator.id)
    assert isinstance(member, OrgMember) and member.is_active is False
    assert owner.organizations.reactivate_member(org, tenant.annotator.id).is_active is True
    with pytest.raises(ConflictError) as exc:
        owner.organizations.deactivate_member(org, tenant.owner.id)
    assert exc.value.code == "deactivate_self"

    assert owner.organizations.update(org, name="Renamed by SDK").name == "Renamed by SDK"
    spaces = owner.spaces.of_member(tenant.member.id)
    assert list(spaces) == []
    keys = owner.api_keys.list(user_id=tenant.member.id)
    assert [k.user.id for k in keys] == [tenant.member.id]

    new_owner = owner.organizations.transfer_ownership(org, user_id=tenant.member.id)
    assert new_owner.role == "OWNER"
    with pytest.raises(PermissionDeniedError):
        owner.organizations.transfer_ownership(org, user_id=tenant.admin.id)
    assert OrgMembership.objects.get(organization=tenant.org, user=tenant.owner).account_role == (
        "ADMIN"
    )


def test_the_instance_area_through_the_sdk(clients, tenant):
    root_user = make_user(superuser=True)
    root = clients(make_key(root_user, make_org(owner=root_user)))
    created = root.instance.organizations.create(name="Sdk Org", owner_email=tenant.admin.email)
    assert isinstance(created, InstanceOrganizationCreated)
    assert created.owner.id == tenant.admin.id and created.organization.member_count == 1
    listed = root.instance.organizations.list(search="sdk org")
    assert [o.name for o in listed] == ["Sdk Org"]

    found = root.instance.users.list(search=tenant.member.email)
    assert [u.id for u in found] == [tenant.member.id]
    detail = root.instance.users.deactivate(tenant.member.id)
    assert isinstance(detail, InstanceUserDetail) and detail.is_active is False
    assert not User.objects.get(id=tenant.member.id).is_active
    assert root.instance.users.reactivate(tenant.member.id).is_active is True

    with pytest.raises(PermissionDeniedError):
        clients(tenant.keys["OWNER"]).instance.users.list()
