"""Benchmark-only URLconf: the product's URLs unchanged, plus two baseline views.

Never part of the product: only ``bench.settings`` (ROOT_URLCONF) points here.

- ``/bench/audit.json`` — a bare ``JsonResponse`` view doing the work ``GET /api/v1/audit``
  must do and nothing else: the same bearer key lookup (``api_key_authenticate``, one
  query), then the same keyset query (the key's org, ``ORDER BY created_at DESC, id DESC``,
  ``LIMIT 51``, values of the same columns).
- ``/bench/audit-layout/`` — a plain Django page: ``login_required`` (the session and its
  user, as any Django page), the session's membership and organizations and the same 50
  rows by the ORM, rendered by the dashboard's own template (``web/audit/audit.html``: the
  same layout, filter form and rows) — no SDK and no API in between.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import include, path

from adminapp import authz
from adminapp.accounts import principals
from adminapp.accounts.models import OrgMembership
from adminapp.accounts.principals import SESSION_ORG_KEY
from adminapp.accounts.services import api_key_authenticate
from adminapp.audit.models import AuditEvent
from adminapp.core.errors import AuthenticationFailed
from adminapp.core.pagination import decode_cursor, encode_cursor
from adminapp.web.audit.forms import AuditFilterForm

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
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    try:
        key = api_key_authenticate(token=token)
    except AuthenticationFailed as exc:
        return JsonResponse({"error": str(exc)}, status=401)
    page = _page(
        key.organization_id,
        limit=int(request.GET.get("limit", "50")),
        cursor=request.GET.get("cursor") or None,
    )
    return JsonResponse(page)


@login_required
def audit_layout(request: HttpRequest) -> HttpResponse:
    memberships = list(
        OrgMembership.objects.filter(user=request.user).select_related("organization")
    )
    org_id = request.session.get(SESSION_ORG_KEY, "")
    current = next((m for m in memberships if m.organization_id == org_id), memberships[0])
    principal = principals.for_user(
        request.user, org_id=current.organization_id, role=current.account_role
    )
    me = SimpleNamespace(
        organization=current.organization,
        role=current.account_role,
        user=request.user,
        permissions=sorted(authz.permissions_of(principal)),
    )
    orgs = [{"id": m.organization_id, "name": m.organization.name} for m in memberships]
    form = AuditFilterForm(request.GET)
    form.is_valid()
    page = _page(current.organization_id, limit=50, cursor=request.GET.get("cursor") or None)
    context = {
        "form": form,
        "page": page,
        "filters": {},
        "export_key": uuid.uuid4().hex,
        "me": me,
        "orgs": orgs,
    }
    return render(request, "web/audit/audit.html", context)


urlpatterns = [
    path("bench/audit.json", audit_json),
    path("bench/audit-layout/", audit_layout),
    path("", include("adminapp.urls")),
]
