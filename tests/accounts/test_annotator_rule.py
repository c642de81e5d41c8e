"""An ANNOTATOR account holds only the ANNOTATOR space role, and no other account holds it,
through every change of the org role too (Hardening II #24).

Becoming an ANNOTATOR while holding other roles in spaces is refused with a 409
(``annotator_space_roles``) that names the spaces; leaving ANNOTATOR turns the ANNOTATOR
space roles into READ_ONLY in the same transaction. Through the API, the services, the SDK
and the dashboard, and with a space role given at the same moment as the org role changes.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from adminapp.accounts import services as account_services
from adminapp.accounts.models import OrgMembership
from adminapp.audit.models import AuditEvent
from adminapp.client import AdminClient, ConflictError
from adminapp.core.errors import BadRequest, Conflict
from adminapp.spaces import services as space_services
from adminapp.spaces.models import Space, SpaceMembership
from tests.api.helpers import API, api_error
from tests.factories import Tenant, make_tenant
from tests.helpers import wait_for
from tests.spaces.factories import custom, join, make_space, predefined


def _set_role(client, tenant: Tenant, user, role: str, as_role: str = "ADMIN"):
    return client.patch(
        f"{API}/organizations/{tenant.org.id}/members/{user.id}",
        {"role": role},
        content_type="application/json",
        **tenant.auth(as_role),
    )


def _account_role(tenant: Tenant, user) -> str:
    return OrgMembership.objects.get(organization=tenant.org, user=user).account_role


def _space_roles(user) -> dict[str, str]:
    """{space name: role}, the role as a space's member list shows it."""
    return {
        m.space.name: m.custom_role.name if m.custom_role_id else m.role
        for m in SpaceMembership.objects.filter(org_membership__user=user).select_related(
            "space", "custom_role"
        )
    }


def _in_spaces(tenant: Tenant, user, **roles) -> dict[str, Space]:
    """``user`` joins a new space per keyword (the space's name: its role)."""
    spaces = {}
    for name, role in roles.items():
        spaces[name] = make_space(tenant, name)
        join(tenant, spaces[name], user, role)
    return spaces


def _curator(tenant: Tenant):
    return space_services.space_role_create(
        actor=tenant.principal("OWNER"), name="Data Curator", permissions=["dataset.write"]
    )


# --- MEMBER → ANNOTATOR: refused while other space roles stand -------------------------------
@pytest.mark.django_db
def test_making_someone_with_space_roles_an_annotator_is_409_naming_the_spaces(client, tenant):
    spaces = _in_spaces(
        tenant,
        tenant.member,
        Vision=custom(_curator(tenant)),
        Arms=predefined("MEMBER"),
    )
    before = AuditEvent.objects.filter(action="member.update_role").count()

    error = api_error(
        _set_role(client, tenant, tenant.member, "ANNOTATOR"), 409, "annotator_space_roles"
    )

    assert error["details"] == {
        "count": 2,
        "spaces": [  # by name
            {"id": spaces["Arms"].id, "name": "Arms", "role": "MEMBER"},
            {"id": spaces["Vision"].id, "name": "Vision", "role": "Data Curator"},
        ],
    }
    assert error["message"] == (
        f"{tenant.member.email} cannot become an ANNOTATOR while they hold other roles in "
        "2 spaces: Arms (Member) and Vision (Data Curator). Remove them from those spaces "
        "first; they can then be added back as ANNOTATOR."
    )
    assert error["fields"] == {"role": ["Holds other roles in 2 spaces."]}
    # Nothing changed: no half state, no event.
    assert _account_role(tenant, tenant.member) == "MEMBER"
    assert _space_roles(tenant.member) == {"Arms": "MEMBER", "Vision": "Data Curator"}
    assert AuditEvent.objects.filter(action="member.update_role").count() == before


@pytest.mark.django_db
def test_once_removed_from_those_spaces_they_become_an_annotator_and_rejoin_as_one(client, tenant):
    spaces = _in_spaces(tenant, tenant.member, Arms=predefined("ADMIN"))
    api_error(_set_role(client, tenant, tenant.member, "ANNOTATOR"), 409, "annotator_space_roles")
    removed = client.delete(
        f"{API}/spaces/{spaces['Arms'].id}/members/{tenant.member.id}", **tenant.auth("ADMIN")
    )
    assert removed.status_code == 204

    response = _set_role(client, tenant, tenant.member, "ANNOTATOR")

    assert response.status_code == 200, response.content
    assert response.json()["role"] == "ANNOTATOR"
    rejoined = client.post(
        f"{API}/spaces/{spaces['Arms'].id}/members",
        {"user_id": tenant.member.id, "role": {"type": "PREDEFINED", "name": "ANNOTATOR"}},
        content_type="application/json",
        **tenant.auth("ADMIN"),
    )
    assert rejoined.status_code == 201, rejoined.content
    assert _space_roles(tenant.member) == {"Arms": "ANNOTATOR"}


@pytest.mark.django_db
def test_a_space_already_deleted_neither_blocks_nor_is_named(client, tenant):
    spaces = _in_spaces(tenant, tenant.member, Gone=predefined("MEMBER"))
    Space.objects.filter(id=spaces["Gone"].id).update(deleted_at="2024-01-01T00:00:00Z")

    response = _set_role(client, tenant, tenant.member, "ANNOTATOR")

    assert response.status_code == 200, response.content
    # Its row waits for the purge job, and fits the rule meanwhile.
    assert _space_roles(tenant.member) == {"Gone": "ANNOTATOR"}


# --- ANNOTATOR → anything else: their spaces stay, as READ_ONLY ----------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "as_role"), [("MEMBER", "ADMIN"), ("ADMIN", "ADMIN"), ("OWNER", "OWNER")]
)
def test_an_annotator_given_another_role_keeps_their_spaces_as_read_only(
    client, tenant, role, as_role
):
    spaces = _in_spaces(
        tenant, tenant.annotator, Labels=predefined("ANNOTATOR"), Arms=predefined("ANNOTATOR")
    )

    response = _set_role(client, tenant, tenant.annotator, role, as_role=as_role)

    assert response.status_code == 200, response.content
    assert _account_role(tenant, tenant.annotator) == role
    assert _space_roles(tenant.annotator) == {"Labels": "READ_ONLY", "Arms": "READ_ONLY"}
    listed = client.get(f"{API}/spaces/{spaces['Labels'].id}/members", **tenant.auth("ADMIN"))
    [row] = [m for m in listed.json()["items"] if m["user"]["id"] == tenant.annotator.id]
    assert row["role"] == {"type": "PREDEFINED", "name": "READ_ONLY"}
    event = AuditEvent.objects.get(action="member.update_role", target_id=tenant.annotator.id)
    assert event.details == {
        "from": "ANNOTATOR",
        "to": role,
        "space_roles": {
            "from": "ANNOTATOR",
            "to": "READ_ONLY",
            "count": 2,
            "spaces": [
                {"id": spaces["Arms"].id, "name": "Arms"},
                {"id": spaces["Labels"].id, "name": "Labels"},
            ],
        },
    }


@pytest.mark.django_db
def test_the_rule_holds_for_the_org_member_list_and_the_space_member_list_after_each_change(
    client, tenant
):
    """What an admin reads back after a round trip MEMBER → ANNOTATOR → MEMBER."""
    space = make_space(tenant, "Arms")
    for role, space_role in (("ANNOTATOR", "ANNOTATOR"), ("MEMBER", "READ_ONLY")):
        assert _set_role(client, tenant, tenant.member, role).status_code == 200
        if role == "ANNOTATOR":
            join(tenant, space, tenant.member, predefined("ANNOTATOR"))
        members = client.get(f"{API}/organizations/{tenant.org.id}/members", **tenant.auth())
        [me] = [m for m in members.json()["items"] if m["user"]["id"] == tenant.member.id]
        in_space = client.get(f"{API}/spaces/{space.id}/members", **tenant.auth()).json()
        [row] = [m for m in in_space["items"] if m["user"]["id"] == tenant.member.id]
        assert (me["role"], row["role"]["name"]) == (role, space_role)


# --- the same rule through the services --------------------------------------------------------
@pytest.mark.django_db
def test_the_services_refuse_the_half_state_in_either_direction(tenant):
    owner = tenant.principal("OWNER")
    space = make_space(tenant, "Arms")
    join(tenant, space, tenant.member, predefined("READ_ONLY"))
    with pytest.raises(Conflict) as exc:
        account_services.org_member_update_role(
            actor=owner, org_id=tenant.org.id, user_id=tenant.member.id, role="ANNOTATOR"
        )
    assert exc.value.code == "annotator_space_roles"
    assert exc.value.details["spaces"] == [{"id": space.id, "name": "Arms", "role": "READ_ONLY"}]
    # The other paths into a space keep the rule as they did: a space role that does not
    # fit the account role is refused.
    for user, role in ((tenant.annotator, "MEMBER"), (tenant.member, "ANNOTATOR")):
        with pytest.raises(BadRequest) as refused:
            space_services.space_member_set(
                actor=owner, space=space.id, user_id=user.id, role=predefined(role)
            )
        assert refused.value.code == "annotator_role_mismatch"
    # Someone who leaves the org and is added back as an ANNOTATOR left their space roles
    # behind with their old membership.
    account_services.org_member_remove(actor=owner, org_id=tenant.org.id, user_id=tenant.member.id)
    account_services.org_member_add(
        actor=owner, org_id=tenant.org.id, email=tenant.member.email, role="ANNOTATOR"
    )
    assert _account_role(tenant, tenant.member) == "ANNOTATOR"
    assert _space_roles(tenant.member) == {}


@pytest.mark.django_db
def test_many_spaces_are_counted_whole_and_named_in_part(tenant):
    for n in range(7):
        join(tenant, make_space(tenant, f"Space {n}"), tenant.member, predefined("MEMBER"))
    with pytest.raises(Conflict) as exc:
        account_services.org_member_update_role(
            actor=tenant.principal("OWNER"),
            org_id=tenant.org.id,
            user_id=tenant.member.id,
            role="ANNOTATOR",
        )
    assert exc.value.details["count"] == 7 and len(exc.value.details["spaces"]) == 7
    assert "Space 0 (Member), Space 1 (Member), Space 2 (Member), Space 3 (Member), " in (
        exc.value.message
    )
    assert "Space 4 (Member) and 2 more." in exc.value.message


# --- the SDK -----------------------------------------------------------------------------------
@pytest.mark.live
def test_the_sdk_raises_a_conflict_whose_details_list_the_spaces(live_server, tenant):
    space = make_space(tenant, "Arms")
    join(tenant, space, tenant.member, predefined("MEMBER"))
    sdk = AdminClient(api_key=tenant.keys["ADMIN"], base_url=live_server.url)
    with sdk, pytest.raises(ConflictError) as exc:
        sdk.organizations.update_member(tenant.org.id, tenant.member.id, role="ANNOTATOR")
    assert exc.value.code == "annotator_space_roles"
    assert exc.value.details == {
        "count": 1,
        "spaces": [{"id": space.id, "name": "Arms", "role": "MEMBER"}],
    }
    assert "Arms (Member)" in exc.value.message


# --- the dashboard -----------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_the_members_page_shows_the_refusal_naming_the_spaces(tenant, htmx):
    join(tenant, make_space(tenant, "Arms"), tenant.member, predefined("MEMBER"))
    client = Client()
    client.force_login(tenant.owner)
    url = reverse("web:member_role", args=[tenant.member.id])
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": f"member-{tenant.member.id}"}

    response = client.post(url, {"role": "ANNOTATOR"}, **(headers if htmx else {}), follow=True)

    html = response.content.decode()
    assert "cannot become an ANNOTATOR while they hold other roles in 1 space: Arms (Member)" in (
        html
    )
    assert 'role="alert"' in html  # an error toast
    # The row shows the role they still have.
    assert '<option value="MEMBER" selected>' in html
    assert _account_role(tenant, tenant.member) == "MEMBER"
    if htmx:
        assert response.status_code == 409
        assert f'<tr id="member-{tenant.member.id}">' in html


# --- at the same moment: the row locks make one wait for the other ------------------------------
def _holding(write, *, done: threading.Event, release: threading.Event) -> threading.Thread:
    """``write`` in a transaction of another connection that stays open until ``release``."""
    errors: list[BaseException] = []

    def run():
        try:
            with transaction.atomic():
                write()
                done.set()
                assert release.wait(30)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            done.set()
            connection.close()

    thread = threading.Thread(target=run)
    thread.errors = errors
    thread.start()
    return thread


def _waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _in_background(call) -> threading.Thread:
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = call()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.outcome = outcome
    thread.start()
    return thread


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one writing transaction at a time (BEGIN IMMEDIATE): no window to test",
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_space_role_given_while_the_account_becomes_an_annotator_waits_and_is_refused():
    tenant = make_tenant()
    space = make_space(tenant, "Arms")
    done, release = threading.Event(), threading.Event()
    change = _holding(
        lambda: account_services.org_member_update_role(
            actor=tenant.principal("OWNER"),
            org_id=tenant.org.id,
            user_id=tenant.member.id,
            role="ANNOTATOR",
        ),
        done=done,
        release=release,
    )
    try:
        assert done.wait(30)
        give = _in_background(
            lambda: space_services.space_member_set(
                actor=tenant.principal("OWNER"),
                space=space.id,
                user_id=tenant.member.id,
                role=predefined("MEMBER"),
            )
        )
        wait_for(_waiting_for_a_lock, timeout=30, message="the space role to wait for the lock")
    finally:
        release.set()
        change.join()
    give.join()

    assert change.errors == []
    assert isinstance(give.outcome.get("error"), BadRequest), give.outcome
    assert give.outcome["error"].code == "annotator_role_mismatch"
    assert _account_role(tenant, tenant.member) == "ANNOTATOR"
    assert _space_roles(tenant.member) == {}


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_account_made_an_annotator_while_a_space_role_is_given_waits_and_is_refused(
    monkeypatch,
):
    tenant = make_tenant()
    space = make_space(tenant, "Arms")
    checked, release = threading.Event(), threading.Event()
    from adminapp.spaces.services import members

    real_check = members._check_no_escalation

    def check_then_hold(granted, role_perms):  # the space role is decided, not yet written
        real_check(granted, role_perms)
        checked.set()
        assert release.wait(30)

    monkeypatch.setattr(members, "_check_no_escalation", check_then_hold)
    give = _in_background(
        lambda: space_services.space_member_set(
            actor=tenant.principal("OWNER"),
            space=space.id,
            user_id=tenant.member.id,
            role=predefined("MEMBER"),
        )
    )
    try:
        assert checked.wait(30)
        change = _in_background(
            lambda: account_services.org_member_update_role(
                actor=tenant.principal("OWNER"),
                org_id=tenant.org.id,
                user_id=tenant.member.id,
                role="ANNOTATOR",
            )
        )
        wait_for(
            lambda: _waiting_for_a_lock() or not change.is_alive(),
            timeout=30,
            message="the role change to wait for the lock (or to finish)",
        )
    finally:
        release.set()
        give.join()
    change.join()

    assert "error" not in give.outcome, give.outcome
    assert isinstance(change.outcome.get("error"), Conflict), change.outcome
    assert change.outcome["error"].code == "annotator_space_roles"
    assert _account_role(tenant, tenant.member) == "MEMBER"
    assert _space_roles(tenant.member) == {"Arms": "MEMBER"}
