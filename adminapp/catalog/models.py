"""Datasets and data rows (SPEC §4).

Rules that must hold under concurrency are database constraints:

- a dataset's name is unique in its space among live datasets by its ``name_key`` (NFKC +
  casefold, ``core.validation.name_key``);
- a global key is unique per organization, case-insensitively: a unique index on
  ``(organization_id, LOWER(global_key))`` on PostgreSQL and SQLite alike (keys are ASCII, so
  both databases' ``LOWER`` agree; ``catalog.keys``). Rows without a key are not in it.

A dataset's ``row_count`` is kept exact by the services, in the transaction that adds or
removes its rows, so no page ever counts rows. Deleting a dataset is two-phase like a space:
``deleted_at`` hides it at once, then a job removes its rows in chunks (freeing their keys).

A data row carries its dataset's space and organization, so the key constraint and the
permission filters need no join. Keyset pages of a dataset's rows use ``(dataset, created_at,
id)``; a key prefix filter is served on PostgreSQL by the ``text_pattern_ops`` index of
migrations 0002/0004 (PostgreSQL only, like the spaces' trigram index).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from adminapp.catalog.keys import KEY_MAX
from adminapp.core.models import BaseModel, public_id
from adminapp.core.validation import NAME_KEY_MAX

ROW_DATA_MAX = 4096  # a URL or a short text
EXTERNAL_ID_MAX = 255
METADATA_MAX_BYTES = 4096  # the row's metadata object, as compact JSON


class Dataset(BaseModel):
    id = public_id("dst")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="datasets"
    )
    space = models.ForeignKey("spaces.Space", on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=255)
    name_key = models.CharField(max_length=NAME_KEY_MAX)  # core.validation.name_key(name)
    description = models.CharField(max_length=1000, blank=True, default="")
    row_count = models.BigIntegerField(default=0)
    deleted_at = models.DateTimeField(null=True, blank=True)
    delete_job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["space", "name_key"],
                condition=Q(deleted_at__isnull=True),
                name="dataset_name_key_unique",
            ),
            models.CheckConstraint(condition=Q(row_count__gte=0), name="dataset_row_count_gte_0"),
        ]
        indexes = [
            models.Index(
                fields=["space", "created_at", "id"],
                condition=Q(deleted_at__isnull=True),
                name="dataset_space_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DataRow(BaseModel):
    # Every index here is paid for on each of millions of inserts and key updates, so a row
    # has only the indexes its reads need: the organization and space columns are for the
    # key constraint and permission filters, not lookups of their own (rows go with their
    # dataset, by the dataset index, when an organization or space is deleted).
    # Likewise for foreign keys: PostgreSQL checks each one per inserted row (a deferred
    # trigger query at commit), which was a third of an import's database time. A row's
    # organization and space are copies of its dataset's, written by the services only, so
    # only the dataset is a database foreign key (the dataset's own keys tie it to its
    # space and organization); the other two are references without a constraint.
    id = public_id("dr")
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    space = models.ForeignKey(
        "spaces.Space",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)  # indexed with its dataset below
    row_data = models.TextField()
    external_id = models.CharField(max_length=EXTERNAL_ID_MAX, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    # NULL, not "": rows without a key stay out of the unique index.
    global_key = models.CharField(max_length=KEY_MAX, null=True, blank=True)  # noqa: DJ001

    class Meta:
        constraints = [
            models.UniqueConstraint(
                F("organization"),
                Lower("global_key"),
                condition=Q(global_key__isnull=False),
                name="datarow_global_key_ci_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["dataset", "created_at", "id"], name="datarow_dataset_time"),
            models.Index(
                fields=["dataset", "external_id"],
                condition=~Q(external_id=""),
                name="datarow_dataset_external_id",
            ),
        ]

    def __str__(self) -> str:
        return self.id
