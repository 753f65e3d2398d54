"""Sending the report package by e-mail, against a real SMTP server (aiosmtpd) on 127.0.0.1:
plain, STARTTLS and SSL with a trustme CA, AUTH, refusals by code, a server that drops the
connection half-way, cancelling, and the "never a duplicate" resend with already_sent."""

from __future__ import annotations

import email
import email.policy
import random
import socket
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme

from core.errors import CancelledError, MailError, ValidationError
from core.mail import (
    SmtpSettings,
    build_messages,
    message_id,
    next_attempt_delay,
    parse_recipients,
    send_messages,
    should_retry,
)
from tests.smtp_server import DROP, LOGIN, PASSWORD, Authenticator, Recorder, free_port

Serve = Callable[..., int]

PACKAGE_ID = "0b7e2c1a-1111-4222-8333-944455556666"
SENDER = "elban2@example.ru"
RECIPIENTS = ("operator@region.example.ru", "copy@region.example.ru")
SUBJECT = "Отчёт центра «Точка роста» МБОУ СОШ № 2 п. Эльбан за 2027-Q1"
BODY = (
    "Здравствуйте!\n\nНаправляем подписанный отчёт центра «Точка роста».\n\nДиректор П. П. Петров"
)
pytestmark = pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS:UserWarning"  # aiosmtpd, for the plain cases
)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def settings(port: int, *, security: str = "none", login: str = "", **changes: Any) -> SmtpSettings:
    return SmtpSettings.from_dict(
        {
            "host": "127.0.0.1",
            "port": port,
            "security": security,
            "login": login,
            "sender": SENDER,
            "recipients": list(RECIPIENTS),
            "timeout": 5,
        }
        | changes
    )


def make_parts(folder: Path, count: int, size: int = 150_000) -> list[Path]:
    rnd = random.Random(count * 1000 + size)
    parts = []
    for number in range(1, count + 1):
        path = folder / f"Отчёт МБОУ СОШ № 2 п. Эльбан 2027-Q1 — часть {number}.zip"
        path.write_bytes(b"PK\x03\x04" + rnd.randbytes(size))
        parts.append(path)
    return parts


def messages_for(parts: list[Path]) -> list[EmailMessage]:
    return build_messages(
        parts,
        package_id=PACKAGE_ID,
        subject=SUBJECT,
        body=BODY,
        sender=SENDER,
        recipients=RECIPIENTS,
    )


# --- building the messages ------------------------------------------------------------------


def test_one_message_per_part_with_stable_ids_and_cyrillic_names(tmp_path: Path) -> None:
    parts = make_parts(tmp_path, 3)
    messages = messages_for(parts)
    again = messages_for(parts)

    assert [m["Message-ID"] for m in messages] == [message_id(PACKAGE_ID, n) for n in (1, 2, 3)]
    assert [m["Message-ID"] for m in again] == [m["Message-ID"] for m in messages]
    assert message_id(PACKAGE_ID, 2) == f"<{PACKAGE_ID}.2@tochka-rosta.local>"
    for number, (message, part) in enumerate(zip(messages, parts, strict=True), start=1):
        raw = message.as_bytes()
        assert raw.isascii()  # 7-bit clean: any SMTP server takes it
        assert b"filename*" in raw  # RFC 2231
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        assert parsed["Subject"] == f"{SUBJECT} (часть {number} из 3)"
        assert parsed["X-Tochka-Package-Id"] == PACKAGE_ID
        assert parsed["X-Tochka-Part"] == f"{number}/3"
        assert parsed["From"] == SENDER
        assert parsed["To"] == ", ".join(RECIPIENTS)
        (attachment,) = parsed.iter_attachments()
        assert isinstance(attachment, EmailMessage)
        assert attachment.get_content_type() == "application/zip"
        assert attachment.get_filename() == part.name
        assert attachment.get_content() == part.read_bytes()
        text = parsed.get_body(("plain",))
        assert text is not None
        assert text.get_content_charset() == "utf-8"
        assert BODY in text.get_content()


def test_a_single_part_has_no_part_suffix(tmp_path: Path) -> None:
    (message,) = messages_for(make_parts(tmp_path, 1))
    assert message["Subject"] == SUBJECT
    assert message["X-Tochka-Part"] == "1/1"


def test_a_missing_part_is_named(tmp_path: Path) -> None:
    with pytest.raises(MailError) as caught:
        messages_for([tmp_path / "нет такого.zip"])
    assert caught.value.problem == "attachment_unreadable"
    assert "нет такого.zip" in caught.value.detail
    assert not caught.value.transient


def test_an_unsafe_package_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        build_messages(
            make_parts(tmp_path, 1),
            package_id="a b>",
            subject=SUBJECT,
            body=BODY,
            sender=SENDER,
            recipients=RECIPIENTS,
        )


def test_a_cyrillic_domain_goes_out_as_punycode(tmp_path: Path) -> None:
    (message,) = build_messages(
        make_parts(tmp_path, 1),
        package_id=PACKAGE_ID,
        subject=SUBJECT,
        body=BODY,
        sender="info@школа2.рф",
        recipients=["operator@region.example.ru"],
    )
    assert message["From"] == "info@" + "школа2.рф".encode("idna").decode("ascii")


# --- settings ---------------------------------------------------------------------------------


def test_settings_round_trip_without_a_password() -> None:
    stored = settings(465, security="ssl", login=LOGIN).to_dict()
    assert "password" not in stored
    assert SmtpSettings.from_dict(stored | {"password": "leaked?"}) == settings(
        465, security="ssl", login=LOGIN
    )
    assert "password" not in SmtpSettings.from_dict(stored | {"password": "x"}).to_dict()
    assert SmtpSettings.from_dict(stored).timeout == 5


def test_recipients_are_parsed_from_one_line() -> None:
    assert parse_recipients(" a@b.ru; c@d.ru,e@f.ru\n a@b.ru ") == ("a@b.ru", "c@d.ru", "e@f.ru")


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"host": " "}, "smtp_host", "required"),
        ({"host": "smtp.example.ru/"}, "smtp_host", "bad_host"),
        ({"host": "smtp example.ru"}, "smtp_host", "bad_host"),
        ({"port": 0}, "smtp_port", "bad_port"),
        ({"port": 70000}, "smtp_port", "bad_port"),
        ({"security": "tls13"}, "smtp_security", "bad_security"),
        ({"sender": ""}, "smtp_sender", "required"),
        ({"sender": "elban2.example.ru"}, "smtp_sender", "bad_email"),
        ({"sender": "elban2@example"}, "smtp_sender", "bad_email"),
        ({"recipients": []}, "smtp_recipients", "required"),
        ({"recipients": ["operator@region.example.ru", "op@"]}, "smtp_recipients", "bad_email"),
        ({"login": "a\nb"}, "smtp_login", "bad_login"),
        ({"timeout": 0}, "smtp_timeout", "bad_timeout"),
    ],
)
def test_settings_validation(changes: dict[str, Any], field: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        settings(**({"port": 25} | changes)).validate()
    assert (caught.value.field, caught.value.problem) == (field, problem)


def test_good_settings_pass_validation() -> None:
    settings(465, security="ssl", login=LOGIN).validate()
    settings(25, host="smtp.школа.рф", sender="info@школа2.рф").validate()
    settings(25, host="::1").validate()


def test_a_bad_port_in_stored_settings_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        SmtpSettings.from_dict({"host": "smtp.example.ru", "port": "пятьсот"})
    assert caught.value.field == "smtp_port"


# --- sending over plain SMTP ------------------------------------------------------------------


def test_plain_smtp_delivers_every_part_once_in_order(tmp_path: Path, serve: Serve) -> None:
    recorder = Recorder()
    port = serve(recorder)
    parts = make_parts(tmp_path, 3)
    messages = messages_for(parts)
    sent: list[str] = []
    progress: list[tuple[int, int]] = []

    send_messages(
        settings(port),
        None,
        messages,
        on_sent=sent.append,
        progress=lambda d, t: progress.append((d, t)),
    )

    ids = [message_id(PACKAGE_ID, n) for n in (1, 2, 3)]
    assert sent == ids
    assert recorder.message_ids() == ids
    assert recorder.envelopes == [(SENDER, list(RECIPIENTS))] * 3
    for received, part in zip(recorder.messages, parts, strict=True):
        (attachment,) = received.iter_attachments()
        assert isinstance(attachment, EmailMessage)
        assert attachment.get_filename() == part.name
        assert attachment.get_content() == part.read_bytes()
        assert received["X-Tochka-Package-Id"] == PACKAGE_ID
    assert progress[0][0] == 0
    assert progress[-1][0] == progress[-1][1] > 0
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert len(progress) > 4  # more than once per part: a slow link still shows movement


def test_already_sent_parts_are_skipped(tmp_path: Path, serve: Serve) -> None:
    recorder = Recorder()
    port = serve(recorder)
    messages = messages_for(make_parts(tmp_path, 3))
    sent: list[str] = []

    send_messages(
        settings(port),
        None,
        messages,
        already_sent={message_id(PACKAGE_ID, 2)},
        on_sent=sent.append,
    )

    assert sent == [message_id(PACKAGE_ID, 1), message_id(PACKAGE_ID, 3)]
    assert recorder.message_ids() == sent


def test_nothing_left_to_send_does_not_connect(tmp_path: Path) -> None:
    messages = messages_for(make_parts(tmp_path, 2))
    every_id = {str(m["Message-ID"]) for m in messages}
    send_messages(settings(free_port()), None, messages, already_sent=every_id)


def test_a_dropped_connection_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, serve: Serve
) -> None:
    recorder = Recorder()
    recorder.data_actions[2] = DROP
    port = serve(recorder)
    messages = messages_for(make_parts(tmp_path, 3))
    sent: list[str] = []

    with pytest.raises(MailError) as caught:
        send_messages(settings(port), None, messages, on_sent=sent.append)

    assert caught.value.problem == "dropped"
    assert caught.value.transient
    assert should_retry(caught.value)
    assert sent == [message_id(PACKAGE_ID, 1)]

    send_messages(settings(port), None, messages, already_sent=set(sent), on_sent=sent.append)

    ids = [message_id(PACKAGE_ID, n) for n in (1, 2, 3)]
    assert sent == ids
    assert recorder.message_ids() == ids


def test_cancel_between_parts(tmp_path: Path, serve: Serve) -> None:
    recorder = Recorder()
    port = serve(recorder)
    messages = messages_for(make_parts(tmp_path, 3))
    sent: list[str] = []

    with pytest.raises(CancelledError):
        send_messages(
            settings(port), None, messages, on_sent=sent.append, cancelled=lambda: len(sent) >= 1
        )

    assert sent == [message_id(PACKAGE_ID, 1)]
    assert recorder.message_ids() == sent


def test_cancel_during_an_upload_abandons_that_part(tmp_path: Path, serve: Serve) -> None:
    recorder = Recorder()
    port = serve(recorder)
    messages = messages_for(make_parts(tmp_path, 2, size=400_000))
    sent: list[str] = []
    stop = False

    def progress(done: int, total: int) -> None:
        nonlocal stop
        stop = done > 0

    with pytest.raises(CancelledError):
        send_messages(
            settings(port),
            None,
            messages,
            on_sent=sent.append,
            cancelled=lambda: stop,
            progress=progress,
        )
    assert sent == []
    assert recorder.data_attempts == 0  # the server never saw the end of that DATA

    send_messages(settings(port), None, messages, already_sent=set(sent), on_sent=sent.append)
    assert recorder.message_ids() == [message_id(PACKAGE_ID, n) for n in (1, 2)]


@pytest.mark.parametrize(
    ("reply", "problem", "transient"),
    [
        ("552 5.3.4 Message size exceeds fixed maximum message size", "too_big", False),
        ("451 4.3.0 Temporary local problem, try later", "temporary", True),
        ("554 5.7.1 Message rejected as spam", "rejected", False),
    ],
)
def test_a_refused_message_is_named_by_its_code(
    tmp_path: Path, serve: Serve, reply: str, problem: str, transient: bool
) -> None:
    recorder = Recorder()
    recorder.data_actions[1] = reply
    port = serve(recorder)
    sent: list[str] = []

    with pytest.raises(MailError) as caught:
        send_messages(
            settings(port), None, messages_for(make_parts(tmp_path, 2)), on_sent=sent.append
        )

    assert (caught.value.problem, caught.value.transient) == (problem, transient)
    assert reply[4:] in caught.value.detail
    assert should_retry(caught.value) is transient
    assert sent == []
    assert recorder.messages == []


def test_a_server_size_limit_refuses_before_the_upload(tmp_path: Path, serve: Serve) -> None:
    recorder = Recorder()
    port = serve(recorder, data_size_limit=10_000)

    with pytest.raises(MailError) as caught:
        send_messages(settings(port), None, messages_for(make_parts(tmp_path, 1)))

    assert caught.value.problem == "too_big"
    assert recorder.data_attempts == 0


def test_a_refused_sender(tmp_path: Path, serve: Serve) -> None:
    recorder = Recorder()
    recorder.mail_reply = "553 5.7.1 Sender address rejected: not owned by user"
    port = serve(recorder)

    with pytest.raises(MailError) as caught:
        send_messages(settings(port), None, messages_for(make_parts(tmp_path, 1)))

    assert caught.value.problem == "sender_refused"
    assert "not owned by user" in caught.value.detail
    assert not caught.value.transient


def test_every_recipient_refused(tmp_path: Path, serve: Serve) -> None:
    recorder = Recorder()
    recorder.refused_rcpt = {address: "550 5.1.1 No such user" for address in RECIPIENTS}
    port = serve(recorder)
    sent: list[str] = []

    with pytest.raises(MailError) as caught:
        send_messages(
            settings(port), None, messages_for(make_parts(tmp_path, 1)), on_sent=sent.append
        )

    assert caught.value.problem == "recipients_refused"
    assert RECIPIENTS[0] in caught.value.detail
    assert not caught.value.transient
    assert sent == []


def test_greylisting_is_temporary(tmp_path: Path, serve: Serve) -> None:
    recorder = Recorder()
    recorder.refused_rcpt = {
        address: "450 4.2.0 Greylisted, come back later" for address in RECIPIENTS
    }
    port = serve(recorder)

    with pytest.raises(MailError) as caught:
        send_messages(settings(port), None, messages_for(make_parts(tmp_path, 1)))

    assert caught.value.problem == "temporary"
    assert caught.value.transient


def test_one_refused_recipient_still_delivers_to_the_others(tmp_path: Path, serve: Serve) -> None:
    recorder = Recorder()
    recorder.refused_rcpt = {RECIPIENTS[1]: "550 5.1.1 No such user"}
    port = serve(recorder)
    sent: list[str] = []

    with pytest.raises(MailError) as caught:
        send_messages(
            settings(port), None, messages_for(make_parts(tmp_path, 2)), on_sent=sent.append
        )

    assert caught.value.problem == "recipients_refused"
    assert RECIPIENTS[1] in caught.value.detail
    assert RECIPIENTS[0] not in caught.value.detail
    assert sent == [message_id(PACKAGE_ID, n) for n in (1, 2)]
    assert recorder.envelopes == [(SENDER, [RECIPIENTS[0]])] * 2


# --- the network fails ------------------------------------------------------------------------


def test_connection_refused_is_transient(tmp_path: Path) -> None:
    with pytest.raises(MailError) as caught:
        send_messages(settings(free_port()), None, messages_for(make_parts(tmp_path, 1)))
    assert caught.value.problem == "connect_failed"
    assert caught.value.transient
    assert caught.value.detail


def test_a_silent_server_times_out(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # the kernel accepts the connection; nobody ever says 220
        port = listener.getsockname()[1]
        with pytest.raises(MailError) as caught:
            send_messages(settings(port, timeout=0.5), None, messages_for(make_parts(tmp_path, 1)))
    assert caught.value.problem == "timeout"
    assert caught.value.transient


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_with_the_right_password(tmp_path: Path, serve: Serve, mechanism: str) -> None:
    recorder = Recorder()
    authenticator = Authenticator()
    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[mechanism]
    port = serve(
        recorder,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
        auth_exclude_mechanism=[other],
    )

    send_messages(settings(port, login=LOGIN), PASSWORD, messages_for(make_parts(tmp_path, 1)))

    assert authenticator.attempts == [mechanism]
    assert recorder.message_ids() == [message_id(PACKAGE_ID, 1)]


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_with_a_wrong_password(tmp_path: Path, serve: Serve, mechanism: str) -> None:
    recorder = Recorder()
    authenticator = Authenticator()
    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[mechanism]
    port = serve(
        recorder,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
        auth_exclude_mechanism=[other],
    )

    with pytest.raises(MailError) as caught:
        send_messages(settings(port, login=LOGIN), "wrong", messages_for(make_parts(tmp_path, 1)))

    assert caught.value.problem == "auth_failed"
    assert not caught.value.transient
    assert not should_retry(caught.value)
    assert "535" in caught.value.detail or "nvalid" in caught.value.detail
    assert authenticator.attempts == [mechanism]  # one try: servers lock accounts after several
    assert recorder.messages == []


def test_a_server_without_auth(tmp_path: Path, serve: Serve) -> None:
    port = serve(Recorder())
    with pytest.raises(MailError) as caught:
        send_messages(settings(port, login=LOGIN), PASSWORD, messages_for(make_parts(tmp_path, 1)))
    assert caught.value.problem == "auth_unsupported"
    assert not caught.value.transient


def test_a_server_that_wants_a_login_we_do_not_have(tmp_path: Path, serve: Serve) -> None:
    port = serve(
        Recorder(), authenticator=Authenticator(), auth_required=True, auth_require_tls=False
    )
    with pytest.raises(MailError) as caught:
        send_messages(settings(port), None, messages_for(make_parts(tmp_path, 1)))
    assert caught.value.problem == "auth_required"
    assert not caught.value.transient


def test_a_login_without_a_password_stops_before_connecting(tmp_path: Path) -> None:
    with pytest.raises(MailError) as caught:
        send_messages(
            settings(free_port(), login=LOGIN), None, messages_for(make_parts(tmp_path, 1))
        )
    assert caught.value.problem == "no_password"


# --- TLS --------------------------------------------------------------------------------------


def test_starttls_with_auth(
    tmp_path: Path, serve: Serve, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    recorder = Recorder()
    authenticator = Authenticator()
    port = serve(
        recorder,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    parts = make_parts(tmp_path, 2)

    send_messages(
        settings(port, security="starttls", login=LOGIN),
        PASSWORD,
        messages_for(parts),
        ssl_context=client_tls,
    )

    assert authenticator.attempts == ["PLAIN"]
    assert recorder.message_ids() == [message_id(PACKAGE_ID, n) for n in (1, 2)]
    (attachment,) = recorder.messages[1].iter_attachments()
    assert isinstance(attachment, EmailMessage)
    assert attachment.get_content() == parts[1].read_bytes()


def test_smtp_over_ssl_with_auth(
    tmp_path: Path, serve: Serve, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    recorder = Recorder()
    port = serve(
        recorder,
        ssl_context=server_tls,
        authenticator=Authenticator(),
        auth_required=True,
        auth_require_tls=False,  # aiosmtpd only sees STARTTLS as TLS; this connection is TLS too
    )

    send_messages(
        settings(port, security="ssl", login=LOGIN),
        PASSWORD,
        messages_for(make_parts(tmp_path, 2)),
        ssl_context=client_tls,
    )

    assert recorder.message_ids() == [message_id(PACKAGE_ID, n) for n in (1, 2)]


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_an_untrusted_certificate_fails_tls(
    tmp_path: Path, serve: Serve, server_tls: ssl.SSLContext, security: str
) -> None:
    recorder = Recorder()
    if security == "ssl":
        port = serve(recorder, ssl_context=server_tls)
    else:
        port = serve(recorder, tls_context=server_tls, require_starttls=True)
    stranger = ssl.create_default_context()
    trustme.CA().configure_trust(stranger)

    with pytest.raises(MailError) as caught:
        send_messages(
            settings(port, security=security),
            None,
            messages_for(make_parts(tmp_path, 1)),
            ssl_context=stranger,
        )

    assert caught.value.problem == "tls_failed"
    assert not caught.value.transient
    assert "certificate" in caught.value.detail.lower()
    assert recorder.messages == []


def test_a_certificate_for_another_name_fails_tls(
    tmp_path: Path, serve: Serve, ca: trustme.CA, client_tls: ssl.SSLContext
) -> None:
    elsewhere = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("smtp.example.ru").configure_cert(elsewhere)
    port = serve(Recorder(), ssl_context=elsewhere)

    with pytest.raises(MailError) as caught:
        send_messages(
            settings(port, security="ssl"),
            None,
            messages_for(make_parts(tmp_path, 1)),
            ssl_context=client_tls,
        )
    assert caught.value.problem == "tls_failed"


def test_ssl_against_a_plain_port_fails_tls(
    tmp_path: Path, serve: Serve, client_tls: ssl.SSLContext
) -> None:
    port = serve(Recorder())
    with pytest.raises(MailError) as caught:
        send_messages(
            settings(port, security="ssl"),
            None,
            messages_for(make_parts(tmp_path, 1)),
            ssl_context=client_tls,
        )
    assert caught.value.problem == "tls_failed"


def test_starttls_against_a_server_without_it_fails_tls(
    tmp_path: Path, serve: Serve, client_tls: ssl.SSLContext
) -> None:
    recorder = Recorder()
    port = serve(recorder)
    with pytest.raises(MailError) as caught:
        send_messages(
            settings(port, security="starttls", login=LOGIN),
            PASSWORD,
            messages_for(make_parts(tmp_path, 1)),
            ssl_context=client_tls,
        )
    assert caught.value.problem == "tls_failed"
    assert recorder.messages == []


# --- retrying ---------------------------------------------------------------------------------


def test_retry_delays_grow_to_an_hour() -> None:
    delays = [next_attempt_delay(attempt) for attempt in range(1, 10)]
    assert delays[:6] == [60, 120, 300, 900, 1800, 3600]
    assert delays[6:] == [3600] * 3


def test_retry_jitter_stays_near_the_delay() -> None:
    rnd = random.Random(7)
    for attempt in range(1, 8):
        plain = next_attempt_delay(attempt)
        jittered = next_attempt_delay(attempt, jitter=0.1, rng=rnd)
        assert plain * 0.9 <= jittered <= plain * 1.1


def test_retry_attempts_start_at_one() -> None:
    with pytest.raises(ValueError):
        next_attempt_delay(0)


@pytest.mark.parametrize(
    ("problem", "transient", "retry"),
    [("connect_failed", True, True), ("auth_failed", False, False), ("temporary", True, True)],
)
def test_should_retry_follows_transient(problem: str, transient: bool, retry: bool) -> None:
    assert should_retry(MailError(problem, transient=transient)) is retry
