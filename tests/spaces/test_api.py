"""/api/v1/spaces and /api/v1/roles over HTTP: shapes, paging, search, bad input, query
counts and space tokens as bearer credentials."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from adminapp.audit.models import AuditEvent
from adminapp.core.ids import new_id
from adminapp.spaces.models import Space, SpaceMembership, SpaceRole, SpaceToken
from tests.factories import add_member, make_key
from tests.helpers import without_index
from tests.spaces.factories import (
    API,
    bearer,
    custom,
    expire,
    join,
    make_space,
    make_token,
    predefined,
)

pytestmark = pytest.mark.django_db


def post(client, path, body, auth):
    return client.post(API + path, body, content_type="application/json", **auth)


def patch(client, path, body, auth):
    return client.patch(API + path, body, content_type="application/json", **auth)


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    err = response.json()["error"]
    assert err["code"] == code, err
    assert err["message"] and err["request_id"] == response["X-Request-ID"]
    return err


# --- spaces -------------------------------------------------------------------------------
def test_create_get_update_roundtrip(client, tenant):
    admin = tenant.auth("ADMIN")
    created = post(client, "/spaces", {"name": "Research", "description": "Arms"}, admin)
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "Research" and body["description"] == "Arms"
    assert body["organization_id"] == tenant.org.id and body["id"].startswith("spc_")
    assert "space.delete" in body["permissions"]

    by_name = client.get(f"{API}/spaces/Research", **admin).json()
    assert by_name["id"] == body["id"]
    updated = patch(client, f"/spaces/{body['id']}", {"name": "Research Lab"}, admin)
    assert updated.status_code == 200 and updated.json()["name"] == "Research Lab"
    by_new_name = client.get(f"{API}/spaces/{quote('Research Lab')}", **admin)
    assert by_new_name.json()["id"] == body["id"]


def test_the_list_is_under_spaces_and_pages_with_a_cursor(client, tenant):
    names = {make_space(tenant, f"Space {i:02}").name for i in range(7)}
    admin = tenant.auth("ADMIN")
    first = client.get(f"{API}/spaces?limit=3", **admin).json()
    assert set(first) == {"spaces", "pagination"}
    assert len(first["spaces"]) == 3 and first["pagination"]["has_more"] is True
    seen, cursor = [s["name"] for s in first["spaces"]], first["pagination"]["next_cursor"]
    while cursor:
        page = client.get(f"{API}/spaces?limit=3&cursor={cursor}", **admin).json()
        seen += [s["name"] for s in page["spaces"]]
        cursor = page["pagination"]["next_cursor"]
    assert len(seen) == 7 and set(seen) == names
    assert seen == sorted(seen, reverse=True)  # newest first
    assert all(s["permissions"] is None for s in first["spaces"])


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "cursor=not-a-cursor"])
def test_bad_paging_parameters_are_a_422(client, tenant, query):
    err = error(
        client.get(f"{API}/spaces?{query}", **tenant.auth("ADMIN")), 422, "validation_error"
    )
    assert set(err["fields"]) & {"limit", "cursor"}


def test_list_filters_by_name_and_organization(client, tenant, other_tenant):
    for name in ("Robot Arms", "Kitchen Robots", "Garden"):
        make_space(tenant, name)
    admin = tenant.auth("ADMIN")
    found = client.get(f"{API}/spaces?name=robot", **admin).json()["spaces"]
    assert {s["name"] for s in found} == {"Robot Arms", "Kitchen Robots"}
    ours = client.get(f"{API}/spaces?organization_id={tenant.org.id}", **admin).json()
    assert len(ours["spaces"]) == 3
    error(
        client.get(f"{API}/spaces?organization_id={other_tenant.org.id}", **admin), 404, "not_found"
    )


def streamed(response) -> dict:
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/json"
    return json.loads(b"".join(response.streaming_content))


def test_all_lists_every_visible_space_by_name_with_id_and_name_only(client, tenant):
    for name in ("beta", "Alpha", "Gamma", "ärzte", "Ärzte 2"):
        make_space(tenant, name)
    body = streamed(client.get(f"{API}/spaces/all", **tenant.auth("ADMIN")))
    assert [s["name"] for s in body["spaces"]] == ["Alpha", "beta", "Gamma", "ärzte", "Ärzte 2"]
    assert all(set(s) == {"id", "name"} for s in body["spaces"])


def test_all_is_an_empty_list_when_there_is_no_space(client, tenant):
    assert streamed(client.get(f"{API}/spaces/all", **tenant.auth("ADMIN"))) == {"spaces": []}


def test_all_is_empty_for_a_caller_who_may_see_no_space(client, tenant):
    from tests.factories import make_key

    make_space(tenant, "Invisible")
    # A MEMBER service key belongs to nobody: no membership can make a space visible to it.
    secret = make_key(tenant.owner, tenant.org, kind="SERVICE", role="MEMBER")
    assert streamed(client.get(f"{API}/spaces/all", **bearer(secret))) == {"spaces": []}


@pytest.mark.parametrize("count", [0, 1, 2, 5, 6])
def test_a_streamed_list_is_one_json_document_across_batches(count):
    from adminapp.core.http import json_refs_stream

    rows = [(f"spc_{i}", f"Space {i}") for i in range(count)]
    response = json_refs_stream("spaces", iter(rows), batch=2)
    assert json.loads(b"".join(response.streaming_content)) == {
        "spaces": [{"id": i, "name": n} for i, n in rows]
    }


def test_a_foreign_or_unknown_space_is_not_found_by_name_or_id(client, tenant, other_tenant):
    foreign = make_space(other_tenant, "Secret")
    for ref in (foreign.id, "Secret", "spc_unknown"):
        err = error(client.get(f"{API}/spaces/{ref}", **tenant.auth("OWNER")), 404, "not_found")
        assert ref in err["message"]
    response = patch(client, f"/spaces/{foreign.id}", {"name": "Mine"}, tenant.auth("OWNER"))
    error(response, 404, "not_found")
    assert Space.objects.get(id=foreign.id).name == "Secret"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "    "}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"name": "ok", "description": "d" * 1001}, "description"),
        ({"name": "ok", "colour": "blue"}, "colour"),
        ({}, "name"),
        ({"name": 42}, "name"),
    ],
)
def test_bad_create_input_is_a_422_naming_the_field_and_nothing_is_written(
    client, tenant, body, field
):
    err = error(post(client, "/spaces", body, tenant.auth("ADMIN")), 422, "validation_error")
    assert field in err["fields"], err
    assert not Space.objects.exists()


def test_duplicates_are_409_on_create_and_rename(client, tenant):
    make_space(tenant, "Research")
    other = make_space(tenant, "Archive")
    admin = tenant.auth("ADMIN")
    err = error(post(client, "/spaces", {"name": "research"}, admin), 409, "conflict")
    assert err["fields"] == {"name": ["A space with this name already exists."]}
    error(patch(client, f"/spaces/{other.id}", {"name": "RESEARCH"}, admin), 409, "conflict")


def test_update_with_neither_name_nor_description_is_a_400(client, tenant):
    space = make_space(tenant, "Research")
    error(patch(client, f"/spaces/{space.id}", {}, tenant.auth("ADMIN")), 400, "bad_request")
    error(
        patch(
            client, f"/spaces/{space.id}", {"name": None, "description": None}, tenant.auth("ADMIN")
        ),
        400,
        "bad_request",
    )


def test_delete_answers_202_with_the_job_and_the_space_is_gone_at_once(client, tenant):
    space = make_space(tenant, "Doomed")
    _, secret = make_token(tenant, space)
    admin = tenant.auth("ADMIN")
    response = client.delete(f"{API}/spaces/Doomed", **admin)
    assert response.status_code == 202
    job = response.json()
    assert job["kind"] == "space_delete" and job["state"] == "QUEUED"
    error(client.get(f"{API}/spaces/{space.id}", **admin), 404, "not_found")
    assert client.get(f"{API}/spaces", **admin).json()["spaces"] == []
    error(client.get(f"{API}/spaces", **bearer(secret)), 401, "space_token_inactive")
    assert client.get(f"{API}/jobs/{job['id']}", **admin).json()["kind"] == "space_delete"
    # The name is free again.
    assert post(client, "/spaces", {"name": "Doomed"}, admin).status_code == 201


# --- members ------------------------------------------------------------------------------
def test_members_are_listed_with_their_roles_in_the_wire_shape(client, tenant):
    space = make_space(tenant, "Research")
    role = post(
        client, "/roles", {"name": "Writer", "permissions": ["dataset.write"]}, tenant.auth("OWNER")
    ).json()
    join(tenant, space, tenant.member, predefined("READ_ONLY"))
    added = post(
        client,
        f"/spaces/{space.id}/members",
        {
            "user_id": tenant.admin.id,
            "role": {"type": "CUSTOM", "id": role["id"], "name": "ignored"},
        },
        tenant.auth("OWNER"),
    )
    assert added.status_code == 201
    members = client.get(f"{API}/spaces/Research/members", **tenant.auth("ADMIN")).json()
    roles = {m["user"]["email"]: m["role"] for m in members["items"]}
    assert roles == {
        tenant.member.email: {"type": "PREDEFINED", "name": "READ_ONLY"},
        tenant.admin.email: {"type": "CUSTOM", "id": role["id"], "name": "Writer"},
    }
    first = members["items"][0]
    assert first["user_id"] == tenant.member.id and first["space_id"] == space.id
    assert first["account_role"] == "MEMBER"


def test_add_user_upserts_201_then_200(client, tenant):
    space = make_space(tenant, "Research")
    body = {"user_id": tenant.member.id, "role": {"type": "PREDEFINED", "name": "MEMBER"}}
    assert (
        post(client, f"/spaces/{space.id}/members", body, tenant.auth("OWNER")).status_code == 201
    )
    body["role"]["name"] = "ADMIN"
    again = post(client, f"/spaces/{space.id}/members", body, tenant.auth("OWNER"))
    assert again.status_code == 200 and again.json()["role"]["name"] == "ADMIN"
    assert SpaceMembership.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "field"),
    [
        ({"name": "ADMIN"}, "role"),  # no type
        ({"type": "BUILTIN", "name": "ADMIN"}, "role"),
        ({"type": "PREDEFINED", "name": "admin"}, "role.PREDEFINED.name"),
        ({"type": "PREDEFINED", "name": "OWNER"}, "role.PREDEFINED.name"),
        ({"type": "CUSTOM"}, "role.CUSTOM.id"),
        ({"type": "PREDEFINED", "name": "ADMIN", "extra": 1}, "role.PREDEFINED.extra"),
        ("ADMIN", "role"),
    ],
)
def test_a_role_of_the_wrong_shape_is_a_422(client, tenant, role, field):
    space = make_space(tenant, "Research")
    response = post(
        client,
        f"/spaces/{space.id}/members",
        {"user_id": tenant.member.id, "role": role},
        tenant.auth("OWNER"),
    )
    err = error(response, 422, "validation_error")
    assert field in err["fields"], err["fields"]
    assert not SpaceMembership.objects.exists()


def test_unknown_custom_role_and_user_from_another_org_are_clear_errors(
    client, tenant, other_tenant
):
    space = make_space(tenant, "Research")
    owner = tenant.auth("OWNER")
    unknown = post(
        client,
        f"/spaces/{space.id}/members",
        {"user_id": tenant.member.id, "role": {"type": "CUSTOM", "id": "rol_nope"}},
        owner,
    )
    assert "role.id" in error(unknown, 422, "validation_error")["fields"]
    foreign = post(
        client,
        f"/spaces/{space.id}/members",
        {"user_id": other_tenant.member.id, "role": {"type": "PREDEFINED", "name": "MEMBER"}},
        owner,
    )
    assert "user_id" in error(foreign, 400, "user_not_in_org")["fields"]
    annotator = post(
        client,
        f"/spaces/{space.id}/members",
        {"user_id": tenant.annotator.id, "role": {"type": "PREDEFINED", "name": "MEMBER"}},
        owner,
    )
    error(annotator, 400, "annotator_role_mismatch")
    assert not SpaceMembership.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="space.member").exists()


def test_an_empty_user_id_is_a_422_saying_it_is_required(client, tenant):
    space = make_space(tenant, "Research")
    body = {"user_id": "", "role": {"type": "PREDEFINED", "name": "MEMBER"}}
    empty = post(client, f"/spaces/{space.id}/members", body, tenant.auth("OWNER"))
    fields = error(empty, 422, "validation_error")["fields"]
    assert fields == {"user_id": ["String should have at least 1 character"]}
    assert not SpaceMembership.objects.exists()


def test_remove_user_is_204_then_404(client, tenant):
    space = make_space(tenant, "Research")
    join(tenant, space, tenant.member, predefined("MEMBER"))
    path = f"{API}/spaces/{space.id}/members/{tenant.member.id}"
    assert client.delete(path, **tenant.auth("OWNER")).status_code == 204
    error(client.delete(path, **tenant.auth("OWNER")), 404, "not_found")


def test_a_custom_role_that_manages_members_cannot_demote_a_space_admin(client, tenant):
    """The gatekeeper may hand out READ_ONLY (all of it within their own permissions), but
    not take ADMIN away from someone: that role can do more than they can (Hardening II
    #32). Only the check on the role being replaced stops this."""
    space = make_space(tenant, "Research")
    gatekeeper = SpaceRole.objects.create(
        organization=tenant.org,
        name="Gatekeeper",
        name_key="gatekeeper",
        permissions=["dataset.read", "member.manage", "member.read"],
    )
    keeper, boss = add_member(tenant.org), add_member(tenant.org)
    join(tenant, space, keeper, custom(gatekeeper))
    join(tenant, space, boss, predefined("ADMIN"))
    keeper_auth = bearer(make_key(keeper, tenant.org))
    path = f"/spaces/{space.id}/members"
    read_only = {"type": "PREDEFINED", "name": "READ_ONLY"}
    # Within their rights: making an ordinary member READ_ONLY.
    join(tenant, space, tenant.member, predefined("READ_ONLY"))
    ok = post(client, path, {"user_id": tenant.member.id, "role": read_only}, keeper_auth)
    assert ok.status_code == 200, ok.content

    refused = post(client, path, {"user_id": boss.id, "role": read_only}, keeper_auth)

    error(refused, 403, "role_escalation")
    assert SpaceMembership.objects.get(space=space, org_membership__user=boss).role == "ADMIN"
    assert not AuditEvent.objects.filter(
        action="space.member.update_role", target_id=boss.id
    ).exists()


# --- custom roles -------------------------------------------------------------------------
def test_roles_crud_and_a_role_in_use_is_a_409_with_the_count(client, tenant):
    owner = tenant.auth("OWNER")
    vocabulary = client.get(f"{API}/roles/permissions", **owner).json()["permissions"]
    assert {"token.manage", "dataset.write", "member.manage"} <= {p["name"] for p in vocabulary}
    bad = post(client, "/roles", {"name": "Odd", "permissions": ["dataset.read", "fly"]}, owner)
    assert "fly" in error(bad, 422, "validation_error")["fields"]["permissions"][0]
    role = post(
        client, "/roles", {"name": "Writer", "permissions": ["dataset.write"]}, owner
    ).json()
    error(post(client, "/roles", {"name": "writer"}, owner), 409, "conflict")
    changed = patch(client, f"/roles/{role['id']}", {"permissions": ["dataset.read"]}, owner)
    assert changed.json()["permissions"] == ["dataset.read"]
    error(patch(client, f"/roles/{role['id']}", {}, owner), 400, "bad_request")
    listed = client.get(f"{API}/roles", **tenant.auth("MEMBER")).json()["items"]
    assert [r["name"] for r in listed] == ["Writer"]

    space = make_space(tenant, "Research")
    join(tenant, space, tenant.member, predefined("MEMBER"))
    join(tenant, space, tenant.admin, predefined("MEMBER"))
    for user in (tenant.member, tenant.admin):
        post(
            client,
            f"/spaces/{space.id}/members",
            {"user_id": user.id, "role": {"type": "CUSTOM", "id": role["id"]}},
            owner,
        )
    err = error(client.delete(f"{API}/roles/{role['id']}", **owner), 409, "role_in_use")
    assert "2 space memberships" in err["message"]
    assert err["details"] == {"memberships": 2}
    assert SpaceRole.objects.filter(id=role["id"]).exists()


# --- space tokens -------------------------------------------------------------------------
def test_a_token_secret_is_shown_once_and_the_token_works_as_a_bearer(client, tenant):
    space = make_space(tenant, "Research")
    admin = tenant.auth("ADMIN")
    created = post(client, f"/spaces/{space.id}/tokens", {"label": "ci", "permanent": True}, admin)
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert created.json()["expires_at"] is None and created.json()["role"] == "MEMBER"
    listed = client.get(f"{API}/spaces/{space.id}/tokens", **admin).json()["items"]
    assert [t["label"] for t in listed] == ["ci"] and "secret" not in listed[0]
    assert listed[0]["prefix"] == secret[:12]

    me = client.get(f"{API}/spaces/{space.id}", **bearer(secret)).json()
    assert me["id"] == space.id
    assert me["permissions"] == ["dataset.read", "dataset.write", "global_key.assign", "space.read"]
    assert SpaceToken.objects.get().last_used_at is not None


def test_a_space_token_sees_nothing_outside_its_space(client, tenant):
    space, other_space = make_space(tenant, "Research"), make_space(tenant, "Archive")
    _, secret = make_token(tenant, space)
    auth = bearer(secret)
    listed = client.get(f"{API}/spaces", **auth).json()["spaces"]
    assert [s["id"] for s in listed] == [space.id]
    assert [s["id"] for s in streamed(client.get(f"{API}/spaces/all", **auth))["spaces"]] == [
        space.id
    ]
    for path in (
        f"/spaces/{other_space.id}",
        "/spaces/Archive",
        f"/spaces/{other_space.id}/members",
        "/me",
        "/organizations",
        f"/organizations/{tenant.org.id}/members",
        "/api-keys",
        "/audit",
        "/roles",
    ):
        error(client.get(API + path, **auth), 404, "not_found")
    error(post(client, "/spaces", {"name": "Mine"}, auth), 404, "not_found")
    error(post(client, "/api-keys", {"label": "escape"}, auth), 404, "not_found")


def test_expired_and_deactivated_tokens_are_401_saying_why(client, tenant):
    space = make_space(tenant, "Research")
    old, old_secret = make_token(tenant, space)
    expire(old)
    off, off_secret = make_token(tenant, space, permanent=True)
    response = post(
        client, f"/spaces/{space.id}/tokens/{off.id}/deactivate", {}, tenant.auth("ADMIN")
    )
    assert response.status_code == 200 and response.json()["is_active"] is False
    error(client.get(f"{API}/spaces", **bearer(old_secret)), 401, "space_token_expired")
    error(client.get(f"{API}/spaces", **bearer(off_secret)), 401, "space_token_inactive")
    # Also on endpoints a token could never use: the 401 comes first.
    error(client.get(f"{API}/me", **bearer(old_secret)), 401, "space_token_expired")
    listed = client.get(f"{API}/spaces/{space.id}/tokens", **tenant.auth("ADMIN")).json()["items"]
    assert {(t["label"] or t["id"]): (t["is_active"], t["is_expired"]) for t in listed} == {
        old.id: (True, True),
        off.id: (False, False),
    }


def test_the_sixth_active_permanent_token_is_a_409(client, tenant):
    space = make_space(tenant, "Research")
    for _ in range(5):
        make_token(tenant, space, permanent=True)
    response = post(client, f"/spaces/{space.id}/tokens", {"permanent": True}, tenant.auth("ADMIN"))
    error(response, 409, "permanent_token_limit")
    assert SpaceToken.objects.count() == 5


def test_bulk_token_delete_by_permanence(client, tenant):
    space = make_space(tenant, "Research")
    for permanent in (True, True, False):
        make_token(tenant, space, permanent=permanent)
    admin = tenant.auth("ADMIN")
    path = f"{API}/spaces/{space.id}/tokens"
    assert client.delete(f"{path}?permanent=false", **admin).json() == {"deleted": 1}
    assert client.delete(f"{path}?permanent=true", **admin).json() == {"deleted": 2}
    assert client.delete(path, **admin).json() == {"deleted": 0}


# --- rows created at one instant page without loss or repeat (Hardening II #32) -------------
def _at_one_instant(model, prefix: str, n: int, newest_first: bool, **make) -> None:
    """``n`` rows of ``model`` created at the same instant, stored in the reverse of the
    order the list shows ties in (by id, descending when ``newest_first``), so that only
    the query's tie-break puts them right; ``make[field](i)`` gives each row's fields."""
    ids = sorted((new_id(prefix) for _ in range(n)), reverse=not newest_first)
    for i, row_id in enumerate(ids):
        model.objects.create(id=row_id, **{field: value(i) for field, value in make.items()})
    model.objects.filter(id__in=ids).update(created_at=timezone.now())


def _tied_members(tenant, space, newest_first):
    users = [add_member(tenant.org) for _ in range(7)]
    _at_one_instant(
        SpaceMembership,
        "smb",
        7,
        newest_first,
        space=lambda i: space,
        org_membership=lambda i: users[i].org_memberships.get(),
        role=lambda i: "MEMBER",
    )
    return SpaceMembership.objects.filter(space=space), "items", f"/spaces/{space.id}/members"


def _tied_roles(tenant, space, newest_first):
    _at_one_instant(
        SpaceRole,
        "rol",
        7,
        newest_first,
        organization=lambda i: tenant.org,
        name=lambda i: f"Role {i}",
        name_key=lambda i: f"role {i}",
    )
    return SpaceRole.objects.filter(organization=tenant.org), "items", "/roles"


def _tied_spaces(tenant, space, newest_first):
    _at_one_instant(
        Space,
        "spc",
        7,
        newest_first,
        organization=lambda i: tenant.org,
        name=lambda i: f"Space {i}",
        name_key=lambda i: f"space {i}",
    )
    return Space.objects.filter(organization=tenant.org), "spaces", "/spaces"


def _tied_tokens(tenant, space, newest_first):
    _at_one_instant(
        SpaceToken,
        "stk",
        7,
        newest_first,
        space=lambda i: space,
        role=lambda i: "MEMBER",
        permanent=lambda i: True,
        display_prefix=lambda i: "spt_x",
        digest=lambda i: f"{i:064}",
    )
    return SpaceToken.objects.filter(space=space), "items", f"/spaces/{space.id}/tokens"


@pytest.mark.parametrize("limit", [2, 3])
@pytest.mark.parametrize(
    ("make", "model", "index", "newest_first"),
    [
        (_tied_members, SpaceMembership, ["space", "created_at", "id"], False),
        (_tied_roles, SpaceRole, ["organization", "created_at", "id"], False),
        (_tied_spaces, Space, ["organization", "created_at", "id"], True),
        (_tied_tokens, SpaceToken, ["space", "created_at", "id"], True),
    ],
    ids=["space members", "roles", "spaces", "space tokens"],
)
def test_rows_created_at_the_same_instant_page_without_loss_or_repeat_in_either_order(
    client, tenant, make, model, index, newest_first, limit
):
    space = make_space(tenant, "Research")
    rows, key, path = make(tenant, space, newest_first)
    without_index(model, index)
    order = ("-created_at", "-id") if newest_first else ("created_at", "id")
    expected = list(rows.order_by(*order).values_list("id", flat=True))
    seen, cursor = [], None
    while True:
        query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{API}{path}", query, **tenant.auth("ADMIN")).json()
        seen += [row["id"] for row in page[key]]
        cursor = page["pagination"]["next_cursor"]
        if not cursor:
            break
    assert len(expected) >= 7
    assert seen == expected


# --- query counts -------------------------------------------------------------------------
def _queries(client, path: str, auth: dict) -> int:
    client.get(path, **auth)  # warm up (API key last_used_at, caches)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **auth)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("as_role", ["ADMIN", "MEMBER"])
def test_the_spaces_list_costs_the_same_queries_for_5_or_60_spaces(client, tenant, as_role):
    def fill(n):
        for i in range(n):
            space = make_space(tenant, f"{as_role} {len(Space.objects.all())} {i}")
            join(tenant, space, tenant.member, predefined("READ_ONLY"))

    fill(5)
    small = _queries(client, f"{API}/spaces?limit=100", tenant.auth(as_role))
    fill(55)
    large = _queries(client, f"{API}/spaces?limit=100", tenant.auth(as_role))
    assert small == large
    assert len(client.get(f"{API}/spaces?limit=100", **tenant.auth(as_role)).json()["spaces"]) == 60


def test_the_members_list_costs_the_same_queries_for_5_or_60_members(client, tenant):
    space = make_space(tenant, "Research")
    role = post(
        client, "/roles", {"name": "Writer", "permissions": ["dataset.write"]}, tenant.auth("OWNER")
    ).json()
    role_obj = SpaceRole.objects.get(id=role["id"])
    from tests.spaces.factories import custom

    def fill(n):
        for i in range(n):
            join(
                tenant,
                space,
                add_member(tenant.org),
                custom(role_obj) if i % 2 else predefined("MEMBER"),
            )

    path = f"{API}/spaces/{space.id}/members?limit=100"
    fill(5)
    small = _queries(client, path, tenant.auth("ADMIN"))
    fill(55)
    large = _queries(client, path, tenant.auth("ADMIN"))
    assert small == large
    assert len(client.get(path, **tenant.auth("ADMIN")).json()["items"]) == 60


def test_the_permission_check_answers_space_actions_inside_the_named_space(client, tenant):
    space = make_space(tenant, "Research")
    join(tenant, space, tenant.member, predefined("MEMBER"))
    other_space = make_space(tenant, "Archive")

    def check(action, resource):
        response = client.get(
            f"{API}/permissions/check?principal={tenant.member.email}&action={action}"
            f"&resource={resource}",
            **tenant.auth("ADMIN"),
        )
        assert response.status_code == 200, response.content
        return response.json()["has_permission"]

    assert check("dataset.write", space.id) is True
    assert check("member.manage", space.id) is False
    assert check("dataset.write", other_space.id) is False
    assert check("space.create", tenant.org.id) is False


def test_one_member_and_one_token_can_be_read_by_id_without_listing(client, tenant):
    space = make_space(tenant, "Research")
    join(tenant, space, tenant.member, predefined("READ_ONLY"))
    token, _ = make_token(tenant, space, label="bot")
    admin = tenant.auth("ADMIN")

    member = client.get(f"{API}/spaces/Research/members/{tenant.member.id}", **admin)
    assert member.status_code == 200
    assert (member.json()["user"]["email"], member.json()["role"]) == (
        tenant.member.email,
        {"type": "PREDEFINED", "name": "READ_ONLY"},
    )
    got = client.get(f"{API}/spaces/{space.id}/tokens/{token.id}", **admin).json()
    assert (got["id"], got["label"], "secret" in got) == (token.id, "bot", False)

    error(client.get(f"{API}/spaces/Research/members/{tenant.owner.id}", **admin), 404, "not_found")
    error(client.get(f"{API}/spaces/Research/tokens/stk_nope", **admin), 404, "not_found")
    # Reading a token needs token.manage, as listing them does; a READ_ONLY member is refused.
    error(
        client.get(f"{API}/spaces/Research/tokens/{token.id}", **tenant.auth("MEMBER")),
        403,
        "permission_denied",
    )
