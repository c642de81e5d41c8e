"""Dashboard pages for identity and tenancy: sign-in and out, the org switcher, API keys and
the organization's members. Each view parses its form, calls the embedded SDK client and
renders the models it returns (STYLE 2, 15); the API behind the client enforces every rule."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import render as render_template
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from adminapp.client import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    Permission,
)
from adminapp.web import render
from adminapp.web.accounts import security
from adminapp.web.accounts.forms import ROLE_CHOICES, ApiKeyCreateForm, LoginForm, MemberAddForm
from adminapp.web.client import can, me, sdk
from adminapp.web.flow import FORM_ERRORS, after_removal, after_success, in_words, submit

API_KEYS = "web/accounts/api_keys.html"
MEMBERS = "web/accounts/members.html"
MEMBER = "web/accounts/member.html"
SPACES_PER_PAGE = 50  # a member's spaces on their page, then "Load more"
# The members table's sortable columns, in their order on the page.
MEMBER_SORT_LABELS = {
    "name": "Member",
    "email": "Email",
    "role": "Role",
    "joined": "Joined",
    "last_login": "Last sign-in",
}


def _cursor(request: HttpRequest) -> str | None:
    return request.GET.get("cursor") or None


# --- sign in / out ------------------------------------------------------------------------
@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        try:
            # The inner API request shares this request's session: its django login() lands
            # in the session this response saves.
            signed_in = submit(form, sdk(request).auth.login)
        except AuthenticationError as exc:  # a wrong password, or an account in no org
            if exc.code == "mfa_required":  # the password was right: the code comes next
                return security.begin_second_step(request, exc.details["challenge"], next_url)
            form.add_error(None, exc.message)
        else:
            if signed_in.ok:
                rotate_token(request)
                return render.redirect(request, next_url or reverse("web:overview"))
            status = signed_in.status
    return render_template(
        request, "web/accounts/login.html", {"form": form, "next": next_url}, status=status
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        sdk(request).auth.logout()
        messages.info(request, "You have signed out.")
        return render.redirect(request, reverse("web:login"))
    return render.confirm(
        request,
        title="Sign out?",
        message="You will need your email and password to sign in again.",
        action=reverse("web:logout"),
        button="Sign out",
        cancel=reverse("web:overview"),
    )


@require_POST
@render.dashboard_view
def switch_org(request: HttpRequest) -> HttpResponse:
    organization_id = request.POST.get("organization_id", "")
    try:
        current = sdk(request).me.switch_organization(organization_id)
    except APIStatusError as exc:
        if exc.status_code not in (400, 404, 422):
            raise
        messages.error(request, "You are not a member of that organization.")
    else:
        messages.success(request, f"Switched to {current.organization.name}.")
    # Whatever page was open belongs to the previous organization: start from the overview.
    return render.redirect(request, reverse("web:overview"))


# --- API keys -----------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@render.dashboard_view
def api_keys(request: HttpRequest) -> HttpResponse:
    client = sdk(request)
    allow_service = can(request, Permission.API_KEY_MANAGE)
    form = ApiKeyCreateForm(request.POST or None, allow_service=allow_service)
    created, status = None, 200
    if request.method == "POST":
        submission = submit(form, client.api_keys.create, created=True)
        created, status = submission.result, submission.status
        if submission.ok:  # not a redirect: this answer is the only one with the secret
            form = ApiKeyCreateForm(allow_service=allow_service)

    include_revoked = request.GET.get("revoked") == "1"
    page = client.api_keys.list(include_revoked=include_revoked, cursor=_cursor(request))
    context = {
        "form": form,
        "created": created,
        "page": page,
        "include_revoked": include_revoked,
        "allow_service": allow_service,
        "manage_all": allow_service,
    }
    response = render.page(
        request,
        API_KEYS,
        context,
        partials={"keys-content": "keys-content", "keys-more": "key-rows"},
        status=status,
    )
    return render.no_store(response) if created is not None else response


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def api_key_revoke(request: HttpRequest, key_id: str) -> HttpResponse:
    client = sdk(request)
    if request.method == "POST":
        key = client.api_keys.revoke(key_id)
        message = f"Revoked “{key.label}”. It stops working now."
        if response := after_success(request, message, reverse("web:api_keys")):
            return response
        context = {"key": key, "manage_all": can(request, Permission.API_KEY_MANAGE)}
        return render.page(request, API_KEYS, context, partials={"key-*": "key-row"})
    key = client.api_keys.get(key_id)
    return render.confirm(
        request,
        title=f"Revoke “{key.label}”?",
        message=f"Anything using the key {key.prefix}… stops working at once. "
        "This cannot be undone.",
        action=reverse("web:api_key_revoke", args=[key.id]),
        button="Revoke key",
        danger=True,
        cancel=reverse("web:api_keys"),
    )


# --- members ------------------------------------------------------------------------------
def _member(request: HttpRequest, user_id: str):
    """One member as they are now (to render their row), or None once they left."""
    try:
        return sdk(request).organizations.get_member(me(request).organization.id, user_id)
    except NotFoundError:
        return None


def _members_context(request: HttpRequest) -> dict:
    return {
        "manage": can(request, Permission.MEMBER_MANAGE),
        "allow_owner": can(request, Permission.OWNER_MANAGE),
        "me_user_id": me(request).user.id if me(request).user else None,
        "role_choices": ROLE_CHOICES,
    }


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def members(request: HttpRequest) -> HttpResponse:
    client = sdk(request)
    org_id = me(request).organization.id
    context = _members_context(request)
    form = MemberAddForm(request.POST or None, allow_owner=context["allow_owner"])
    status = 200
    if request.method == "POST":
        added = submit(form, partial(client.organizations.add_member, org_id), created=True)
        status = added.status
        if added.ok:
            message = f"Added {added.result.user.email} as {added.result.role.title()}."
            if response := after_success(request, message, reverse("web:members")):
                return response
            form = MemberAddForm(allow_owner=context["allow_owner"])
    query = request.GET.get("q", "").strip()
    sort = request.GET.get("sort", "joined")
    if sort not in MEMBER_SORT_LABELS:
        sort = "joined"
    order = "desc" if request.GET.get("order") == "desc" else "asc"
    page = client.organizations.list_members(
        org_id, search=query or None, sort=sort, order=order, cursor=_cursor(request)
    )
    columns = [
        {
            "sort": key,
            "label": text,
            "active": key == sort,
            "aria": ("descending" if order == "desc" else "ascending") if key == sort else "",
            "next_order": "desc" if key == sort and order == "asc" else "asc",
        }
        for key, text in MEMBER_SORT_LABELS.items()
    ]
    context.update(
        {"form": form, "page": page, "q": query, "sort": sort, "order": order, "columns": columns}
    )
    partials = {
        "members-content": "members-content",
        "member-results": "member-results",
        "members-more": "member-rows",
    }
    return render.page(request, MEMBERS, context, partials=partials, status=status)


@require_POST
@render.dashboard_view
def member_role(request: HttpRequest, user_id: str) -> HttpResponse:
    """The role select of a member's row. A refused change shows as a toast, and the row
    is rendered again with the role the member still has."""
    org_id = me(request).organization.id
    status = 200
    try:
        member = sdk(request).organizations.update_member(
            org_id, user_id, role=request.POST.get("role", "")
        )
    except FORM_ERRORS as exc:
        messages.error(request, in_words(exc))
        member, status = _member(request, user_id), exc.status_code
        if not render.is_partial(request) or member is None:
            return render.redirect(request, reverse("web:members"))
    else:
        messages.success(request, f"{member.user.email} is now {member.role.title()}.")
        if not render.is_partial(request):
            return render.redirect(request, reverse("web:members"))
    context = {**_members_context(request), "member": member}
    return render.page(
        request, MEMBERS, context, partials={"member-*": "member-row"}, status=status
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def member_remove(request: HttpRequest, user_id: str) -> HttpResponse:
    org_id = me(request).organization.id
    email = request.POST.get("email") or request.GET.get("email", "")
    if request.method == "POST":
        try:
            sdk(request).organizations.remove_member(org_id, user_id)
        except (ConflictError, BadRequestError) as exc:
            messages.error(request, exc.message)
            return render.redirect(request, reverse("web:members"))
        message = f"Removed {email or user_id} from the organization."
        return after_removal(request, message, reverse("web:members"))
    member = _member(request, user_id)
    who = member.user.email if member else (email or user_id)
    return render.confirm(
        request,
        title=f"Remove {who} from {me(request).organization.name}?",
        message="They lose access to it, and their personal API keys for it are revoked.",
        action=reverse("web:member_remove", args=[user_id]),
        hidden={"email": email},
        button="Remove member",
        danger=True,
        cancel=reverse("web:members"),
    )


# --- a member's page --------------------------------------------------------------------------
@render.dashboard_view
def member_detail(request: HttpRequest, user_id: str) -> HttpResponse:
    client = sdk(request)
    current = me(request)
    member = client.organizations.get_member(current.organization.id, user_id)
    own = current.user is not None and current.user.id == member.user.id
    manage = can(request, Permission.MEMBER_MANAGE)
    spaces = (
        client.spaces.of_member(
            member.user.id, limit=SPACES_PER_PAGE, cursor=request.GET.get("cursor") or None
        )
        if manage or own
        else None
    )
    keys = (
        client.api_keys.list(user_id=member.user.id, include_revoked=True, limit=100)
        if can(request, Permission.API_KEY_MANAGE) or own
        else None
    )
    allow_owner = can(request, Permission.OWNER_MANAGE)
    context = {
        "member": member,
        "own": own,
        "manage": manage and not own and (member.role != "OWNER" or allow_owner),
        "can_transfer": allow_owner
        and current.role == "OWNER"
        and not own
        and member.role != "OWNER"
        and member.is_active
        and current.user is not None,
        "spaces": spaces,
        "keys": keys,
    }
    partials = {"member-spaces-more": "member-space-rows"}  # "Load more" spaces
    return render.page(request, MEMBER, context, partials=partials)


def _member_action(request: HttpRequest, user_id: str, *, action: str) -> HttpResponse:
    """Deactivate / reactivate / transfer ownership: a confirm page on GET (no JavaScript),
    the SDK call on POST; a refusal is a toast on the member's page."""
    org = me(request).organization
    back = reverse("web:member_detail", args=[user_id])
    client = sdk(request).organizations
    if request.method == "POST":
        try:
            if action == "deactivate":
                member = client.deactivate_member(org.id, user_id)
                message = f"Deactivated {member.user.email}: their sign-in and API keys stopped."
            elif action == "reactivate":
                member = client.reactivate_member(org.id, user_id)
                message = f"Reactivated {member.user.email}."
            else:
                member = client.transfer_ownership(org.id, user_id=user_id)
                message = f"{member.user.email} now owns {org.name}; you are an admin."
        except FORM_ERRORS as exc:
            messages.error(request, in_words(exc))
        else:
            messages.success(request, message)
        return render.redirect(request, back)
    member = _member(request, user_id)
    if member is None:
        raise NotFoundError(f"User {user_id} is not a member of this organization.")
    who = member.user.email
    texts = {
        "deactivate": (
            f"Deactivate {who}?",
            "They can no longer sign in, their open sessions end and their API keys stop "
            "working at once. Everything they did stays; you can reactivate them later.",
            "Deactivate",
            True,
        ),
        "reactivate": (
            f"Reactivate {who}?",
            "They can sign in again and their API keys that are not revoked work again.",
            "Reactivate",
            False,
        ),
        "transfer": (
            f"Make {who} the owner of {org.name}?",
            f"{who} becomes an owner and you become an admin, in one step. Only an owner "
            "can make you an owner again.",
            "Transfer ownership",
            True,
        ),
    }
    title, text, button, danger = texts[action]
    return render.confirm(
        request,
        title=title,
        message=text,
        action=reverse(f"web:member_{action}", args=[user_id]),
        button=button,
        danger=danger,
        cancel=back,
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def member_deactivate(request: HttpRequest, user_id: str) -> HttpResponse:
    return _member_action(request, user_id, action="deactivate")


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def member_reactivate(request: HttpRequest, user_id: str) -> HttpResponse:
    return _member_action(request, user_id, action="reactivate")


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def member_transfer(request: HttpRequest, user_id: str) -> HttpResponse:
    return _member_action(request, user_id, action="transfer")
