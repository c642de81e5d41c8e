"""The embedded default's Celery broker: Kombu's filesystem transport, safe against
half-written messages.

Kombu's own transport creates a message file under its final name and then writes into it,
so a consumer polling the folder can take the file while it is still empty (it then fails
with ``JSONDecodeError``), and a publisher that dies mid-write leaves a truncated message
behind for ever. Here a message is written to a hidden temporary file in the same folder
and renamed into place (``os.replace`` is atomic on one filesystem): a consumer sees a
whole message or none. A message file that still does not decode (written by another
tool, or by an older version) is skipped with a warning instead of stopping the consumer.

A worker told to stop (SIGTERM, SIGINT, SIGQUIT) stops waiting for messages at once and takes
no new one. Celery's loop for a transport like this one waits up to 2 s per call to
``drain_events``, and calls it once more after it saw the stop: a worker took ~5 s to stop,
and could take, and run, a new job in that last wait.

Selected in settings with ``CELERY_BROKER_TRANSPORT`` when the broker is ``filesystem://``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from queue import Empty
from time import monotonic

from celery.worker import state as worker_state
from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)

#: A temporary file older than this was left by a publisher that died before its rename.
STALE_TEMP_SECONDS = 600
TEMP_SUFFIX = ".publishing"


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sweep_stale_temp_files()

    def _put(self, queue, payload, **kwargs):
        """Put a message onto ``queue``: write it whole under a hidden name, then rename."""
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # A leading dot and no ".msg" ending: no queue's listing ever matches it.
        temp = os.path.join(self.data_folder_out, f".{uuid.uuid4().hex}{TEMP_SUFFIX}")
        try:
            with open(temp, "wb") as fh:
                fh.write(str_to_bytes(dumps(payload)))
            os.replace(temp, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        """The next whole message of ``queue``; files that do not decode are skipped."""
        while True:
            try:
                return super()._get(queue)
            except ValueError:
                # Kombu has already taken the file out of the queue folder; it cannot be
                # delivered, and the next call looks at the next file.
                logger.warning(
                    "Skipped a message file of queue %s that is not a whole JSON message "
                    "(cut short by a publisher that died, or written by another tool).",
                    queue,
                )

    def _sweep_stale_temp_files(self) -> None:
        folder = self.data_folder_out
        cutoff = time.time() - STALE_TEMP_SECONDS
        try:
            names = os.listdir(folder)
        except OSError:
            return
        for name in names:
            if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)):
                continue
            path = os.path.join(folder, name)
            try:
                if os.stat(path).st_mtime < cutoff:
                    os.unlink(path)
            except OSError:
                pass  # another process swept it first


def _worker_stopping() -> bool:
    """Whether this process is a Celery worker that was told to stop (warm or cold). The
    flags hold the exit code, and 0 (EX_OK) means stop too."""
    return any(
        flag is not None and flag is not False
        for flag in (worker_state.should_stop, worker_state.should_terminate)
    )


class Transport(filesystem.Transport):
    Channel = Channel

    def drain_events(self, connection, timeout=None):
        """Kombu's polling loop, which gives up as soon as the worker is stopping."""
        started = monotonic()
        polling_interval = self.polling_interval
        if timeout and polling_interval and polling_interval > timeout:
            polling_interval = timeout
        while True:
            if _worker_stopping():
                raise TimeoutError()
            try:
                self.cycle.get(self._deliver, timeout=timeout)
            except Empty:
                if timeout is not None and monotonic() - started >= timeout:
                    raise TimeoutError() from None
                if polling_interval is not None:
                    time.sleep(polling_interval)
            else:
                return
