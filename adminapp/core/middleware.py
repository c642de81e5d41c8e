"""Request id + client IP on every request, and the health probes (the API's own middleware
is in ``adminapp.api.middleware``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from adminapp.core import logs
from adminapp.core.http import client_ip, new_request_id


class RequestContextMiddleware:
    """Gives every request an id (``X-Request-ID`` in and out) and its client IP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = new_request_id(request.headers.get("X-Request-ID"))
        request.client_ip = client_ip(request)
        # Every log line of this request carries its id (and, once authenticated, its org
        # and principal). Not reset afterwards: Django logs the response after the
        # middleware returned; the next request on this thread starts afresh.
        logs.start(request_id=request.request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class HealthCheckMiddleware:
    """Answers /healthz and /readyz before host validation, HTTPS redirects and sessions:
    load balancers and orchestrators probe by IP address over plain HTTP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from adminapp.core import views

        probe = {"/healthz": views.healthz, "/readyz": views.readyz}.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)
