"""A ``multipart/form-data`` request body streamed from a file, never read whole.

``requests`` builds a ``files=`` body in memory; this one is an iterable of bytes with a
length instead, so ``requests`` sends it with a ``Content-Length`` (the API refuses chunked
bodies) block by block, and the in-process transport reads it as the request's stream.
Iterating it again starts the file over, so a retried request sends the whole body again.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator, Mapping
from typing import IO

CHUNK_SIZE = 256 * 1024


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


class MultipartBody:
    """Form ``fields`` (text) and one file part named ``file_field`` read from ``fileobj``
    (binary, seekable) from its current position to its end."""

    def __init__(
        self,
        *,
        fields: Mapping[str, str],
        file_field: str,
        fileobj: IO[bytes],
        filename: str,
        content_type: str = "application/octet-stream",
    ) -> None:
        self.boundary = uuid.uuid4().hex
        self.fileobj = fileobj
        self.start = fileobj.tell()
        fileobj.seek(0, os.SEEK_END)
        self.file_size = fileobj.tell() - self.start
        fileobj.seek(self.start)
        head = io.BytesIO()
        for name, value in fields.items():
            head.write(
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"'
                f"\r\n\r\n{value}\r\n".encode()
            )
        head.write(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(file_field)}"; '
            f'filename="{_quote(filename)}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        )
        self.head = head.getvalue()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self.head) + self.file_size + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        self.fileobj.seek(self.start)
        yield self.head
        remaining = self.file_size
        while remaining > 0:
            block = self.fileobj.read(min(CHUNK_SIZE, remaining))
            if not block:
                raise OSError("The file got shorter while it was being sent.")
            remaining -= len(block)
            yield block
        yield self.tail

    def reader(self) -> io.BufferedReader:
        """The body as a readable binary stream (for a WSGI ``wsgi.input``)."""
        return io.BufferedReader(_IterReader(iter(self)), buffer_size=CHUNK_SIZE)


class _IterReader(io.RawIOBase):
    def __init__(self, blocks: Iterator[bytes]) -> None:
        self.blocks, self.pending = blocks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001 - a writable buffer
        while not self.pending:
            try:
                self.pending = next(self.blocks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size
