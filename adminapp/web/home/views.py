"""The overview: counts for the organization, your recent jobs and its latest activity."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from adminapp.client import CursorPage, Permission
from adminapp.web import render
from adminapp.web.client import can, me, sdk

OVERVIEW_LIMIT = 50  # counts above this show as "50+": the dashboard never COUNTs a table


def _count(page: CursorPage, of=None) -> str:
    """How many items one page holds ("50+" when more follow)."""
    n = len(page.items) if of is None else sum(1 for item in page.items if of(item))
    return f"{n}+" if page.has_more else str(n)


@render.dashboard_view
def overview(request: HttpRequest) -> HttpResponse:
    client = sdk(request)
    members = None
    names: dict[str, str] = {}  # email → name, for the activity feed's avatars
    if can(request, Permission.MEMBER_READ):
        org_id = me(request).organization.id
        page = client.organizations.list_members(org_id, limit=OVERVIEW_LIMIT)
        members = _count(page)
        names = {m.user.email.lower(): m.user.name for m in page.items if m.user.name}
    keys = client.api_keys.list(limit=OVERVIEW_LIMIT)
    running = client.jobs.list(state="RUNNING", limit=OVERVIEW_LIMIT)
    events = None
    if can(request, Permission.AUDIT_READ):
        # Each event with its actor's name when the first page of members knows it.
        events = [
            (e, names.get(e.actor_label.lower(), "")) for e in client.audit.list(limit=6).items
        ]
    context = {
        "members_count": members,
        "keys_count": _count(keys, of=lambda key: key.is_active),
        "running_count": _count(running),
        "recent_jobs": client.jobs.list(limit=6).items,
        "recent_events": events,
    }
    return render.page(request, "web/home/overview.html", context)
