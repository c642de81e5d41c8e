"""Members as admins manage them (issue 12 item 4): the members list sorted and searched,
keyset pages past 100 in every order; deactivate and reactivate (sign-in, sessions and keys
stop at once, the history stays); transfer ownership; the last owner kept whatever the
route; renaming the organization (owners). Through the API, checked in the database."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from adminapp.accounts import selectors, services
from adminapp.accounts.models import Organization, OrgMembership, User
from adminapp.audit.models import AuditEvent
from adminapp.core.errors import Conflict
from tests.api.helpers import API, api_error
from tests.factories import PASSWORD, add_member, make_org, make_user


def _members(org_id: str) -> str:
    return f"{API}/organizations/{org_id}/members"


def _role(org, user) -> str | None:
    m = OrgMembership.objects.filter(organization=org, user=user).first()
    return m.account_role if m else None


def _post(client, path, auth, body=None):
    return client.post(path, body or {}, content_type="application/json", **auth)


def _walk(client, url: str, auth: dict, **params) -> list[dict]:
    """Every page of a list, following next_cursor."""
    rows, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(url, query, **auth)
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["items"]
        cursor = body["pagination"]["next_cursor"]
        if not body["pagination"]["has_more"]:
            return rows


# --- sort, search, pages ------------------------------------------------------------------------
@pytest.fixture
def crowd(tenant):
    """130 more members with names and emails that sort differently, some signed in."""
    now = timezone.now()
    users = [
        User(
            email=f"p{n:03d}@example.com",
            name=f"{chr(ord('A') + (n * 7) % 26)}name {n}",
            last_login=now - timedelta(hours=n) if n % 3 else None,
        )
        for n in range(130)
    ]
    User.objects.bulk_create(users)
    OrgMembership.objects.bulk_create(
        OrgMembership(organization=tenant.org, user=u, account_role="MEMBER") for u in users
    )
    return users


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("name", lambda m: (m["user"]["name"].lower(),)),
        ("email", lambda m: (m["user"]["email"],)),
        ("role", lambda m: (["OWNER", "ADMIN", "MEMBER", "ANNOTATOR"].index(m["role"]),)),
        ("joined", lambda m: (m["joined_at"],)),
        ("last_login", lambda m: (m["last_login"] or "",)),
    ],
)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_members_sort_by_each_column_across_pages(client, tenant, crowd, sort, key, order):
    rows = _walk(
        client, _members(tenant.org.id), tenant.auth("MEMBER"), sort=sort, order=order, limit=100
    )
    assert len(rows) == 134  # past 100: the second page carries on where the first ended
    assert len({r["user"]["id"] for r in rows}) == 134
    keys = [key(r) for r in rows]
    if sort == "last_login":  # ISO strings in UTC compare as times; "never" first ascending
        keys = [(k[0].replace("Z", "+00:00"),) for k in keys]
    assert keys == sorted(keys, reverse=order == "desc")


def test_members_search_by_name_or_email(client, tenant, crowd):
    tenant.admin.name = "Grace Hopper"
    tenant.admin.save()
    found = client.get(_members(tenant.org.id), {"search": "hopper"}, **tenant.auth("MEMBER"))
    assert [m["user"]["email"] for m in found.json()["items"]] == [tenant.admin.email]
    found = client.get(
        _members(tenant.org.id), {"search": "p12", "sort": "email"}, **tenant.auth("MEMBER")
    )
    assert [m["user"]["email"] for m in found.json()["items"]] == [
        f"p12{n}@example.com" for n in range(10)
    ]


def test_a_cursor_of_another_order_or_a_forged_one_is_refused(client, tenant, crowd):
    first = client.get(_members(tenant.org.id), {"sort": "name"}, **tenant.auth())
    cursor = first.json()["pagination"]["next_cursor"]
    other = client.get(
        _members(tenant.org.id), {"sort": "email", "cursor": cursor}, **tenant.auth()
    )
    assert "cursor" in api_error(other, 422, "validation_error")["fields"]
    forged = client.get(
        _members(tenant.org.id), {"sort": "name", "cursor": "bm90IGEgY3Vyc29y"}, **tenant.auth()
    )
    api_error(forged, 422, "validation_error")
    bad_sort = client.get(_members(tenant.org.id), {"sort": "salary"}, **tenant.auth())
    assert bad_sort.status_code == 422


@pytest.mark.parametrize("sort", ["name", "email", "last_login", "role", "joined"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_pages_of_tied_members_list_each_member_once(client, tenant, sort, order):
    # Nine members without a name who never signed in: a tie on name, last sign-in and role
    # that the pages of three cut through; each member is on exactly one page.
    users = [make_user(email=f"tie{n}@example.com") for n in range(9)]
    for user in users:
        add_member(tenant.org, user=user)
    User.objects.filter(id__in=[u.id for u in users]).update(name="", last_login=None)
    rows = _walk(
        client, _members(tenant.org.id), tenant.auth("MEMBER"), sort=sort, order=order, limit=3
    )
    ids = [r["user"]["id"] for r in rows]
    assert len(ids) == len(set(ids)) == 13
    assert set(ids) >= {u.id for u in users}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.parametrize(
    ("sort", "index"),
    [
        ("name", "user_name_sort"),
        ("last_login", "user_last_login_sort"),
        ("email", "accounts_user_email_key"),
        ("role", "org_member_role_sort"),
    ],
)
@pytest.mark.parametrize("descending", [False, True])
def test_a_members_page_in_any_order_is_read_from_an_index_not_a_sort_of_the_org(
    tenant, crowd, sort, index, descending
):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_user")
        cursor.execute("ANALYZE accounts_orgmembership")
    actor = tenant.principal("MEMBER")
    first = selectors.org_member_list(
        actor=actor, org_id=tenant.org.id, sort=sort, descending=descending, limit=20
    )
    with CaptureQueriesContext(connection) as captured:  # a next page: the keyset filter too
        selectors.org_member_list(
            actor=actor,
            org_id=tenant.org.id,
            sort=sort,
            descending=descending,
            limit=20,
            cursor=first.next_cursor,
        )
    # The page's query (for a user's column the page is of the org's users, whose
    # memberships a second query reads).
    (sql,) = [q["sql"] for q in captured.captured_queries if "ORDER BY" in q["sql"]]
    # On 134 members the planner may well sort them (cheap at this size); at a hundred
    # thousand it must not have to. With sorting priced out, a plan without a Sort of the
    # members exists only if an index yields them in the page's order.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert index in plan, plan
    # No Sort node; by email an Incremental Sort orders each run of one email (it is
    # unique) by the user's id, never the members.
    assert not re.search(r"(^|->)\s*Sort\s+\(", plan, re.MULTILINE), plan
    # The page after the cursor is sought in the index as one row comparison, not the
    # start of the cursor's tie filtered row by row (deep inside a tie of thousands of
    # members never signed in, that read the whole tie). Emails are unique: no ties.
    if sort != "email":
        assert re.search(r"Index Cond: .*ROW\(.*\) [<>] ROW\(", plan), plan


def test_members_show_their_last_sign_in_and_status(client, tenant):
    signed_in = Client()
    assert signed_in.login(email=tenant.member.email, password=PASSWORD)
    member = client.get(f"{_members(tenant.org.id)}/{tenant.member.id}", **tenant.auth()).json()
    assert member["is_active"] is True
    assert member["last_login"] is not None
    never = client.get(f"{_members(tenant.org.id)}/{tenant.annotator.id}", **tenant.auth())
    assert never.json()["last_login"] is None


# --- deactivate / reactivate -------------------------------------------------------------------
def _deactivate(client, tenant, user_id, as_role="ADMIN", org_id=None):
    return _post(
        client, f"{_members(org_id or tenant.org.id)}/{user_id}/deactivate", tenant.auth(as_role)
    )


def _reactivate(client, tenant, user_id, as_role="ADMIN"):
    return _post(client, f"{_members(tenant.org.id)}/{user_id}/reactivate", tenant.auth(as_role))


def test_deactivating_stops_sign_in_sessions_and_keys_at_once_and_keeps_history(client, tenant):
    browser = Client()
    browser.force_login(tenant.member)
    assert browser.get(f"{API}/me").status_code == 200
    member_key = {"HTTP_AUTHORIZATION": f"Bearer {tenant.keys['MEMBER']}"}
    assert client.get(f"{API}/me", **member_key).status_code == 200

    response = _deactivate(client, tenant, tenant.member.id)
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    # The open session, the key and a new sign-in: all refused now.
    assert browser.get(f"{API}/me").status_code == 401
    assert api_error(client.get(f"{API}/me", **member_key), 401, "invalid_api_key")
    login = client.post(
        f"{API}/auth/login",
        {"email": tenant.member.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert login.status_code == 401
    # Still a member, the key not revoked, the history in the audit log.
    assert _role(tenant.org, tenant.member) == "MEMBER"
    event = AuditEvent.objects.get(action="user.deactivate", target_id=tenant.member.id)
    assert event.organization_id == tenant.org.id and event.actor_id == tenant.admin.id

    assert _reactivate(client, tenant, tenant.member.id).json()["is_active"] is True
    assert client.get(f"{API}/me", **member_key).status_code == 200
    assert AuditEvent.objects.filter(action="user.reactivate", target_id=tenant.member.id).exists()


def _instance_admin():
    """An instance admin (owner of an organization of their own) and their principal."""
    from adminapp.accounts import principals

    admin = make_user(superuser=True)
    org = make_org(owner=admin)
    membership = OrgMembership.objects.select_related("user").get(user=admin, organization=org)
    return admin, principals.for_membership(membership)


def test_the_last_owner_cannot_be_deactivated_by_anyone(client, tenant):
    api_error(_deactivate(client, tenant, tenant.owner.id, as_role="OWNER"), 409, "deactivate_self")
    _, admin = _instance_admin()
    with pytest.raises(Conflict) as exc:
        services.instance_user_set_active(actor=admin, user_id=tenant.owner.id, active=False)
    assert exc.value.code == "last_owner"
    assert User.objects.get(id=tenant.owner.id).is_active
    # With a second active owner the first may go; then the second is the last one.
    second = add_member(tenant.org, role="OWNER")
    services.instance_user_set_active(actor=admin, user_id=tenant.owner.id, active=False)
    with pytest.raises(Conflict) as exc:
        services.instance_user_set_active(actor=admin, user_id=second.id, active=False)
    assert exc.value.code == "last_owner"


def test_a_deactivated_owner_does_not_count_as_an_owner(client, tenant):
    second = add_member(tenant.org, role="OWNER")
    _, admin = _instance_admin()
    services.instance_user_set_active(actor=admin, user_id=second.id, active=False)
    # The first owner is now the last active one: they cannot step down.
    response = client.patch(
        f"{_members(tenant.org.id)}/{tenant.owner.id}",
        {"role": "ADMIN"},
        content_type="application/json",
        **tenant.auth("OWNER"),
    )
    api_error(response, 409, "last_owner")


def test_who_may_deactivate_whom(client, tenant, other_tenant):
    # An admin cannot touch an owner; a member nobody.
    second = add_member(tenant.org, role="OWNER")
    api_error(_deactivate(client, tenant, second.id, as_role="ADMIN"), 403, "permission_denied")
    api_error(
        _deactivate(client, tenant, tenant.annotator.id, as_role="MEMBER"), 403, "permission_denied"
    )
    # Another organization's member is not found, and so is another org's id.
    api_error(_deactivate(client, tenant, other_tenant.member.id), 404, "not_found")
    api_error(
        _deactivate(client, tenant, tenant.member.id, org_id=other_tenant.org.id), 404, "not_found"
    )
    # Someone who also belongs elsewhere: only an instance admin deactivates the account.
    OrgMembership.objects.create(
        organization=other_tenant.org, user=tenant.annotator, account_role="MEMBER"
    )
    api_error(
        _deactivate(client, tenant, tenant.annotator.id), 409, "member_of_other_organizations"
    )
    # An instance admin's account only by another instance admin.
    User.objects.filter(id=tenant.member.id).update(is_superuser=True)
    api_error(_deactivate(client, tenant, tenant.member.id), 403, "instance_admin_protected")
    assert User.objects.filter(is_active=False).count() == 0


def test_a_deactivated_users_running_work_stops(tenant):
    from adminapp.accounts.principals import OwnerGone, OwnerRef, resolve_owner

    owner = OwnerRef(kind="user", id=tenant.member.id, credential_id="", label="m")
    assert resolve_owner(org_id=tenant.org.id, owner=owner).role == "MEMBER"
    services.org_member_set_active(
        actor=tenant.principal("ADMIN"),
        org_id=tenant.org.id,
        user_id=tenant.member.id,
        active=False,
    )
    with pytest.raises(OwnerGone) as exc:
        resolve_owner(org_id=tenant.org.id, owner=owner)
    assert exc.value.code == "owner_deactivated"


# --- transfer ownership ---------------------------------------------------------------------
def _transfer(client, tenant, user_id, as_role="OWNER", org_id=None):
    return _post(
        client,
        f"{API}/organizations/{org_id or tenant.org.id}/transfer-ownership",
        tenant.auth(as_role),
        {"user_id": user_id},
    )


def test_an_owner_transfers_ownership_and_becomes_admin(client, tenant):
    response = _transfer(client, tenant, tenant.member.id)
    assert response.status_code == 200
    assert response.json()["role"] == "OWNER"
    assert _role(tenant.org, tenant.member) == "OWNER"
    assert _role(tenant.org, tenant.owner) == "ADMIN"
    event = AuditEvent.objects.get(action="organization.transfer_ownership")
    assert event.target_id == tenant.member.id
    assert event.details["previous_role"] == "MEMBER"
    assert event.details["from"] == tenant.owner.email
    # The former owner cannot take it back.
    api_error(_transfer(client, tenant, tenant.owner.id), 403, "permission_denied")


def test_transfer_refusals_change_nothing(client, tenant, other_tenant):
    api_error(
        _transfer(client, tenant, tenant.member.id, as_role="ADMIN"), 403, "permission_denied"
    )
    api_error(_transfer(client, tenant, tenant.owner.id), 422, "transfer_to_self")
    api_error(_transfer(client, tenant, other_tenant.member.id), 404, "not_found")
    api_error(
        _transfer(client, tenant, other_tenant.member.id, org_id=other_tenant.org.id),
        404,
        "not_found",
    )
    second = add_member(tenant.org, role="OWNER")
    api_error(_transfer(client, tenant, second.id), 409, "already_owner")
    User.objects.filter(id=tenant.admin.id).update(is_active=False)
    api_error(_transfer(client, tenant, tenant.admin.id), 409, "member_deactivated")
    assert _role(tenant.org, tenant.owner) == "OWNER"
    assert _role(tenant.org, tenant.member) == "MEMBER"
    assert not AuditEvent.objects.filter(action="organization.transfer_ownership").exists()


# --- rename ---------------------------------------------------------------------------------
def _rename(client, tenant, name, as_role="OWNER", org_id=None):
    return client.patch(
        f"{API}/organizations/{org_id or tenant.org.id}",
        {"name": name},
        content_type="application/json",
        **tenant.auth(as_role),
    )


def test_owners_rename_the_organization(client, tenant):
    response = _rename(client, tenant, "  Acme Research  ")
    assert response.status_code == 200
    assert response.json()["name"] == "Acme Research"
    org = Organization.objects.get(id=tenant.org.id)
    assert org.name == "Acme Research" and org.slug == tenant.org.slug
    event = AuditEvent.objects.get(action="organization.rename")
    assert event.details == {"from": tenant.org.name, "to": "Acme Research"}


def test_rename_refusals_change_nothing(client, tenant, other_tenant):
    api_error(_rename(client, tenant, "By admin", as_role="ADMIN"), 403, "permission_denied")
    api_error(_rename(client, tenant, "Elsewhere", org_id=other_tenant.org.id), 404, "not_found")
    taken = _rename(client, tenant, other_tenant.org.name.upper())
    assert "name" in api_error(taken, 409, "organization_name_taken")["fields"]
    bidi = _rename(client, tenant, "Acme\u202eevil")
    assert "name" in api_error(bidi, 422, "validation_error")["fields"]
    assert Organization.objects.get(id=tenant.org.id).name == tenant.org.name
    assert not AuditEvent.objects.filter(action="organization.rename").exists()


# --- a member's spaces and keys -----------------------------------------------------------------
def test_a_members_spaces_with_their_roles_and_their_keys(client, tenant, other_tenant):
    from adminapp.spaces import services as spaces
    from tests.spaces.factories import predefined

    owner = tenant.principal("OWNER")
    lidar = spaces.space_create(actor=owner, name="Lidar")
    spaces.space_create(actor=owner, name="Unrelated")
    spaces.space_member_set(
        actor=owner, space=lidar.id, user_id=tenant.member.id, role=predefined("READ_ONLY")
    )
    rows = client.get(f"{API}/spaces/memberships/{tenant.member.id}", **tenant.auth("ADMIN"))
    assert [(r["space_name"], r["role"]["name"]) for r in rows.json()["items"]] == [
        ("Lidar", "READ_ONLY")
    ]
    # Yourself yes; another member no; another org's member not found.
    own = client.get(f"{API}/spaces/memberships/{tenant.member.id}", **tenant.auth("MEMBER"))
    assert own.status_code == 200
    api_error(
        client.get(f"{API}/spaces/memberships/{tenant.admin.id}", **tenant.auth("MEMBER")),
        403,
        "permission_denied",
    )
    api_error(
        client.get(f"{API}/spaces/memberships/{other_tenant.member.id}", **tenant.auth("ADMIN")),
        404,
        "not_found",
    )
    keys = client.get(f"{API}/api-keys", {"user_id": tenant.member.id}, **tenant.auth("ADMIN"))
    assert [k["user"]["id"] for k in keys.json()["items"]] == [tenant.member.id]
