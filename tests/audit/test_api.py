"""/api/v1/audit: every mutation leaves an event; admins filter and page through their org's
events (newest first); anyone may record a custom event."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from adminapp.accounts.models import ApiKey
from adminapp.audit.models import AuditEvent
from adminapp.core import crypto
from tests.api.helpers import API, api_error
from tests.audit import mutations

AUDIT = f"{API}/audit"


def _events(client, tenant, as_role="ADMIN", **params):
    response = client.get(AUDIT, params, **tenant.auth(as_role))
    assert response.status_code == 200, response.content
    return response.json()


def _custom(client, tenant, event_type, params=None, as_role="ADMIN", headers=None):
    return client.post(
        f"{AUDIT}/custom/{event_type}",
        params if params is not None else {},
        content_type="application/json",
        **tenant.auth(as_role),
        **(headers or {}),
    )


def _key_id(tenant, role):
    return ApiKey.objects.get(digest=crypto.digest(tenant.keys[role])).id


# --- every mutation is recorded ---------------------------------------------------------------
def test_every_service_is_in_the_table_of_audited_mutations_or_says_why_not():
    """A service added to any domain fails here until tests/audit/mutations.py says how the
    API reaches it and which event it writes, or why it writes none."""
    found = set(mutations.services())
    listed = set(mutations.AUDITED) | set(mutations.NOT_AUDITED)
    assert not set(mutations.AUDITED) & set(mutations.NOT_AUDITED)
    assert sorted(found - listed) == [], "services missing from tests/audit/mutations.py"
    assert sorted(listed - found) == [], "rows of tests/audit/mutations.py for no service"
    assert all(mutations.AUDITED.values())


@pytest.mark.parametrize(
    ("service", "case"),
    mutations.CASES,
    ids=[f"{service.rsplit('.', 1)[1]}:{case.action}" for service, case in mutations.CASES],
)
def test_every_mutation_writes_one_event_with_actor_target_request_id_and_ip(
    client, tenant, service, case
):
    response, target_id = case.call(client, tenant)
    if case.via == "command":  # the system acts, in the organization it creates
        [event] = AuditEvent.objects.filter(action=case.action, target_id=target_id).values()
        assert (event["actor_type"], event["actor_label"]) == ("system", "system")
        assert (event["target_type"], event["target_id"]) == (case.target_type, target_id)
        return
    assert response.status_code < 300, response.content
    items = [
        e
        for e in _events(client, tenant, action=case.action, limit=100)["items"]
        if e["target_id"] == target_id
    ]
    assert len(items) == 1, items
    event = items[0]
    assert event["actor_type"] == "user"
    assert event["actor_id"] == tenant.admin.id
    assert event["actor_label"] == tenant.admin.email
    assert (event["target_type"], event["target_id"]) == (case.target_type, target_id)
    assert event["request_id"] == response["X-Request-ID"]
    assert event["ip"] == "127.0.0.1"
    created = timezone.datetime.fromisoformat(event["created_at"])
    assert created.utcoffset() == timedelta(0)
    assert abs(timezone.now() - created) < timedelta(minutes=1)


def test_refused_mutations_write_nothing(client, tenant):
    before = AuditEvent.objects.count()
    client.post(f"{API}/api-keys", {"label": ""}, content_type="application/json", **tenant.auth())
    client.delete(f"{API}/organizations/{tenant.org.id}/members/{tenant.owner.id}", **tenant.auth())
    client.post(
        f"{API}/audit/exports", {}, content_type="application/json", **tenant.auth("MEMBER")
    )
    _custom(client, tenant, "Bad Type!")
    assert AuditEvent.objects.count() == before


def test_client_ip_is_the_socket_address_unless_a_proxy_is_trusted(client, tenant, settings):
    _custom(client, tenant, "ip-a", headers={"HTTP_X_FORWARDED_FOR": "203.0.113.9"})
    settings.TRUST_X_FORWARDED_FOR = True
    # Behind our proxy: the client forged the first entry, the proxy appended what it saw.
    _custom(client, tenant, "ip-b", headers={"HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9"})
    # Something that is not an address falls back to the socket's.
    response = _custom(client, tenant, "ip-c", headers={"HTTP_X_FORWARDED_FOR": "unknown"})
    assert response.status_code == 201, response.content
    ips = {e["action"]: e["ip"] for e in _events(client, tenant, action="custom.ip-*")["items"]}
    assert ips == {
        "custom.ip-a": "127.0.0.1",
        "custom.ip-b": "203.0.113.9",
        "custom.ip-c": "127.0.0.1",
    }


# --- filters ----------------------------------------------------------------------------------
@pytest.fixture
def mixed_events(client, tenant):
    """Events by several actors on several targets."""
    _custom(client, tenant, "by-owner", as_role="OWNER")
    _custom(client, tenant, "by-member", as_role="MEMBER")
    key = client.post(
        f"{API}/api-keys", {"label": "f"}, content_type="application/json", **tenant.auth("MEMBER")
    )
    client.post(f"{API}/api-keys/{key.json()['id']}/revoke", **tenant.auth("MEMBER"))
    return key.json()["id"]


@pytest.mark.parametrize("by", ["id", "email", "EMAIL"])
def test_filter_by_actor_id_or_email(client, tenant, mixed_events, by):
    actor = {
        "id": tenant.member.id,
        "email": tenant.member.email,
        "EMAIL": tenant.member.email.upper(),
    }[by]
    items = _events(client, tenant, actor=actor)["items"]
    # ...and the fixture's creation of the member's first key, oldest and last.
    assert [e["action"] for e in items] == [
        "api_key.revoke",
        "api_key.create",
        "custom.by-member",
        "api_key.create",
    ]
    assert {e["actor_id"] for e in items} == {tenant.member.id}


def test_filter_by_service_key_actor(client, tenant):
    svc = client.post(
        f"{API}/api-keys",
        {"label": "svc", "kind": "SERVICE", "role": "MEMBER"},
        content_type="application/json",
        **tenant.auth(),
    ).json()
    client.post(
        f"{AUDIT}/custom/from-svc",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {svc['secret']}",
    )
    items = _events(client, tenant, actor=svc["id"])["items"]
    assert [(e["action"], e["actor_type"]) for e in items] == [("custom.from-svc", "service_key")]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("api_key.create", {"api_key.create"}),
        ("api_key.", {"api_key.create", "api_key.revoke"}),
        ("api_key.*", {"api_key.create", "api_key.revoke"}),
        ("custom.by-*", {"custom.by-owner", "custom.by-member"}),
        ("api_key", set()),  # exact, not a prefix
    ],
)
def test_filter_by_action_exact_or_prefix(client, tenant, mixed_events, action, expected):
    items = _events(client, tenant, action=action)["items"]
    assert {e["action"] for e in items} == expected


def test_filter_by_target(client, tenant, mixed_events):
    items = _events(client, tenant, target=mixed_events)["items"]
    assert [e["action"] for e in items] == ["api_key.revoke", "api_key.create"]


def test_filter_by_time_range(client, tenant):
    for name in ("old", "mid", "new"):
        _custom(client, tenant, f"t-{name}")
    base = timezone.now().replace(microsecond=0) - timedelta(days=10)
    for offset, name in enumerate(("old", "mid", "new")):
        AuditEvent.objects.filter(action=f"custom.t-{name}").update(
            created_at=base + timedelta(days=offset)
        )

    def actions(**params):
        return [
            e["action"] for e in _events(client, tenant, action="custom.t-*", **params)["items"]
        ]

    mid = base + timedelta(days=1)
    assert actions(since=mid.isoformat()) == ["custom.t-new", "custom.t-mid"]  # since: inclusive
    assert actions(until=mid.isoformat()) == ["custom.t-old"]  # until: exclusive
    assert actions(since=mid.isoformat(), until=(mid + timedelta(hours=1)).isoformat()) == [
        "custom.t-mid"
    ]
    # A time without a zone means UTC, also next to one with a zone.
    naive_mid = mid.replace(tzinfo=None).isoformat()
    assert actions(since=naive_mid, until=(mid + timedelta(days=5)).isoformat()) == [
        "custom.t-new",
        "custom.t-mid",
    ]


def test_since_after_until_is_422(client, tenant):
    response = client.get(
        AUDIT, {"since": "2024-02-01T00:00:00Z", "until": "2024-01-01T00:00:00Z"}, **tenant.auth()
    )
    error = api_error(response, 422, "validation_error")
    assert list(error["fields"]) == ["since"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "9999-12-31T23:00:00-05:00"}, "until"),
        ({"since": "0001-01-01T00:00:00+05:00"}, "since"),
        ({"action": "x" * 101}, "action"),
    ],
)
def test_unusable_filter_is_422_naming_it(client, tenant, params, field):
    error = api_error(client.get(AUDIT, params, **tenant.auth()), 422, "validation_error")
    assert list(error["fields"]) == [field]


# --- pagination -------------------------------------------------------------------------------
def _page_through(client, tenant, limit, **params):
    pages, cursor = [], None
    while True:
        query = {"limit": limit, **params}
        if cursor:
            query["cursor"] = cursor
        body = _events(client, tenant, **query)
        pages.append(body)
        cursor = body["pagination"]["next_cursor"]
        if not cursor:
            return pages


def test_pages_of_three_over_seven_events_newest_first(client, tenant):
    ids = [_custom(client, tenant, "page", {"n": n}).json()["id"] for n in range(7)]
    pages = _page_through(client, tenant, 3, action="custom.page")
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    assert [p["pagination"]["has_more"] for p in pages] == [True, True, False]
    assert pages[-1]["pagination"]["next_cursor"] is None
    seen = [e["id"] for p in pages for e in p["items"]]
    assert seen == list(reversed(ids))  # newest first, no duplicates, no gaps
    assert [e["details"]["params"]["n"] for p in pages for e in p["items"]] == [6, 5, 4, 3, 2, 1, 0]


def test_events_sharing_a_timestamp_are_paged_without_gaps_or_duplicates(client, tenant):
    ids = {_custom(client, tenant, "tie").json()["id"] for _ in range(7)}
    AuditEvent.objects.filter(id__in=ids).update(created_at=timezone.now())
    pages = _page_through(client, tenant, 2, action="custom.tie")
    seen = [e["id"] for p in pages for e in p["items"]]
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == ids
    assert seen == sorted(seen, reverse=True)


def test_a_page_exactly_full_says_there_is_no_more(client, tenant):
    for _ in range(3):
        _custom(client, tenant, "exact")
    body = _events(client, tenant, action="custom.exact", limit=3)
    assert len(body["items"]) == 3
    assert body["pagination"] == {"has_more": False, "next_cursor": None}


def test_default_limit_is_50(client, tenant):
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(organization=tenant.org, actor_type="system", action="bulk.seed")
            for _ in range(60)
        ]
    )
    body = _events(client, tenant, action="bulk.seed")
    assert len(body["items"]) == 50 and body["pagination"]["has_more"] is True
    assert len(_events(client, tenant, action="bulk.seed", limit=100)["items"]) == 60


def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "bm90IGpzb24",  # "not json"
        _b64({"a": 1}),
        _b64(["yesterday", "aud_x"]),
        _b64(["2024-01-01T00:00:00", "aud_x"]),  # no zone: not one of ours
        _b64(["9999-12-31T23:00:00-05:00", "aud_x"]),
        _b64(["2024-01-01T00:00:00+00:00", "aud_\u0000"]),
    ],
)
def test_invalid_cursor_is_422_fields_cursor(client, tenant, cursor):
    error = api_error(
        client.get(AUDIT, {"cursor": cursor}, **tenant.auth()), 422, "validation_error"
    )
    assert error["fields"] == {"cursor": ["Invalid cursor."]}


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_limit_out_of_range_is_422(client, tenant, limit):
    error = api_error(client.get(AUDIT, {"limit": limit}, **tenant.auth()), 422, "validation_error")
    assert list(error["fields"]) == ["limit"]


# --- who may read -----------------------------------------------------------------------------
@pytest.mark.parametrize("as_role", ["MEMBER", "ANNOTATOR"])
def test_non_admin_cannot_read_the_log(client, tenant, as_role):
    api_error(client.get(AUDIT, **tenant.auth(as_role)), 403, "permission_denied")


def test_other_orgs_events_never_appear(client, tenant, other_tenant):
    _custom(client, other_tenant, "secret-plan", as_role="OWNER")
    foreign_ids = set(
        AuditEvent.objects.filter(organization=other_tenant.org).values_list("id", flat=True)
    )
    assert foreign_ids
    seen = {e["id"] for p in _page_through(client, tenant, 100) for e in p["items"]}
    assert seen and not seen & foreign_ids
    assert _events(client, tenant, action="custom.secret-plan")["items"] == []
    assert _events(client, tenant, actor=other_tenant.owner.id)["items"] == []
    assert _events(client, tenant, actor=other_tenant.owner.email)["items"] == []
    assert _events(client, tenant, target=other_tenant.org.id)["items"] == []


def test_a_cursor_from_another_org_reveals_nothing(client, tenant, other_tenant):
    # Ours first, so that they are older than the position the other org's cursor holds: a
    # cursor is only a position, and the page it gives here must be ours, not empty.
    mine = {_custom(client, tenant, "x").json()["id"] for _ in range(3)}
    for _ in range(3):
        _custom(client, other_tenant, "x", as_role="OWNER")
    cursor = _events(client, other_tenant, as_role="OWNER", limit=1)["pagination"]["next_cursor"]
    seen = {e["id"] for e in _events(client, tenant, cursor=cursor)["items"]}
    assert mine <= seen
    assert seen <= set(
        AuditEvent.objects.filter(organization=tenant.org).values_list("id", flat=True)
    )


# --- custom events ----------------------------------------------------------------------------
@pytest.mark.parametrize("as_role", ["OWNER", "ADMIN", "MEMBER", "ANNOTATOR"])
def test_anyone_in_the_org_records_a_custom_event(client, tenant, as_role):
    params = {"model": "resnet", "epochs": 3, "tags": ["a", "b"], "nested": {"ok": True}}
    response = _custom(client, tenant, "training.finished", params, as_role=as_role)
    assert response.status_code == 201, response.content
    event = response.json()
    assert event["action"] == "custom.training.finished"
    assert event["details"] == {"params": params}
    assert event["actor_id"] == getattr(tenant, as_role.lower()).id
    assert event["request_id"] == response["X-Request-ID"]
    assert AuditEvent.objects.filter(id=event["id"], organization=tenant.org).exists()


def test_custom_event_without_a_body_has_empty_params(client, tenant):
    response = client.post(f"{AUDIT}/custom/ping", content_type="application/json", **tenant.auth())
    assert response.status_code == 201, response.content
    assert response.json()["details"] == {"params": {}}


@pytest.mark.parametrize(
    "event_type", ["Bad%20Type!", "UPPER", "-leading-dash", "x" * 65, "sp%20ace"]
)
def test_bad_custom_event_type_is_422(client, tenant, event_type):
    before = AuditEvent.objects.count()
    error = api_error(_custom(client, tenant, event_type), 422, "validation_error")
    assert list(error["fields"]) == ["type"]
    assert AuditEvent.objects.count() == before


def test_oversized_custom_params_are_422(client, tenant):
    before = AuditEvent.objects.count()
    error = api_error(_custom(client, tenant, "big", {"blob": "x" * 9000}), 422, "validation_error")
    assert list(error["fields"]) == ["params"]
    assert AuditEvent.objects.count() == before
    assert _custom(client, tenant, "big", {"blob": "x" * 8000}).status_code == 201


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "42"])
def test_custom_params_must_be_an_object(client, tenant, body):
    response = client.post(
        f"{AUDIT}/custom/shape", body, content_type="application/json", **tenant.auth()
    )
    api_error(response, 422, "validation_error")
