"""The audit log page: details a person reads (key/value, long ones collapsed), the request
id whole, and filter URLs without empty fields."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from django.test import Client
from django.urls import reverse

from adminapp.audit.models import AuditEvent
from adminapp.audit.services import audit_record

pytestmark = pytest.mark.django_db

HTMX_CONTENT = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "audit-content"}
REQUEST_ID = "req_" + "0123456789abcdef" * 2


@pytest.fixture
def owner(tenant) -> Client:
    client = Client()
    client.force_login(tenant.owner)
    return client


def _record(tenant, action: str, details: dict) -> AuditEvent:
    actor = replace(tenant.principal(), request_id=REQUEST_ID, ip="203.0.113.9")
    return audit_record(
        actor=actor, action=action, target_type="space", target_id="spc_1", details=details
    )


def _row(html: str, event: AuditEvent) -> str:
    return re.search(rf'<tr id="event-{event.id}".*?</tr>', html, re.S).group(0)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_details_are_key_value_lines_not_json(owner, tenant):
    event = _record(
        tenant,
        "space.member.add",
        {"email": "ada@example.com", "role": "ANNOTATOR"},
    )
    row = _row(owner.get(reverse("web:audit")).content.decode(), event)
    assert "{" not in _text(row) and "&quot;" not in row
    cell = re.search(r'<td class="cell-details">(.*?)</td>', row, re.S).group(1)
    assert "<details" not in cell  # two short lines: nothing to open
    # (In the order the database keeps them: PostgreSQL's jsonb sorts keys by length.)
    assert sorted(re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", cell)) == [
        ("email", "ada@example.com"),
        ("role", "ANNOTATOR"),
    ]


def test_details_beyond_two_lines_are_collapsed_and_open_without_javascript(owner, tenant):
    details = {
        "label": "CI pipeline",
        "kind": "SERVICE",
        "role": "MEMBER",
        "expires_at": None,
        "permissions": ["dataset.read", "dataset.write"],
        "grant": {"type": "PREDEFINED", "name": "ANNOTATOR"},
    }
    event = _record(tenant, "api_key.create", details)
    cell = re.search(
        r'<td class="cell-details">(.*?)</td>',
        _row(owner.get(reverse("web:audit")).content.decode(), event),
        re.S,
    ).group(1)
    # A <details> element: its summary shows two lines and how many more; opened, every field.
    summary = re.search(r"<details[^>]*>\s*<summary[^>]*>(.*?)</summary>", cell, re.S).group(1)
    peek = re.findall(r"<dt>(.*?)</dt>", summary)
    assert len(peek) == 2 and set(peek) <= set(details)
    assert "4 more" in _text(summary)
    full = re.search(r"</summary>(.*?)</details>", cell, re.S).group(1)
    assert sorted(re.findall(r"<dt>(.*?)</dt>", full)) == sorted(details)
    assert re.findall(r"<dt>(.*?)</dt>", full)[:2] == peek  # the same two first
    assert "dataset.read, dataset.write" in full and "—" in full  # the list and the None
    # A nested object in words, its keys by name (the same on every database).
    assert "<dd>name ANNOTATOR · type PREDEFINED<" in full


def test_the_request_id_is_shown_whole(owner, tenant):
    event = _record(tenant, "space.create", {"name": "Robot Arms"})
    row = _row(owner.get(reverse("web:audit")).content.decode(), event)
    assert re.search(rf">{REQUEST_ID}</", row)
    assert "…" not in _text(row)


def test_a_filter_url_keeps_only_the_filled_fields(owner, tenant):
    # The GET form sends every field; the page answers at the URL of the filled ones.
    response = owner.get(reverse("web:audit") + "?actor=&action=api_key.&target=&since=&until=")
    assert response.status_code == 302
    assert response.url == reverse("web:audit") + "?action=api_key."
    cleared = owner.get(reverse("web:audit") + "?actor=&action=&target=&since=&until=")
    assert cleared.status_code == 302 and cleared.url == reverse("web:audit")
    # With htmx the same form swaps the events and pushes the clean URL.
    swapped = owner.get(
        reverse("web:audit") + "?actor=&action=api_key.&target=&since=&until=", **HTMX_CONTENT
    )
    assert swapped.status_code == 200
    assert swapped["HX-Push-Url"] == reverse("web:audit") + "?action=api_key."


def test_load_more_links_carry_no_empty_fields(owner, tenant):
    for i in range(55):
        _record(tenant, "custom.ping", {"n": i})
    html = owner.get(
        reverse("web:audit") + "?actor=&action=custom.ping&target=&since=&until=", **HTMX_CONTENT
    ).content.decode()
    more = re.search(r'id="audit-more".*?href="([^"]+)"', html, re.S).group(1)
    more = more.replace("&amp;", "&")
    assert re.fullmatch(r"\?action=custom\.ping&cursor=[^&=]+", more), more


def test_the_jobs_filter_url_keeps_only_the_filled_fields(owner):
    response = owner.get(reverse("web:jobs") + "?state=&kind=audit_export")
    assert response.status_code == 302
    assert response.url == reverse("web:jobs") + "?kind=audit_export"
