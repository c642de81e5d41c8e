"""Repos through the services: names, the default bucket config, prefixes, metadata,
get-or-create, soft deletion with restore, and the beat-started purge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from adminapp.audit.models import AuditEvent
from adminapp.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job
from adminapp.storage import selectors, services
from adminapp.storage.models import Repo
from tests.storage.factories import make_bucket_config, make_repo


@pytest.fixture
def config(tenant):
    return make_bucket_config(tenant)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "a/b"}, "name"),
        ({"name": "a..b"}, "name"),
        ({"name": "."}, "name"),
        ({"name": "Get-Or-Create"}, "name"),  # an endpoint's path
        ({"name": "x" * 129}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "two\nlines"}, "name"),
        ({"kind": "v2"}, "kind"),
        ({"prefix": "/lead"}, "prefix"),
        ({"prefix": "p" * 257}, "prefix"),
        ({"description": "d" * 256}, "description"),
        ({"metadata": {"nested": {"a": 1}}}, "metadata.nested"),
        ({"metadata": {"list": [1]}}, "metadata.list"),
        ({"metadata": {"big": "x" * 4100}}, "metadata"),
        ({"bucket_config_nickname": "nope"}, "bucket_config_nickname"),
    ],
)
def test_bad_repo_input_is_a_422_naming_the_field(tenant, config, fields, field):
    with pytest.raises(ValidationFailed) as info:
        make_repo(tenant, **{"name": "climate", **fields})
    assert field in info.value.fields, info.value.fields
    assert not Repo.objects.exists()


def test_a_repo_gets_the_default_config_and_its_id_as_prefix(tenant, config):
    make_bucket_config(tenant, "second", "s3://bucket-two")
    repo = make_repo(tenant, "climate", metadata={"owner": "ops", "n": 3, "ok": True, "x": None})
    assert (repo.bucket_config_id, repo.kind, repo.prefix) == (config.id, "icechunk", repo.id)
    other = make_repo(tenant, "weather", bucket_config_nickname="SECOND", kind="v1", prefix="w/1")
    assert (other.bucket_config.nickname, other.kind, other.prefix) == ("second", "v1", "w/1")


def test_without_any_config_there_is_no_default_to_use(tenant):
    with pytest.raises(Conflict) as info:
        make_repo(tenant)
    assert info.value.code == "no_default_bucket_config"


def test_names_are_unique_in_any_case_and_prefixes_per_bucket(tenant, config):
    make_repo(tenant, "Climate", prefix="shared")
    with pytest.raises(Conflict) as info:
        make_repo(tenant, "CLIMATE")
    assert info.value.code == "repo_name_taken"
    with pytest.raises(Conflict) as info:
        make_repo(tenant, "weather", prefix="shared")
    assert info.value.fields == {"prefix": ["Taken in this bucket config."]}


def test_get_or_create_returns_the_repo_or_says_what_differs(tenant, config):
    owner = tenant.principal("OWNER")
    make_bucket_config(tenant, "second", "s3://bucket-two")
    made, created = services.repo_get_or_create(actor=owner, name="climate", kind="v1")
    again, created_again = services.repo_get_or_create(
        actor=owner, name="CLIMATE", kind="v1", bucket_config_nickname="primary"
    )
    assert (created, created_again, again.id) == (True, False, made.id)
    for fields, code in (
        ({"kind": "icechunk"}, "repo_kind_mismatch"),
        ({"bucket_config_nickname": "second"}, "repo_bucket_mismatch"),
        ({"prefix": "elsewhere"}, "repo_prefix_mismatch"),
    ):
        with pytest.raises(Conflict) as info:
            services.repo_get_or_create(actor=owner, name="climate", **fields)
        assert info.value.code == code
        assert list(info.value.fields) == list(fields)


def test_a_deleted_repo_is_restorable_and_keeps_its_name(tenant, config):
    owner = tenant.principal("OWNER")
    repo = make_repo(tenant, "climate")
    with pytest.raises(ValidationFailed):
        services.repo_delete(actor=owner, name="climate", imsure=True)
    services.repo_delete(actor=owner, name="climate", imsure=True, imreallysure=True)
    with pytest.raises(NotFound):
        selectors.repo_get(actor=owner, name="climate")
    assert [r.id for r in selectors.repo_list(actor=owner, deleted=True).items] == [repo.id]
    with pytest.raises(Conflict) as info:
        make_repo(tenant, "climate")
    assert "restore" in info.value.message
    assert services.repo_restore(actor=owner, name="climate").deleted_at is None
    assert selectors.repo_get(actor=owner, name="climate").id == repo.id


def test_immediate_deletion_frees_the_name_at_once(tenant, config):
    owner = tenant.principal("OWNER")
    make_repo(tenant, "climate")
    services.repo_delete(actor=owner, name="climate", imsure=True, imreallysure=True)
    services.repo_delete(
        actor=owner, name="climate", imsure=True, imreallysure=True, immediate=True
    )
    assert not Repo.objects.exists()
    make_repo(tenant, "climate")


def test_repos_deleted_a_week_ago_are_purged_by_the_beat_started_job(tenant, other_tenant, config):
    owner = tenant.principal("OWNER")
    old, recent, live = (make_repo(tenant, n) for n in ("old", "recent", "live"))
    for repo in (old, recent):
        services.repo_delete(actor=owner, name=repo.name, imsure=True, imreallysure=True)
    Repo.objects.filter(id=old.id).update(deleted_at=timezone.now() - timedelta(days=7, minutes=1))
    [job] = services.repos_purge_start()
    assert services.repos_purge_start() == []  # one purge at a time per organization
    job_run(job_id=job.id)
    job.refresh_from_db()
    assert (job.organization_id, job.result) == (tenant.org.id, {"purged": 1})
    assert set(Repo.objects.values_list("name", flat=True)) == {"recent", "live"}
    assert AuditEvent.objects.filter(action="repo.purge", target_id=old.id).exists()
    with pytest.raises(NotFound):  # past its grace period: not restorable
        services.repo_restore(actor=owner, name="old")
    assert Job.objects.filter(kind="repo_purge").count() == 1


def test_members_read_repos_and_cannot_change_them(tenant, config):
    make_repo(tenant, "climate")
    member = tenant.principal("MEMBER")
    assert selectors.repo_get(actor=member, name="climate").name == "climate"
    with pytest.raises(PermissionDenied):
        services.repo_create(actor=member, name="mine")
    with pytest.raises(PermissionDenied):
        selectors.repo_get(actor=tenant.principal("ANNOTATOR"), name="climate")


def test_another_organizations_repo_does_not_exist(tenant, other_tenant, config):
    make_repo(tenant, "climate")
    with pytest.raises(NotFound):
        selectors.repo_get(actor=other_tenant.principal("OWNER"), name="climate")
