from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel

if TYPE_CHECKING:
    from adminapp.client._client import AdminClient

M = TypeVar("M", bound=BaseModel)


def seg(value: str) -> str:
    """One path segment, escaped (an id can never reach a different endpoint).

    ``.`` and ``..`` are escaped too: URL normalisation (RFC 3986 dot segments, done by
    requests/urllib3) would otherwise drop them and send the call to the parent path."""
    escaped = quote(str(value), safe="")
    if escaped in (".", ".."):
        return escaped.replace(".", "%2E")
    return escaped


def body(**fields: Any) -> dict[str, Any]:
    """A JSON body without the fields left at None (the server applies its defaults)."""
    return {key: value for key, value in fields.items() if value is not None}


class Resource:
    def __init__(self, client: AdminClient) -> None:
        self._client = client

    def _get(self, path: str, model: type[M], params: dict[str, Any] | None = None) -> M:
        return model.model_validate(self._client.request("GET", path, params=params).json())

    def _send(self, method: str, path: str, model: type[M], json: Any = None) -> M:
        return model.model_validate(self._client.request(method, path, json=json).json())

    def _send_empty(self, method: str, path: str, json: Any = None) -> None:
        self._client.request(method, path, json=json)
