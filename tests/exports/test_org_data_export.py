"""All org data for an owner leaving the platform: ``POST /organizations/{id}/export`` starts a
job whose ZIP holds a manifest and one JSON-lines file per section, every record in the API's
shape and no secret anywhere; only owners may start it, and only for their organization."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from adminapp.audit.models import AuditEvent
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job
from adminapp.spaces import services as spaces
from tests.api.helpers import API, api_error
from tests.catalog.factories import make_dataset, make_rows
from tests.factories import make_tenant
from tests.spaces.factories import predefined
from tests.storage.factories import HMAC, make_bucket_config, make_repo

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _start(client, tenant, role="OWNER", org_id=None):
    return client.post(
        f"{API}/organizations/{org_id or tenant.org.id}/export",
        content_type="application/json",
        **tenant.auth(role),
    )


def _archive(media: Path, job: Job) -> dict[str, list[dict]]:
    with zipfile.ZipFile(media / job.result_file) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        raw = b"".join(archive.read(name) for name in names)
        files = {
            name.removesuffix(".jsonl"): [
                json.loads(line) for line in archive.read(name).splitlines() if line
            ]
            for name in names
            if name.endswith(".jsonl")
        }
    return {"manifest": manifest, "raw": raw, **files}


def test_an_owner_downloads_every_section_with_no_secret_in_it(client, tenant, media):
    owner = tenant.principal("OWNER")
    space = spaces.space_create(actor=owner, name="Lidar Scans")
    spaces.space_member_set(
        actor=owner, space=space.id, user_id=tenant.member.id, role=predefined("MEMBER")
    )
    spaces.space_role_create(actor=owner, name="Curator", permissions=["dataset.read"])
    _, token_secret = spaces.space_token_create(actor=owner, space=space.id, label="Uploader")
    make_rows(dataset=make_dataset(space=space, name="Scans"), n=3)
    make_bucket_config(tenant, "lake", auth_config=HMAC)
    make_repo(tenant, "climate")
    make_tenant("Somebody Else")  # whose data must not appear

    response = _start(client, tenant)
    assert response.status_code == 202, response.content
    job_run(job_id=response.json()["id"])
    job = Job.objects.get(id=response.json()["id"])
    assert job.state == "SUCCEEDED" and job.result["sections"]["members"] == 4
    out = _archive(media, job)

    sections = {s["name"]: s["records"] for s in out["manifest"]["sections"]}
    assert sections == {
        "organization": 1,
        "members": 4,
        "api_keys": 4,
        "spaces": 1,
        "space_members": 1,
        "roles": 1,
        "space_tokens": 1,
        "datasets": 1,
        "bucket_configs": 1,
        "repos": 1,
        "audit": AuditEvent.objects.filter(organization=tenant.org).count(),
    }
    assert out["organization"] == [
        {**out["organization"][0], "id": tenant.org.id, "name": tenant.org.name}
    ]
    assert {m["user"]["email"] for m in out["members"]} == {
        tenant.owner.email,
        tenant.admin.email,
        tenant.member.email,
        tenant.annotator.email,
    }
    assert out["spaces"][0]["name"] == "Lidar Scans"
    assert out["datasets"][0]["row_count"] == 3
    assert out["repos"][0]["name"] == "climate"
    assert {"space.create", "space.member.add"} <= {e["action"] for e in out["audit"]}
    # Secrets: none of the token's, the bucket's or the API keys' (only their prefixes).
    for secret in (token_secret, HMAC["secret_access_key"], *tenant.keys.values()):
        assert secret.encode() not in out["raw"]
    # The parts it was built from are gone with the job.
    assert not list((media / "exports").glob("*.parts"))


def test_only_owners_export_and_only_their_own_organization(client, tenant, other_tenant):
    before = Job.objects.count()
    for role in ("ADMIN", "MEMBER", "ANNOTATOR"):
        api_error(_start(client, tenant, role), 403, "permission_denied")
    api_error(_start(client, tenant, org_id=other_tenant.org.id), 404, "not_found")
    assert Job.objects.count() == before
