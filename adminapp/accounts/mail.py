"""Outgoing mail. ``mail_send`` renders a message from ``templates/mail/<name>.txt`` and
queues it for a worker after the transaction commits; the worker's ``tasks.send_email``
sends it through Django's email API (the SMTP server of ``EMAIL_HOST``, or files under
var/mail/ by default)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from adminapp.accounts.tasks import send_email

# The queue of short work (``jobs.kinds.Queue.DEFAULT``, named here because accounts sits
# below the jobs engine): every worker consumes it, and it is never blocked by bulk work.
MAIL_QUEUE = "jobs.default"

logger = logging.getLogger("adminapp.mail")


def mail_queue() -> str:
    return f"{settings.JOB_QUEUE_PREFIX}{MAIL_QUEUE}"


def mail_send(*, to: str, template: str, context: dict) -> None:
    """Queue ``template`` (its first line is the subject, the rest the body) for ``to``,
    once the current transaction commits (nothing is sent for a change rolled back)."""
    text = render_to_string(f"mail/{template}.txt", context).strip()
    subject, _, body = text.partition("\n")
    message = {"to": [to], "subject": subject.strip(), "body": body.strip() + "\n"}

    def publish() -> None:
        try:
            send_email.apply_async(kwargs=message, queue=mail_queue())
        except Exception:  # noqa: BLE001 - the change is committed; the sender can resend
            logger.exception("Could not queue mail %r to %s", message["subject"], to)

    transaction.on_commit(publish)
