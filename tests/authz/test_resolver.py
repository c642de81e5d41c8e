"""The authorization module: the vocabulary as data, its three scopes, and the resolver."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from adminapp import authz
from adminapp.accounts import principals
from adminapp.accounts.services import organization_create
from adminapp.authz import Permission, Scope
from adminapp.core.errors import NotFound, PermissionDenied
from tests.factories import make_user, principal_for

pytestmark = pytest.mark.django_db


def test_every_permission_says_what_it_means_in_each_scope_it_is_granted_in():
    for permission in Permission:
        info = authz.VOCABULARY[permission]
        assert info.scopes, permission
        assert all(authz.describe(permission, scope) for scope in info.scopes)
    instance_only = authz.INSTANCE_PERMISSIONS
    assert instance_only == {Permission.ORGANIZATION_CREATE, Permission.PLUGIN_MANAGE}
    assert Permission.MEMBER_MANAGE in authz.ORG_PERMISSIONS & authz.SPACE_PERMISSIONS


def test_instance_permissions_belong_to_instance_admins_acting_as_people_only(tenant):
    admin_user = make_user(superuser=True)
    person = principals.for_user(admin_user, org_id=tenant.org.id, role="MEMBER")
    service = principals.for_service_key(
        key_id="key_x", org_id=tenant.org.id, role="ADMIN", label="ci"
    )
    assert authz.can(person, Permission.ORGANIZATION_CREATE)
    assert not authz.can(tenant.principal("OWNER"), Permission.ORGANIZATION_CREATE)
    assert not authz.can(service, Permission.ORGANIZATION_CREATE)

    org = organization_create(actor=person, name="Made by an instance admin", owner=admin_user)
    assert org.name == "Made by an instance admin"
    with pytest.raises(PermissionDenied, match="instance admins"):
        organization_create(actor=tenant.principal("OWNER"), name="Nope", owner=tenant.owner)


def test_me_lists_the_instance_permission_for_an_instance_admin_only(client, tenant):
    staff = make_user(superuser=True)
    client.force_login(staff)
    from adminapp.accounts.models import OrgMembership

    OrgMembership.objects.create(organization=tenant.org, user=staff, account_role="MEMBER")
    assert "organization.create" in client.get("/api/v1/me").json()["permissions"]
    owner = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {tenant.keys['OWNER']}")
    assert "organization.create" not in owner.json()["permissions"]


def test_a_space_token_holds_nothing_outside_its_space_and_is_told_404(tenant):
    token = principals.for_space_token(
        token_id="stk_x", org_id=tenant.org.id, space_id="spc_x", role="MEMBER", label="t"
    )
    assert authz.permissions_of(token) == frozenset()
    with pytest.raises(NotFound):
        authz.require(token, Permission.ORG_READ)
    with pytest.raises(PermissionDenied):
        authz.require(principal_for(tenant.annotator, tenant.org), Permission.MEMBER_READ)


def test_an_unknown_permission_is_a_programming_error_not_a_silent_no(tenant):
    with pytest.raises(ValueError, match="unknown permission"):
        authz.can(tenant.principal("OWNER"), "space.fly")
    with pytest.raises(ValueError, match="not a space permission"):
        authz.can_in_space(tenant.principal("OWNER"), "spc_x", Permission.AUDIT_READ)


def test_templates_ask_the_can_filter_which_refuses_names_outside_the_vocabulary():
    class Holder:
        permissions = ["role.manage"]

    template = Template('{% load web %}{% if me|can:"role.manage" %}yes{% else %}no{% endif %}')
    assert template.render(Context({"me": Holder()})) == "yes"
    assert template.render(Context({"me": None})) == "no"
    typo = Template('{% load web %}{% if me|can:"role.manaeg" %}yes{% endif %}')
    with pytest.raises(ValueError):
        typo.render(Context({"me": Holder()}))


def test_the_scopes_are_the_sdks():
    assert {s.value for s in Scope} == {"instance", "org", "space"}
