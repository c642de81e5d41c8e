"""How a request reaches the API: over HTTP (:class:`HTTPTransport`), or in-process for the
dashboard (``adminapp.api.inprocess.InProcessTransport``).

A transport sends one request and returns a :class:`Response`; it never retries and never
interprets statuses (the client does both). It raises :class:`APIConnectionError` /
:class:`APITimeoutError` when no answer came back.
"""

from __future__ import annotations

import json as jsonlib
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Protocol, runtime_checkable

import requests
from requests.structures import CaseInsensitiveDict

from adminapp.client._errors import APIConnectionError, APITimeoutError

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


class FileUpload:
    """A ``multipart/form-data`` body: text ``fields`` and one file, streamed from disk (or a
    seekable binary file object) and never read whole into memory.

    ``open()`` returns a fresh :class:`MultipartStream` over the body each time it is called,
    so a retried request sends it again from the start. The body's length is known in
    advance (the file's size), so it is sent with a ``Content-Length``, never chunked.
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | IO[bytes],
        *,
        field: str = "file",
        filename: str | None = None,
        content_type: str = "application/octet-stream",
        fields: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(source, str | os.PathLike):
            self._path: str | None = os.fspath(source)
            self._file: IO[bytes] | None = None
            self._start = 0
            self.size = os.path.getsize(self._path)
            default_name = os.path.basename(self._path)
        else:
            if not (hasattr(source, "read") and hasattr(source, "seek")):
                raise TypeError("A file upload needs a path or a seekable binary file object.")
            self._path, self._file = None, source
            self._start = source.tell()
            self.size = source.seek(0, os.SEEK_END) - self._start
            source.seek(self._start)
            default_name = os.path.basename(str(getattr(source, "name", "") or "upload"))
        self.filename = filename or default_name
        self.boundary = f"adminapp-{uuid.uuid4().hex}"
        self._head = b"".join(
            _part_header(self.boundary, name, None) + str(value).encode() + b"\r\n"
            for name, value in (fields or {}).items()
        ) + _part_header(self.boundary, field, (self.filename, content_type))
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head) + self.size + len(self._tail)

    def open(self) -> MultipartStream:
        """The body from its start, as a file-like object (``read``, ``readline``, ``len``)."""
        if self._path is not None:
            return MultipartStream(self._head, open(self._path, "rb"), self.size, self._tail, True)  # noqa: SIM115 - closed by the stream
        assert self._file is not None
        self._file.seek(self._start)
        return MultipartStream(self._head, self._file, self.size, self._tail, False)


def _quoted(value: str) -> str:
    cleaned = value.replace("\r", " ").replace("\n", " ")
    return cleaned.replace("\\", "\\\\").replace('"', '\\"')


def _part_header(boundary: str, name: str, file: tuple[str, str] | None) -> bytes:
    disposition = f'form-data; name="{_quoted(name)}"'
    lines = [f"--{boundary}"]
    if file is None:
        lines.append(f"Content-Disposition: {disposition}")
    else:
        lines.append(f'Content-Disposition: {disposition}; filename="{_quoted(file[0])}"')
        lines.append(f"Content-Type: {file[1]}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class MultipartStream:
    """One pass over a multipart body: its head, ``size`` bytes of the file, its tail."""

    def __init__(self, head: bytes, file: IO[bytes], size: int, tail: bytes, owns: bool):
        self._segments: list[bytes | IO[bytes]] = [head, file, tail]
        self._left = size  # file bytes still to send (the file may have grown since)
        self._file, self._owns = file, owns
        self._buffer = b""
        self._length = len(head) + size + len(tail)

    def __len__(self) -> int:
        return self._length

    def _next(self, size: int) -> bytes:
        while self._segments:
            segment = self._segments[0]
            if isinstance(segment, bytes):
                self._segments.pop(0)
                if segment:
                    return segment
                continue
            data = segment.read(min(size, self._left)) if self._left > 0 else b""
            if not data:
                if self._left > 0:
                    raise OSError("The file to upload shrank while it was being sent.")
                self._segments.pop(0)
                continue
            self._left -= len(data)
            return data
        return b""

    def read(self, size: int | None = -1) -> bytes:
        want = CHUNK_SIZE if size is None or size < 0 else size
        out = [self._buffer]
        have = len(self._buffer)
        while have < want or (size is None or size < 0):
            data = self._next(max(want - have, CHUNK_SIZE))
            if not data:
                break
            out.append(data)
            have += len(data)
        joined = b"".join(out)
        if size is None or size < 0:
            self._buffer = b""
            self.close()
            return joined
        self._buffer = joined[size:]
        return joined[:size]

    def readline(self, size: int | None = -1) -> bytes:
        limit = None if size is None or size < 0 else size
        while b"\n" not in self._buffer and (limit is None or len(self._buffer) < limit):
            data = self._next(CHUNK_SIZE)
            if not data:
                break
            self._buffer += data
        end = self._buffer.find(b"\n") + 1 or len(self._buffer)
        if limit is not None:
            end = min(end, limit)
        line, self._buffer = self._buffer[:end], self._buffer[end:]
        return line

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(CHUNK_SIZE):
            yield chunk

    def close(self) -> None:
        if self._owns and not self._file.closed:
            self._file.close()


@dataclass(frozen=True)
class Request:
    """One request as the client hands it to a transport: ``path`` under ``/api/v1``,
    ``params`` already strings, ``json`` already JSON-ready (or None); ``upload`` a
    multipart body with a file instead of ``json``."""

    method: str
    path: str
    params: Mapping[str, str] | None = None
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    stream: bool = False
    upload: FileUpload | None = None

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
        data: Any = None
        headers = dict(request.headers)
        if request.upload is not None:
            data = request.upload.open()
            headers["Content-Type"] = request.upload.content_type
            headers["Content-Length"] = str(len(data))
        elif request.json is not None:
            data = jsonlib.dumps(request.json, separators=(",", ":")).encode()
            headers.setdefault("Content-Type", "application/json")
        try:
            return self._send(request, data, headers)
        finally:
            if isinstance(data, MultipartStream):
                data.close()

    def _send(self, request: Request, data: Any, headers: dict[str, str]) -> Response:
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
