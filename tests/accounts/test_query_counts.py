"""List endpoints cost a fixed number of queries, however many rows a page shows (no N+1)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from adminapp.accounts import services
from adminapp.audit.models import AuditEvent
from tests.api.helpers import API
from tests.factories import add_member, principal_for


def _queries(client, url: str, auth: dict) -> tuple[int, int]:
    """(queries, items) of one GET, after a first call has done any once-a-minute write
    (the key's last_used_at)."""
    client.get(url, **auth)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **auth)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), len(response.json()["items"])


def _add_events(tenant, n: int) -> None:
    actors = [tenant.owner, tenant.admin, tenant.member, tenant.annotator]
    AuditEvent.objects.bulk_create(
        AuditEvent(
            organization=tenant.org,
            actor_type="user",
            actor_id=actors[i % 4].id,
            actor_label=actors[i % 4].email,
            action="custom.load",
            target_type="user",
            target_id=actors[(i + 1) % 4].id,
            details={"i": i},
            ip="127.0.0.1",
        )
        for i in range(n)
    )


def test_audit_page_query_count_does_not_grow_with_rows(client, tenant):
    url = f"{API}/audit?limit=50&action=custom.load"
    _add_events(tenant, 5)
    few, shown_few = _queries(client, url, tenant.auth("ADMIN"))
    _add_events(tenant, 55)
    many, shown_many = _queries(client, url, tenant.auth("ADMIN"))
    assert (shown_few, shown_many) == (5, 50)
    assert many == few


def test_unfiltered_audit_page_query_count_does_not_grow_with_rows(client, tenant):
    few, _ = _queries(client, f"{API}/audit?limit=50", tenant.auth("ADMIN"))
    _add_events(tenant, 60)
    many, shown = _queries(client, f"{API}/audit?limit=50", tenant.auth("ADMIN"))
    assert shown == 50
    assert many == few


def test_api_key_list_query_count_does_not_grow_with_rows(client, tenant, settings):
    settings.RATE_LIMIT_KEY_CREATE = "1000/60"
    url = f"{API}/api-keys?limit=100"
    owner = tenant.principal("OWNER")
    # The tenant's 4 personal keys and a service key.
    services.api_key_create(actor=owner, label="svc", kind="SERVICE", role="MEMBER")
    few, shown_few = _queries(client, url, tenant.auth("ADMIN"))
    # 55 more, of many different people and service keys (each row shows its user).
    for i in range(11):
        person = add_member(tenant.org, role="MEMBER")
        for _ in range(4):
            services.api_key_create(actor=principal_for(person, tenant.org), label=f"p{i}")
        services.api_key_create(actor=owner, label=f"s{i}", kind="SERVICE", role="ADMIN")
    many, shown_many = _queries(client, url, tenant.auth("ADMIN"))
    assert (shown_few, shown_many) == (5, 60)
    assert many == few


def test_member_list_query_count_does_not_grow_with_rows(client, tenant):
    url = f"{API}/organizations/{tenant.org.id}/members?limit=100"
    few, shown_few = _queries(client, url, tenant.auth("ADMIN"))
    for _ in range(56):
        add_member(tenant.org, role="ANNOTATOR")
    many, shown_many = _queries(client, url, tenant.auth("ADMIN"))
    assert (shown_few, shown_many) == (4, 60)
    assert many == few
