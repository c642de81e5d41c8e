"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and the worker
settings that send mail to it. Used as fixtures by the tests of mail (accounts, browser)."""

from __future__ import annotations

import email
import re
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from tests.helpers import wait_for


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def link(self, path: str) -> str:
        """The first URL in the body whose path starts with ``path``."""
        found = re.search(rf"https?://\S+?{re.escape(path)}\S*", self.body)
        assert found, f"no link to {path} in:\n{self.body}"
        return found.group(0)


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        with socket.socket() as probe:  # a free port (aiosmtpd checks readiness by connecting)
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.handler = _Handler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def wait_for_mail(self, to: str, *, count: int = 1, timeout: float = 60) -> Received:
        """The ``count``-th message to ``to``, once it has arrived."""

        def arrived():
            mine = [m for m in self.received if to in m.rcpt_tos]
            return mine[count - 1] if len(mine) >= count else None

        return wait_for(arrived, timeout=timeout, message=f"mail #{count} to {to}")

    def env(self) -> dict[str, str]:
        """The environment a worker process sends its mail here with."""
        return {
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "false",
            "DEFAULT_FROM_EMAIL": "adminapp-test@example.com",
        }


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture
def mail_worker(celery_workers, smtp_server):
    """A real worker whose mail goes to ``smtp_server``."""
    celery_workers.start(smtp_server.env())
    return celery_workers
