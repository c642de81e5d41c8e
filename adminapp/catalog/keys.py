"""The global key rules (SPEC §4), in one place for every door and every size.

A key is 1–200 characters of ``A-Z a-z 0-9 ! _ . * ' ( ) & $ @ = ; / : + , ? -`` and single
inner spaces, with no whitespace at either end. Keys are unique per organization
case-insensitively; since every allowed character is ASCII, ``key.lower()`` here and
``LOWER(global_key)`` in the database (the unique index's expression) agree on every database.

``on_invalid="sanitize"`` strips whitespace at the ends, then turns every character that is
not allowed where it stands (a tab, an accented letter, the second of two spaces) into ``_``.
Sanitizing never shortens a key: an empty one or one over 200 characters stays invalid, as
truncating could make two different keys one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

KEY_MAX = 200
ALLOWED = re.compile(r"[A-Za-z0-9!_.*'()&$@=;/:+,?\- ]")
VALID = re.compile(r"[A-Za-z0-9!_.*'()&$@=;/:+,?\-]+( [A-Za-z0-9!_.*'()&$@=;/:+,?\-]+)*")


class OnInvalid(StrEnum):
    REJECT = "reject"
    SANITIZE = "sanitize"


@dataclass(frozen=True)
class CheckedKey:
    """A key as it will be stored (``key``), whether sanitizing changed it, or why it is
    refused (``error``, a sentence; ``key`` is then the input)."""

    key: str
    sanitized: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def key_error(key: str) -> str:
    """Why ``key`` breaks the rules, in words, or "" when it does not."""
    if not key:
        return "A global key must not be empty."
    if len(key) > KEY_MAX:
        return f"A global key is at most {KEY_MAX} characters (got {len(key)})."
    if key != key.strip():
        return "A global key must not start or end with whitespace."
    if VALID.fullmatch(key):
        return ""
    if "  " in key:
        return "A global key must not contain two spaces in a row."
    bad = next(ch for ch in key if not ALLOWED.fullmatch(ch))
    return (
        f"A global key must not contain {bad!r} (U+{ord(bad):04X}); allowed are letters, "
        "digits, single inner spaces and ! _ . * ' ( ) & $ @ = ; / : + , ? -"
    )


def sanitize(key: str) -> str:
    out, previous = [], ""
    for ch in key.strip():
        allowed = bool(ALLOWED.fullmatch(ch)) and not (ch == " " and previous == " ")
        out.append(ch if allowed else "_")
        previous = ch if allowed else "_"
    return "".join(out)


def check_key(key: str, on_invalid: OnInvalid | str = OnInvalid.REJECT) -> CheckedKey:
    """The key as it will be stored, or why it cannot be."""
    error = key_error(key)
    if not error:
        return CheckedKey(key)
    if OnInvalid(on_invalid) is OnInvalid.SANITIZE:
        cleaned = sanitize(key)
        if not key_error(cleaned):
            return CheckedKey(cleaned, sanitized=True)
    return CheckedKey(key, error=error)


def fold(key: str) -> str:
    """What keys are compared by: the unique index's ``LOWER(global_key)``."""
    return key.lower()
