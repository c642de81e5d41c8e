"""Each operation's operationId is published and stays what it is: named where its router is
mounted, never derived from the module the endpoint happens to live in."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from ninja import Router

from adminapp.api.openapi import RATE_LIMITED, SESSION_ONLY_READS, DocumentedAPI

PINNED = Path(__file__).with_name("operation_ids.txt")


def _published(schema) -> list[tuple[str, str, str]]:
    return sorted(
        (operation.get("operationId"), method.upper(), path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    )


def test_every_operation_keeps_its_published_operation_id(client):
    published = _published(client.get("/api/v1/openapi.json").json())
    ids = [operation_id for operation_id, _method, _path in published]
    assert None not in ids
    assert len(ids) == len(set(ids))
    pinned = {line for line in PINNED.read_text().splitlines() if not line.startswith("#")}
    lines = {" ".join(row) for row in published}
    assert lines == pinned, (
        f"changed or new: {sorted(lines - pinned)}; gone: {sorted(pinned - lines)}"
    )
    # The error statuses documented per operation (429, 400) key on ids that exist.
    assert set(ids) >= RATE_LIMITED | SESSION_ONLY_READS


def _api_with(router: Router, **mount) -> DocumentedAPI:
    documented = DocumentedAPI(urls_namespace="operation-ids-test")
    documented.add_router("/things", router, **mount)
    return documented


def _operation_ids(documented: DocumentedAPI) -> set[str]:
    schema = documented.get_openapi_schema(path_prefix="/")
    return {op["operationId"] for ops in schema["paths"].values() for op in ops.values()}


def test_moving_an_endpoint_to_another_module_keeps_its_operation_id():
    def list_things(request):
        return []

    ids = set()
    for module in ("adminapp.things.api", "adminapp.things.api.listing"):
        list_things.__module__ = module  # as if the function moved
        router = Router()
        router.get("/")(list_things)
        ids |= _operation_ids(_api_with(router, operation_ids="adminapp_things_api"))
    assert ids == {"adminapp_things_api_list_things"}


def test_a_router_under_a_mounted_one_takes_its_prefix_and_a_route_may_name_its_own():
    outer, inner = Router(), Router()
    outer.get("/", operation_id="count_things")(lambda request: 0)

    @inner.post("/archive")
    def archive_things(request):
        return None

    outer.add_router("/more", inner)
    ids = _operation_ids(_api_with(outer, operation_ids="adminapp_things_api"))
    assert ids == {"count_things", "adminapp_things_api_archive_things"}


def test_an_operation_without_an_id_stops_the_document_instead_of_using_its_module():
    router = Router()

    @router.get("/")
    def list_things(request):
        return []

    with pytest.raises(ImproperlyConfigured, match="list_things has no operationId"):
        _api_with(router).get_openapi_schema(path_prefix="/")
