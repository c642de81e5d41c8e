"""Filter URLs without empty fields: a GET form sends every field, filled or not
(``?actor=&action=api_key.&target=``); the lists answer at the URL of the filled ones."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django_htmx.http import push_url

from adminapp.web import render


def filled_pairs(request: HttpRequest, **overrides: str | None) -> list[tuple[str, str]]:
    """The request's query parameters that have a value, ``overrides`` replacing (or, with
    None, removing) theirs, in the order they came."""
    pairs = [
        (name, value)
        for name, values in request.GET.lists()
        if name not in overrides
        for value in values
        if value != ""
    ]
    return pairs + [(name, value) for name, value in overrides.items() if value not in (None, "")]


def without_empty(request: HttpRequest) -> str | None:
    """This request's path with only its filled query parameters, or None when it has no
    empty one."""
    pairs = filled_pairs(request)
    if len(pairs) == sum(len(values) for _name, values in request.GET.lists()):
        return None
    return request.path + (f"?{urlencode(pairs)}" if pairs else "")


def clean_filters(request: HttpRequest, answer) -> HttpResponse:
    """``answer()`` for a list page whose URL has no empty field; otherwise a redirect to the
    URL without them (a plain GET form) or ``answer()`` with that URL pushed (htmx)."""
    clean = without_empty(request)
    if clean is None:
        return answer()
    if not render.is_partial(request):
        return render.redirect(request, clean)
    return push_url(answer(), clean)
