"""A real SMTP server for the e-mail tests: aiosmtpd on a loopback port, and Django's SMTP backend pointed at it."""

import email
import email.policy
import socket
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Mail:
    sender: str
    to: list[str]
    subject: str
    body: str


@dataclass
class Inbox:
    """What the server received, decoded (RFC 2047 subjects, base64 or quoted-printable UTF-8 bodies)."""

    mails: list[Mail] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.mails.append(
            Mail(
                sender=envelope.mail_from,
                to=sorted(envelope.rcpt_tos),
                subject=str(message["Subject"]).strip(),  # a folded encoded-word header may start with a space
                body=message.get_content(),
            )
        )
        return "250 Message accepted"

    def to(self, address: str) -> list[Mail]:
        return [mail for mail in self.mails if address in mail.to]

    def recipients(self) -> list[str]:
        return sorted(address for mail in self.mails for address in mail.to)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """An SMTP server on 127.0.0.1 receiving every e-mail the test sends (yields its :class:`Inbox`)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "ssj@jianan.example"
    inbox.controller = controller
    yield inbox
    controller.stop()
