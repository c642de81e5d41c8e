"""The organization's page: its facts for every member, the account menu's link to it, and
the all-data export button for owners only (others are told why there is none)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from adminapp.jobs.models import Job

pytestmark = pytest.mark.django_db

URL = reverse("web:organization")


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_member_sees_the_organization_and_only_owners_the_export(tenant):
    owner, member = _browser(tenant.owner), _browser(tenant.member)
    assert URL in owner.get(reverse("web:overview")).content.decode()  # the account menu
    mine = owner.get(URL).content.decode()
    theirs = member.get(URL).content.decode()
    for html in (mine, theirs):
        assert tenant.org.name in html and tenant.org.id in html
    assert "Export all data</button>" in mine
    assert "Export all data</button>" not in theirs
    assert "Only the organization's owners can export all its data." in theirs


def test_the_export_button_starts_one_job_and_opens_its_page(tenant):
    owner = _browser(tenant.owner)
    form = {"idempotency_key": "a" * 32}
    first = owner.post(reverse("web:organization_export"), form)
    again = owner.post(reverse("web:organization_export"), form)  # a double click
    job = Job.objects.get(kind="org_data_export")
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == reverse("web:job_detail", args=[job.id])


def test_a_member_posting_the_export_anyway_is_refused(tenant):
    response = _browser(tenant.member).post(reverse("web:organization_export"), {})
    assert response.status_code == 403
    assert not Job.objects.filter(kind="org_data_export").exists()
