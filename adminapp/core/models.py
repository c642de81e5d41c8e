"""The one small base model: public prefixed id and timestamps; and reading a timestamp
column of a hand-written query."""

from datetime import UTC, datetime

from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible

from adminapp.core.ids import new_id


@deconstructible
class IdFactory:
    """Default for a public id column; serialisable into migrations."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __call__(self) -> str:
        return new_id(self.prefix)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdFactory) and other.prefix == self.prefix

    def __hash__(self) -> int:
        return hash(self.prefix)


def public_id(prefix: str) -> models.CharField:
    """Primary key holding an opaque prefixed id, assigned when the object is built."""
    return models.CharField(
        primary_key=True, max_length=40, editable=False, default=IdFactory(prefix)
    )


class BaseModel(models.Model):
    """Subclasses declare ``id = public_id("xyz")``; ordering ties break on ``id``."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def aware_timestamp(value: datetime | str | None) -> datetime | None:
    """A timestamp column read by a hand-written query, as an aware UTC datetime (SQLite
    gives naive UTC text; PostgreSQL an aware datetime)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value
