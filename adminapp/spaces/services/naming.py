"""The rules every name and description in spaces follows: one line, no control characters,
unique per organization in any letter case (checked here for the message, enforced by a
database constraint)."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import IntegrityError, transaction

from adminapp.audit.services import audit_record
from adminapp.core.errors import (
    Conflict,
    ValidationFailed,
)
from adminapp.core.principal import Principal
from adminapp.core.validation import clean_text, name_key
from adminapp.spaces.models import Space

SPACE_NAME_MAX = 255
SPACE_DESCRIPTION_MAX = 1000
_SPACE_ID_RE = re.compile(r"^spc_[0-9a-z]{26}$")
# Path segments that cannot name a space: /spaces/all is the picker list, and "." / ".."
# are dot segments that URL normalisation removes before a request is sent.
RESERVED_SPACE_NAMES = frozenset({"all", ".", ".."})


def clean_name(value: str | None, *, field: str = "name", max_length: int) -> str:
    name = clean_text(value, field=field, max_length=max_length, required=True)
    if any(ch in name for ch in "\n\t"):
        raise ValidationFailed(f"{field} must be one line.", fields={field: ["One line."]})
    return name


def clean_space_name(value: str | None) -> str:
    """A space name is also a path segment (every ``space`` argument takes a name): no
    ``/``, not ``all``, and nothing that could be mistaken for a space id."""
    name = clean_name(value, max_length=SPACE_NAME_MAX)
    if "/" in name:
        raise ValidationFailed(
            "A space name cannot contain '/'.", fields={"name": ["Must not contain '/'."]}
        )
    if name in RESERVED_SPACE_NAMES:
        raise ValidationFailed(
            f"{name!r} is reserved (GET /spaces/{name} lists every space).",
            fields={"name": ["Reserved."]},
        )
    if _SPACE_ID_RE.match(name):
        raise ValidationFailed(
            "A space name cannot look like a space id.", fields={"name": ["Looks like an id."]}
        )
    return name


def name_in_use(peers, name: str, *, exclude: str | None = None) -> bool:
    """Whether one of ``peers`` (but ``exclude``) has ``name`` in any letter case or
    Unicode form (served by the unique index on the name key)."""
    if exclude is not None:
        peers = peers.exclude(id=exclude)
    return peers.filter(name_key=name_key(name)).exists()


def save_named(obj, *, taken: Callable[[str], Conflict], **save_kwargs):
    """Save ``obj``. A name a concurrent request took first (the unique constraint) is the
    same 409 as the friendly pre-check's."""
    try:
        with transaction.atomic():
            obj.save(**save_kwargs)
    except IntegrityError:
        raise taken(obj.name) from None
    return obj


def rename(obj, name: str, *, peers, taken: Callable[[str], Conflict], changes: dict) -> None:
    """Give ``obj`` a new (cleaned) name unless unchanged; a name another of ``peers``
    already has, in any letter case, is ``taken(name)`` (a Conflict). Records the change."""
    if name == obj.name:
        return
    if name_in_use(peers, name, exclude=obj.id):
        raise taken(name)
    changes["name"] = {"from": obj.name, "to": name}
    obj.name, obj.name_key = name, name_key(name)


def describe(obj, description: str, *, max_length: int, changes: dict) -> None:
    """Give ``obj`` a new description unless unchanged. Records the change."""
    description = clean_text(
        description, field="description", max_length=max_length, required=False
    )
    if description != obj.description:
        changes["description"] = {"from": obj.description, "to": description}
        obj.description = description


def update_name_and_description(
    obj,
    *,
    actor: Principal,
    name: str | None,
    description: str | None,
    description_max: int,
    peers,
    taken: Callable[[str], Conflict],
    action: str,
) -> None:
    """Give a locked ``obj`` (a space, a dataset) its new, already cleaned ``name`` and/or
    its new ``description``; save and record ``action`` once, with what changed, if
    anything did."""
    changes: dict[str, dict[str, str]] = {}
    if name is not None:
        rename(obj, name, peers=peers, taken=taken, changes=changes)
    if description is not None:
        describe(obj, description, max_length=description_max, changes=changes)
    if changes:
        save_named(
            obj, taken=taken, update_fields=["name", "name_key", "description", "updated_at"]
        )
        audit_record(
            actor=actor,
            action=action,
            target_type=obj._meta.model_name,
            target_id=obj.id,
            details={"changes": changes},
        )


def space_name_taken(name: str) -> Conflict:
    return Conflict(
        f"A space named {name!r} already exists in this organization.",
        fields={"name": ["A space with this name already exists."]},
    )


def lock_space(space: Space) -> Space:
    return Space.objects.select_for_update().get(id=space.id)
