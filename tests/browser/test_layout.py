"""The dashboard's layout in Chromium at desktop and phone widths: wide tables keep their
controls inside their card, the top bar stays one row on a phone (its links in a menu), the
audit log stays short and readable, toasts never cover a control, and a running job's page
refreshes itself without JavaScript."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from tests.browser.helpers import sign_in, wait_htmx_idle
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = (1280, 1920)
PHONE = 390


def _box(locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not rendered"
    return box


def _inside(inner: dict[str, float], outer: dict[str, float], slack: float = 0.5) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


# --- 27: the audit log ---------------------------------------------------------------------
REALISTIC_DETAILS = [
    {"label": "CI pipeline", "kind": "SERVICE", "role": "MEMBER", "expires_at": None},
    {"email": "ada@example.com", "role": "ANNOTATOR", "account_created": False},
    {
        "space_id": "spc_01m8yxhjxcyxacg16kmrbc7h4f",
        "email": "alan@example.com",
        "role": {"type": "CUSTOM", "id": "rol_01m8yxhjxjkvw1mxhmav6vabnh", "name": "Data Curator"},
    },
    {
        "name": "Data Curator",
        "permissions": ["dataset.read", "dataset.write", "global_key.assign", "member.read"],
    },
    {"name": "Robot Arms"},
    {"params": {"service": "fleet-controller", "version": "1.4.2", "robots": 12}},
]


def test_the_audit_log_stays_short_shows_whole_request_ids_and_clean_filter_urls(page, tenant):
    from adminapp.audit.services import audit_record

    actor = tenant.principal()
    events = []
    for i in range(25):
        who = replace(actor, request_id=f"req_{i:032x}", ip="203.0.113.7")
        events.append(
            audit_record(
                actor=who,
                action="space.member.add",
                target_type="space",
                target_id=f"spc_{i:026d}",
                details=REALISTIC_DETAILS[i % len(REALISTIC_DETAILS)],
            )
        )
    sign_in(page, tenant.owner.email, PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/audit/?action=space.member.add")

    rows = page.locator("#audit-table tbody tr:not(.load-more)")
    assert rows.count() == 25
    # Each row is at most about three lines high: 25 events are not a 3,100 px page.
    table = _box(page.locator("#audit-table tbody"))
    assert table["height"] <= 25 * 64, table["height"]
    # Every request id is whole and nothing cuts it.
    for event in events:
        request_id = page.locator(f"#event-{event.id} .request-id")
        assert request_id.inner_text() == event.request_id
        assert request_id.evaluate("el => el.scrollWidth <= el.clientWidth")
        assert _inside(_box(request_id), _box(page.locator("#audit-table").locator("..")))
    # Long details open in place, without JavaScript's help.
    long = page.locator(f"#event-{events[2].id} details.event-details")
    assert "Data Curator" not in long.locator("summary").inner_text()
    long.locator("summary").click()
    assert "Data Curator" in long.inner_text()

    # The filter form leaves empty fields out of the URL, with htmx and without.
    page.get_by_label("Action").fill("space.")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"/audit/\?action=space\.$"))
    wait_htmx_idle(page)
    assert page.locator("#audit-table tbody tr:not(.load-more)").count() == 25
