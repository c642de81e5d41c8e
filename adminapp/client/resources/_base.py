"""What every resource shares: the request it makes, path segments, request bodies shaped
by their ``*Params`` model, and cursor pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

from pydantic import BaseModel

from adminapp.client._pagination import CursorPage
from adminapp.client._transport import Response
from adminapp.client.types.common import Pagination, ParamsModel

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class Requester(Protocol):
    """What a resource needs of the client: ``AdminClient.request`` (its options: params,
    json, stream, creates_job, idempotency_key, upload)."""

    def request(self, method: str, path: str, **options: Any) -> Response: ...


def seg(value: str) -> str:
    """One path segment, escaped (an id can never reach a different endpoint).

    ``.`` and ``..`` are escaped too: URL normalisation (RFC 3986 dot segments, done by
    requests/urllib3) would otherwise drop them and send the call to the parent path."""
    escaped = quote(str(value), safe="")
    if escaped in (".", ".."):
        return escaped.replace(".", "%2E")
    return escaped


def body(params: type[ParamsModel], **fields: Any) -> dict[str, Any]:
    """The JSON body of a request, shaped by ``params`` — the model the server validates
    the body with. A name the model does not have is a ``TypeError`` here; fields left at
    None are not sent (the server applies its defaults); the values themselves are the
    server's to judge, so every door gets the same rules and messages."""
    unknown = sorted(set(fields) - set(params.model_fields))
    if unknown:
        raise TypeError(f"{params.__name__} has no field {', '.join(unknown)}")
    given = {name: value for name, value in fields.items() if value is not None}
    return params.model_construct(**given).model_dump(
        mode="json", exclude_unset=True, warnings=False
    )


class Resource:
    def __init__(self, client: Requester) -> None:
        self._client = client

    def _get(self, path: str, model: type[M], params: dict[str, Any] | None = None) -> M:
        return model.model_validate(self._client.request("GET", path, params=params).json())

    def _send(self, method: str, path: str, model: type[M], json: Any = None) -> M:
        return model.model_validate(self._client.request(method, path, json=json).json())

    def _send_empty(self, method: str, path: str, json: Any = None) -> None:
        self._client.request(method, path, json=json)

    def _page(
        self,
        path: str,
        model: type[BaseModel],
        params: dict[str, Any],
        *,
        items: str = "items",
        item: Callable[[Any], T] | None = None,
    ) -> CursorPage[T]:
        """A cursor page of ``GET path``: the wire page ``model`` (its list under ``items``),
        each entry made by ``item`` (default: the model's own item type)."""
        data = self._client.request("GET", path, params=params).json()
        if item is None:
            parsed = model.model_validate(data)
            rows = getattr(parsed, items)
            pagination = parsed.pagination
        else:
            rows = [item(raw) for raw in data[items]]
            pagination = Pagination.model_validate(data["pagination"])
        return CursorPage(
            items=rows,
            pagination=pagination,
            fetch=lambda cursor: self._page(
                path, model, {**params, "cursor": cursor}, items=items, item=item
            ),
            cursor=params.get("cursor"),
        )
