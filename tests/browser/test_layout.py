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
    shown = page.evaluate(
        """() => [...document.querySelectorAll("#audit-table tbody tr[id]")].map((row) => {
          const el = row.querySelector(".request-id");
          const box = el.getBoundingClientRect();
          const wrap = el.closest(".table-wrap").getBoundingClientRect();
          return [row.id, el.textContent, el.scrollWidth <= el.clientWidth
                  && box.left >= wrap.left && box.right <= wrap.right];
        })"""
    )
    assert shown == [[f"event-{e.id}", e.request_id, True] for e in reversed(events)]
    # Long details show two lines until opened, in place, without JavaScript's help.
    long = page.locator(f"#event-{events[2].id} details.event-details")
    full = long.locator(".event-details__all")
    assert not full.is_visible()
    assert _box(long.locator(".event-details__peek"))["height"] <= 2 * 22
    long.locator("summary").click()
    assert full.is_visible() and "name Data Curator" in full.inner_text()
    assert not long.locator(".event-details__peek").is_visible()

    # The filter form leaves empty fields out of the URL, with htmx and without.
    page.get_by_label("Action").fill("space.")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"/audit/\?action=space\.$"))
    wait_htmx_idle(page)
    assert page.locator("#audit-table tbody tr:not(.load-more)").count() == 25


# --- 20: wide tables keep their controls inside their card ---------------------------------
@pytest.fixture
def demo(settings, tmp_path):
    """The demo organization (``seed_demo``: members of every role, keys — one revoked —,
    spaces with members and tokens) plus an export and a space deletion in the jobs list."""
    from adminapp.accounts.models import Organization, User
    from adminapp.client.types import AuditFilterParams
    from adminapp.exports.services import audit_export_start
    from adminapp.jobs.engine import job_run
    from adminapp.ops.management.commands.seed_demo import _principal, seed_demo
    from adminapp.spaces.models import Space
    from adminapp.spaces.services import space_delete

    settings.MEDIA_ROOT = tmp_path
    seed_demo(password=PASSWORD)
    owner = _principal(
        User.objects.get(email="admin@example.com"), Organization.objects.get(name="Acme Robotics")
    )
    job_run(job_id=audit_export_start(actor=owner, filters=AuditFilterParams(action="a.")).id)
    audit_export_start(actor=owner, filters=AuditFilterParams())  # queued: abortable
    job_run(job_id=space_delete(actor=owner, space=Space.objects.get(name="Vision Labels").id).id)
    return {"space": Space.objects.get(name="Robot Arms")}


def _wide_tables(demo) -> list[tuple[str, str]]:
    space = f"/spaces/{demo['space'].id}/"
    return [
        ("/api-keys/", "#keys-table"),
        ("/api-keys/?revoked=1", "#keys-table"),
        ("/members/", "main table"),
        ("/spaces/", "#spaces-table"),
        (space, "#members-table"),
        (space, "#tokens-table"),
        ("/jobs/", "#jobs-table"),
        ("/audit/", "#audit-table"),
    ]


# In the page, one round trip per table: every control of its rows (scrolled into view first,
# when asked) must lie inside its card and inside the part of its scroll box that shows.
CONTROLS_OUT_OF_PLACE = """([selector, scroll]) => {
  const table = document.querySelector(selector);
  const card = table.closest(".card"), wrap = table.closest(".table-wrap");
  const inside = (a, b) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5
    && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
  const controls = [...table.querySelectorAll(
    "tbody tr:not(.load-more) :is(a, button, select, input:not([type=hidden]))"
  )].filter((el) => el.getClientRects().length);
  const out = [];
  for (const el of controls) {
    if (scroll) el.scrollIntoView({block: "nearest", inline: "nearest"});
    const box = el.getBoundingClientRect();
    if (!inside(box, card.getBoundingClientRect()) || !inside(box, wrap.getBoundingClientRect()))
      out.push((el.textContent || el.name || el.tagName).trim());
  }
  return {checked: controls.length, out, scrolls: wrap.scrollWidth > wrap.clientWidth};
}"""


def test_wide_tables_keep_every_rows_controls_in_their_card_at_1280_1920_and_390_px(page, demo):
    sign_in(page, "admin@example.com", PASSWORD)
    for width in (*DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        for path, selector in _wide_tables(demo):
            page.goto(path)
            where = f"{path} {selector} at {width} px"
            # The page itself never scrolls sideways.
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width, where
            if selector == "#audit-table":  # no controls; its request ids stay whole
                for request_id in page.locator(f"{selector} .request-id").all()[:5]:
                    request_id.scroll_into_view_if_needed()
                    assert request_id.evaluate("el => el.scrollWidth <= el.clientWidth"), where
                continue
            # At desktop widths the whole table fits its card; on a phone it may scroll
            # inside it, and every control is within reach once scrolled to.
            found = page.evaluate(CONTROLS_OUT_OF_PLACE, [selector, width == PHONE])
            assert found["checked"] > 0, f"{where}: no controls to check"
            assert found["out"] == [], f"{where}: clipped or outside the card: {found['out']}"
            if width != PHONE:
                assert not found["scrolls"], f"{where}: the table is wider than its card"


# --- 29: the top bar at phone width --------------------------------------------------------
def _assert_one_row_top_bar(page) -> None:
    bar = _box(page.locator(".topbar"))
    assert bar["height"] <= 64, f"the top bar wraps: {bar['height']} px high"
    for item in page.locator(".topbar__inner > *:visible").all():
        box = _box(item)
        assert box["y"] >= bar["y"] and box["y"] + box["height"] <= bar["y"] + bar["height"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_at_phone_width_the_top_bar_is_one_row_with_the_links_in_a_menu(
    browser, live_server, tenant, javascript
):
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=javascript,
        viewport={"width": PHONE, "height": 844},
    )
    page = context.new_page()
    sign_in(page, tenant.owner.email, PASSWORD)
    _assert_one_row_top_bar(page)
    main_nav = page.get_by_role("navigation", name="Main")
    assert main_nav.get_by_role("link", name="Jobs").count() == 0  # folded away

    page.locator(".nav-menu > summary").click()
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    names = [link.inner_text().strip() for link in links.all()]
    assert names == [
        "Overview",
        "Spaces",
        "Roles",
        "Members",
        "Storage",
        "Global keys",
        "API keys",
        "Audit log",
        "Macros",  # an owner runs plugins' macros
        "Jobs",
    ]
    for link in links.all():
        assert _inside(_box(link), {"x": 0, "y": 0, "width": PHONE, "height": 844})
    links.filter(has_text="Jobs").click()
    page.wait_for_url("**/jobs/")
    assert page.get_by_role("heading", name="Jobs", level=1).is_visible()
    _assert_one_row_top_bar(page)
    # The menu says where you are.
    page.locator(".nav-menu > summary").click()
    current = page.get_by_role("navigation", name="Main").locator("[aria-current=page]")
    assert current.inner_text().strip() == "Jobs"
    context.close()


def test_the_theme_toggle_is_in_the_top_bar_and_the_user_menu_only_signs_out(page, tenant):
    """What the README's tour says about the top bar."""
    from pathlib import Path

    sign_in(page, tenant.owner.email, PASSWORD)
    toggle = page.get_by_role("button", name="Toggle dark mode")
    assert toggle.is_visible()
    assert page.locator(".topbar__tools").get_by_role("button", name="Toggle dark mode").count()
    page.get_by_label("Account menu").click()
    panel = page.locator(".menu__panel:visible")
    assert panel.get_by_role("button", name="Sign out").is_visible()
    assert panel.get_by_text(re.compile("dark", re.I)).count() == 0
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    tour = readme.split("## A tour of the dashboard", 1)[1].split("\n## ", 1)[0]
    assert "user\n  menu has light/dark mode" not in tour and "menu has light/dark" not in tour
    assert re.search(r"theme toggle[^.]*top bar|top bar[^.]*(light/dark|theme)", tour, re.S)


# --- 28: toasts are capped and never cover a control ----------------------------------------
# In the page: the controls of <main> a toast lies on, at the top of the page and then with
# each control scrolled to the middle of the window (only that control is checked then).
CONTROLS_UNDER_TOASTS = """() => {
  const toasts = [...document.querySelectorAll("#toasts .toast")]
    .filter((t) => t.getClientRects().length);
  const covered = (el) => {
    const a = el.getBoundingClientRect();
    return a.width > 0 && toasts.some((t) => {
      const b = t.getBoundingClientRect();
      return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    });
  };
  const name = (el) => (el.textContent || el.name || el.tagName).trim();
  const controls = [...document.querySelectorAll(
    "main :is(a, button, select, input:not([type=hidden]), summary)"
  )].filter((el) => el.getClientRects().length);
  window.scrollTo(0, 0);
  const atTop = controls.filter(covered).map(name);
  const scrolled = controls.filter((el) => {
    el.scrollIntoView({block: "center"});
    return covered(el);
  }).map(name);
  return {checked: controls.length, toasts: toasts.length, atTop, scrolled};
}"""


def test_toasts_show_three_at_most_and_never_cover_a_control(page, tenant):
    from tests.factories import add_member

    people = [add_member(tenant.org, role="MEMBER") for _ in range(6)]
    page.set_viewport_size({"width": 1280, "height": 640})
    sign_in(page, tenant.owner.email, PASSWORD)
    page.goto("/members/")
    toasts = page.locator("#toasts .toast:visible")
    for person in people[:5]:
        page.get_by_label(f"Role of {person.email}").select_option("ADMIN")
        newest = page.get_by_role("status").filter(has_text=f"{person.email} is now Admin")
        newest.wait_for()
        wait_htmx_idle(page)
        assert 1 <= toasts.count() <= 3, f"{toasts.count()} toasts on the page"
        assert newest.is_visible()

    # At the top of the page no toast lies on any control; scrolled, they stay with the top
    # bar, so a control brought into view is never under one.
    found = page.evaluate(CONTROLS_UNDER_TOASTS)
    assert found["toasts"] >= 1 and found["checked"] > 10
    assert found["atTop"] == [], f"toasts cover {found['atTop']}"
    assert found["scrolled"] == [], f"toasts cover {found['scrolled']} scrolled into view"


# --- 28: an ANNOTATOR's space page ----------------------------------------------------------
def test_an_annotators_space_page_is_not_blank_below_its_header(page, tenant):
    from tests.spaces.factories import join, make_space, predefined

    space = make_space(tenant, "Robot Arms")
    join(tenant, space, tenant.annotator, predefined("ANNOTATOR"))
    sign_in(page, tenant.annotator.email, PASSWORD)
    page.goto(f"/spaces/{space.id}/")
    card = page.locator(
        "section.card", has=page.get_by_role("heading", name="What you can do here")
    )
    assert card.is_visible()
    assert "Read datasets and data rows." in card.inner_text()
    header = _box(page.locator(".page-header"))
    assert _box(card)["y"] >= header["y"] + header["height"]
    card.get_by_role("link", name="personal API key").click()
    page.wait_for_url("**/api-keys/")


# --- 26, 28: the jobs pages ----------------------------------------------------------------
def test_jobs_filter_by_kind_from_a_choice_and_a_job_says_its_filters(page, tenant):
    from adminapp.client.types import AuditFilterParams
    from adminapp.exports.services import audit_export_start
    from adminapp.spaces.services import space_delete
    from tests.spaces.factories import make_space

    export = audit_export_start(
        actor=tenant.principal(), filters=AuditFilterParams(action="member.")
    )
    deletion = space_delete(actor=tenant.principal(), space=make_space(tenant, "Old").id)
    sign_in(page, tenant.owner.email, PASSWORD)
    page.goto("/jobs/")
    page.get_by_label("Kind").select_option(label="Space deletion")
    page.wait_for_url(re.compile(r"/jobs/\?kind=space_delete$"))  # no empty state=
    wait_htmx_idle(page)
    table = page.locator("#jobs-table")
    assert table.get_by_text(deletion.id).is_visible()
    assert table.get_by_text(export.id).count() == 0

    page.goto(f"/jobs/{export.id}/")
    params = page.locator(".job-params")
    assert params.inner_text().split() == ["Action", "starts", "with", "member."]


def test_without_javascript_a_running_jobs_page_reloads_itself_until_it_ends(
    browser, live_server, tenant
):
    from django.utils import timezone

    from adminapp.client.types import AuditFilterParams
    from adminapp.exports.services import audit_export_start
    from adminapp.jobs.models import Job, JobState

    job = audit_export_start(actor=tenant.principal(), filters=AuditFilterParams())
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, tenant.owner.email, PASSWORD)
    page.goto(f"/jobs/{job.id}/")
    assert page.locator('[data-job-state="QUEUED"]').is_visible()
    assert "reloads every" in page.locator("#job-progress").inner_text()

    Job.objects.filter(id=job.id).update(
        state=JobState.SUCCEEDED, progress_done=0, progress_total=0, finished_at=timezone.now()
    )
    # Nothing but the page itself loads it again.
    page.locator('[data-job-state="SUCCEEDED"]').wait_for(timeout=10_000)
    assert "reloads every" not in page.locator("#job-progress").inner_text()
    context.close()


def test_an_instance_admin_owners_main_nav_fits_at_1280_px(page, tenant):
    """The owner of an organization who is also an instance admin has the most links (Roles,
    Storage, Macros, Instance, ...): every one of them shows without scrolling the nav."""
    type(tenant.owner).objects.filter(id=tenant.owner.id).update(is_superuser=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, tenant.owner.email, PASSWORD)
    nav = page.locator("nav.nav")
    assert nav.get_by_role("link", name="Instance").is_visible()
    assert nav.get_by_role("link", name="Macros").is_visible()
    assert nav.evaluate("el => el.scrollWidth <= el.clientWidth"), nav.evaluate(
        "el => [el.scrollWidth, el.clientWidth]"
    )
