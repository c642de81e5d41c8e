"""The SDK in-process: the dashboard calls the API as the signed-in user, without a socket.

``client_for_request(request)`` returns an ``AdminClient`` whose transport builds a fresh
inner request for each call and hands it straight to the API view Django resolves for the
path — the same Ninja operation, auth, validation and error body as over HTTP (STYLE 11a).

Who the call acts as is carried only in Python attributes of that inner request, which the
server built itself: ``user`` and ``session`` are the outer request's objects and
``INPROCESS_ATTR`` is set, so ``InProcessAuth`` resolves the session's user and org. The inner
request is built from nothing else of the outer one (method, path and body come from the SDK
call; host, port and remote address from the outer request): an ``Authorization`` header, a
cookie, a query parameter or any other header the browser sent cannot reach it.

Pitfalls avoided on purpose:

- No ``request_started`` / ``request_finished`` signals for the inner call: their handler
  closes the database connection the outer request is still using. So the view is called
  directly (not through the WSGI handler), and a Django response is never ``close()``d here
  (``HttpResponseBase.close`` sends ``request_finished``); its resources are released
  without the signal.
- The API's own middleware (``settings.API_MIDDLEWARE``: the body-size limit, the JSON error
  body for non-JSON errors) wraps the view here too, built from the same list; and
  ``X-Request-ID`` is set as over HTTP.

Sign-in through the in-process client (``client.auth.login``) shares the outer session, so
the API's ``django.contrib.auth.login()`` cycles the *outer* session key. ``login()`` also
rotates the CSRF token, but on the inner request; this transport copies the rotation (and the
new ``request.user``) back to the outer request, and the web login view should still call
``django.middleware.csrf.rotate_token(request)`` after a successful login — cheap, and it
keeps the view correct on its own.
"""

from __future__ import annotations

import io
import json as jsonlib
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlencode

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.urls import resolve
from django.utils.module_loading import import_string

from adminapp.accounts.principals import forget_session_memo
from adminapp.client import AdminClient
from adminapp.client._client import API_PREFIX
from adminapp.client._transport import FileUpload, MultipartStream, Request, Response
from adminapp.core.http import INPROCESS_ATTR, client_ip, error_response, new_request_id

CLIENT_ATTR = "_adminapp_inprocess_client"
API_NAMESPACE = "api"
# Headers of the SDK call itself (never of the outer request) that reach the API.
FORWARDED_SDK_HEADERS = {"idempotency-key": "HTTP_IDEMPOTENCY_KEY"}


def api_middleware(view: Callable[[HttpRequest], HttpResponseBase]):
    """``view`` wrapped in the API's middleware, ``settings.API_MIDDLEWARE``: the same list,
    in the same order, as over HTTP (where ``settings.MIDDLEWARE`` ends with it)."""
    handler = view
    for path in reversed(settings.API_MIDDLEWARE):
        handler = import_string(path)(handler)
    return handler


def _release(response: HttpResponseBase) -> None:
    """Close a Django response's resources (an open file) without ``close()``, which would
    send ``request_finished`` and close the outer request's database connection."""
    for closer in response._resource_closers:
        try:
            closer()
        except Exception:  # noqa: S112 - same policy as HttpResponseBase.close
            continue
    response._resource_closers.clear()


class InProcessTransport:
    """A transport that calls the API view in this process, as ``outer_request.user``."""

    def __init__(self, outer_request: HttpRequest) -> None:
        self.outer = outer_request

    def _environ(
        self,
        method: str,
        path: str,
        query: str,
        body: bytes,
        headers: Mapping[str, str],
        upload: FileUpload | None = None,
    ) -> dict[str, Any]:
        meta = self.outer.META
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": meta.get("SERVER_NAME", "localhost"),
            "SERVER_PORT": str(meta.get("SERVER_PORT", "80")),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": meta.get("REMOTE_ADDR", "127.0.0.1"),
            "HTTP_ACCEPT": "application/json",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.outer.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if meta.get("HTTP_HOST"):
            environ["HTTP_HOST"] = meta["HTTP_HOST"]
        if upload is not None:
            # Django's multipart parser reads the body from this stream in chunks (a large
            # file goes to a temporary file), as from a socket: never whole into memory.
            stream = upload.open()
            environ["wsgi.input"] = stream
            environ["CONTENT_TYPE"] = upload.content_type
            environ["CONTENT_LENGTH"] = str(len(stream))
        elif body:
            environ["CONTENT_TYPE"] = "application/json"
            environ["CONTENT_LENGTH"] = str(len(body))
        for name, value in headers.items():
            key = FORWARDED_SDK_HEADERS.get(name.lower())
            if key:
                environ[key] = value
        return environ

    def build_request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        upload: FileUpload | None = None,
    ) -> WSGIRequest:
        """The inner request for one SDK call (public for tests and debugging)."""
        if not path.startswith("/"):
            path = "/" + path
        body = jsonlib.dumps(json, separators=(",", ":")).encode() if json is not None else b""
        environ = self._environ(
            method.upper(),
            API_PREFIX + unquote(path),  # WSGI's PATH_INFO is decoded
            urlencode(params or {}),
            body,
            headers or {},
            upload,
        )
        inner = WSGIRequest(environ)
        outer = self.outer
        if hasattr(outer, "session"):
            inner.session = outer.session
        if hasattr(outer, "user"):
            inner.user = outer.user
        inner.request_id = getattr(outer, "request_id", None) or new_request_id()
        inner.client_ip = getattr(outer, "client_ip", None) or client_ip(outer)
        setattr(inner, INPROCESS_ATTR, True)
        # The outer request already passed CsrfViewMiddleware, and the inner one carries no
        # cookie to forge. Without this, an expired session's POST would be refused by the
        # session authenticator's CSRF check (403) instead of being unauthenticated (401).
        inner._dont_enforce_csrf_checks = True
        return inner

    def _dispatch(self, inner: WSGIRequest) -> HttpResponseBase:
        try:
            match = resolve(inner.path_info)
        except Http404:
            match = None
        if match is None or API_NAMESPACE not in match.namespaces:
            return error_response(inner, status=404, code="not_found", message="No such endpoint.")
        inner.resolver_match = match

        def view(request: HttpRequest) -> HttpResponseBase:
            return match.func(request, *match.args, **match.kwargs)

        return api_middleware(view)(inner)

    def send(self, request: Request) -> Response:
        inner = self.build_request(
            request.method,
            request.path,
            params=request.params,
            json=request.json,
            headers=request.headers,
            upload=request.upload,
        )
        try:
            response = self._dispatch(inner)
        finally:
            stream = inner.META.get("wsgi.input")
            if isinstance(stream, MultipartStream):
                stream.close()
        if request.method.upper() not in ("GET", "HEAD"):
            # A write may have changed the caller's own membership or role (or signed in or
            # out): the next call must look it up again.
            forget_session_memo(self.outer)
        response["X-Request-ID"] = inner.request_id
        self._mirror_session_changes(inner)

        headers_out = dict(response.items())
        if response.streaming:
            return Response(
                status_code=response.status_code,
                headers=headers_out,
                stream=response.streaming_content,
                on_close=lambda: _release(response),
            )
        assert isinstance(response, HttpResponse)  # non-streaming, checked above
        content = response.content
        _release(response)
        return Response(status_code=response.status_code, headers=headers_out, content=content)

    def _mirror_session_changes(self, inner: WSGIRequest) -> None:
        """A login/logout in the API changed who the shared session belongs to: reflect it
        on the outer request as ``django.contrib.auth.login()`` would have."""
        outer = self.outer
        if hasattr(inner, "user") and getattr(outer, "user", None) is not inner.user:
            outer.user = inner.user
        if inner.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
            outer.META["CSRF_COOKIE"] = inner.META["CSRF_COOKIE"]
            outer.META["CSRF_COOKIE_NEEDS_UPDATE"] = True

    def close(self) -> None:
        pass


def client_for_request(request: HttpRequest) -> AdminClient:
    """The SDK acting as ``request.user`` in the session's organization, in-process.

    One client per request (cached on it). ``max_retries=0``: a retry in-process would only
    repeat the same work. No API key is used, whatever the environment says.
    """
    client = getattr(request, CLIENT_ATTR, None)
    if client is None:
        client = AdminClient(
            api_key="",
            base_url="http://in-process",
            max_retries=0,
            transport=InProcessTransport(request),
        )
        setattr(request, CLIENT_ATTR, client)
    return client
