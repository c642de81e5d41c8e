"""Dashboard pages for invitations: the admins' page (invite, the open invitations with
resend and revoke) and the public page an invitation link opens (no sign-in needed to see
it), where the invitee joins with their account or creates one."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import render as render_template
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from adminapp.client import (
    APIStatusError,
    ConflictError,
    NotFoundError,
    Permission,
    PermissionDeniedError,
)
from adminapp.web import render
from adminapp.web.accounts.forms import InvitationAcceptForm, InvitationForm
from adminapp.web.client import can, me, sdk
from adminapp.web.flow import after_removal, after_success, submit

INVITATIONS = "web/accounts/invitations.html"
ACCEPT = "web/accounts/invitation_accept.html"
# The API's refusals of a link itself (not of what was typed): the page says so.
LINK_REFUSALS = {
    "invitation_invalid": "This invitation link is not valid",
    "invitation_expired": "This invitation has expired",
    "invitation_used": "This invitation was already used",
    "invitation_revoked": "This invitation was withdrawn",
    "invitation_wrong_account": "You are signed in as someone else",
    "already_member": "You are already a member",
    "account_inactive": "This account is deactivated",
}


def _context(request: HttpRequest) -> dict:
    return {"allow_owner": can(request, Permission.OWNER_MANAGE)}


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def invitations(request: HttpRequest) -> HttpResponse:
    client = sdk(request).organizations.invitations
    org_id = me(request).organization.id
    context = _context(request)
    form = InvitationForm(request.POST or None, allow_owner=context["allow_owner"])
    status = 200
    if request.method == "POST":
        sent = submit(form, partial(client.create, org_id), created=True)
        status = sent.status
        if sent.ok:
            message = (
                f"Invited {sent.result.email} as {sent.result.role.title()}: "
                "they get a link by email."
            )
            if response := after_success(request, message, reverse("web:invitations")):
                return response
            form = InvitationForm(allow_owner=context["allow_owner"])
    page = client.list(org_id, cursor=request.GET.get("cursor") or None)
    context.update({"form": form, "page": page})
    partials = {
        "invitations-content": "invitations-content",
        "invitations-more": "invitation-rows",
    }
    return render.page(request, INVITATIONS, context, partials=partials, status=status)


def _invitation_action(request: HttpRequest, invitation_id: str, *, action: str) -> HttpResponse:
    """Resend / revoke: a confirm page on GET (no JavaScript), the SDK call on POST; an
    invitation no longer open (409) is a toast on the invitations page. A resent one's row
    is redrawn in place, a revoked one's row goes."""
    client = sdk(request).organizations.invitations
    org_id = me(request).organization.id
    back = reverse("web:invitations")
    if request.method == "POST":
        try:
            invitation = (client.resend if action == "resend" else client.revoke)(
                org_id, invitation_id
            )
        except ConflictError as exc:
            messages.error(request, exc.message)
            return render.redirect(request, back)
        if action == "revoke":
            message = f"Revoked the invitation of {invitation.email}; its link no longer works."
            return after_removal(request, message, back)
        message = f"Sent a new link to {invitation.email}; the previous one no longer works."
        if response := after_success(request, message, back):
            return response
        context = {**_context(request), "invitation": invitation}
        return render.page(
            request, INVITATIONS, context, partials={"invitation-*": "invitation-row"}
        )
    invitation = client.get(org_id, invitation_id)
    who = invitation.email
    title, text, button, danger = {
        "resend": (
            f"Send the invitation to {who} again?",
            "They get a new link, valid for 7 days; the link sent before stops working.",
            "Resend invitation",
            False,
        ),
        "revoke": (
            f"Revoke the invitation of {who}?",
            "The link they were sent stops working. You can invite them again later.",
            "Revoke invitation",
            True,
        ),
    }[action]
    return render.confirm(
        request,
        title=title,
        message=text,
        action=reverse(f"web:invitation_{action}", args=[invitation.id]),
        button=button,
        danger=danger,
        cancel=back,
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def invitation_resend(request: HttpRequest, invitation_id: str) -> HttpResponse:
    return _invitation_action(request, invitation_id, action="resend")


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def invitation_revoke(request: HttpRequest, invitation_id: str) -> HttpResponse:
    return _invitation_action(request, invitation_id, action="revoke")


# --- the page an invitation link opens ---------------------------------------------------------
class _LinkRefused(Exception):
    def __init__(self, error: APIStatusError):
        super().__init__(error.message)
        self.error = error


def _refused(request: HttpRequest, token: str, exc: APIStatusError) -> HttpResponse:
    context = {
        "token": token,
        "refusal": LINK_REFUSALS.get(exc.code or "", "This invitation cannot be accepted"),
        "message": exc.message,
        "code": exc.code,
    }
    return render_template(request, ACCEPT, context, status=exc.status_code)


def _link_call(call):
    """``call`` with the API's refusals of the link itself raised past the form flow."""

    def wrapped(**arguments):
        try:
            return call(**arguments)
        except (NotFoundError, ConflictError, PermissionDeniedError) as exc:
            if exc.code in LINK_REFUSALS:
                raise _LinkRefused(exc) from exc
            raise

    return wrapped


@sensitive_post_parameters("password", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    client = sdk(request).organizations.invitations
    try:
        preview = client.inspect(token)
    except (NotFoundError, ConflictError) as exc:
        return _refused(request, token, exc)
    signed_in = request.user.is_authenticated
    if signed_in and request.user.email != preview.email:
        mode = "other"
    elif signed_in:
        mode = "join"
    else:
        mode = "existing" if preview.account_exists else "new"
    # Bound on every POST: the one-click join posts no field at all.
    data = request.POST if request.method == "POST" else None
    form = InvitationAcceptForm(data, mode="join" if mode == "other" else mode)
    status = 200
    if request.method == "POST" and mode != "other":
        try:
            accepted = submit(form, _link_call(partial(client.accept, token)))
        except _LinkRefused as refused:
            return _refused(request, token, refused.error)
        if accepted.ok:
            rotate_token(request)
            messages.success(request, f"Welcome to {accepted.result.organization.name}.")
            return render.redirect(request, reverse("web:overview"))
        status = accepted.status
    context = {"preview": preview, "form": form, "mode": mode, "token": token}
    return render_template(request, ACCEPT, context, status=status)
