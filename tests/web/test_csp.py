"""Every response carries a strict Content-Security-Policy, and the dashboard's pages need
nothing it refuses (the browser tests fail on any refusal Chromium logs)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from adminapp.jobs.models import Job

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(response) -> None:
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert not any("unsafe" in value for values in directives.values() for value in values)


def test_sign_in_page_errors_and_api_docs_carry_a_strict_policy(client, tenant):
    assert_strict(client.get(reverse("web:login")))
    assert_strict(client.get("/api/v1/docs"))
    assert_strict(client.get("/api/v1/openapi.json"))
    assert_strict(client.get("/no/such/page/"))
    client.force_login(tenant.owner)
    assert_strict(client.get(reverse("web:overview")))
    assert_strict(client.get(reverse("web:jobs"), HTTP_HX_REQUEST="true"))


INLINE = [
    (re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (
        re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")", re.I),
        "inline script",
    ),
    (re.compile(r"\shx-on[:-]|\son[a-z]+\s*=", re.I), "an inline event handler"),
]


@pytest.mark.parametrize(
    "name",
    [
        "web:login",
        "web:overview",
        "web:api_keys",
        "web:audit",
        "web:jobs",
        "web:members",
        "web:spaces",
        "web:roles",
        "web:bucket_configs",
        "web:repos",
    ],
)
def test_no_page_holds_what_the_policy_refuses(client, tenant, name):
    # A running job with a known total and one with none: both progress bars render.
    Job.objects.create(
        organization=tenant.org,
        kind="audit_export",
        owner_id=tenant.owner.id,
        state="RUNNING",
        progress_total=200,
        progress_done=57,
    )
    Job.objects.create(
        organization=tenant.org, kind="audit_export", owner_id=tenant.owner.id, state="QUEUED"
    )
    if name != "web:login":
        client.force_login(tenant.owner)
    html = client.get(reverse(name)).content.decode()
    for pattern, what in INLINE:
        match = pattern.search(html)
        assert match is None, f"{name} has {what}: {html[match.start() : match.start() + 120]}"


def test_a_progress_bar_is_drawn_by_a_stylesheet_class(client, tenant):
    job = Job.objects.create(
        organization=tenant.org,
        kind="audit_export",
        owner_id=tenant.owner.id,
        state="RUNNING",
        progress_total=200,
        progress_done=57,
    )
    client.force_login(tenant.owner)
    detail = client.get(reverse("web:job_detail", args=[job.id])).content.decode()
    assert re.search(r'class="progress__fill [^"]*\bw-28\b', detail)
    listing = client.get(reverse("web:jobs")).content.decode()
    assert re.search(r'class="meter__fill [^"]*\bw-28\b', listing)
    css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text()
    assert ".w-28 { width: 28%; }" in css and ".w-100 { width: 100%; }" in css
