from tests.smtp import mail_worker, smtp_server  # noqa: F401 - fixtures
