"""E-mailing the signed report package to the regional operator over SMTP (stdlib smtplib).

One message per package part, each with a Message-ID derived from the package id and the part
number, so a part sent again after a crash is recognisably the same message. send_messages()
reports every part the server accepted through on_sent(); the caller records it durably and
passes the record back as already_sent, so only the unsent parts go again. Every failure is a
MailError with a stable problem code and a transient flag (retry later or not)."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import random
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

from core.errors import CancelledError, MailError, ValidationError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

Security = Literal["ssl", "starttls", "none"]
SECURITY_MODES: tuple[str, ...] = get_args(Security)
DEFAULT_PORTS: Mapping[str, int] = {"ssl": 465, "starttls": 587, "none": 25}
DEFAULT_TIMEOUT = 60.0
MESSAGE_ID_DOMAIN = "tochka-rosta.local"

Progress = Callable[[int, int], None]

# smtplib hands the whole message to one sendall(), and since Python 3.5 a socket timeout bounds
# that whole call: 27 MB in 60 s would need 3.6 Mbit/s. Sending in pieces bounds each piece.
SEND_CHUNK = 64 * 1024
# RFC 5321 §4.5.3.2.6: wait 10 minutes for the reply to the end of DATA (virus scans of 25 MB).
DATA_REPLY_TIMEOUT = 600.0

# Retry delays for «отправить, когда появится сеть», in seconds: 1, 2, 5, 15, 30, 60 minutes.
RETRY_DELAYS: tuple[float, ...] = (60, 120, 300, 900, 1800, 3600)

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_TLD = re.compile(r"[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send. The password is never here: it lives in the keyring
    (core.credentials) or is asked for each time."""

    host: str
    port: int
    security: Security
    login: str  # empty: the server takes mail without AUTH
    sender: str  # the From address
    recipients: tuple[str, ...]
    timeout: float = DEFAULT_TIMEOUT  # seconds, for connecting and for each network step

    def validate(self) -> None:
        """Raise ValidationError(field, problem, detail) for the first wrong field."""
        if not self.host.strip():
            raise ValidationError("smtp_host", "required")
        if _ascii_host(self.host) is None:
            raise ValidationError("smtp_host", "bad_host", self.host)
        if isinstance(self.port, bool) or not isinstance(self.port, int):
            raise ValidationError("smtp_port", "bad_port", str(self.port))
        if not 0 < self.port < 65536:
            raise ValidationError("smtp_port", "bad_port", str(self.port))
        if self.security not in SECURITY_MODES:
            raise ValidationError("smtp_security", "bad_security", str(self.security))
        if _CONTROL.search(self.login) or self.login != self.login.strip():
            raise ValidationError("smtp_login", "bad_login", self.login)
        if not self.sender.strip():
            raise ValidationError("smtp_sender", "required")
        if ascii_address(self.sender) is None:
            raise ValidationError("smtp_sender", "bad_email", self.sender)
        if not self.recipients:
            raise ValidationError("smtp_recipients", "required")
        for address in self.recipients:
            if ascii_address(address) is None:
                raise ValidationError("smtp_recipients", "bad_email", address)
        if not 0 < self.timeout <= 3600:
            raise ValidationError("smtp_timeout", "bad_timeout", f"{self.timeout:g}")

    @property
    def credential_key(self) -> str:
        """The keyring user name under which this account's password is kept."""
        return f"{self.login}@{self.host.strip().lower()}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values for the settings file; never a password."""
        return {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "login": self.login,
            "sender": self.sender,
            "recipients": list(self.recipients),
            "timeout": self.timeout,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SmtpSettings:
        """The inverse of to_dict. Missing keys take defaults (validate() then says what is
        missing), unknown keys (a "password" among them) are ignored. ValidationError when a
        number is not a number."""
        security = str(data.get("security", "ssl"))
        port = data.get("port", DEFAULT_PORTS.get(security, 465))
        try:
            port = int(port)
        except (TypeError, ValueError):
            raise ValidationError("smtp_port", "bad_port", str(port)) from None
        timeout = data.get("timeout", DEFAULT_TIMEOUT)
        try:
            timeout = float(timeout)
        except (TypeError, ValueError):
            raise ValidationError("smtp_timeout", "bad_timeout", str(timeout)) from None
        recipients = data.get("recipients", ())
        if isinstance(recipients, str):
            recipients = parse_recipients(recipients)
        return cls(
            host=str(data.get("host", "")).strip(),
            port=port,
            security=cast(Security, security),
            login=str(data.get("login", "")).strip(),
            sender=str(data.get("sender", "")).strip(),
            recipients=tuple(str(address).strip() for address in recipients),
            timeout=timeout,
        )


def parse_recipients(text: str) -> tuple[str, ...]:
    """Addresses typed in one line, separated by commas, semicolons or spaces; duplicates
    dropped, order kept."""
    found = [piece for piece in re.split(r"[,;\s]+", text) if piece]
    return tuple(dict.fromkeys(found))


def ascii_address(address: str) -> str | None:
    """The address as it goes on the wire (a Cyrillic domain in punycode), or None when it
    does not look like an e-mail address. A Cyrillic local part (before @) is refused: it needs
    SMTPUTF8, which many servers lack."""
    local, at, domain = address.rpartition("@")
    if not at or len(local) > 64 or not _LOCAL_PART.fullmatch(local):
        return None
    host = _ascii_host(domain)
    if host is None or "." not in host or _is_ip(host):
        return None
    if not _TLD.fullmatch(host.rsplit(".", 1)[1]):
        return None
    return f"{local}@{host}"


def _ascii_host(host: str) -> str | None:
    """A host name (Cyrillic allowed, turned into punycode) or an IP address; None when it
    cannot be one."""
    host = host.strip()
    if _is_ip(host):
        return host
    try:
        encoded = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = encoded.rstrip(".").split(".")
    if len(encoded) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return encoded.rstrip(".")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# --- messages ---------------------------------------------------------------------------------


def message_id(package_id: str, part_number: int) -> str:
    """The Message-ID of part `part_number` (1-based) of a package: the same every time."""
    if not _LOCAL_PART.fullmatch(package_id):
        raise ValueError(f"package id {package_id!r} cannot be part of a Message-ID")
    return f"<{package_id}.{part_number}@{MESSAGE_ID_DOMAIN}>"


def build_messages(
    parts: Sequence[Path],
    *,
    package_id: str,
    subject: str,
    body: str,
    sender: str,
    recipients: Sequence[str],
) -> list[EmailMessage]:
    """One message per part, in order, each with the part as an application/zip attachment
    (its file name encoded per RFC 2231), a UTF-8 text body and the headers X-Tochka-Package-Id
    and X-Tochka-Part ("2/3") next to the stable Message-ID. With several parts the subject ends
    in «(часть 2 из 3)». Every message is 7-bit clean.

    Each part is read once; the messages hold the parts base64-encoded (≈1.37× their size).
    MailError("attachment_unreadable") names a part that cannot be read."""
    if not parts:
        raise ValueError("a package has at least one part")
    if not recipients:
        raise ValidationError("smtp_recipients", "required")
    first_id = message_id(package_id, 1)  # refuses an unusable package id before any reading
    sender_on_wire = _wire_address(sender, "smtp_sender")
    recipients_on_wire = [_wire_address(address, "smtp_recipients") for address in recipients]
    total = len(parts)
    messages = []
    for number, path in enumerate(parts, start=1):
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise MailError("attachment_unreadable", f"{path}: {exc.strerror or exc}") from exc
        message = EmailMessage()
        message["From"] = sender_on_wire
        message["To"] = ", ".join(recipients_on_wire)
        message["Subject"] = subject if total == 1 else f"{subject} (часть {number} из {total})"
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = first_id if number == 1 else message_id(package_id, number)
        message["X-Tochka-Package-Id"] = package_id
        message["X-Tochka-Part"] = f"{number}/{total}"
        message["X-Tochka-Part-Sha256"] = hashlib.sha256(data).hexdigest()
        # quoted-printable, not 8bit: a server without 8BITMIME must not mangle the Cyrillic
        message.set_content(body, charset="utf-8", cte="quoted-printable")
        message.add_attachment(data, maintype="application", subtype="zip", filename=path.name)
        # a fixed boundary: the same part always flattens to the same bytes (save the Date)
        message.set_boundary(f"=_tochka_{package_id}_{number}")
        messages.append(message)
    return messages


def _wire_address(address: str, field: str) -> str:
    on_wire = ascii_address(address.strip())
    if on_wire is None:
        raise ValidationError(field, "bad_email", address)
    return on_wire


# --- sending ----------------------------------------------------------------------------------


def send_messages(
    settings: SmtpSettings,
    password: str | None,
    messages: Sequence[EmailMessage],
    *,
    already_sent: Collection[str] = (),
    on_sent: Callable[[str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    progress: Progress | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Send, over one connection, every message whose Message-ID is not in already_sent, in
    order; envelope sender and recipients come from settings.

    on_sent(message_id) is called right after the server answered 250 to a message's DATA,
    before the next one starts: the caller records it durably, and after a crash, a dropped
    connection or a cancel passes its record back as already_sent, so only the unsent parts go
    again ("never a duplicate"). What remains is a window in which the server has accepted a part
    but the record was not made: between the server's 250 and the end of on_sent (a crash or
    power cut there), or a 250 the server sent but that never reached us (the connection broke,
    or the reply to DATA timed out). The part then goes again, with the same Message-ID and
    X-Tochka-Part, so the receiving side can recognise and drop the second copy.

    progress(done, total) counts bytes of the messages to send. cancelled() is asked before each
    part and between pieces of an upload; a part cancelled half-way is abandoned by closing the
    connection (the server then discards it) and CancelledError is raised.

    Raises MailError (problem codes: connect_failed, timeout, dropped, tls_failed, auth_failed,
    auth_unsupported, auth_required, no_password, sender_refused, recipients_refused, too_big,
    rejected, temporary), ValidationError for unusable settings, CancelledError. When some but
    not all recipients refuse a part, the others still get it, it counts as sent, and
    MailError("recipients_refused") is raised after the last part."""
    settings.validate()
    pending = [m for m in messages if _message_id_of(m) not in already_sent]
    if not pending:
        return
    if settings.login and password is None:
        raise MailError("no_password", settings.login)
    if cancelled is not None and cancelled():
        raise CancelledError("mail")
    sizes = [_flattened_size(message) for message in pending]
    total = sum(sizes)
    done = 0
    if progress is not None:
        progress(0, total)
    sender = _wire_address(settings.sender, "smtp_sender")
    recipients = [_wire_address(address, "smtp_recipients") for address in settings.recipients]
    refused: dict[str, tuple[int, bytes]] = {}

    session = _open_session(settings, password, ssl_context)
    try:
        for message, size in zip(pending, sizes, strict=True):
            if cancelled is not None and cancelled():
                _quit(session)
                raise CancelledError("mail")
            session.on_piece = _piece_reporter(done, size, total, cancelled, progress)
            try:
                refused_now = session.sendmail(sender, recipients, _flatten(message))
            except (smtplib.SMTPException, OSError) as exc:
                raise _mail_error(exc, "send") from exc
            finally:
                session.on_piece = None
            done += size
            if on_sent is not None:
                on_sent(_message_id_of(message))
            if progress is not None:
                progress(done, total)
            refused.update(refused_now)
        _quit(session)
    finally:
        session.close()
    if refused:
        raise MailError("recipients_refused", _refusals(refused))


def _message_id_of(message: EmailMessage) -> str:
    value = message["Message-ID"]
    if not value:
        raise ValueError("a message to send needs a Message-ID (see build_messages)")
    return str(value).strip()


def _flatten(message: EmailMessage) -> bytes:
    """The message as it goes on the wire, with CRLF line ends (what send_message does)."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def _flattened_size(message: EmailMessage) -> int:
    class Counter:
        size = 0

        def write(self, data: bytes) -> None:
            self.size += len(data)

    counter = Counter()
    BytesGenerator(counter, policy=message.policy.clone(linesep="\r\n")).flatten(message)
    return counter.size


def _piece_reporter(
    done: int,
    size: int,
    total: int,
    cancelled: Callable[[], bool] | None,
    progress: Progress | None,
) -> Callable[[int, bool], None]:
    sent = 0

    def on_piece(length: int, last: bool) -> None:
        nonlocal sent
        sent += length
        if progress is not None:
            progress(done + min(sent, size), total)
        # never after the last piece: the server may already hold the whole message then
        if not last and cancelled is not None and cancelled():
            raise CancelledError("mail")

    return on_piece


class _PieceSending:
    """What both session classes add to smtplib: uploads in pieces with a report after each,
    and the long wait for the reply to the end of DATA."""

    sock: socket.socket | None
    timeout: float
    on_piece: Callable[[int, bool], None] | None = None
    _in_data = False

    def _send_in_pieces(self, send: Callable[[ReadableBuffer | str], None], s: Any) -> None:
        if isinstance(s, str):  # a command; only the message itself goes as bytes
            send(s)
            return
        view = memoryview(s).cast("B")
        for start in range(0, len(view), SEND_CHUNK):
            piece = view[start : start + SEND_CHUNK]
            send(piece)
            last = start + SEND_CHUNK >= len(view)
            if last and self._in_data and self.sock is not None:
                self.sock.settimeout(max(self.timeout, DATA_REPLY_TIMEOUT))
            if self.on_piece is not None:
                self.on_piece(len(piece), last)

    # smtplib.SMTP(_SSL) comes after this class in the bases: super() reaches its methods
    def send(self, s: ReadableBuffer | str) -> None:
        self._send_in_pieces(super().send, s)  # type: ignore[misc]

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        self._in_data = True
        try:
            reply: tuple[int, bytes] = super().data(msg)  # type: ignore[misc]
            return reply
        finally:
            self._in_data = False
            if self.sock is not None:
                self.sock.settimeout(self.timeout)


class _Session(_PieceSending, smtplib.SMTP):
    pass


class _SslSession(_PieceSending, smtplib.SMTP_SSL):
    pass


def _open_session(
    settings: SmtpSettings, password: str | None, ssl_context: ssl.SSLContext | None
) -> _Session | _SslSession:
    """Connect, greet, STARTTLS and log in as settings say; MailError on any failure."""
    context = ssl_context if ssl_context is not None else ssl.create_default_context()
    host = _ascii_host(settings.host)
    assert host is not None  # validate() saw to it
    # "localhost" only until connected: getfqdn() is slow offline and a Cyrillic computer name
    # cannot go into EHLO; EHLO then names our address literal, as Thunderbird does
    session: _Session | _SslSession
    try:
        if settings.security == "ssl":
            session = _SslSession(
                host,
                settings.port,
                local_hostname="localhost",
                timeout=settings.timeout,
                context=context,
            )
        else:
            session = _Session(
                host, settings.port, local_hostname="localhost", timeout=settings.timeout
            )
    except (smtplib.SMTPException, OSError) as exc:
        raise _mail_error(exc, "connect") from exc
    stage = "connect"
    try:
        session.local_hostname = _address_literal(session)
        session.ehlo_or_helo_if_needed()
        if settings.security == "starttls":
            stage = "tls"
            session.starttls(context=context)
            session.ehlo()
        if settings.login:
            stage = "auth"
            _login(session, settings.login, password or "")
    except BaseException as exc:
        session.close()
        if isinstance(exc, smtplib.SMTPException | OSError):
            raise _mail_error(exc, stage) from exc
        raise
    return session


def _address_literal(session: smtplib.SMTP) -> str:
    if session.sock is None:
        return "localhost"
    address = str(session.sock.getsockname()[0]).split("%")[0]  # no IPv6 scope
    return f"[IPv6:{address}]" if ":" in address else f"[{address}]"


def _login(session: smtplib.SMTP, login: str, password: str) -> None:
    """One AUTH attempt (smtplib.login() tries every mechanism in turn, and servers lock an
    account after a few failures), in UTF-8 (smtplib sends only ASCII logins and passwords)."""
    if not session.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    offered = session.esmtp_features["auth"].upper().split()
    if "PLAIN" in offered:
        token = b"\0" + login.encode() + b"\0" + password.encode()
        code, reply = session.docmd("AUTH", "PLAIN " + _b64(token))
    elif "LOGIN" in offered:
        code, reply = session.docmd("AUTH", "LOGIN")
        if code == 334:
            code, reply = session.docmd(_b64(login.encode()))
        if code == 334:
            code, reply = session.docmd(_b64(password.encode()))
    else:
        session.login(login, password)  # CRAM-MD5 only: smtplib copes, for ASCII passwords
        return
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _quit(session: smtplib.SMTP) -> None:
    """Say goodbye; everything is already sent, so a server gone by now does not matter."""
    try:
        session.quit()
    except (smtplib.SMTPException, OSError):
        pass


def _mail_error(exc: BaseException, stage: str) -> MailError:
    """smtplib's and the socket's failures as MailError. stage: connect, tls, auth, send."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        if isinstance(exc.__context__, TimeoutError):
            return MailError("timeout", str(exc.__context__), transient=True)
        return MailError("dropped", str(exc), transient=True)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refusals: dict[str, tuple[int, bytes]] = exc.recipients
        if all(400 <= code < 500 for code, _ in refusals.values()):
            return MailError("temporary", _refusals(refusals), transient=True)
        return MailError("recipients_refused", _refusals(refusals))
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply_error(exc, stage)
    if isinstance(exc, smtplib.SMTPException):  # "not supported", "no suitable mechanism"
        problem = {"tls": "tls_failed", "auth": "auth_unsupported"}.get(stage, "rejected")
        return MailError(problem, str(exc))
    if isinstance(exc, ssl.SSLError):
        return MailError("tls_failed", _system_message(exc))
    if isinstance(exc, TimeoutError):
        return MailError("timeout", _system_message(exc) or "timed out", transient=True)
    if isinstance(exc, OSError):
        problem = "connect_failed" if stage == "connect" else "dropped"
        return MailError(problem, _system_message(exc), transient=True)
    return MailError("rejected", f"{type(exc).__name__}: {exc}")


def _reply_error(exc: smtplib.SMTPResponseException, stage: str) -> MailError:
    code = exc.smtp_code
    detail = f"{code} {_text(exc.smtp_error)}".strip()
    enhanced = _text(exc.smtp_error)[:5]
    if code == 552 or enhanced in ("5.3.4", "5.2.3"):
        return MailError("too_big", detail)
    if 400 <= code < 500:
        return MailError("temporary", detail, transient=True)
    if stage == "tls":
        return MailError("tls_failed", detail)
    if stage == "auth":
        return MailError("auth_unsupported" if code == 504 else "auth_failed", detail)
    if code == 530:
        return MailError("auth_required", detail)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return MailError("sender_refused", detail)
    return MailError("rejected", detail)


def _refusals(refused: Mapping[str, tuple[int, bytes | str]]) -> str:
    return "; ".join(
        f"{address}: {code} {_text(reply)}" for address, (code, reply) in refused.items()
    )


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace").strip()
    return str(reply).strip()


def _system_message(exc: OSError) -> str:
    return str(exc.strerror or exc)


# --- retrying ---------------------------------------------------------------------------------


def next_attempt_delay(
    attempt: int, *, jitter: float = 0.0, rng: random.Random | None = None
) -> float:
    """Seconds to wait before the next try after `attempt` failed tries (1, 2, ...): 1, 2, 5,
    15, 30 minutes, then every hour. jitter=0.1 spreads it by up to ±10 % (rng, or the module's
    generator) so that many schools do not all knock at once when a server comes back."""
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]
    if jitter:
        spread = (rng or random).uniform(-jitter, jitter)
        delay *= 1 + spread
    return float(delay)


def should_retry(error: MailError) -> bool:
    """Whether trying again later, unchanged, may help (the network, a busy server); not for
    a wrong password, a refused address or a part too big, which need a person first."""
    return error.transient
