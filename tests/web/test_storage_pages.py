"""The storage pages as a browser without JavaScript (and as htmx) sees them: Django's test
client against the real views, the in-process SDK and the API behind it; the store is the
loopback moto server. Nothing is mocked."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.urls import reverse

from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job
from adminapp.storage.models import BucketConfig, Repo
from adminapp.storage.services import repo_delete
from tests.catalog.factories import make_dataset
from tests.spaces.factories import make_space
from tests.storage.factories import make_bucket_config, make_repo
from tests.web.test_catalog_views import client_for, hx, main_of
from tests.web.test_csp import INLINE

pytestmark = pytest.mark.django_db

SECRET = "Sup3r-Secret/Value"  # noqa: S105 - typed into a form in these tests


def field_error(response, label: str) -> list[str]:
    page = response.content.decode()
    blocks = re.findall(
        rf'<div class="field[^"]*">\s*<label[^>]*>{re.escape(label)}\b.*?</div>', page, re.S
    )
    assert blocks, f"no field labelled {label!r}"
    return [
        html_lib.unescape(t).strip()
        for block in blocks
        for t in re.findall(r'<p class="field__error"[^>]*>(.*?)</p>', block, re.S)
    ]


def text_of(html: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def owner(tenant):
    return client_for(tenant.owner)


@pytest.fixture
def lake(tenant, s3_server):
    """A bucket config of the loopback moto server, in a bucket of its own: the default."""
    bucket = s3_server.new_bucket()
    config = make_bucket_config(
        tenant,
        "lake",
        f"s3://{bucket}/base",
        extra_config={"endpoint_url": s3_server.url},
        auth_config={"method": "hmac", "access_key_id": "testing", "secret_access_key": "testing"},
    )
    config.bucket_name = bucket
    return config


HMAC_FORM = {
    "nickname": "lake",
    "uri": "s3://acme-data/team",
    "region_name": "us-east-1",
    "use_ssl": "",
    "force_path_style": "",
    "auth_method": "hmac",
    "access_key_id": "AKIAEXAMPLE",
    "secret_access_key": SECRET,
}
OLD_KEYS = {"method": "hmac", "access_key_id": "AKIAOLD", "secret_access_key": SECRET}


# --- bucket configs -------------------------------------------------------------------------
def test_the_list_shows_each_config_its_platform_method_and_the_default(owner, tenant):
    make_bucket_config(tenant, "primary", "gs://acme-data", extra_config={})
    make_bucket_config(tenant, "spare", "az://acme-spare", extra_config={})
    html = main_of(owner.get(reverse("web:bucket_configs")))
    rows = {
        re.search(r">([\w.-]+)</a>", row).group(1): row
        for row in re.findall(r'<tr id="config-[^"]+">(.*?)</tr>', html, re.S)
    }
    assert list(rows) == ["primary", "spare"]
    assert "data-default" in rows["primary"] and "data-default" not in rows["spare"]
    assert "gs://acme-data" in rows["primary"] and "Gs" in rows["primary"]
    assert "Anonymous" in text_of(rows["spare"])
    assert "Make default" in rows["spare"] and "Make default" not in rows["primary"]
    assert 'id="config-create"' in html


def test_creating_a_config_makes_the_first_one_the_default(owner, tenant):
    response = owner.post(reverse("web:bucket_configs"), HMAC_FORM)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:bucket_configs")
    config = BucketConfig.objects.get(organization=tenant.org)
    assert (config.nickname, config.is_default, config.auth_method) == ("lake", True, "hmac")
    page = owner.get(response["Location"])
    assert "Added the bucket config “lake”. It is the default." in text_of(page.content.decode())


def test_a_refused_config_is_said_next_to_its_fields_and_the_secret_is_not_echoed(owner):
    response = owner.post(reverse("web:bucket_configs"), {**HMAC_FORM, "uri": "s3://ab/x"})
    assert response.status_code == 422
    assert field_error(response, "URI") != []
    page = response.content.decode()
    assert SECRET not in page
    assert re.search(r'name="secret_access_key"(?![^>]*value=)[^>]*>', page)
    assert "data-secret-note" in page
    assert not BucketConfig.objects.exists()


@pytest.mark.parametrize(
    ("change", "label", "message"),
    [
        # a nested API field (auth_config.secret_access_key) goes next to the secret's field
        ({"secret_access_key": ""}, "Secret access key", "This field is required."),
        (
            {
                "uri": "gs://acme-data",
                "region_name": "",
                "auth_method": "aws_customer_managed_role",
                "role_arn": "arn:aws:iam::123456789012:role/reader",
            },
            "Authentication method",
            "not available for gs buckets",
        ),
        ({"access_key_id": "has space"}, "Access key id", "printable"),
        ({"region_name": "no such region!"}, "Region", "characters"),
    ],
)
def test_auth_and_connection_errors_go_next_to_their_fields(owner, change, label, message):
    response = owner.post(reverse("web:bucket_configs"), {**HMAC_FORM, **change})
    assert response.status_code == 422
    (shown,) = field_error(response, label)
    assert message in shown
    assert "auth_config" not in response.content.decode()
    assert not BucketConfig.objects.exists()


def test_htmx_narrows_the_auth_fields_to_the_method_picked(owner):
    page = owner.get(reverse("web:bucket_configs")).content.decode()
    # Without JavaScript every method's fields show, with the note which apply.
    for name in ("access_key_id", "role_arn", "service_account_email", "tenant_id", "api_token"):
        assert f'name="{name}"' in page
    assert "Fill in only the fields of the method you chose" in page
    assert re.search(r'id="auth-fields"[^>]*hx-trigger="load, change from:#id_auth_method"', page)

    url = reverse("web:bucket_config_auth_fields")
    answer = owner.get(url, {"auth_method": "aws_customer_managed_role"}, **hx("auth-fields"))
    html = answer.content.decode()
    assert answer.status_code == 200
    assert re.findall(r'name="(\w+)"', html) == ["role_arn", "external_id"]
    assert "load," not in html  # the narrowed fields do not ask again
    none = owner.get(url, {"auth_method": "anonymous"}, **hx("auth-fields")).content.decode()
    assert "needs no credentials" in none and "<input" not in none


def test_make_default_moves_the_badge(owner, tenant):
    make_bucket_config(tenant, "primary", "gs://acme-data", extra_config={})
    make_bucket_config(tenant, "spare", "az://acme-spare", extra_config={})
    url = reverse("web:bucket_config_set_default", args=["spare"])
    assert "Make “spare” the default?" in text_of(owner.get(url).content.decode())  # no-JS ask
    answer = owner.post(url, **hx("configs-results"))
    assert answer.status_code == 200
    assert answer.content.decode().lstrip().startswith('<div id="configs-results"')
    assert BucketConfig.objects.get(is_default=True).nickname == "spare"
    assert "is now the default bucket config" in answer.content.decode()  # the toast


def test_deleting_needs_the_nickname_typed(owner, tenant):
    make_bucket_config(tenant, "primary", "gs://acme-data", extra_config={})
    make_bucket_config(tenant, "spare", "az://acme-spare", extra_config={})
    url = reverse("web:bucket_config_delete", args=["spare"])
    refused = owner.post(url, {"confirm_name": "spar"}, **hx("config-danger"))
    assert refused.status_code == 422
    assert "Type the bucket config’s nickname exactly" in text_of(refused.content.decode())
    assert BucketConfig.objects.filter(nickname="spare").exists()

    deleted = owner.post(url, {"confirm_name": "spare"})
    assert deleted.status_code == 302 and deleted["Location"] == reverse("web:bucket_configs")
    assert not BucketConfig.objects.filter(nickname="spare").exists()


def test_a_delete_refused_in_use_lists_the_repos_that_block_it(owner, tenant):
    make_bucket_config(tenant, "primary", "gs://acme-data", extra_config={})
    make_repo(tenant, "climate")
    make_repo(tenant, "ocean")
    repo_delete(actor=tenant.principal(), name="ocean", imsure=True, imreallysure=True)
    url = reverse("web:bucket_config_delete", args=["primary"])
    response = owner.post(url, {"confirm_name": "primary"})
    assert response.status_code == 409
    blocked = re.search(r'id="delete-blocked".*?</div>', response.content.decode(), re.S).group(0)
    assert "delete them first" in text_of(blocked)
    assert f'href="{reverse("web:repo_detail", args=["climate"])}"' in blocked
    assert "ocean (deleted, awaiting its purge)" in text_of(blocked)
    assert BucketConfig.objects.filter(nickname="primary").exists()


def test_the_default_cannot_go_while_other_configs_exist(owner, tenant):
    make_bucket_config(tenant, "primary", "gs://acme-data", extra_config={})
    make_bucket_config(tenant, "spare", "az://acme-spare", extra_config={})
    url = reverse("web:bucket_config_delete", args=["primary"])
    response = owner.post(url, {"confirm_name": "primary"}, **hx("config-danger"))
    assert response.status_code == 409
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="config-danger"')
    refusal = text_of(re.search(r'id="delete-blocked".*?</div>', html, re.S).group(0))
    assert "make another one the default first" in refusal
    assert BucketConfig.objects.filter(nickname="primary").exists()


def test_a_config_in_use_offers_only_its_nickname_to_change(owner, tenant):
    make_bucket_config(tenant, "primary", "gs://acme-data", extra_config={})
    page = main_of(owner.get(reverse("web:bucket_config_detail", args=["primary"])))
    assert 'name="uri"' in page  # unused: everything can change
    make_repo(tenant, "climate")
    page = main_of(owner.get(reverse("web:bucket_config_detail", args=["primary"])))
    form = re.search(r'<form id="config-edit".*?</form>', page, re.S).group(0)
    assert re.findall(r'name="(\w+)"', form) == ["csrfmiddlewaretoken", "nickname"]
    assert "climate" in re.search(r'id="config-repos".*?</ul>', page, re.S).group(0)

    url = reverse("web:bucket_config_edit", args=["primary"])
    renamed = owner.post(url, {"nickname": "main"})
    assert renamed.status_code == 302
    assert renamed["Location"] == reverse("web:bucket_config_detail", args=["main"])
    assert Repo.objects.get(name="climate").bucket_config.nickname == "main"


def test_editing_keeps_the_stored_secret_when_left_empty(owner, tenant):
    make_bucket_config(tenant, "keys", auth_config=OLD_KEYS)
    stored = BucketConfig.objects.get(nickname="keys").secrets
    url = reverse("web:bucket_config_edit", args=["keys"])
    data = {
        "nickname": "keys",
        "uri": "s3://acme-data/team",
        "region_name": "us-east-1",
        "auth_method": "hmac",
        "access_key_id": "AKIANEW",
        "secret_access_key": "",
    }
    assert owner.post(url, data).status_code == 302
    config = BucketConfig.objects.get(nickname="keys")
    assert config.auth_config["access_key_id"] == "AKIANEW"
    assert config.secrets == stored
    page = owner.get(reverse("web:bucket_config_detail", args=["keys"])).content.decode()
    assert SECRET not in page and "********" in page


def test_check_access_shows_the_jobs_progress_then_the_stores_answer(owner, tenant, lake):
    make_bucket_config(
        tenant,
        "nowhere",
        f"s3://{lake.bucket_name}-missing",
        extra_config={"endpoint_url": lake.extra_config["endpoint_url"]},
        auth_config={"method": "hmac", "access_key_id": "testing", "secret_access_key": "testing"},
    )
    answers = {}
    for config in BucketConfig.objects.all():
        started = owner.post(
            reverse("web:bucket_config_check", args=[config.nickname]),
            **hx(f"check-{config.id}"),
        )
        assert started.status_code == 200
        cell = started.content.decode()
        assert "Waiting for a worker" in cell and 'hx-trigger="every 1s"' in cell
        status_url = re.search(r'hx-get="([^"]+)"', cell).group(1)
        job_run(
            job_id=Job.objects.get(kind="bucket_config_check", params__nickname=config.nickname).id
        )
        done = owner.get(status_url, **hx(f"check-{config.id}"))
        assert done.status_code == 286  # stop polling
        assert "every 1s" not in done.content.decode()
        answers[config.nickname] = text_of(done.content.decode())
    assert "Access OK" in answers["lake"] and "the prefix is empty" in answers["lake"]
    assert "No access" in answers["nowhere"] and "bucket" in answers["nowhere"].lower()


def test_check_access_without_javascript_follows_on_the_configs_page(owner, tenant, lake):
    url = reverse("web:bucket_config_check", args=["lake"])
    assert "Check access to" in text_of(owner.get(url).content.decode())
    started = owner.post(url, {"idempotency_key": "a" * 32})
    job = Job.objects.get(kind="bucket_config_check")
    assert started.status_code == 302
    assert started["Location"] == reverse("web:bucket_config_detail", args=["lake"]) + (
        f"?check={job.id}#access"
    )
    running = owner.get(started["Location"]).content.decode()
    assert 'http-equiv="refresh"' in running and "Waiting for a worker" in running
    job_run(job_id=job.id)
    finished = owner.get(started["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in finished and "Access OK" in finished


# --- repos ----------------------------------------------------------------------------------
def test_creating_a_repo_opens_its_page_with_its_metadata(owner, tenant):
    make_bucket_config(tenant, "primary", "gs://acme-data", extra_config={})
    make_bucket_config(tenant, "spare", "az://acme-spare", extra_config={})
    form = main_of(owner.get(reverse("web:repos")))
    assert re.search(r'<option value="primary"[^>]*selected', form)  # the default is picked
    data = {
        "name": "climate",
        "kind": "v1",
        "bucket_config_nickname": "spare",
        "prefix": "",
        "description": "Weather",
        "metadata": "team=climate\nyear=2024\npublic=true",
    }
    response = owner.post(reverse("web:repos"), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:repo_detail", args=["climate"])
    repo = Repo.objects.get(name="climate")
    assert (repo.kind, repo.bucket_config.nickname) == ("v1", "spare")
    assert repo.metadata == {"team": "climate", "year": 2024, "public": True}


def test_past_the_configs_offered_the_repo_form_takes_any_config_typed(owner, tenant, monkeypatch):
    # The form offers the oldest CONFIGS_OFFERED configs (200) in a select: a config made
    # after them could not be picked at all. With more, the config is typed, the offered
    # ones suggested, and the API checks the nickname.
    from adminapp.storage.services import bucket_config_set_default
    from adminapp.web.storage import repos as views

    monkeypatch.setattr(views, "CONFIGS_OFFERED", 2)
    for nickname in ("first", "second", "newest", "other"):
        make_bucket_config(tenant, nickname, f"gs://acme-{nickname}", extra_config={})
    bucket_config_set_default(actor=tenant.principal("OWNER"), nickname="newest")
    form = main_of(owner.get(reverse("web:repos")))
    assert '<select name="bucket_config_nickname"' not in form
    field = re.search(r'<input[^>]*name="bucket_config_nickname"[^>]*>', form).group(0)
    assert 'list="bucket-config-suggestions"' in field
    assert 'value="' not in field  # empty: the organization's default
    suggested = re.search(r'<datalist id="bucket-config-suggestions">(.*?)</datalist>', form, re.S)
    assert re.findall(r'<option value="([^"]*)"', suggested.group(1)) == ["first", "second"]

    data = {"kind": "v1"}
    response = owner.post(
        reverse("web:repos"), {**data, "name": "typed", "bucket_config_nickname": "other"}
    )
    assert response.status_code == 302
    response = owner.post(
        reverse("web:repos"), {**data, "name": "unsaid", "bucket_config_nickname": ""}
    )
    assert response.status_code == 302
    created = dict(Repo.objects.values_list("name", "bucket_config__nickname"))
    assert created == {"typed": "other", "unsaid": "newest"}

    response = owner.post(
        reverse("web:repos"), {**data, "name": "typo", "bucket_config_nickname": "nwest"}
    )
    assert response.status_code == 422
    (shown,) = field_error(response, "Bucket config")
    assert "No such bucket config." in shown
    assert not Repo.objects.filter(name="typo").exists()


@pytest.mark.parametrize(
    ("change", "label", "message"),
    [
        ({"metadata": "team"}, "Metadata", "Line 1: write it as key=value."),
        ({"metadata": f"blob={'x' * 5000}"}, "Metadata", "At most 4096 bytes"),
        ({"name": "a/b"}, "Name", "No '/'."),
    ],
)
def test_a_refused_repo_is_said_next_to_its_fields(owner, tenant, change, label, message):
    make_bucket_config(tenant, "primary", "gs://acme-data", extra_config={})
    data = {"name": "climate", "kind": "icechunk", "bucket_config_nickname": "primary"}
    response = owner.post(reverse("web:repos"), {**data, **change})
    assert response.status_code == 422
    (shown,) = field_error(response, label)
    assert message in shown
    assert not Repo.objects.exists()


def test_soft_delete_needs_the_name_typed_and_restore_brings_it_back(owner, tenant):
    make_bucket_config(tenant, "primary", "gs://acme-data", extra_config={})
    make_repo(tenant, "climate")
    url = reverse("web:repo_delete", args=["climate"])
    refused = owner.post(url, {"confirm_name": "Climate"}, **hx("repo-danger"))
    assert refused.status_code == 422
    assert "Type the repo’s name exactly" in text_of(refused.content.decode())
    assert Repo.objects.get(name="climate").deleted_at is None

    deleted = owner.post(url, {"confirm_name": "climate"})
    assert deleted.status_code == 302
    assert deleted["Location"] == reverse("web:repos") + "?deleted=1"
    assert Repo.objects.get(name="climate").deleted_at is not None
    listed = main_of(owner.get(deleted["Location"]))
    assert "climate" in listed and "Restore" in listed
    assert '<tr id="repo-' not in main_of(owner.get(reverse("web:repos")))

    restore = reverse("web:repo_restore", args=["climate"])
    restored = owner.post(restore, **hx(f"repo-{Repo.objects.get(name='climate').id}"))
    assert restored.status_code == 200
    assert "<tr" not in restored.content.decode()  # the row leaves the deleted list
    assert Repo.objects.get(name="climate").deleted_at is None


def test_deleting_immediately_removes_the_repo(owner, tenant):
    make_bucket_config(tenant, "primary", "gs://acme-data", extra_config={})
    make_repo(tenant, "climate")
    page = main_of(owner.get(reverse("web:repo_detail", args=["climate"])))
    assert "Warning: deleted immediately, it cannot be restored" in page
    url = reverse("web:repo_delete", args=["climate"])
    response = owner.post(url, {"confirm_name": "climate", "immediate": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("web:repos")
    assert not Repo.objects.filter(name="climate").exists()


def test_a_repos_page_lists_its_objects_by_key_and_loads_more(owner, tenant, lake, s3_server):
    make_repo(tenant, "climate", prefix="climate")
    put = s3_server.client().put_object
    keys = [f"day-{i:03}.csv" for i in range(60)]
    for i, key in enumerate(keys):
        put(Bucket=lake.bucket_name, Key=f"base/climate/{key}", Body=b"x" * (i * 100))
    put(Bucket=lake.bucket_name, Key="base/elsewhere/y.csv", Body=b"not mine")
    url = reverse("web:repo_detail", args=["climate"])
    html = main_of(owner.get(url))
    first = re.findall(r'<tr class="object-row">\s*<td class="mono">([^<]+)</td>', html)
    assert first == keys[:50]
    assert re.search(r"day-000\.csv</td>\s*<td[^>]*>0\xa0bytes</td>", html)
    assert re.search(r"day-020\.csv</td>\s*<td[^>]*>2\.0\xa0KB</td>", html)
    more = re.search(r'id="objects-more".*?hx-get="([^"]+)"', html, re.S).group(1)
    rest = owner.get(html_lib.unescape(more), **hx("objects-more")).content.decode()
    assert re.findall(r'<td class="mono">([^<]+)</td>', rest) == keys[50:]
    assert "objects-more" not in rest


def test_a_store_that_refuses_is_said_on_the_repos_page(owner, tenant, lake):
    make_bucket_config(
        tenant,
        "nowhere",
        f"s3://{lake.bucket_name}-missing",
        extra_config={"endpoint_url": lake.extra_config["endpoint_url"]},
        auth_config={"method": "hmac", "access_key_id": "testing", "secret_access_key": "testing"},
    )
    make_repo(tenant, "lost", bucket_config_nickname="nowhere")
    response = owner.get(reverse("web:repo_detail", args=["lost"]))
    assert response.status_code == 200
    error = re.search(r'id="objects-error".*?</div>', response.content.decode(), re.S).group(0)
    assert "The store did not list the objects" in error


def test_export_and_import_start_jobs_whose_page_follows_them(owner, tenant, lake):
    space = make_space(tenant, "Research")
    dataset = make_dataset(space=space, name="Frames")
    make_repo(tenant, "climate")
    page = main_of(owner.get(reverse("web:repo_detail", args=["climate"])))
    assert re.search(r'<optgroup label="Research">\s*<option value="' + dataset.id, page)

    empty = owner.post(reverse("web:repo_export", args=["climate"]), {"dataset": ""})
    assert empty.status_code == 422
    assert field_error(empty, "Dataset") == ["This field is required."]

    for view, kind in (("web:repo_export", "dataset_export"), ("web:repo_import", None)):
        response = owner.post(reverse(view, args=["climate"]), {"dataset": dataset.id})
        assert response.status_code == 302
        job_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
        assert response["Location"] == reverse("web:job_detail", args=[job_id])
        job = Job.objects.get(id=job_id)
        assert job.params["dataset_id"] == dataset.id
        if kind:
            assert job.kind == kind


# --- permissions ----------------------------------------------------------------------------
def test_a_member_reads_storage_with_secrets_masked_and_no_manage_controls(tenant):
    make_bucket_config(tenant, "keys", auth_config=OLD_KEYS)
    make_repo(tenant, "climate")
    member = client_for(tenant.member)
    overview = member.get(reverse("web:overview")).content.decode()
    assert f'href="{reverse("web:bucket_configs")}"' in overview  # the nav's Storage link

    listing = main_of(member.get(reverse("web:bucket_configs")))
    assert "keys" in listing
    for control in ('id="config-create"', "Make default", "Check access"):
        assert control not in listing
    detail = main_of(member.get(reverse("web:bucket_config_detail", args=["keys"])))
    assert "********" in detail and SECRET not in detail
    for control in ('id="config-edit"', 'id="config-danger"', "Check access"):
        assert control not in detail
    repos = main_of(member.get(reverse("web:repos")))
    assert "climate" in repos and 'id="repo-create"' not in repos
    repo = main_of(member.get(reverse("web:repo_detail", args=["climate"])))
    for control in ('id="export-form"', 'id="import-form"', 'id="repo-danger"'):
        assert control not in repo

    refused = member.post(reverse("web:bucket_config_set_default", args=["keys"]))
    assert refused.status_code == 403


def test_the_storage_pages_hold_nothing_the_policy_refuses(owner, tenant, lake):
    make_repo(tenant, "climate")
    owner.post(reverse("web:bucket_config_check", args=["lake"]))  # a check in progress
    check = Job.objects.get(kind="bucket_config_check")
    pages = [
        reverse("web:bucket_configs"),
        reverse("web:bucket_config_detail", args=["lake"]) + f"?check={check.id}",
        reverse("web:repos") + "?deleted=1",
        reverse("web:repo_detail", args=["climate"]),
    ]
    for url in pages:
        html = owner.get(url).content.decode()
        for pattern, what in INLINE:
            match = pattern.search(html)
            assert match is None, f"{url} has {what}: {html[match.start() : match.start() + 120]}"
