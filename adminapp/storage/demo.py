"""Demo storage for ``manage.py seed_demo``: one bucket config (the default) and one repo in
it, made through the real services (so the audit log shows them).

The config is a public AWS Open Data bucket read anonymously, so "check access" and
browsing the repo show real objects on a machine with internet access (and say the store is
unreachable on one without). Idempotent: what exists (by nickname, by name) is left alone.
"""

from __future__ import annotations

from adminapp.core.principal import Principal
from adminapp.core.validation import name_key
from adminapp.storage import services
from adminapp.storage.models import BucketConfig, Repo

CONFIG = {
    "nickname": "noaa-open-data",
    "uri": "s3://noaa-ghcn-pds",
    "extra_config": {"region_name": "us-east-1"},
    "auth_config": {"method": "anonymous"},
}
REPO = {
    "name": "ghcn-daily",
    "kind": "v1",
    "prefix": "csv",
    "description": "Daily weather station records (NOAA GHCN), one CSV per year.",
    "metadata": {"source": "NOAA", "licence": "open data"},
}


def seed_storage(*, actor: Principal) -> Repo:
    """Make sure the demo bucket config and repo exist in ``actor``'s org (an OWNER/ADMIN)."""
    configs = BucketConfig.objects.filter(organization_id=actor.org_id)
    config = configs.filter(nickname_key=name_key(CONFIG["nickname"])).first()
    if config is None:
        config = services.bucket_config_create(actor=actor, **CONFIG)
    repo = Repo.objects.filter(
        organization_id=actor.org_id, name_key=name_key(REPO["name"])
    ).first()
    return repo or services.repo_create(actor=actor, bucket_config_nickname=config.nickname, **REPO)
