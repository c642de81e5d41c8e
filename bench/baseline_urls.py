"""Benchmark-only URLconf: the product's URLs unchanged, plus two baseline views.

Never part of the product: only ``bench.settings`` (ROOT_URLCONF) points here.

- ``/bench/audit.json`` — a bare ``JsonResponse`` view running the same keyset query as
  ``GET /api/v1/audit`` (same org filter, ``ORDER BY created_at DESC, id DESC``, ``LIMIT 51``,
  values of the same columns). **No authentication**: the org comes from ``?org=``.
- ``/bench/audit-plain/`` — a plain Django page: ``login_required`` (the session and its
  user, as any Django page), the session's org, the same 50 rows rendered in a simple
  template (no layout, no SDK, no API).
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import include, path

from adminapp.accounts.principals import SESSION_ORG_KEY
from adminapp.audit.models import AuditEvent
from adminapp.core.pagination import decode_cursor, encode_cursor

COLUMNS = (
    "id",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "details",
    "request_id",
    "ip",
    "created_at",
)


def _page(org_id: str, *, limit: int, cursor: str | None) -> dict:
    qs = AuditEvent.objects.filter(organization_id=org_id).order_by("-created_at", "-id")
    if cursor:
        created_at, pk = decode_cursor(cursor)
        qs = qs.filter(created_at__lte=created_at).filter(
            Q(created_at__lt=created_at) | Q(id__lt=pk)
        )
    rows = list(qs.values(*COLUMNS)[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if has_more else None
    return {"items": rows, "pagination": {"has_more": has_more, "next_cursor": next_cursor}}


def audit_json(request: HttpRequest) -> JsonResponse:
    page = _page(
        request.GET.get("org", ""),
        limit=int(request.GET.get("limit", "50")),
        cursor=request.GET.get("cursor") or None,
    )
    return JsonResponse(page)


@login_required
def audit_plain(request: HttpRequest) -> HttpResponse:
    page = _page(
        request.session.get(SESSION_ORG_KEY, ""),
        limit=50,
        cursor=request.GET.get("cursor") or None,
    )
    for row in page["items"]:
        row["details_json"] = json.dumps(row["details"], separators=(",", ":"), sort_keys=True)
    return render(request, "bench/audit_plain.html", {"page": page})


urlpatterns = [
    path("bench/audit.json", audit_json),
    path("bench/audit-plain/", audit_plain),
    path("", include("adminapp.urls")),
]
