"""``AdminClient``: configuration, the request loop (auth headers, retries, error mapping)
and the resources as cached sub-clients (STYLE 8, 10)."""

from __future__ import annotations

import logging
import os
import random
import time
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from datetime import time as dtime
from enum import Enum
from functools import cached_property
from typing import Any

from pydantic_core import to_jsonable_python

from adminapp.client._errors import (
    APIConnectionError,
    make_status_error,
    parse_retry_after,
)
from adminapp.client._transport import FileUpload, HTTPTransport, Request, Response, Transport
from adminapp.client._version import __version__
from adminapp.client.resources.api_keys import ApiKeys
from adminapp.client.resources.audit import Audit
from adminapp.client.resources.auth import Auth
from adminapp.client.resources.catalog import DataRows, Datasets
from adminapp.client.resources.global_keys import GlobalKeys
from adminapp.client.resources.instance import Instance
from adminapp.client.resources.jobs import Jobs
from adminapp.client.resources.me import MeResource
from adminapp.client.resources.organizations import Organizations
from adminapp.client.resources.permissions import Permissions
from adminapp.client.resources.plugins import Plugins
from adminapp.client.resources.roles import Roles
from adminapp.client.resources.spaces import Spaces
from adminapp.client.resources.storage import Storage

logger = logging.getLogger("adminapp.client")

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
API_PREFIX = "/api/v1"
USER_AGENT = f"adminapp-python/{__version__}"

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Replaying these cannot do the work twice. POST/PATCH are replayed only with an
# Idempotency-Key, or after a 429/503 carrying Retry-After (the server refused the work).
REPLAY_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"})
BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 8.0
# A longer Retry-After is not slept through silently: the error is raised (it carries
# ``retry_after``) and the caller decides.
RETRY_AFTER_MAX = 60.0


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    return str(value)


def encode_query(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Query parameters as strings: ``None`` dropped, datetimes ISO 8601, booleans lower-case."""
    if not params:
        return None
    return {key: _query_value(value) for key, value in params.items() if value is not None}


def backoff_delay(attempt: int) -> float:
    """0.5 s × 2^attempt, capped at 8 s, minus up to 25 % jitter."""
    base = min(BACKOFF_MAX, BACKOFF_INITIAL * (2**attempt))
    return base * (1 - 0.25 * random.random())


class AdminClient:
    """The adminapp API from Python.

    ``AdminClient()`` reads ``ADMINAPP_API_KEY`` and ``ADMINAPP_BASE_URL`` (default
    ``http://127.0.0.1:8000``). Failed calls are retried up to ``max_retries`` times
    (connection errors, timeouts, 408/429/5xx) with exponential backoff honouring
    ``Retry-After``; errors are raised as the classes in ``adminapp.client``.

        client = AdminClient(api_key="adm_…")
        me = client.me.get()
        for key in client.api_keys.list():   # every key, page after page
            print(key.label)
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = 30.0,
        max_retries: int = 2,
        transport: Transport | None = None,
    ) -> None:
        if api_key is None:
            api_key = os.environ.get("ADMINAPP_API_KEY") or None
        self.api_key = api_key or None
        self.base_url = (
            base_url or os.environ.get("ADMINAPP_BASE_URL") or DEFAULT_BASE_URL
        ).rstrip("/")
        self.timeout = timeout
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more.")
        self.max_retries = max_retries
        self._transport: Transport = transport or HTTPTransport(
            self.base_url + API_PREFIX, timeout=timeout
        )

    # --- resources ------------------------------------------------------------------
    @cached_property
    def me(self) -> MeResource:
        return MeResource(self)

    @cached_property
    def auth(self) -> Auth:
        return Auth(self)

    @cached_property
    def organizations(self) -> Organizations:
        return Organizations(self)

    @cached_property
    def api_keys(self) -> ApiKeys:
        return ApiKeys(self)

    @cached_property
    def audit(self) -> Audit:
        return Audit(self)

    @cached_property
    def jobs(self) -> Jobs:
        return Jobs(self)

    @cached_property
    def instance(self) -> Instance:
        return Instance(self)

    @cached_property
    def permissions(self) -> Permissions:
        return Permissions(self)

    @cached_property
    def spaces(self) -> Spaces:
        return Spaces(self)

    @cached_property
    def roles(self) -> Roles:
        return Roles(self)

    @cached_property
    def datasets(self) -> Datasets:
        return Datasets(self)

    @cached_property
    def data_rows(self) -> DataRows:
        return DataRows(self)

    @cached_property
    def global_keys(self) -> GlobalKeys:
        return GlobalKeys(self)

    @cached_property
    def storage(self) -> Storage:
        return Storage(self)

    @cached_property
    def plugins(self) -> Plugins:
        return Plugins(self)

    # --- lifecycle ------------------------------------------------------------------
    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        key = f"{self.api_key[:8]}…" if self.api_key else None
        return f"AdminClient(base_url={self.base_url!r}, api_key={key!r})"

    # --- the request loop -----------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        stream: bool = False,
        creates_job: bool = False,
        idempotency_key: str | None = None,
        upload: FileUpload | None = None,
    ) -> Response:
        """Send a request to ``/api/v1{path}`` and return the successful response.

        Raises an ``APIStatusError`` subclass for an error answer and ``APIConnectionError``
        / ``APITimeoutError`` when none came, after retrying what is safe to retry.
        ``creates_job=True`` (job-creating POSTs) sends an ``Idempotency-Key`` — the
        caller's, or a fresh uuid4 — the same on every retry, so a retry never starts a
        second job. ``upload`` sends a multipart body (a file, streamed) instead of ``json``.
        """
        method = method.upper()
        headers = self._headers()
        if creates_job or idempotency_key:
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        replay_safe = method in REPLAY_SAFE_METHODS or "Idempotency-Key" in headers
        outgoing = Request(
            method=method,
            path=path,
            params=encode_query(params),
            json=to_jsonable_python(json) if json is not None else None,
            headers=headers,
            stream=stream,
            upload=upload,
        )

        attempt = 0
        while True:
            try:
                response = self._transport.send(outgoing)
            except APIConnectionError as exc:
                if not replay_safe or attempt >= self.max_retries:
                    raise
                delay = backoff_delay(attempt)
                logger.info("%s %s failed (%s); retry in %.2fs", method, path, exc, delay)
            else:
                if response.is_success:
                    return response
                delay = self._retry_delay(method, response, replay_safe, attempt)
                if delay is None:
                    raise make_status_error(
                        response.status_code, response.content, response.headers
                    )
                response.close()
                logger.info(
                    "%s %s answered %s; retry in %.2fs",
                    method,
                    path,
                    response.status_code,
                    delay,
                )
            time.sleep(delay)
            attempt += 1

    def _retry_delay(
        self, method: str, response: Response, replay_safe: bool, attempt: int
    ) -> float | None:
        """Seconds to wait before retrying this answer, or None to raise it now."""
        status = response.status_code
        if attempt >= self.max_retries or status not in RETRY_STATUSES:
            return None
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if not replay_safe and not (status in (429, 503) and retry_after is not None):
            return None
        if retry_after is not None:
            return retry_after if retry_after <= RETRY_AFTER_MAX else None
        return backoff_delay(attempt)
