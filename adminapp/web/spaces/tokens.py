"""A space's tokens panel: create one (its secret is shown once, in that answer only),
deactivate or delete one, delete all of them or only the permanent or temporary ones."""

from __future__ import annotations

from functools import partial

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from adminapp.web import render
from adminapp.web.client import sdk
from adminapp.web.flow import after_removal, after_success, submit
from adminapp.web.spaces.forms import SpaceTokenForm
from adminapp.web.spaces.views import SPACE, find, space_context

TOKEN_DELETE_SCOPE = {"all": None, "permanent": True, "temporary": False}
TOKEN_DELETE_WORDS = {
    "all": "all tokens",
    "permanent": "the permanent tokens",
    "temporary": "the temporary tokens",
}


def _token_name(client, space_id: str, token_id: str) -> str:
    """How a confirm page names a token: its label and prefix, or "this token"."""
    token = find(client.spaces.tokens.get, space_id, token_id)
    return f"“{token.label}” ({token.prefix}…)" if token and token.label else "this token"


@require_POST
@render.dashboard_view
def space_token_create(request: HttpRequest, space_id: str) -> HttpResponse:
    client = sdk(request)
    space = client.spaces.get(space_id)
    form = SpaceTokenForm(request.POST)
    submission = submit(form, partial(client.spaces.tokens.create, space.id), created=True)
    if submission.ok:
        form = SpaceTokenForm()
    # Not a redirect after success: this answer is the only one that shows the secret.
    sections = ("tokens",) if render.is_partial(request) else ("members", "tokens", "settings")
    context = space_context(
        request, space, sections=sections, token_form=form, created_token=submission.result
    )
    response = render.page(
        request,
        SPACE,
        context,
        partials={"tokens-panel": "tokens-panel"},
        status=submission.status,
    )
    return render.no_store(response) if submission.ok else response


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def space_token_deactivate(request: HttpRequest, space_id: str, token_id: str) -> HttpResponse:
    client = sdk(request)
    space = client.spaces.get(space_id)
    back = reverse("web:space_detail", args=[space.id])
    if request.method == "POST":
        token = client.spaces.tokens.deactivate(space.id, token_id)
        message = f"Deactivated the token {token.prefix}…. It stops working now."
        if response := after_success(request, message, back):
            return response
        context = {"space": space, "token": token}
        return render.page(request, SPACE, context, partials={"token-*": "token-row"})
    return render.confirm(
        request,
        title=f"Deactivate {_token_name(client, space.id, token_id)}?",
        message="Anything using it stops working at once. It stays listed as deactivated.",
        action=reverse("web:space_token_deactivate", args=[space.id, token_id]),
        button="Deactivate token",
        danger=True,
        cancel=back,
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def space_token_delete(request: HttpRequest, space_id: str, token_id: str) -> HttpResponse:
    client = sdk(request)
    space = client.spaces.get(space_id)
    back = reverse("web:space_detail", args=[space.id])
    if request.method == "POST":
        client.spaces.tokens.delete(space.id, token_id)
        return after_removal(request, "Deleted the token.", back)
    return render.confirm(
        request,
        title=f"Delete {_token_name(client, space.id, token_id)}?",
        message="Anything using it stops working at once. This cannot be undone.",
        action=reverse("web:space_token_delete", args=[space.id, token_id]),
        button="Delete token",
        danger=True,
        cancel=back,
    )


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def space_tokens_delete(request: HttpRequest, space_id: str) -> HttpResponse:
    """Delete all of a space's tokens, or only the permanent or only the temporary ones."""
    client = sdk(request)
    space = client.spaces.get(space_id)
    back = reverse("web:space_detail", args=[space.id])
    which = request.POST.get("which") or request.GET.get("which") or "all"
    if which not in TOKEN_DELETE_SCOPE:
        which = "all"
    if request.method == "POST":
        deleted = client.spaces.tokens.delete_all(space.id, permanent=TOKEN_DELETE_SCOPE[which])
        message = f"Deleted {deleted} token{'' if deleted == 1 else 's'}."
        if response := after_success(request, message, back):
            return response
        context = space_context(request, space, sections=("tokens",))
        return render.page(request, SPACE, context, partials={"tokens-panel": "tokens-panel"})
    return render.confirm(
        request,
        title=f"Delete {TOKEN_DELETE_WORDS[which]} of {space.name}?",
        message="Anything using them stops working at once. This cannot be undone.",
        action=reverse("web:space_tokens_delete", args=[space.id]),
        hidden={"which": which},
        button="Delete tokens",
        danger=True,
        cancel=back,
    )
