"""The dashboard as a browser without JavaScript (and as htmx) sees it: Django's test client
against the real views, the in-process SDK and the API behind it. Nothing is mocked."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from adminapp.accounts.models import ApiKey, OrgMembership, User
from adminapp.core.ids import new_id
from tests.factories import PASSWORD, make_org, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def hx(target: str) -> dict[str, str]:
    """The headers htmx sends when it swaps the element with id ``target``."""
    return {**HTMX, "HTTP_HX_TARGET": target}


SECRET_RE = re.compile(r"adm_[A-Za-z0-9_\-]{20,}")


def stat(html: str, label: str) -> str:
    """The number an overview stat card shows."""
    match = re.search(rf'{re.escape(label)}</span>.*?class="stat__value">([^<]+)<', html, re.S)
    return match.group(1).strip()


def login(client: Client, user, password: str = PASSWORD):
    return client.post(reverse("web:login"), {"email": user.email, "password": password})


@pytest.fixture
def owner_client(tenant) -> Client:
    client = Client()
    response = login(client, tenant.owner)
    assert response.status_code == 302
    return client


@pytest.fixture
def member_client(tenant) -> Client:
    client = Client()
    client.force_login(tenant.member)
    return client


# --- sign in / out ------------------------------------------------------------------------
def test_login_with_the_right_password_opens_the_overview(tenant):
    client = Client()
    response = login(client, tenant.owner)
    assert response.status_code == 302
    assert response.url == reverse("web:overview")
    page = client.get(response.url)
    assert page.status_code == 200
    assert tenant.org.name in page.content.decode()


def test_login_with_a_wrong_password_shows_an_inline_error(tenant):
    client = Client()
    response = login(client, tenant.owner, password="not-the-password")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Email or password is incorrect." in html
    assert 'role="alert"' in html
    # Still signed out.
    assert client.get(reverse("web:overview")).status_code == 302


def test_too_many_login_attempts_are_refused_inline(tenant, settings):
    settings.RATE_LIMIT_LOGIN = "2/60"
    client = Client()
    for _ in range(2):
        login(client, tenant.owner, password="wrong-password")
    response = login(client, tenant.owner, password="wrong-password")
    assert response.status_code == 429
    assert "alert" in response.content.decode()


def test_login_goes_back_to_a_safe_next_page_only(tenant):
    client = Client()
    response = client.post(
        reverse("web:login") + "?next=/jobs/",
        {"email": tenant.owner.email, "password": PASSWORD, "next": "/jobs/"},
    )
    assert response.url == "/jobs/"
    client = Client()
    response = client.post(
        reverse("web:login"),
        {"email": tenant.owner.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.url == reverse("web:overview")


def test_login_rotates_the_csrf_token(tenant):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("web:login"))
    before = client.cookies["csrftoken"].value
    response = client.post(
        reverse("web:login"),
        {"email": tenant.owner.email, "password": PASSWORD, "csrfmiddlewaretoken": before},
    )
    assert response.status_code == 302
    assert client.cookies["csrftoken"].value != before


def test_pages_need_a_signed_in_session(db):
    client = Client()
    for name in ("web:overview", "web:api_keys", "web:audit", "web:jobs", "web:members"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("web:login"))


def test_with_debug_on_pages_load_htmx_without_django_htmx_debug_error_handler(
    member_client, settings
):
    """django-htmx's DEBUG script swaps any 400/403/404/500 answer over the whole page,
    before app.js can show it inline or as a toast (Hardening II #19)."""
    settings.DEBUG = True
    for response in (member_client.get(reverse("web:members")), Client().get("/login/")):
        html = response.content.decode()
        assert re.search(r'<script src="[^"]*/django_htmx/htmx-2\.min\.js" defer>', html)
        assert "django-htmx.js" not in html


def test_a_poll_after_the_session_ended_sends_the_window_to_login(db):
    response = Client().get(
        reverse("web:job_progress", args=["job_x"]),
        HTTP_HX_CURRENT_URL="http://testserver/jobs/job_x/",
        **HTMX,
    )
    # Not a redirect htmx would follow and swap into the progress bar: the window goes.
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("web:login") + "?next=/jobs/job_x/"


def test_logout_ends_the_session(owner_client):
    response = owner_client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert response.url == reverse("web:login")
    assert owner_client.get(reverse("web:overview")).status_code == 302


def test_logout_by_get_only_asks_for_confirmation(owner_client):
    response = owner_client.get(reverse("web:logout"))
    assert response.status_code == 200
    assert "Sign out?" in response.content.decode()
    assert owner_client.get(reverse("web:overview")).status_code == 200


def test_forms_without_a_csrf_token_are_refused(tenant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.owner)
    response = client.post(reverse("web:api_keys"), {"label": "sneaky"})
    assert response.status_code == 403
    assert not ApiKey.objects.filter(label="sneaky").exists()
    response = Client(enforce_csrf_checks=True).post(
        reverse("web:login"), {"email": tenant.owner.email, "password": PASSWORD}
    )
    assert response.status_code == 403


def test_htmx_posts_carry_the_csrf_token_from_the_body_header(tenant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.owner)
    html = client.get(reverse("web:api_keys")).content.decode()
    token = re.search(r'hx-headers=\'\{"x-csrftoken": "([^"]+)"\}\'', html).group(1)
    response = client.post(
        reverse("web:api_keys"), {"label": "via htmx"}, HTTP_X_CSRFTOKEN=token, **hx("keys-content")
    )
    assert response.status_code == 201
    assert ApiKey.objects.filter(label="via htmx").exists()


# --- pages --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["web:overview", "web:api_keys", "web:audit", "web:jobs", "web:members"]
)
def test_every_page_renders_for_an_owner(owner_client, name):
    response = owner_client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<nav" in html and "Sign out" in html
    assert "/static/css/app.css" in html
    assert "htmx" in html
    # No asset from another host (a plain "cdn" substring check failed by chance on random
    # ids in the page, such as aud_… or adm_… prefixes).
    assert not re.search(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(?:https?:)?//', html)


def test_overview_shows_counts_without_counting_big_tables(owner_client, tenant):
    html = owner_client.get(reverse("web:overview")).content.decode()
    assert stat(html, "Members") == "4"
    # Each user of the tenant has one personal key; the owner sees all four.
    assert stat(html, "Active API keys") == "4"
    assert stat(html, "Jobs running") == "0"
    assert "No jobs yet" in html


def test_overview_says_50_plus_beyond_one_page(owner_client, tenant):
    # Plain rows (no password hashing): 50 more members than one page holds.
    users = User.objects.bulk_create(
        [User(id=new_id("usr"), email=f"bulk{i}@example.com") for i in range(50)]
    )
    OrgMembership.objects.bulk_create(
        [OrgMembership(organization=tenant.org, user=u, account_role="MEMBER") for u in users]
    )
    html = owner_client.get(reverse("web:overview")).content.decode()
    assert stat(html, "Members") == "50+"


def test_a_member_gets_a_friendly_403_on_the_audit_log(member_client):
    response = member_client.get(reverse("web:audit"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Your role cannot do this" in html
    assert "Member" in html  # tells them which role they have


def test_a_member_sees_no_audit_link_and_no_service_key_option(member_client):
    overview = member_client.get(reverse("web:overview")).content.decode()
    assert reverse("web:audit") not in overview
    keys = member_client.get(reverse("web:api_keys")).content.decode()
    assert "SERVICE" not in keys
    assert 'name="kind"' not in keys


def test_an_admin_can_choose_a_service_key(owner_client):
    html = owner_client.get(reverse("web:api_keys")).content.decode()
    assert 'value="SERVICE"' in html


def test_unknown_ids_are_a_404_page(owner_client, other_tenant):
    other_job_less_key = ApiKey.objects.filter(organization=other_tenant.org).first()
    response = owner_client.get(reverse("web:api_key_revoke", args=[other_job_less_key.id]))
    assert response.status_code == 404
    assert "Not found" in response.content.decode()
    assert owner_client.get(reverse("web:job_detail", args=["job_nope"])).status_code == 404


# --- API keys -----------------------------------------------------------------------------
def test_creating_a_key_shows_the_secret_exactly_once(owner_client, tenant):
    response = owner_client.post(
        reverse("web:api_keys"), {"label": "Nightly sync", "description": "cron"}
    )
    assert response.status_code == 201
    html = response.content.decode()
    secrets = set(SECRET_RE.findall(html))
    assert len(secrets) == 1
    secret = secrets.pop()
    assert "will not be shown again" in html
    assert 'hx-history="false"' in html  # htmx never snapshots it into browser storage
    assert "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get(label="Nightly sync")
    assert secret.startswith(key.display_prefix)
    # It works, as the owner.
    api = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.json()["user"]["email"] == tenant.owner.email
    # And it is never shown again, nor kept in the session.
    again = owner_client.get(reverse("web:api_keys")).content.decode()
    assert "Nightly sync" in again
    assert secret not in again
    assert secret not in str(dict(owner_client.session))


def test_an_empty_label_is_an_inline_422_and_creates_nothing(owner_client, tenant):
    before = ApiKey.objects.count()
    response = owner_client.post(reverse("web:api_keys"), {"label": "", "description": "x"})
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'field--invalid[^>]*>\s*<label for="id_label"', html)
    assert "This field is required." in html
    assert ApiKey.objects.count() == before
    assert not SECRET_RE.search(html)


def test_an_expiry_in_the_past_is_an_inline_error(owner_client):
    response = owner_client.post(
        reverse("web:api_keys"), {"label": "old", "expires_on": "2001-01-01"}
    )
    assert response.status_code == 422
    assert "Must be in the future." in response.content.decode()
    assert not ApiKey.objects.filter(label="old").exists()


def test_an_admin_creates_a_service_key_with_a_role(owner_client):
    response = owner_client.post(
        reverse("web:api_keys"),
        {"label": "CI", "kind": "SERVICE", "role": "MEMBER", "expires_on": "2999-12-31"},
    )
    assert response.status_code == 201
    key = ApiKey.objects.get(label="CI")
    assert (key.kind, key.role, key.user_id) == ("SERVICE", "MEMBER", None)
    assert key.expires_at.year == 2999


def test_a_member_cannot_forge_a_service_key(member_client):
    response = member_client.post(
        reverse("web:api_keys"), {"label": "forged", "kind": "SERVICE", "role": "ADMIN"}
    )
    # The form has no kind field for them: the key is a personal one, never a service key.
    assert not ApiKey.objects.filter(label="forged", kind="SERVICE").exists()
    assert response.status_code == 201
    assert ApiKey.objects.get(label="forged").kind == "PERSONAL"


def test_revoking_a_key_without_javascript_confirms_first(owner_client, tenant):
    key = ApiKey.objects.filter(user=tenant.member).get()
    url = reverse("web:api_key_revoke", args=[key.id])
    confirm = owner_client.get(url)
    assert confirm.status_code == 200
    assert f'action="{url}"' in confirm.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None
    response = owner_client.post(url)
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    # Gone from the active list, shown with the revoked ones.
    assert key.display_prefix not in owner_client.get(reverse("web:api_keys")).content.decode()
    shown = owner_client.get(reverse("web:api_keys") + "?revoked=1").content.decode()
    assert key.display_prefix in shown and "Revoked" in shown


def test_revoking_with_htmx_returns_the_updated_row(owner_client, tenant):
    key = ApiKey.objects.filter(user=tenant.member).get()
    response = owner_client.post(
        reverse("web:api_key_revoke", args=[key.id]), **hx(f"key-{key.id}")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="key-{key.id}"')
    assert "Revoked" in html
    assert "<html" not in html and "<nav" not in html
    assert 'hx-swap-oob="beforeend"' in html  # the toast


def test_a_member_cannot_revoke_someone_elses_key(member_client, tenant):
    key = ApiKey.objects.filter(user=tenant.owner).get()
    response = member_client.post(reverse("web:api_key_revoke", args=[key.id]))
    assert response.status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_keys_load_more_appends_rows_as_a_partial(owner_client, tenant, settings):
    from tests.factories import make_key

    settings.RATE_LIMIT_KEY_CREATE = "1000/60"
    for _ in range(55):
        make_key(tenant.owner, tenant.org)
    page = owner_client.get(reverse("web:api_keys")).content.decode()
    cursor = re.search(r'href="\?cursor=([^"]+)"', page).group(1)
    more = owner_client.get(reverse("web:api_keys") + f"?cursor={cursor}", **hx("keys-more"))
    html = more.content.decode()
    assert more.status_code == 200
    assert "<html" not in html and "<table" not in html
    assert html.count('<tr id="key-') == 59 - 50


# --- htmx partials ------------------------------------------------------------------------
def test_htmx_requests_get_partials_not_the_layout(owner_client):
    full = owner_client.get(reverse("web:audit")).content.decode()
    assert "<html" in full and "<nav" in full
    partial = owner_client.get(reverse("web:audit") + "?action=api_key.", **hx("audit-content"))
    html = partial.content.decode()
    assert partial.status_code == 200
    assert html.lstrip().startswith('<div id="audit-content"')
    assert "<html" not in html and "<nav" not in html
    keys = owner_client.post(reverse("web:api_keys"), {"label": ""}, **hx("keys-content"))
    assert keys.status_code == 422
    assert keys["X-Dashboard-Partial"] == "1"
    assert keys.content.decode().lstrip().startswith('<div id="keys-content"')


def test_a_boosted_or_history_restore_request_gets_the_whole_page(owner_client):
    response = owner_client.get(reverse("web:jobs"), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.content.decode()


def test_htmx_errors_come_back_as_a_toast(member_client):
    response = member_client.get(reverse("web:audit"), **HTMX)
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#toasts"
    assert "Your role cannot do this" in response.content.decode()


# --- org switcher -------------------------------------------------------------------------
def test_switching_organization_changes_what_pages_show(owner_client, tenant):
    second = make_org(name="Second Org", owner=tenant.owner)
    html = owner_client.get(reverse("web:overview")).content.decode()
    assert "Second Org" in html  # offered in the switcher
    response = owner_client.post(reverse("web:switch_org"), {"organization_id": second.id})
    assert response.status_code == 302
    html = owner_client.get(reverse("web:overview")).content.decode()
    assert re.search(f'<option value="{second.id}" selected>', html)
    keys = owner_client.get(reverse("web:api_keys")).content.decode()
    assert "No API keys yet" in keys  # the new org has none


def test_switching_to_a_foreign_organization_is_refused(owner_client, tenant, other_tenant):
    response = owner_client.post(
        reverse("web:switch_org"), {"organization_id": other_tenant.org.id}, follow=True
    )
    assert "not a member of that organization" in response.content.decode()
    assert tenant.org.name in response.content.decode()


def test_switching_with_htmx_reloads_the_page(owner_client, tenant):
    second = make_org(name="Second Org", owner=tenant.owner)
    response = owner_client.post(reverse("web:switch_org"), {"organization_id": second.id}, **HTMX)
    assert response["HX-Redirect"] == reverse("web:overview")


# --- members ------------------------------------------------------------------------------
def test_an_admin_adds_a_new_member_with_an_initial_password(owner_client, tenant):
    response = owner_client.post(
        reverse("web:members"),
        {
            "email": "new.person@example.com",
            "role": "MEMBER",
            "name": "New Person",
            "password": "a-long-enough-password",
        },
    )
    assert response.status_code == 302
    assert OrgMembership.objects.filter(
        organization=tenant.org, user__email="new.person@example.com", account_role="MEMBER"
    ).exists()
    assert (
        Client()
        .post(
            reverse("web:login"),
            {"email": "new.person@example.com", "password": "a-long-enough-password"},
        )
        .status_code
        == 302
    )


def test_adding_a_member_shows_field_errors_inline(owner_client, tenant):
    response = owner_client.post(reverse("web:members"), {"email": "nobody@example.com"})
    assert response.status_code == 422
    assert "Required for a new account." in response.content.decode()
    response = owner_client.post(reverse("web:members"), {"email": tenant.member.email})
    assert response.status_code == 409
    assert "Already a member." in response.content.decode()


def test_an_admin_changes_a_role_with_htmx(owner_client, tenant):
    response = owner_client.post(
        reverse("web:member_role", args=[tenant.member.id]),
        {"role": "ADMIN", "email": tenant.member.email},
        **hx(f"member-{tenant.member.id}"),
    )
    assert response.status_code == 200
    assert '<option value="ADMIN" selected>' in response.content.decode()
    assert (
        OrgMembership.objects.get(user=tenant.member, organization=tenant.org).account_role
        == "ADMIN"
    )


def test_the_last_owner_cannot_be_demoted(tenant):
    client = Client()
    client.force_login(tenant.owner)
    # The owner cannot change their own row in the page; the API refuses a forged post.
    response = client.post(
        reverse("web:member_role", args=[tenant.owner.id]),
        {"role": "MEMBER", "email": tenant.owner.email},
        **hx(f"member-{tenant.owner.id}"),
    )
    assert response.status_code == 409
    assert "at least one owner" in response.content.decode()
    assert (
        OrgMembership.objects.get(user=tenant.owner, organization=tenant.org).account_role
        == "OWNER"
    )


def test_removing_a_member_asks_then_removes(owner_client, tenant):
    url = reverse("web:member_remove", args=[tenant.annotator.id])
    confirm = owner_client.get(url + f"?email={tenant.annotator.email}")
    assert "Remove " + tenant.annotator.email in confirm.content.decode()
    assert owner_client.post(url, {"email": tenant.annotator.email}).status_code == 302
    assert not OrgMembership.objects.filter(user=tenant.annotator, organization=tenant.org).exists()


def test_a_member_sees_members_but_no_management(member_client, tenant):
    html = member_client.get(reverse("web:members")).content.decode()
    assert tenant.owner.email in html
    assert "Add a member" not in html
    assert "Remove" not in html
    response = member_client.post(
        reverse("web:members"), {"email": "x@example.com", "role": "ADMIN", "password": "p" * 12}
    )
    assert response.status_code == 403
    assert not OrgMembership.objects.filter(user__email="x@example.com").exists()


def test_members_filter_by_email_as_a_partial(owner_client, tenant):
    response = owner_client.get(
        reverse("web:members") + f"?q={tenant.admin.email}", HTTP_HX_TARGET="member-results", **HTMX
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="member-results"')
    assert tenant.admin.email in html and tenant.owner.email not in html


# --- audit log ----------------------------------------------------------------------------
def test_audit_filters_narrow_the_events(owner_client, tenant):
    owner_client.post(reverse("web:api_keys"), {"label": "audited"})
    html = owner_client.get(reverse("web:audit") + "?action=api_key.create").content.decode()
    assert "api_key.create" in html
    assert "member.add" not in html
    none = owner_client.get(reverse("web:audit") + "?action=nothing.here").content.decode()
    assert "No events match these filters" in none


def test_an_invalid_audit_filter_is_an_inline_error(owner_client):
    response = owner_client.get(reverse("web:audit") + "?since=yesterday")
    assert response.status_code == 422
    assert "Enter a valid date/time." in response.content.decode()
    response = owner_client.get(
        reverse("web:audit") + "?since=2030-01-02T00:00&until=2030-01-01T00:00"
    )
    assert response.status_code == 422
    assert "Must be before until." in response.content.decode()


def test_audit_load_more_returns_the_next_rows_only(owner_client, tenant):
    from adminapp.audit.services import audit_record

    for i in range(60):
        audit_record(
            actor=tenant.principal(),
            action="custom.ping",
            target_type="test",
            target_id=f"t{i}",
            details={},
        )
    page = owner_client.get(reverse("web:audit") + "?action=custom.ping").content.decode()
    assert page.count('<code class="tag">custom.ping</code>') == 50
    next_url = re.search(r'hx-get="(\?[^"]*cursor=[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "action=custom.ping" in next_url
    more = owner_client.get(reverse("web:audit") + next_url, **hx("audit-more")).content.decode()
    assert "<html" not in more and "<table" not in more
    assert more.count('<code class="tag">custom.ping</code>') == 10
    assert "Load more" not in more


def test_export_starts_a_job_and_goes_to_its_page(owner_client, tenant):
    response = owner_client.post(
        reverse("web:audit_export"), {"action": "member.", "idempotency_key": "k" * 32}
    )
    assert response.status_code == 302
    job_id = response.url.rstrip("/").split("/")[-1]
    assert job_id.startswith("job_")
    # The same form posted twice (a double click) starts one job.
    again = owner_client.post(
        reverse("web:audit_export"), {"action": "member.", "idempotency_key": "k" * 32}
    )
    assert again.url == response.url
    page = owner_client.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'role="progressbar"' in html
    assert 'hx-trigger="every 1s"' in html


# --- jobs ---------------------------------------------------------------------------------
def _start_export(client: Client) -> str:
    response = client.post(reverse("web:audit_export"), {})
    return response.url.rstrip("/").split("/")[-1]


def test_jobs_list_and_filters(owner_client):
    job_id = _start_export(owner_client)
    html = owner_client.get(reverse("web:jobs")).content.decode()
    assert job_id in html
    assert job_id in owner_client.get(reverse("web:jobs") + "?state=QUEUED").content.decode()
    assert job_id not in owner_client.get(reverse("web:jobs") + "?state=FAILED").content.decode()
    partial = owner_client.get(
        reverse("web:jobs") + "?state=QUEUED", **hx("jobs-content")
    ).content.decode()
    assert partial.lstrip().startswith('<div id="jobs-content"')


def test_progress_polls_until_the_job_ends_then_stops_with_286(owner_client, tenant):
    from adminapp.jobs.models import Job

    job_id = _start_export(owner_client)
    url = reverse("web:job_progress", args=[job_id])
    running = owner_client.get(url, **hx("job-progress"))
    assert running.status_code == 200
    assert 'hx-trigger="every 1s"' in running.content.decode()
    Job.objects.filter(id=job_id).update(state="SUCCEEDED", progress_done=10, progress_total=10)
    done = owner_client.get(url, **hx("job-progress"))
    assert done.status_code == 286
    html = done.content.decode()
    assert 'aria-valuenow="100"' in html
    assert "every 1s" not in html
    assert "job-finished" in done["HX-Trigger"]
    # Without htmx the progress URL just leads to the job's page.
    assert owner_client.get(url).status_code == 302


def test_abort_asks_then_aborts_a_queued_job(owner_client):
    job_id = _start_export(owner_client)
    url = reverse("web:job_abort", args=[job_id])
    assert "Abort this export?" in owner_client.get(url).content.decode()
    response = owner_client.post(url, **hx("job-progress"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-job-state="ABORTED"' in html
    assert "Job aborted." in html  # the toast
    assert "job-finished" in response["HX-Trigger"]  # the outcome panel refreshes


def test_abort_of_a_running_job_is_a_request(owner_client):
    from adminapp.jobs.models import Job

    job_id = _start_export(owner_client)
    Job.objects.filter(id=job_id).update(state="RUNNING")
    response = owner_client.post(reverse("web:job_abort", args=[job_id]), **hx("job-progress"))
    html = response.content.decode()
    assert "Abort requested" in html
    assert 'hx-trigger="every 1s"' in html  # still polling until the worker stops


def test_a_member_cannot_see_an_admins_job(owner_client, member_client):
    job_id = _start_export(owner_client)
    assert member_client.get(reverse("web:job_detail", args=[job_id])).status_code == 404


def test_download_before_the_result_exists_is_a_404_page(owner_client):
    job_id = _start_export(owner_client)
    response = owner_client.get(reverse("web:job_download", args=[job_id]))
    assert response.status_code == 404
    assert "no result file" in response.content.decode().lower()


def test_a_forged_identity_header_or_parameter_is_ignored(member_client, tenant):
    """The dashboard acts as the session's user only: an Authorization header or an
    API key the browser sends never changes who the in-process SDK acts as."""
    response = member_client.get(
        reverse("web:audit") + f"?api_key={tenant.keys['OWNER']}",
        HTTP_AUTHORIZATION=f"Bearer {tenant.keys['OWNER']}",
    )
    assert response.status_code == 403


def test_a_member_with_no_user_row_left_is_sent_to_login(tenant):
    client = Client()
    client.force_login(tenant.member)
    OrgMembership.objects.filter(user=tenant.member).delete()
    response = client.get(reverse("web:overview"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login"))


def test_a_user_in_no_org_cannot_sign_in(db):
    user = make_user()
    response = Client().post(reverse("web:login"), {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "no organization" in response.content.decode()


def test_a_running_jobs_items_table_refreshes_itself_and_stops_when_it_ends(client, tenant):
    from adminapp.jobs.models import Job

    client.force_login(tenant.owner)
    job = Job.objects.create(
        organization=tenant.org, kind="audit_export", owner_id=tenant.owner.id, state="RUNNING"
    )
    items = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "job-items"}

    running = client.get(f"/jobs/{job.id}/", **items).content.decode()
    assert 'id="job-items"' in running and "every 3s" in running

    Job.objects.filter(id=job.id).update(state="SUCCEEDED")
    done = client.get(f"/jobs/{job.id}/", **items).content.decode()
    assert 'id="job-items"' in done and "every 3s" not in done


def test_a_finished_space_delete_offers_no_download_and_says_what_it_removed(client, tenant):
    from adminapp.jobs.engine import job_run
    from adminapp.spaces.services import space_delete
    from tests.spaces.factories import make_space, make_token

    client.force_login(tenant.owner)
    space = make_space(tenant, "Doomed")
    make_token(tenant, space)
    job = space_delete(actor=tenant.principal("OWNER"), space=space.id)
    job_run(job_id=job.id)

    page = client.get(reverse("web:job_detail", args=[job.id])).content.decode()
    assert "Space deletion" in page
    assert "Download result" not in page
    assert 'data-job-outcome="SUCCESS"' in page
    assert "data_rows 0 · datasets 0 · memberships 0 · tokens 1" in page  # every step, by name
    assert "Doomed" in page


def test_a_finished_export_offers_its_file_and_an_aborted_one_says_why_it_has_none(
    client, tenant, settings, tmp_path
):
    from adminapp.client.types import AuditFilterParams
    from adminapp.exports.services import audit_export_start
    from adminapp.jobs.engine import job_run
    from adminapp.jobs.services import job_abort

    settings.MEDIA_ROOT = tmp_path
    client.force_login(tenant.owner)
    done = audit_export_start(actor=tenant.principal("OWNER"), filters=AuditFilterParams())
    job_run(job_id=done.id)
    aborted = audit_export_start(
        actor=tenant.principal("OWNER"), filters=AuditFilterParams(action="x.")
    )
    job_abort(actor=tenant.principal("OWNER"), job_id=aborted.id)

    finished = client.get(reverse("web:job_detail", args=[done.id])).content.decode()
    assert "Download result" in finished and 'data-job-outcome="SUCCESS"' in finished
    stopped = client.get(reverse("web:job_detail", args=[aborted.id])).content.decode()
    assert "Download result" not in stopped
    assert "an aborted export keeps no file to download" in stopped


def test_a_dashboard_page_reads_the_session_membership_once(owner_client, tenant):
    """The page's in-process calls (me, the events) share one membership lookup, with its
    organization: the session, the user, the membership and the events are all it reads."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner_client.get(reverse("web:audit"))  # the org switcher's list is cached from here on
    with CaptureQueriesContext(connection) as queries:
        assert owner_client.get(reverse("web:audit")).status_code == 200
    tables = [re.search(r'FROM "(\w+)"', q["sql"]).group(1) for q in queries.captured_queries]
    assert tables == [
        "django_session",
        "accounts_user",
        "accounts_orgmembership",
        "audit_auditevent",
    ]
