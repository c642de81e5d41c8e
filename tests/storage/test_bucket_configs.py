"""Bucket configs through the services: the URI and auth rules, secrets at rest, the one
default, and what a config in use may no longer do."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from adminapp.core.errors import BadRequest, Conflict, PermissionDenied, ValidationFailed
from adminapp.storage import credentials, services
from adminapp.storage.models import BucketConfig
from adminapp.storage.schemas import bucket_config_out
from tests.storage.factories import HMAC, make_bucket_config, make_repo

S3 = {"region_name": "eu-west-1"}


def _refused(call, field: str) -> str:
    with pytest.raises(ValidationFailed) as info:
        call()
    assert field in info.value.fields, info.value.fields
    return info.value.fields[field][0]


@pytest.mark.parametrize(
    ("uri", "extra", "field"),
    [
        ("acme-data", S3, "uri"),  # no scheme
        ("ftp://acme-data", S3, "uri"),  # unknown platform
        ("s3://ab", S3, "uri"),  # bucket too short
        ("s3://" + "a" * 64, S3, "uri"),  # bucket too long
        ("s3://acme data", S3, "uri"),  # a space in the bucket
        ("s3://-acme", S3, "uri"),  # starts with '-'
        ("s3://acme-data/", S3, "uri"),  # trailing '/'
        ("s3://acme-data//x", S3, "uri"),  # leading '/' of the prefix
        ("s3://acme-data/x/", S3, "uri"),
        ("s3://acme-data/a//b", S3, "uri"),
        ("s3://acme-data/a/../b", S3, "uri"),
        ("s3://acme-data/" + "p" * 257, S3, "uri"),  # prefix over 256
        ("s3://acme-data", {}, "extra_config.region_name"),  # AWS needs a region
        ("gs://acme-data", {"endpoint_url": "https://x.example"}, "extra_config.endpoint_url"),
        ("az://acme-data", {"force_path_style": True}, "extra_config.force_path_style"),
        ("s3://acme-data", {"endpoint_url": "ftp://x"}, "extra_config.endpoint_url"),
        ("s3://acme-data", {"endpoint_url": "https://u:p@x.example"}, "extra_config.endpoint_url"),
        ("s3://acme-data", {"region_name": "eu west"}, "extra_config.region_name"),
        ("s3://acme-data", {"colour": "blue"}, "extra_config.colour"),  # unknown field
    ],
)
def test_every_uri_rule_is_a_422_naming_the_field(tenant, uri, extra, field):
    _refused(lambda: make_bucket_config(tenant, uri=uri, extra_config=extra), field)
    assert not BucketConfig.objects.exists()  # nothing half-written


def test_the_platform_follows_the_uri_and_the_endpoint(tenant):
    aws = make_bucket_config(tenant, "aws", "S3://acme-data/a/b", extra_config=S3)
    minio = make_bucket_config(
        tenant, "minio", "s3://acme-data", extra_config={"endpoint_url": "http://127.0.0.1:9000/"}
    )
    gcs = make_bucket_config(tenant, "gcs", "gs://acme-data", extra_config={})
    azure = make_bucket_config(tenant, "azure", "az://acme-data", extra_config={})
    assert (aws.platform, aws.uri, aws.bucket, aws.prefix) == (
        "s3",
        "s3://acme-data/a/b",
        "acme-data",
        "a/b",
    )
    assert (minio.platform, minio.extra_config) == (
        "s3_compatible",
        {"endpoint_url": "http://127.0.0.1:9000"},
    )
    assert (gcs.platform, azure.platform) == ("gs", "az")


@pytest.mark.parametrize(
    ("uri", "extra", "auth"),
    [
        ("az://acme-data", {}, HMAC),
        (
            "gs://acme-data",
            {},
            {"method": "aws_customer_managed_role", "role_arn": "arn:aws:iam::123456789012:role/r"},
        ),
        (
            "s3://acme-data",
            S3,
            {
                "method": "gcp_customer_managed_role",
                "service_account_email": "a@b.iam.gserviceaccount.com",
            },
        ),
        (
            "s3://acme-data",
            S3,
            {
                "method": "azure_credential_delegation",
                "tenant_id": "0" * 8 + "-0000-0000-0000-" + "0" * 12,
                "storage_account": "acme",
            },
        ),
        (
            "s3://acme-data",
            S3,
            {"method": "r2_customer_managed_role", "account_id": "a" * 32, "api_token": "t"},
        ),
        (
            "s3://acme-data",
            {"endpoint_url": "https://r2.example"},
            {"method": "aws_customer_managed_role", "role_arn": "arn:aws:iam::123456789012:role/r"},
        ),
    ],
)
def test_an_auth_method_fits_only_its_platforms(tenant, uri, extra, auth):
    message = _refused(
        lambda: make_bucket_config(tenant, uri=uri, extra_config=extra, auth_config=auth),
        "auth_config.method",
    )
    assert "use one of" in message


@pytest.mark.parametrize(
    ("auth", "field"),
    [
        ({"method": "sso"}, "auth_config.method"),
        ({"method": "hmac", "access_key_id": "AK"}, "auth_config.secret_access_key"),
        ({"method": "hmac", "secret_access_key": "s"}, "auth_config.access_key_id"),
        ({**HMAC, "secret_access_key": "********"}, "auth_config.secret_access_key"),
        ({**HMAC, "token": "x"}, "auth_config.token"),
        ({"method": "aws_customer_managed_role", "role_arn": "arn:nope"}, "auth_config.role_arn"),
    ],
)
def test_auth_fields_are_checked_by_method(tenant, auth, field):
    _refused(lambda: make_bucket_config(tenant, auth_config=auth), field)


def test_secrets_are_encrypted_at_rest_and_masked_in_answers(tenant):
    config = make_bucket_config(tenant, auth_config=HMAC)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM storage_bucketconfig WHERE id = %s", [config.id])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert "AKIAEXAMPLE" in row  # the key id is not a secret
    assert HMAC["secret_access_key"] not in row
    assert credentials.unseal(config.secrets) == {"secret_access_key": HMAC["secret_access_key"]}
    out = bucket_config_out(config).model_dump_json()
    assert HMAC["secret_access_key"] not in out
    assert bucket_config_out(config).auth_config == {
        "method": "hmac",
        "access_key_id": "AKIAEXAMPLE",
        "secret_access_key": "********",
    }


def test_an_update_without_the_secret_keeps_it_and_a_new_method_needs_its_own(tenant):
    owner = tenant.principal("OWNER")
    make_bucket_config(tenant, auth_config=HMAC)
    services.bucket_config_update(
        actor=owner, nickname="primary", auth_config={"method": "hmac", "access_key_id": "AKIA2"}
    )
    config = BucketConfig.objects.get()
    assert config.auth_config == {"access_key_id": "AKIA2"}
    assert credentials.unseal(config.secrets)["secret_access_key"] == HMAC["secret_access_key"]
    r2 = {"method": "r2_customer_managed_role", "account_id": "f" * 32}
    _refused(
        lambda: services.bucket_config_update(
            actor=owner,
            nickname="primary",
            uri="s3://acme-data",
            extra_config={"endpoint_url": "https://r2.example"},
            auth_config=r2,
        ),
        "auth_config.api_token",
    )
    with pytest.raises(BadRequest):
        services.bucket_config_update(actor=owner, nickname="primary")


def test_rotating_keys_re_encrypts_every_secret_under_the_newest(tenant, settings):
    config = make_bucket_config(tenant, auth_config=HMAC)
    old = settings.ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new, old]
    out = StringIO()
    call_command("storage_rotate_keys", stdout=out)
    assert "1 bucket config" in out.getvalue()
    settings.ENCRYPTION_KEYS = [new]  # the old key can go now
    config.refresh_from_db()
    assert credentials.unseal(config.secrets)["secret_access_key"] == HMAC["secret_access_key"]


def test_the_first_config_is_the_default_and_setting_one_moves_it(tenant):
    owner = tenant.principal("OWNER")
    first = make_bucket_config(tenant, "first", "s3://bucket-one")
    second = make_bucket_config(tenant, "second", "s3://bucket-two")
    assert (first.is_default, second.is_default) == (True, False)
    services.bucket_config_set_default(actor=owner, nickname="SECOND")
    assert list(
        BucketConfig.objects.filter(is_default=True).values_list("nickname", flat=True)
    ) == ["second"]


def test_the_default_goes_only_last_and_the_next_config_is_the_default(tenant):
    owner = tenant.principal("OWNER")
    make_bucket_config(tenant, "first", "s3://bucket-one")
    make_bucket_config(tenant, "second", "s3://bucket-two")
    with pytest.raises(Conflict) as info:
        services.bucket_config_delete(actor=owner, nickname="first", imsure=True, imreallysure=True)
    assert info.value.code == "bucket_config_is_default"
    services.bucket_config_delete(actor=owner, nickname="second", imsure=True, imreallysure=True)
    services.bucket_config_delete(actor=owner, nickname="first", imsure=True, imreallysure=True)
    assert make_bucket_config(tenant, "third", "s3://bucket-three").is_default


def test_delete_needs_both_confirmations(tenant):
    make_bucket_config(tenant)
    with pytest.raises(ValidationFailed) as info:
        services.bucket_config_delete(
            actor=tenant.principal("OWNER"), nickname="primary", imsure=True
        )
    assert set(info.value.fields) == {"imreallysure"}
    assert BucketConfig.objects.exists()


def test_nickname_and_uri_are_unique_per_organization(tenant, other_tenant):
    make_bucket_config(tenant, "primary", "s3://acme-data")
    with pytest.raises(Conflict) as info:
        make_bucket_config(tenant, "PRIMARY", "s3://other-data")
    assert info.value.code == "bucket_config_nickname_taken"
    with pytest.raises(Conflict) as info:
        make_bucket_config(tenant, "copy", "s3://acme-data")
    assert info.value.fields == {"uri": ["Another bucket config has this URI."]}
    make_bucket_config(other_tenant, "primary", "s3://acme-data")  # another org's are its own


def test_a_config_in_use_cannot_go_and_only_its_nickname_may_change(tenant):
    owner = tenant.principal("OWNER")
    make_bucket_config(tenant, auth_config=HMAC)
    make_repo(tenant, "climate")
    with pytest.raises(Conflict) as info:
        services.bucket_config_delete(
            actor=owner, nickname="primary", imsure=True, imreallysure=True
        )
    assert info.value.code == "bucket_config_in_use"
    assert [r["name"] for r in info.value.details["repos"]] == ["climate"]

    with pytest.raises(Conflict) as info:
        services.bucket_config_update(actor=owner, nickname="primary", uri="s3://elsewhere")
    assert (info.value.code, list(info.value.fields)) == ("bucket_config_in_use", ["uri"])
    # A secret is refused even when it is the stored one: no oracle for guesses.
    with pytest.raises(Conflict) as info:
        services.bucket_config_update(actor=owner, nickname="primary", auth_config=HMAC)
    assert list(info.value.fields) == ["auth_config"]

    renamed = services.bucket_config_update(actor=owner, nickname="primary", new_nickname="main")
    assert (renamed.nickname, renamed.uri) == ("main", "s3://acme-data/team")


def test_members_read_and_only_owners_and_admins_manage(tenant):
    make_bucket_config(tenant)
    with pytest.raises(PermissionDenied):
        services.bucket_config_create(
            actor=tenant.principal("MEMBER"), nickname="mine", uri="gs://acme-data"
        )
    services.bucket_config_create(
        actor=tenant.principal("ADMIN"), nickname="theirs", uri="gs://acme-data"
    )
