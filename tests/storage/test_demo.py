"""The demo seed gives the demo org a default bucket config and a repo in it; running it
again adds nothing."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from adminapp.storage.models import BucketConfig, Repo


def test_the_demo_org_has_a_bucket_config_and_a_repo(db, var_dir):
    call_command("seed_demo", stdout=StringIO())
    [config] = BucketConfig.objects.all()
    assert (config.nickname, config.uri, config.is_default) == (
        "noaa-open-data",
        "s3://noaa-ghcn-pds",
        True,
    )
    [repo] = Repo.objects.all()
    assert (repo.name, repo.bucket_config_id, repo.prefix) == ("ghcn-daily", config.id, "csv")
    call_command("seed_demo", stdout=StringIO())
    assert (BucketConfig.objects.count(), Repo.objects.count()) == (1, 1)
