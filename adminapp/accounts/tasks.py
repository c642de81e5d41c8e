"""The mail task: one message, sent through Django's email backend by a worker, never in
the request. A server that cannot be reached or refuses for now is retried with backoff a
bounded number of times (``EMAIL_MAX_RETRIES``); then the task gives up and logs it."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

logger = logging.getLogger("adminapp.mail")

SEND_TASK = "adminapp.accounts.send_email"


def _transient(exc: BaseException) -> bool:
    """Worth another try: the server is unreachable, slow or dropped us (an ``OSError``,
    which ``smtplib``'s errors are too), or answered "try later" (4xx). A permanent refusal
    (5xx) is not retried: it would be refused again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, OSError)


@shared_task(name=SEND_TASK, bind=True, acks_late=True, ignore_result=True)
def send_email(self, *, to: list[str], subject: str, body: str, html: str = "") -> None:
    try:
        deliver(to=to, subject=subject, body=body, html=html)
    except Exception as exc:
        if not _transient(exc):
            logger.error("Mail %r to %s refused: %s", subject, to, exc)
            raise
        if self.request.retries >= settings.EMAIL_MAX_RETRIES:
            logger.error(
                "Mail %r to %s not sent after %s attempts: %s",
                subject,
                to,
                self.request.retries + 1,
                exc,
            )
            raise
        countdown = min(settings.EMAIL_RETRY_BACKOFF_MAX, 2 ** (self.request.retries + 1))
        logger.warning("Mail %r to %s: %s; retrying in %ss", subject, to, exc, countdown)
        raise self.retry(exc=exc, countdown=countdown) from exc


def deliver(*, to: list[str], subject: str, body: str, html: str = "") -> None:
    """Send one message now, through Django's configured backend."""
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
