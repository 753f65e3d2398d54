"""The package commands as a director (and a regional operator) type them: real processes, a
real SMTP server on 127.0.0.1, real keys and receipts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.smtp_server import Recorder, free_port

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("cli-package") / "data"
    made = run("--data-dir", str(folder), "demo", "--photos", "3")
    assert made.returncode == 0, made.stderr
    return str(folder)


@pytest.fixture
def smtp(serve) -> tuple[Recorder, int]:
    handler = Recorder()
    return handler, serve(handler)


def package_into(data: str, out: Path, period: str = "2027-Q2") -> list[Path]:
    out.mkdir(exist_ok=True)
    before = set(out.iterdir())
    made = run("--data-dir", data, "package", "--period", period, "--out", str(out))
    assert made.returncode == 0, made.stderr
    return sorted(set(out.iterdir()) - before)


def test_send_by_mail_once_and_say_when_nothing_is_left(
    data: str, tmp_path: Path, smtp: tuple[Recorder, int]
) -> None:
    handler, port = smtp
    (part,) = package_into(data, tmp_path / "out")
    configured = run(
        "--data-dir", data, "mail-settings", "--host", "127.0.0.1", "--port", str(port),
        "--security", "none", "--from", "school@example.ru", "--to", "operator@example.ru",
    )  # fmt: skip
    assert configured.returncode == 0, configured.stderr
    sent = run("--data-dir", data, "send", "--all")
    assert sent.returncode == 0, sent.stderr
    assert "Отправлен пакет" in sent.stdout
    (message,) = handler.messages
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == part.name
    assert attachment.get_content() == part.read_bytes()
    again = run("--data-dir", data, "send", "--all")
    assert again.returncode == 0 and "Неотправленных пакетов нет" in again.stdout
    assert len(handler.messages) == 1  # never a duplicate
    listed = run("--data-dir", data, "outbox")
    assert "отправлен по почте" in listed.stdout


def test_mail_server_down_is_a_russian_message(data: str, tmp_path: Path) -> None:
    package_into(data, tmp_path / "out", "2027-Q3")
    port = free_port()
    run(
        "--data-dir", data, "mail-settings", "--host", "127.0.0.1", "--port", str(port),
        "--security", "none", "--from", "school@example.ru", "--to", "operator@example.ru",
    )  # fmt: skip
    sent = run("--data-dir", data, "send", "--all")
    assert sent.returncode == 2
    assert "Не удалось связаться с почтовым сервером" in sent.stderr
    listed = run("--data-dir", data, "outbox").stdout
    line = next(line for line in listed.splitlines() if line.startswith("2027-Q3"))
    assert "записан на носитель" in line and "отправлен" not in line
    assert "не отправлен: connect_failed" in listed


def test_receipt_round_trip_with_an_operator_key(data: str, tmp_path: Path) -> None:
    import minisign  # type: ignore[import-untyped]

    parts = package_into(data, tmp_path / "out", "2027-Q4")
    pair = minisign.KeyPair.generate()
    (tmp_path / "operator.key").write_bytes(bytes(pair.secret_key))
    from core.keys import public_key_text

    (tmp_path / "operator.pub").write_text(public_key_text(pair.public_key))
    receipt = tmp_path / "квитанция.zip"
    issued = run(
        "issue-receipt", *map(str, parts), "--key", str(tmp_path / "operator.key"),
        "--operator", "РМЦ Хабаровского края", "--out", str(receipt),
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    untrusted = run("--data-dir", data, "import-receipt", str(receipt))
    assert untrusted.returncode == 2 and "неизвестным ключом" in untrusted.stderr
    trusted = run("--data-dir", data, "trust-operator-key", str(tmp_path / "operator.pub"))
    assert trusted.returncode == 0, trusted.stderr
    imported = run("--data-dir", data, "import-receipt", str(receipt))
    assert imported.returncode == 0, imported.stderr
    assert "подтверждён регионом" in imported.stdout


def test_rotated_key_keeps_old_packages_verifiable(data: str, tmp_path: Path) -> None:
    old = package_into(data, tmp_path / "out", "2028-Q1")
    keys = tmp_path / "registry"
    keys.mkdir()
    assert run("--data-dir", data, "pubkey", "--out", str(keys / "old.pub")).returncode == 0
    card = tmp_path / "card-old.pdf"
    assert run("--data-dir", data, "key-card", "--out", str(card)).returncode == 0
    rotated = run("--data-dir", data, "rotate-key")
    assert rotated.returncode == 0, rotated.stderr
    new = package_into(data, tmp_path / "out2", "2028-Q1")
    assert run("--data-dir", data, "pubkey", "--out", str(keys / "new.pub")).returncode == 0
    only_new = run("verify", *map(str, old), "--pubkey", str(keys / "new.pub"))
    assert only_new.returncode == 3 and "[unknown_key]" in only_new.stderr
    for parts in (old, new):
        checked = run("verify", *map(str, parts), "--keys", str(keys))
        assert checked.returncode == 0, checked.stderr
    new_card = tmp_path / "card-new.pdf"
    assert run("--data-dir", data, "key-card", "--out", str(new_card)).returncode == 0
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(new_card).pages)
    from core.keys import key_id_of, load_public_key

    old_id = key_id_of(load_public_key(keys / "old.pub"))
    assert "Заменяет" in text and old_id in text.replace(" ", "").replace("\n", "")


def test_backup_and_restore_commands(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    assert run("--data-dir", data, "demo", "--photos", "2").returncode == 0
    stick = tmp_path / "stick"
    stick.mkdir()
    saved = run("--data-dir", data, "backup", "--out", str(stick))
    assert saved.returncode == 0, saved.stderr
    assert "сохранена и проверена" in saved.stdout
    (copy,) = stick.iterdir()
    before = run("--data-dir", data, "status").stdout
    (tmp_path / "data" / "evidence").rename(tmp_path / "evidence-lost")  # a disaster
    asked = run("--data-dir", data, "restore", str(copy))
    assert asked.returncode == 2 and "--yes" in asked.stderr  # no terminal: never silently
    restored = run("--data-dir", data, "restore", str(copy), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert "восстановлены" in restored.stdout and "Прежние данные сохранены" in restored.stdout
    assert (tmp_path / "data" / "evidence").is_dir()
    assert run("--data-dir", data, "status").stdout == before
    copy.write_bytes(copy.read_bytes()[:-100])  # a damaged copy changes nothing
    broken = run("--data-dir", data, "restore", str(copy), "--yes")
    assert broken.returncode == 2 and "Данные программы не изменены" in broken.stderr
