"""What the job page and the Global keys page both read off a job's outcome: its items
counted by outcome code (from the job's result, where its kind reports them) and the code a
page filters its errors by."""

from __future__ import annotations

from django.http import HttpRequest

from adminapp.client.resources.jobs import Job

CODE_MAX = 40


def counts_by_code(job: Job) -> list[tuple[str, int]]:
    """``(code, items)`` from the job's result ``counts``, SUCCESS first, then the most
    frequent; empty for kinds that do not count by code."""
    counts = dict((job.result or {}).get("counts") or {})
    ordered = sorted(counts.items(), key=lambda kv: (kv[0] != "SUCCESS", -kv[1], kv[0]))
    return [(code, n) for code, n in ordered if isinstance(n, int) and n]


def error_code_param(request: HttpRequest) -> str:
    """The ``?code=`` asked for, if it looks like an outcome code (else none)."""
    code = request.GET.get("code", "").strip().upper()
    return code if code.replace("_", "").isalpha() and len(code) <= CODE_MAX else ""
