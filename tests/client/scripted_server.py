"""A real HTTP server on 127.0.0.1 answering from a script, recording what it received.

Used to prove the SDK's retries, backoff, Retry-After and Idempotency-Key over real sockets
(the API itself never misbehaves on cue)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    sleep: float = 0.0  # before answering (to provoke a read timeout)
    drop: bool = False  # close the connection without answering


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class ScriptedServer:
    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.responder: Callable[[Received], Reply] | None = None
        self.received: list[Received] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                record = Received(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                    at=time.monotonic(),
                )
                server.received.append(record)
                reply = server.next_reply(record)
                if reply.sleep:
                    time.sleep(reply.sleep)
                if reply.drop:
                    self.close_connection = True
                    return
                payload = reply.body
                content_type = "text/html"
                if reply.json is not None:
                    payload = json.dumps(reply.json).encode()
                    content_type = "application/json"
                payload = payload or b""
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.headers.pop("Content-Type", content_type))
                self.send_header("Content-Length", str(len(payload)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def next_reply(self, record: Received) -> Reply:
        if self.responder is not None:
            return self.responder(record)
        if not self.replies:
            return Reply(500, json={"error": {"code": "unscripted", "message": "no reply"}})
        return self.replies.popleft()

    def start(self) -> ScriptedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
