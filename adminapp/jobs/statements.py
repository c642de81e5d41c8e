"""The jobs engine's hand-written statements on the ``Job`` row and its items: the claim,
the checkpoint's conditional UPDATE (with a chunk's few item outcomes in it on PostgreSQL),
the abort checks. Each is built once per process from the models' metadata (the ORM spent
~0.5–1 ms of CPU compiling such a statement per use); every value is a parameter.
"""

from __future__ import annotations

import functools

from django.db import connection

from adminapp.jobs.kinds import ItemOutcome
from adminapp.jobs.models import Job, JobItem


@functools.cache
def update_sql(columns: tuple[str, ...]) -> str:
    q = connection.ops.quote_name
    sets = ", ".join(f"{q(column)} = %s" for column in columns)
    # Only names from the model's metadata are interpolated; every value is a parameter.
    return (
        f"UPDATE {q(Job._meta.db_table)} SET {sets}"  # noqa: S608
        " WHERE id = %s AND state = %s AND attempts = %s"
    )


ITEMS_WITH_UPDATE_MAX = 50  # more outcomes than this: one bulk INSERT of their own


def items_with_update(outcomes: list[ItemOutcome]) -> bool:
    """Whether ``outcomes`` are written in the checkpoint's statement (PostgreSQL: a
    data-modifying WITH; SQLite has none, and writes them before it)."""
    return 0 < len(outcomes) <= ITEMS_WITH_UPDATE_MAX and connection.vendor == "postgresql"


@functools.cache
def items_sql(rows: int) -> str:
    """``WITH items AS (INSERT … VALUES (…), …)`` of ``rows`` job items, to precede an
    UPDATE of the job (see ``_Run.write``)."""
    q = connection.ops.quote_name
    names = ("job", "seq", "status", "key", "data", "error_code", "message")
    columns = ", ".join(q(JobItem._meta.get_field(name).column) for name in names)
    row = "(" + ", ".join(["%s"] * len(names)) + ")"
    # Only names from the model's metadata are interpolated; every value is a parameter.
    return (
        f"WITH items AS (INSERT INTO {q(JobItem._meta.db_table)} ({columns})"  # noqa: S608
        f" VALUES {', '.join([row] * rows)}) "
    )


@functools.cache
def abort_and_sql(query: str) -> str:
    """``query`` (one row) with the job's abort flag as a first column."""
    table = connection.ops.quote_name(Job._meta.db_table)
    return f"SELECT j.abort_requested, q.* FROM {table} j CROSS JOIN ({query}) q WHERE j.id = %s"  # noqa: S608


@functools.cache
def abort_sql() -> str:
    return (
        f"SELECT abort_requested FROM {connection.ops.quote_name(Job._meta.db_table)} WHERE id = %s"  # noqa: S608
    )


@functools.cache
def claim_sql() -> str:
    q = connection.ops.quote_name
    columns = ", ".join(q(f.column) for f in Job._meta.concrete_fields)
    # Only names from the model's metadata are interpolated; every value is a parameter.
    return (
        f"UPDATE {q(Job._meta.db_table)} SET state = %s, attempts = attempts + 1,"  # noqa: S608
        " heartbeat_at = %s, started_at = %s, stage = %s, worker = %s"
        " WHERE id = %s AND state = %s AND NOT abort_requested"
        f" RETURNING {columns}"
    )


def claim_loader():
    """The compiler, converters and attribute names that load a row of ``claim_sql``'s
    ``RETURNING`` columns (the model's concrete fields, in order) into a Job. Built per
    call (~0.09 ms), as they hold this thread's connection."""
    fields = Job._meta.concrete_fields
    compiler = Job.objects.all().query.get_compiler(connection=connection)
    converters = compiler.get_converters([f.get_col(Job._meta.db_table) for f in fields])
    return compiler, converters, [f.attname for f in fields]
