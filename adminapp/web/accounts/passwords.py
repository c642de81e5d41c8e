"""Dashboard pages for passwords: change yours (signed in), and the two public pages of a
reset — ask for a link (the same answer whether the email has an account) and choose a new
password through the mailed link (a dead link says so)."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render as render_template
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from adminapp.client import NotFoundError
from adminapp.web import render
from adminapp.web.accounts.forms import (
    PasswordChangeForm,
    PasswordResetConfirmForm,
    PasswordResetForm,
)
from adminapp.web.client import sdk
from adminapp.web.flow import after_success, submit

CHANGE = "web/accounts/password_change.html"
RESET = "web/accounts/password_reset.html"
RESET_CONFIRM = "web/accounts/password_reset_confirm.html"


@sensitive_post_parameters("current_password", "new_password", "new_password2")
@require_http_methods(["GET", "POST"])
@render.dashboard_view
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        changed = submit(form, _returning_true(sdk(request).auth.change_password))
        status = changed.status
        if changed.ok:
            message = "Your password was changed. Your other sessions were signed out."
            return after_success(request, message, reverse("web:overview")) or render.redirect(
                request, reverse("web:overview")
            )
    return render.page(request, CHANGE, {"form": form}, status=status)


def _returning_true(call):
    """``call`` (which answers nothing) made to answer True, for the form flow."""

    def wrapped(**arguments):
        call(**arguments)
        return True

    return wrapped


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetForm(request.POST or None)
    status, sent = 200, None
    if request.method == "POST":
        requested = submit(form, sdk(request).auth.request_password_reset)
        status = 202 if requested.ok else requested.status
        sent = requested.result
    return render_template(request, RESET, {"form": form, "sent": sent}, status=status)


@sensitive_post_parameters("new_password", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, token: str) -> HttpResponse:
    client = sdk(request).auth
    try:
        link = client.inspect_password_reset(token)
    except NotFoundError as exc:
        return render_template(request, RESET_CONFIRM, {"refusal": exc.message}, status=404)
    form = PasswordResetConfirmForm(request.POST or None)
    status = 200
    if request.method == "POST":
        try:
            reset = submit(form, _returning_true(partial(client.reset_password, token)))
        except NotFoundError as exc:  # used meanwhile
            return render_template(request, RESET_CONFIRM, {"refusal": exc.message}, status=404)
        if reset.ok:
            messages.success(request, "Your password was changed. Sign in with it.")
            return render.redirect(request, reverse("web:login"))
        status = reset.status
    context = {"form": form, "email": link.email, "token": token}
    return render_template(request, RESET_CONFIRM, context, status=status)
