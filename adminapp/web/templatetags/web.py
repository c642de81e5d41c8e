"""Small presentation helpers for the dashboard templates (no data access)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from django import template
from django.utils import timezone

from adminapp.client import Permission
from adminapp.web.query import filled_pairs

register = template.Library()

_STATE_TONES = {
    "QUEUED": "neutral",
    "RUNNING": "info",
    "SUCCEEDED": "success",
    "FAILED": "danger",
    "ABORTED": "warning",
    "SUCCESS": "success",
    "ERROR": "danger",
    "PARTIAL_SUCCESS": "warning",
    "FAILURE": "danger",
}


def _value(obj: Any) -> str:
    return str(getattr(obj, "value", obj) or "")


@register.filter
def tone(state: Any) -> str:
    """The badge colour of a job state or item status."""
    return _STATE_TONES.get(_value(state), "neutral")


@register.filter
def label(value: Any) -> str:
    """SCREAMING_SNAKE enum values as words: SUCCEEDED → Succeeded."""
    return _value(value).replace("_", " ").capitalize()


@register.filter
def terminal(state: Any) -> bool:
    return _value(state) in {"SUCCEEDED", "FAILED", "ABORTED"}


@register.simple_tag
def key_status(key: Any) -> dict[str, str]:
    """An API key's status as text and tone."""
    if key.revoked_at:
        return {"text": "Revoked", "tone": "neutral"}
    if key.expires_at and key.expires_at <= timezone.now():
        return {"text": "Expired", "tone": "warning"}
    return {"text": "Active", "tone": "success"}


@register.filter
def percent(progress: Any) -> int | None:
    total = getattr(progress, "total", None)
    if not total:
        return None
    return max(0, min(100, int(progress.done * 100 / total)))


_EMAIL_SEPARATORS = re.compile(r"[._\-+]+")
_ACTOR_PREFIXES = ("key:", "token:")  # how audit labels name service keys and space tokens


def _first_and_last(words: list[str]) -> str:
    words = [w for w in words if w[:1].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][0].upper()
    return (words[0][0] + words[-1][0]).upper()


@register.filter
def initials(person: Any) -> str:
    """A person's initials for an avatar: from their name ("Demo Admin" → DA), else from
    their email's local part split on . _ - + ("ada.lovelace@…" → AL, "ada@…" → A).
    ``person`` has ``name`` and ``email``, or is a label: an email, a name, "key:CI pipeline"."""
    if isinstance(person, str):
        name, email = ("", person) if "@" in person else (person, "")
    else:
        name, email = getattr(person, "name", "") or "", getattr(person, "email", "") or ""
    name = name.strip()
    for prefix in _ACTOR_PREFIXES:
        name = name.removeprefix(prefix)
    if name:
        return _first_and_last(name.split())
    return _first_and_last(_EMAIL_SEPARATORS.split(email.split("@")[0]))


@register.filter
def compact_json(value: Any) -> str:
    if not value:
        return ""
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=False, default=str)


@register.filter
def items_of(mapping: Any) -> list[tuple[str, Any]]:
    """A dict's items for templates (``mapping.items`` clashes with a key named "items")."""
    if not isinstance(mapping, dict):
        return []
    return list(mapping.items())


@register.filter
def is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


@register.filter
def job_percent(job: Any) -> int | None:
    """A job's progress in percent: 100 once it succeeded, None while the total is unknown."""
    if _value(job.state) == "SUCCEEDED":
        return 100
    return percent(job.progress)


@register.filter
def ago(value: Any) -> str:
    """ "just now", "5 minutes ago", "2 days ago" (the largest unit only)."""
    if not value:
        return ""
    from django.utils.timesince import timesince

    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value, depth=1)} ago"


# Fast formatting for long tables (Django's date/truncatechars filters localise and
# normalise per call; these rows are already UTC-aware datetimes and plain strings).
@register.filter
def iso(value: Any) -> str:
    """A datetime as ISO 8601 in UTC, for <time datetime="…">."""
    return value.astimezone(UTC).isoformat() if value else ""


@register.filter
def utc(value: Any, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A datetime as "YYYY-MM-DD HH:MM:SS" in UTC (or as ``fmt``, a strftime format)."""
    return value.astimezone(UTC).strftime(fmt) if value else ""


@register.filter
def split(value: Any, separator: str) -> list[str]:
    """``"a,b,c"|split:","`` → the parts, e.g. a table's column headings given to an include."""
    return str(value).split(separator)


@register.filter
def clip(value: Any, length: int) -> str:
    """At most ``length`` characters, ending in "…" when cut."""
    text = "" if value is None else str(value)
    return text if len(text) <= length else text[: length - 1] + "…"


@register.simple_tag
def page_query(**params: Any) -> str:
    """The query string of a "Load more" link, ``?name=value&…`` in the order given, each value
    URL-encoded as the ``urlencode`` filter does. None and False leave their name out, True is
    "1"; an empty string stays (``?q=&cursor=…``)."""
    pairs = [
        f"{name}={quote('1' if value is True else str(value), safe='/')}"
        for name, value in params.items()
        if value is not None and value is not False
    ]
    return "?" + "&".join(pairs)


@register.simple_tag(takes_context=True)
def filled_query(context: template.Context, **overrides: Any) -> str:
    """``{% querystring %}`` without the empty fields a GET form sends: the request's filled
    query parameters with ``overrides`` (None removes one), e.g. a "Load more" link's
    ``?action=api_key.&cursor=…``."""
    pairs = filled_pairs(context["request"], **overrides)
    return f"?{urlencode(pairs)}"


@register.filter
def can(holder: Any, permission: str) -> bool:
    """``{% if me|can:"role.manage" %}``, ``{% if space|can:"token.manage" %}``: whether the
    permissions of ``holder`` (``Me``, a ``Space``, or a collection of permission names)
    include ``permission``. The name must be one of the SDK's ``Permission`` values: a typo
    is an error, never a control silently hidden."""
    wanted = Permission(permission)  # ValueError on a name outside the vocabulary
    granted = getattr(holder, "permissions", holder) or ()
    return wanted in granted


# --- audit details -------------------------------------------------------------------------
DETAIL_LINES = 2  # an event's details show this many lines; the rest open on demand
DETAIL_LINE_CHARS = 32  # about what one line of the details column holds at 1280 px


@register.filter
def detail_lines(details: Any) -> dict[str, Any]:
    """An audit event's details as lines a person reads: ``{"lines": [(key, words), …],
    "more": how many lines the collapsed cell leaves out, "long": whether one of the first
    lines is likely cut}``. Nested values in words: ``type PREDEFINED · name ANNOTATOR``."""
    if not isinstance(details, dict):
        details = {"value": details} if details not in (None, "", [], {}) else {}
    lines = [(str(key), "—" if v is None else _in_words(v)) for key, v in details.items()]
    first = lines[:DETAIL_LINES]
    return {
        "lines": lines,
        "first": first,
        "more": len(lines) - len(first),
        "long": any(len(k) + len(v) + 1 > DETAIL_LINE_CHARS for k, v in first),
    }


# --- a job's parameters in words ----------------------------------------------------------
def _when(value: Any) -> str:
    """An ISO 8601 time from a job's params as "YYYY-MM-DD HH:MM UTC" (as given otherwise)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _in_words(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        # By name: PostgreSQL's jsonb keeps no order of keys, so the order they were
        # written in would show on SQLite only.
        return " · ".join(f"{k} {_in_words(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list | tuple):
        return ", ".join(_in_words(v) for v in value)
    return str(value)


def _export_params(params: dict[str, Any]) -> list[tuple[str, str]]:
    """The audit export's filters, as the audit log's filter form names them."""
    words = []
    if params.get("actor"):
        words.append(("Actor", params["actor"]))
    if action := params.get("action"):
        prefix = action.endswith((".", "*"))
        words.append(("Action", f"starts with {action.rstrip('*')}" if prefix else action))
    if params.get("target"):
        words.append(("Target", params["target"]))
    for name in ("since", "until"):
        if params.get(name):
            words.append((name.capitalize(), _when(params[name])))
    return words or [("Filters", "none: every event")]


def _space_delete_params(params: dict[str, Any]) -> list[tuple[str, str]]:
    return [("Space", f"{params.get('name', '')} ({params.get('space_id', '')})".strip())]


_ON_INVALID = {"reject": "refused (INVALID_KEY)", "sanitize": "sanitized"}


def _global_key_params(params: dict[str, Any]) -> list[tuple[str, str]]:
    """A global key job's input in words; where it is stored (a name in the storage, its
    checksum) is the job's business, not the reader's."""
    words = []
    if params.get("items") is not None:
        words.append(("Items", f"{params['items']:,} ({params.get('format', 'jsonl')})"))
    if params.get("on_invalid"):
        words.append(("Invalid keys", _ON_INVALID.get(params["on_invalid"], params["on_invalid"])))
    if "dry_run" in params:
        words.append(("Preview", "yes: nothing is changed" if params["dry_run"] else "no"))
    return words


def _revert_params(params: dict[str, Any]) -> list[tuple[str, str]]:
    return [("Reverts", f"{params.get('job_id', '')} ({params.get('kind', '')})".strip())]


def _import_params(params: dict[str, Any]) -> list[tuple[str, str]]:
    words = [("Dataset", params.get("dataset_id", ""))]
    if params.get("filename"):
        words.append(("File", f"{params['filename']} ({params.get('format', '')})"))
    if params.get("size"):
        words.append(("Size", f"{params['size']:,} bytes"))
    if params.get("on_invalid"):
        words.append(("Invalid keys", _ON_INVALID.get(params["on_invalid"], params["on_invalid"])))
    return words


_PARAMS_IN_WORDS = {
    "audit_export": _export_params,
    "space_delete": _space_delete_params,
    "global_key_assign": _global_key_params,
    "global_key_clear": _global_key_params,
    "global_key_lookup": _global_key_params,
    "global_key_revert": _revert_params,
    "data_rows_import": _import_params,
}


@register.filter
def job_params(job: Any) -> list[tuple[str, str]]:
    """What a job was asked to do, as (label, words) pairs: the export's filters, the space a
    deletion removes; for another kind, each parameter that has a value."""
    params = getattr(job, "params", None) or {}
    describe = _PARAMS_IN_WORDS.get(_value(job.kind))
    if describe is not None:
        return describe(params)
    return [
        (label(name), _in_words(v)) for name, v in params.items() if v not in (None, "", [], {})
    ]


@register.filter
def result_fields(job: Any) -> list[tuple[str, str]]:
    """A finished job's result summary as (label, words) pairs, leaving out what the page
    shows elsewhere: its parameters (the space a deletion named) and its file (the download
    button)."""
    params = getattr(job, "params", None) or {}
    fields = []
    for name, value in (getattr(job, "result", None) or {}).items():
        if params.get(name) == value or (name == "file" and job.makes_file):
            continue
        words = _in_words(value) if value not in (None, "", [], {}) else "none"
        fields.append((label(name), words))
    return fields
