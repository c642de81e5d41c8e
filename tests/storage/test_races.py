"""Concurrent writers on PostgreSQL, each in its own thread and connection, released at the
same moment: the organization keeps exactly one default bucket config, and a repo created
while its bucket config is being deleted either stops the delete or finds no config.

On SQLite one writing transaction runs at a time, so there is no race to test."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from adminapp.core.errors import ApplicationError
from adminapp.storage import services
from adminapp.storage.models import BucketConfig, Repo
from tests.factories import make_tenant

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one writing transaction at a time: no race to test",
)


def _together(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released at once; what each returned or raised."""
    start = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            start.wait(30)
            results[i] = calls[i]()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a writer is stuck (deadlock?)"
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_configs_created_and_defaulted_at_once_leave_exactly_one_default():
    tenant = make_tenant()
    owner = tenant.principal("OWNER")

    def create(i: int):
        return lambda: services.bucket_config_create(
            actor=owner, nickname=f"config-{i}", uri=f"gs://bucket-{i}"
        )

    made = _together([create(i) for i in range(4)])
    assert all(isinstance(m, BucketConfig) for m in made), made
    assert BucketConfig.objects.filter(organization=tenant.org, is_default=True).count() == 1

    def default(i: int):
        return lambda: services.bucket_config_set_default(actor=owner, nickname=f"config-{i}")

    moved = _together([default(i) for i in range(4)])
    assert all(isinstance(m, BucketConfig) for m in moved), moved
    assert BucketConfig.objects.filter(organization=tenant.org, is_default=True).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_repo_created_while_its_config_is_deleted_never_leaves_a_dangling_repo():
    tenant = make_tenant()
    owner = tenant.principal("OWNER")
    for _ in range(5):
        services.bucket_config_create(actor=owner, nickname="lake", uri="gs://lake")
        created, deleted = _together(
            [
                lambda: services.repo_create(actor=owner, name="climate"),
                lambda: services.bucket_config_delete(
                    actor=owner, nickname="lake", imsure=True, imreallysure=True
                ),
            ]
        )
        if isinstance(created, Repo):  # the repo came first: the delete saw it in use
            assert isinstance(deleted, ApplicationError) and deleted.code == "bucket_config_in_use"
            services.repo_delete(
                actor=owner, name="climate", imsure=True, imreallysure=True, immediate=True
            )
            services.bucket_config_delete(
                actor=owner, nickname="lake", imsure=True, imreallysure=True
            )
        else:  # the delete came first: no config to create the repo in
            assert deleted is None
            assert isinstance(created, ApplicationError), created
        assert not BucketConfig.objects.exists() and not Repo.objects.exists()
