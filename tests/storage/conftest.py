"""Fixtures of the storage tests (the data they build: ``tests/storage/factories.py``)."""

from __future__ import annotations

import pytest

from tests.spaces.factories import World, build_world
from tests.storage.factories import make_bucket_config, make_repo


@pytest.fixture
def storage_world(db) -> World:
    """The spaces' world of principals, and in its organization: ``primary`` (gs://, the
    default, used by the repo ``climate``), ``spare`` (unused) and the deleted repo ``old``;
    ``world.dataset`` is a dataset of the space."""
    from tests.catalog.factories import make_dataset

    world = build_world()
    world.dataset = make_dataset(space=world.space, name="Frames")
    make_bucket_config(world.tenant, "primary", "gs://acme-data", extra_config={})
    make_bucket_config(world.tenant, "spare", "az://acme-spare", extra_config={})
    make_repo(world.tenant, "climate")
    make_repo(world.tenant, "old")
    from adminapp.storage.services import repo_delete

    repo_delete(actor=world.tenant.principal("OWNER"), name="old", imsure=True, imreallysure=True)
    return world


@pytest.fixture(scope="session")
def s3_auth_server(tmp_path_factory):
    """A moto server that checks credentials and permissions (``tests.s3.AuthS3Server``)."""
    from tests import s3

    server = s3.start_authenticated(tmp_path_factory.mktemp("moto-auth"))
    yield server
    server.process.terminate()
    server.process.wait(10)
