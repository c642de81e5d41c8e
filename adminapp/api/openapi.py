"""The error responses of every operation, declared in the OpenAPI document (each with the
one error body, ``ErrorBody``), so generated clients and contract tests know them.

Which statuses an operation can answer follows from what it is: every operation can be a
401 (missing or dead credentials; a wrong password at sign-in), a 403, a 404 (an id of
another organization, a space token outside its space), a 422 (bad input) and a 500; one
that writes a 400, 409 (a conflict with the current state), 411 (a chunked body) and 413 (a
body over the limit); one the rate limiter guards a 429.

Each operation's ``operationId`` is published (generated clients name their methods after it,
and the sets below key on it), so it must not change when an endpoint moves to another
module. django-ninja's default is ``<module>_<function>``; here every router is mounted with
``operation_ids="<prefix>"`` and its operations are named ``<prefix>_<function>`` (a route's
own ``operation_id=`` wins), so the module plays no part; an operation left without an id
stops the document from being built rather than fall back to the module.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from ninja import NinjaAPI, Router
from ninja.operation import Operation

from adminapp.client.types.common import STATUS_CODES, ErrorBody

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
ALWAYS = (401, 403, 404, 422, 500)
WRITES = (400, 409, 411, 413)
# operationIds of the operations the rate limiter guards (RATE_LIMIT_LOGIN, _KEY_CREATE).
RATE_LIMITED = {"adminapp_accounts_api_login", "adminapp_accounts_api_create_api_key"}
# Two-factor codes (RATE_LIMIT_TWO_FACTOR).
RATE_LIMITED |= {
    "adminapp_accounts_api_login_two_factor",
    "adminapp_accounts_api_two_factor_confirm",
    "adminapp_accounts_api_two_factor_disable",
    "adminapp_accounts_api_two_factor_recovery_codes",
}
# Reads of a browser session's own account: an API key gets 400 session_required.
SESSION_ONLY_READS = {
    "adminapp_accounts_api_two_factor_status",
    "adminapp_accounts_api_two_factor_pending",
    "adminapp_accounts_api_list_sessions",
}
_MEANING = {
    400: "The request cannot be carried out as asked.",
    401: "No credentials, or credentials that no longer work.",
    403: "Your role does not allow this.",
    404: "Not found (also anything of another organization).",
    409: "Conflicts with the current state (a taken name, a key reused, ...).",
    411: "A chunked body: send a Content-Length.",
    413: "The body is over the size limit.",
    422: "The input is not valid; fields says which and why.",
    429: "Too many requests; see Retry-After.",
    500: "Something went wrong on our side; quote the request id.",
}


def error_statuses(method: str, operation: dict[str, Any]) -> list[int]:
    statuses = set(ALWAYS)
    if method in ("post", "put", "patch", "delete"):
        statuses.update(WRITES)
    if operation.get("operationId") in RATE_LIMITED:
        statuses.add(429)
    if operation.get("operationId") in SESSION_ONLY_READS:
        statuses.add(400)
    return sorted(statuses)


def name_operations(router: Router, prefix: str) -> None:
    """Give each operation of ``router`` (and of the routers under it) that has no id of its
    own the id ``<prefix>_<function name>``."""
    for path_view in router.path_operations.values():
        for operation in path_view.operations:
            if operation.operation_id is None:
                operation.operation_id = f"{prefix}_{operation.view_func.__name__}"
    for _child_prefix, child, _tags in router._routers:
        name_operations(child, prefix)


class DocumentedAPI(NinjaAPI):
    def add_router(  # type: ignore[override]
        self, prefix: str, router: Router, *, operation_ids: str | None = None, **kwargs: Any
    ) -> None:
        """Mount ``router``; ``operation_ids`` is the prefix of its operations' ids."""
        if operation_ids is not None:
            name_operations(router, operation_ids)
        super().add_router(prefix, router, **kwargs)

    def get_openapi_operation_id(self, operation: Operation) -> str:
        # Only reached for an operation without an id: never derive one from its module.
        func = operation.view_func
        raise ImproperlyConfigured(
            f"{func.__module__}.{func.__name__} has no operationId: mount its router with "
            "add_router(..., operation_ids=...) or give the route operation_id=..."
        )

    def get_openapi_schema(self, **kwargs: Any):
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(body.pop("$defs", {}))
        components["ErrorBody"] = body
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status in error_statuses(method, operation):
                    responses.setdefault(
                        status,
                        {
                            "description": f"{STATUS_CODES.get(status, 'error')}: "
                            f"{_MEANING[status]}",
                            "content": {"application/json": {"schema": ERROR_REF}},
                        },
                    )
        return schema
