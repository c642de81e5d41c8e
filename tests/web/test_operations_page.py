"""The Operations page (instance admins): the nav shows it only to them, it says when no
worker answers and when the reaper is late, lists the day's failures from every
organization (linked where the job is in the admin's organization), and refreshes itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from adminapp.jobs.models import Job, JobState
from adminapp.jobs.tasks import reap_jobs
from tests.factories import add_member, make_tenant, make_user

pytestmark = pytest.mark.django_db

URL = reverse("web:operations")


@pytest.fixture
def admin_browser(tenant) -> Client:
    user = add_member(tenant.org, role="MEMBER", user=make_user(superuser=True))
    client = Client()
    client.force_login(user)
    return client


def test_only_instance_admins_have_the_page_and_its_nav_link(client, tenant, admin_browser):
    client.force_login(tenant.owner)
    assert client.get(URL).status_code == 403
    assert URL not in client.get(reverse("web:overview")).content.decode()
    assert URL in admin_browser.get(reverse("web:overview")).content.decode()


def test_it_says_no_worker_answered_and_the_reaper_has_not_run(admin_browser):
    html = admin_browser.get(URL).content.decode()
    assert "No worker answered within a second" in html
    assert "It has not run yet." in html and "The reaper is late" in html
    assert "No job failed in the last 24 hours." in html
    reap_jobs()
    html = admin_browser.get(URL).content.decode()
    assert "The reaper is late" not in html and "Last run:" in html


def test_the_days_failures_are_listed_and_linked_in_the_admins_organization(tenant, admin_browser):
    elsewhere = make_tenant("Far Away Ltd")
    mine, theirs = (
        Job.objects.create(
            organization=t.org,
            kind="audit_export",
            owner_id=t.owner.id,
            state=JobState.FAILED,
            error_code="crashed",
            error_message=message,
            finished_at=timezone.now() - timedelta(hours=2),
        )
        for t, message in ((tenant, "disk full"), (elsewhere, "bucket gone"))
    )
    html = admin_browser.get(URL).content.decode()
    assert "Failed in the last 24 hours: 2" in html
    assert "disk full" in html and "bucket gone" in html and "Far Away Ltd" in html
    assert reverse("web:job_detail", args=[mine.id]) in html
    assert reverse("web:job_detail", args=[theirs.id]) not in html  # not their org's page


def test_htmx_refreshes_only_the_content(admin_browser):
    full = admin_browser.get(URL).content.decode()
    assert 'hx-trigger="every 10s"' in full
    part = admin_browser.get(URL, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="ops-content")
    html = part.content.decode()
    assert html.lstrip().startswith('<div id="ops-content"') and "<html" not in html
