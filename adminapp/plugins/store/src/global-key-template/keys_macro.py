"""Global keys from a template, over a dataset.

Reads the dataset's rows page by page through the SDK, makes each row's key from the
template and assigns them with the bulk global key assignment (``global_keys.assign``, a
job of the portal, up to ``BATCH`` pairs per job), then writes one CSV line per row: its
key and what happened (``ASSIGNED``, ``UNCHANGED``, ``SKIPPED`` with why, or the
assignment's error code such as ``KEY_TAKEN``).

Template fields: ``{dataset}`` (the dataset's name), ``{dataset_id}``, ``{external_id}``,
``{id}`` (the data row id); ``{{`` and ``}}`` for braces. Only these names: no attribute or
index access, no format specs.
"""

import csv
import string

FIELDS = ("dataset", "dataset_id", "external_id", "id")
BATCH = 50_000


def compile_template(template):
    """The template as a list of literal texts and field names; ValueError naming the
    problem otherwise."""
    parts = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"The template is not valid: {exc}.") from None
    for literal, field, spec, conversion in parsed:
        if literal:
            parts.append(("text", literal))
        if field is None:
            continue
        if field not in FIELDS or spec or conversion:
            raise ValueError(
                f"The template field {{{field}}} is unknown; use "
                + ", ".join("{" + f + "}" for f in FIELDS)
                + "."
            )
        parts.append(("field", field))
    if not any(kind == "field" for kind, _ in parts):
        raise ValueError("The template has no field: every row would get the same key.")
    return parts


def render(parts, values):
    out = []
    for kind, value in parts:
        if kind == "text":
            out.append(value)
            continue
        field_value = values.get(value) or ""
        if not field_value:
            return None, f"no {value}"
        out.append(field_value)
    return "".join(out), ""


def run(ctx):
    params = ctx.params
    client = ctx.client
    parts = compile_template(params["template"])
    dataset = client.datasets.get(params["dataset_id"])
    base = {"dataset": dataset.name, "dataset_id": dataset.id}
    total = max(dataset.row_count, 1)
    outcomes = {}  # data_row_id -> [key, outcome, message]
    pending = []
    counts = {"ASSIGNED": 0, "UNCHANGED": 0, "SKIPPED": 0, "FAILED": 0}
    seen = 0

    def flush():
        if not pending:
            return
        result = client.global_keys.assign(
            pending,
            on_invalid=params.get("on_invalid", "reject"),
            dry_run=bool(params.get("dry_run")),
            timeout_seconds=3600,
        )
        for done in result.results:
            outcome = "ASSIGNED" if done.changed else "UNCHANGED"
            counts[outcome] += 1
            entry = outcomes[done.data_row_id]
            entry[0], entry[1] = done.global_key or entry[0], outcome
            if done.sanitized:
                entry[2] = "sanitized"
        for error in result.errors:
            counts["FAILED"] += 1
            entry = outcomes[error.input.data_row_id]
            entry[1], entry[2] = error.code, error.message
        pending.clear()

    for row in client.data_rows.list(dataset=dataset.id, limit=100):
        seen += 1
        key, why = render(parts, {**base, "external_id": row.external_id, "id": row.id})
        if key is None:
            counts["SKIPPED"] += 1
            outcomes[row.id] = ["", "SKIPPED", f"the row has {why}"]
        elif row.global_key and not params.get("overwrite"):
            counts["SKIPPED"] += 1
            outcomes[row.id] = [row.global_key, "SKIPPED", "the row has a key (overwrite is off)"]
        elif row.global_key == key:
            counts["UNCHANGED"] += 1
            outcomes[row.id] = [key, "UNCHANGED", ""]
        else:
            outcomes[row.id] = [key, "PENDING", ""]
            pending.append({"data_row_id": row.id, "global_key": key})
            if len(pending) >= BATCH:
                flush()
        if seen % 1000 == 0:
            ctx.progress(seen, total, f"{seen} rows read")
    flush()
    with ctx.result_file() as fh:
        writer = csv.writer(fh)
        writer.writerow(["data_row_id", "global_key", "outcome", "message"])
        for row_id, (key, outcome, message) in outcomes.items():
            writer.writerow([row_id, key, outcome, message])
    ctx.progress(total, total, "done")
    return {"rows": seen, "dry_run": bool(params.get("dry_run")), **counts}
