"""What an organization holds, section by section, for the "all org data" export
(``exports.jobs.OrgDataExport``): each domain registers its sections at start-up (in its
``AppConfig.ready()``), so the export knows every domain without importing any.

A section is a name and a function giving the organization's records as JSON-ready dicts —
the API's own shapes (the domain's ``*_out`` wire models), secrets masked as the API masks
them — streamed, never built as one list."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from pydantic import BaseModel

Rows = Callable[[str], Iterable[dict[str, Any]]]


@dataclass(frozen=True)
class Section:
    name: str  # the file in the archive: <name>.jsonl
    rows: Rows
    description: str


_SECTIONS: dict[str, Section] = {}


def register_section(name: str, rows: Rows, *, description: str) -> None:
    if name in _SECTIONS and _SECTIONS[name].rows is not rows:
        raise ValueError(f"The org data section {name!r} is registered twice.")
    _SECTIONS[name] = Section(name=name, rows=rows, description=description)


def sections() -> list[Section]:
    """Every registered section, in the order registered (the accounts domain's first)."""
    return list(_SECTIONS.values())


STREAM_BATCH = 2000


def records(queryset: QuerySet, out: Callable[[Any], BaseModel]) -> Iterator[dict[str, Any]]:
    """A section's records: ``queryset``'s rows oldest first (``created_at``, ``id``), read in
    batches, each as ``out`` (the domain's ``*_out``) puts it on the wire."""
    for obj in queryset.order_by("created_at", "id").iterator(chunk_size=STREAM_BATCH):
        yield out(obj).model_dump(mode="json")


# --- the accounts domain's own sections -------------------------------------------------------


def _organization(org_id: str):
    from adminapp.accounts.models import Organization
    from adminapp.accounts.schemas import organization_out

    yield organization_out(Organization.objects.get(id=org_id), None).model_dump(mode="json")


def _members(org_id: str):
    from adminapp.accounts.models import OrgMembership
    from adminapp.accounts.schemas import member_out

    return records(
        OrgMembership.objects.filter(organization_id=org_id).select_related("user"), member_out
    )


def _api_keys(org_id: str):
    from adminapp.accounts.models import ApiKey
    from adminapp.accounts.schemas import api_key_out

    # No secret: a key is shown by its prefix.
    return records(
        ApiKey.objects.filter(organization_id=org_id).select_related("user"), api_key_out
    )


def register_accounts_sections() -> None:
    register_section("organization", _organization, description="The organization itself.")
    register_section("members", _members, description="Members, their account roles.")
    register_section(
        "api_keys", _api_keys, description="API keys (labels, kinds, roles; never the secret)."
    )
