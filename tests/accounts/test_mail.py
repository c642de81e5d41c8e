"""Mail leaves through a real worker and a real SMTP server on loopback: an invitation's
mail arrives with a link that opens the accept page; the task retries a server that says
"try later" a bounded number of times and never a permanent refusal; without EMAIL_HOST
the mail is a file under var/mail/."""

from __future__ import annotations

import smtplib

import pytest
from aiosmtpd.controller import Controller

from adminapp.accounts import mail
from adminapp.accounts.models import OrgMembership
from adminapp.accounts.tasks import send_email
from adminapp.jobs.kinds import Queue
from tests.smtp import SmtpServer

API = "/api/v1"


def test_mail_goes_to_the_queue_every_worker_consumes():
    assert mail.MAIL_QUEUE == Queue.DEFAULT


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_invitation_mail_arrives_and_its_link_opens_the_accept_page(
    client, tenant, smtp_server, mail_worker
):
    response = client.post(
        f"{API}/organizations/{tenant.org.id}/invitations",
        {"email": "invitee@example.com", "role": "MEMBER"},
        content_type="application/json",
        **tenant.auth("ADMIN"),
    )
    assert response.status_code == 201  # answered before the mail is sent, by the worker
    received = smtp_server.wait_for_mail("invitee@example.com")
    assert received.mail_from == "adminapp-test@example.com"
    assert tenant.org.name in received.message["Subject"]
    assert tenant.admin.name in received.body
    link = received.link("/invitations/")
    assert link.startswith("http://testserver/invitations/inv_")

    page = client.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200
    assert f"Join {tenant.org.name}" in page.content.decode()
    token = link.rstrip("/").rsplit("/", 1)[1]
    accepted = client.post(
        f"{API}/invitations/accept",
        {"token": token, "name": "Ivy Invitee", "password": "a-long-new-passphrase-42"},
        content_type="application/json",
    )
    assert accepted.status_code == 200
    assert OrgMembership.objects.filter(
        organization=tenant.org, user__email="invitee@example.com"
    ).exists()


class _Refusing:
    """An SMTP server that refuses every recipient with ``code`` and counts the tries."""

    def __init__(self, code: str):
        self.code, self.tries = code, 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.tries += 1
        return self.code


@pytest.fixture
def refusing_server(settings):
    def start(code: str) -> _Refusing:
        server = SmtpServer()
        handler = _Refusing(code)
        server.controller = Controller(handler, hostname="127.0.0.1", port=server.port)
        server.controller.start()
        started.append(server)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_RETRY_BACKOFF_MAX = 0
        return handler

    started: list[SmtpServer] = []
    yield start
    for server in started:
        server.controller.stop()


MESSAGE = {"to": ["someone@example.com"], "subject": "Hello", "body": "Hi\n"}


def test_a_server_saying_try_later_is_retried_a_bounded_number_of_times(refusing_server, settings):
    settings.EMAIL_MAX_RETRIES = 2
    server = refusing_server("451 4.3.0 Try again later")
    result = send_email.apply(kwargs=MESSAGE)  # the task itself, run here (retries too)
    assert result.failed()
    assert isinstance(result.result, smtplib.SMTPRecipientsRefused)
    assert server.tries == 3  # the first attempt and two retries


def test_a_permanent_refusal_is_not_retried(refusing_server, settings):
    settings.EMAIL_MAX_RETRIES = 5
    server = refusing_server("550 5.1.1 No such user")
    result = send_email.apply(kwargs=MESSAGE)
    assert result.failed()
    assert server.tries == 1


def test_an_unreachable_server_is_retried_then_given_up(settings):
    free = SmtpServer()  # its port, with nothing listening on it
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", free.port, False
    settings.EMAIL_MAX_RETRIES, settings.EMAIL_RETRY_BACKOFF_MAX = 1, 0
    result = send_email.apply(kwargs=MESSAGE)
    assert result.failed()
    assert isinstance(result.result, ConnectionRefusedError)


def test_without_an_smtp_server_mail_is_a_file_under_var_mail(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    result = send_email.apply(kwargs={**MESSAGE, "subject": "Filed away"})
    assert result.successful()
    (written,) = (tmp_path / "mail").iterdir()
    assert "Subject: Filed away" in written.read_text()
