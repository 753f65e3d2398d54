"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd): a handler that records what it
accepted and can refuse or drop on request, and an authenticator. The `serve` fixture in
tests/conftest.py starts servers with them."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

LOGIN = "elban2@example.ru"
PASSWORD = "Верный-пароль-2027"  # not ASCII on purpose: smtplib alone cannot send it
DROP = "drop"  # a Recorder action: close the connection instead of answering DATA


def free_port() -> int:
    """A port nobody listens on (aiosmtpd 1.4 cannot bind port 0 and report it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Recorder:
    """An aiosmtpd handler that keeps what it accepted and can refuse or drop on request.

    data_actions maps the number of a DATA attempt (1-based) to a reply or DROP."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.data_actions: dict[int, str] = {}
        self.mail_reply = ""
        self.refused_rcpt: dict[str, str] = {}
        self.data_attempts = 0

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refused_rcpt:
            return self.refused_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.data_attempts += 1
        action = self.data_actions.get(self.data_attempts)
        if action == DROP:
            assert server.transport is not None
            server.transport.close()
            return "250 never seen"
        if action:
            return action
        content = envelope.original_content
        assert isinstance(content, bytes)
        assert envelope.mail_from is not None
        self.raw.append(content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 2.0.0 Ok: queued"

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.messages]


class Authenticator:
    """Accepts LOGIN/password, compared as UTF-8 bytes; remembers every attempt."""

    def __init__(self, login: str = LOGIN, password: str = PASSWORD) -> None:
        self.expected = LoginPassword(login.encode(), password.encode())
        self.attempts: list[str] = []

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        self.attempts.append(mechanism)
        success = isinstance(data, LoginPassword) and data == self.expected
        return AuthResult(success=success, handled=False)  # not handled: aiosmtpd says 535


Serve = Callable[..., int]
