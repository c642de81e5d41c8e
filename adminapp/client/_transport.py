"""How a request reaches the API: over HTTP (:class:`HTTPTransport`), or in-process for the
dashboard (``adminapp.api.inprocess.InProcessTransport``).

A transport sends one request and returns a :class:`Response`; it never retries and never
interprets statuses (the client does both). It raises :class:`APIConnectionError` /
:class:`APITimeoutError` when no answer came back.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import requests
from requests.structures import CaseInsensitiveDict

from adminapp.client._errors import APIConnectionError, APITimeoutError
from adminapp.client._multipart import MultipartBody

CHUNK_SIZE = 64 * 1024


class Response:
    """One answer: ``status_code``, ``headers`` (case-insensitive), and the body, either
    buffered (``content`` / ``json()``) or streamed (``iter_bytes()``, then ``close()``).

    A streamed response is a context manager: ``with client.jobs.open_download(id) as r:``.
    """

    def __init__(
        self,
        *,
        status_code: int,
        headers: Mapping[str, str],
        content: bytes | None = None,
        stream: Iterable[bytes] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.status_code = status_code
        self.headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(headers)
        self._content = content
        self._stream = stream
        self._on_close = on_close
        self.closed = False

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def content(self) -> bytes:
        """The whole body (reads a streamed body to its end and closes it)."""
        if self._content is None:
            try:
                self._content = b"".join(self._stream or ())
            finally:
                self.close()
        return self._content

    def json(self) -> Any:
        return jsonlib.loads(self.content) if self.content else None

    def iter_bytes(self) -> Iterator[bytes]:
        """The body in chunks; a streamed body can be iterated once."""
        if self._content is not None:
            if self._content:
                yield self._content
            return
        try:
            for chunk in self._stream or ():
                if chunk:
                    yield chunk
        finally:
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._on_close is not None:
            self._on_close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Response {self.status_code}>"


@dataclass(frozen=True)
class Request:
    """One request as the client hands it to a transport: ``path`` under ``/api/v1``,
    ``params`` already strings, ``json`` already JSON-ready (or None)."""

    method: str
    path: str
    params: Mapping[str, str] | None = None
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    stream: bool = False
    # A multipart/form-data body streamed from a file (instead of ``json``).
    upload: MultipartBody | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@runtime_checkable
class Transport(Protocol):
    def send(self, request: Request) -> Response: ...

    def close(self) -> None: ...


class HTTPTransport:
    """Requests over HTTP with a pooled :class:`requests.Session`."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | None = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")  # ends in /api/v1
        self.timeout = timeout
        self.session = session or requests.Session()

    def send(self, request: Request) -> Response:
        data = None
        headers = dict(request.headers)
        if request.json is not None:
            data = jsonlib.dumps(request.json, separators=(",", ":")).encode()
            headers.setdefault("Content-Type", "application/json")
        elif request.upload is not None:
            data = request.upload  # iterable with a length: streamed with Content-Length
            headers["Content-Type"] = request.upload.content_type
        try:
            resp = self.session.request(
                request.method,
                self.base_url + request.path,
                params=request.params,
                data=data,
                headers=headers,
                timeout=self.timeout,
                stream=request.stream,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise APITimeoutError(f"{request} timed out after {self.timeout}s.") from exc
        except requests.RequestException as exc:
            raise APIConnectionError(f"{request}: could not reach {self.base_url}: {exc}") from exc

        if not request.stream:
            try:
                content = resp.content
            except requests.Timeout as exc:
                raise APITimeoutError(f"{request} timed out reading the answer.") from exc
            except requests.RequestException as exc:
                raise APIConnectionError(f"{request}: the answer broke off: {exc}") from exc
            finally:
                resp.close()
            return Response(status_code=resp.status_code, headers=resp.headers, content=content)
        return Response(
            status_code=resp.status_code,
            headers=resp.headers,
            stream=_guard_stream(resp, str(request)),
            on_close=resp.close,
        )

    def close(self) -> None:
        self.session.close()


def _guard_stream(resp: requests.Response, what: str) -> Iterator[bytes]:
    """Chunks of a streamed body, with transport failures raised as SDK errors."""
    try:
        yield from resp.iter_content(CHUNK_SIZE)
    except requests.Timeout as exc:
        raise APITimeoutError(f"{what} timed out while streaming the answer.") from exc
    except requests.RequestException as exc:
        raise APIConnectionError(f"{what}: the answer broke off: {exc}") from exc
