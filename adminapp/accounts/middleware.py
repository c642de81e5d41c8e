"""Keeps the user's list of sessions (``accounts.services.sessions``) current: each signed-in
browser request refreshes its session's last-seen time, at most once a minute."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from adminapp.accounts.services import sessions


class SessionActivityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            sessions.touch(request)
        return self.get_response(request)
