"""The instance-admin area: the Operations page (workers, queues, the reaper, the day's
failed jobs), refreshed by htmx every few seconds and by a link without JavaScript."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from adminapp.web import render
from adminapp.web.client import me, sdk

OPERATIONS = "web/instance/operations.html"
REFRESH_SECONDS = 10


@render.dashboard_view
def operations(request: HttpRequest) -> HttpResponse:
    health = sdk(request).instance.health()  # 403 for anyone but an instance admin
    context = {
        "health": health,
        "refresh_seconds": REFRESH_SECONDS,
        "current_org_id": me(request).organization.id,
    }
    return render.page(request, OPERATIONS, context, partials={"ops-content": "ops-content"})
