"""Test-only views that use the in-process SDK the way dashboard views will."""

from __future__ import annotations

from django.core.signals import request_finished, request_started
from django.db import connection
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.urls import path

from adminapp.api.inprocess import client_for_request
from adminapp.client import APIStatusError
from adminapp.urls import urlpatterns as app_urlpatterns


def _error(exc: APIStatusError) -> JsonResponse:
    return JsonResponse(
        {
            "error_class": type(exc).__name__,
            "status": exc.status_code,
            "code": exc.code,
            "fields": exc.fields,
            "request_id": exc.request_id,
        },
        status=299,  # the outer view itself succeeded; the SDK call failed
    )


def whoami(request: HttpRequest) -> JsonResponse:
    """``me.get()`` in-process, recording request signals fired during the inner call."""
    fired: list[str] = []

    def on_started(**kwargs):
        fired.append("request_started")

    def on_finished(**kwargs):
        fired.append("request_finished")

    request_started.connect(on_started)
    request_finished.connect(on_finished)
    try:
        me = client_for_request(request).me.get()
    except APIStatusError as exc:
        return _error(exc)
    finally:
        request_started.disconnect(on_started)
        request_finished.disconnect(on_finished)
    with connection.cursor() as cursor:  # the outer request's connection still works
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return JsonResponse(
        {
            "email": me.user.email if me.user else None,
            "org": me.organization.id,
            "role": me.role,
            "principal_type": me.principal_type,
            "api_key_id": me.api_key_id,
            "signals": fired,
            "db": one,
            "same_client": client_for_request(request) is client_for_request(request),
        }
    )


def call(request: HttpRequest) -> JsonResponse:
    """Runs the SDK call named by ?op= and reports the outcome."""
    client = client_for_request(request)
    op = request.GET["op"]
    try:
        if op == "get_key":
            result = client.api_keys.get(request.GET["key_id"]).model_dump(mode="json")
        elif op == "create_key":
            result = client.api_keys.create(label=request.GET["label"]).model_dump(mode="json")
        elif op == "raw":
            resp = client.request(request.GET["method"], request.GET["path"])
            result = {"status": resp.status_code}
        elif op == "login":
            me = client.auth.login(email=request.GET["email"], password=request.GET["password"])
            again = client.me.get()  # the same outer request now acts as the new user
            result = {"email": me.user.email, "again": again.user.email}
        else:
            raise ValueError(op)
    except APIStatusError as exc:
        return _error(exc)
    return JsonResponse({"result": result})


def download(request: HttpRequest) -> JsonResponse:
    """Reads a job's result file and item CSV in-process, recording request signals."""
    fired: list[str] = []

    def on_finished(**kwargs):
        fired.append("request_finished")

    client = client_for_request(request)
    request_finished.connect(on_finished)
    try:
        with client.jobs.open_download(request.GET["job_id"]) as response:
            chunks = list(response.iter_bytes())
            content_type = response.headers["Content-Type"]
        items_csv = client.jobs.download_items_csv(request.GET["job_id"])
    except APIStatusError as exc:
        return _error(exc)
    finally:
        request_finished.disconnect(on_finished)
    return JsonResponse(
        {
            "content": b"".join(chunks).decode(),
            "content_type": content_type,
            "items_csv": items_csv.decode(),
            "signals": fired,
        }
    )


def passthrough(request: HttpRequest) -> StreamingHttpResponse:
    """The dashboard's way to hand a result file to the browser without buffering it."""
    response = client_for_request(request).jobs.open_download(request.GET["job_id"])
    streamed = StreamingHttpResponse(response.iter_bytes(), content_type="text/csv")
    streamed["Content-Disposition"] = response.headers.get("Content-Disposition", "")
    return streamed


urlpatterns = [
    path("_test/whoami", whoami),
    path("_test/download", download),
    path("_test/passthrough", passthrough),
    path("_test/call", call),
    *app_urlpatterns,
]
