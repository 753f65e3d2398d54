"""The SMTP password in the keyring, with the real keyring library and real backends set
explicitly: an in-memory backend of our own, one that fails, and keyring's fail/null ones."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringError, PasswordDeleteError

from core.credentials import (
    SERVICE,
    forget_password,
    keyring_available,
    load_password,
    save_password,
)

ROOT = Path(__file__).resolve().parents[2]
USER = "elban2@example.ru@smtp.example.ru"


class MemoryKeyring(KeyringBackend):
    """A real backend that keeps passwords in a dict."""

    priority = 1
    viable = False  # never picked by keyring's own discovery, only when a test sets it

    def __init__(self) -> None:
        super().__init__()
        self.kept: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.kept.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.kept[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.kept:
            raise PasswordDeleteError("not found")
        del self.kept[(service, username)]


class LockedKeyring(MemoryKeyring):
    """A backend that is there but refuses everything (a locked collection, a D-Bus error)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise OSError("D-Bus went away")


class PlainFileKeyring(MemoryKeyring):
    """A backend keyring itself would not recommend."""

    priority = 0.5  # type: ignore[assignment]


class EmptyChainer(chainer.ChainerBackend):
    """keyring's chainer when it finds nothing to chain."""

    viable = False
    backends = ()


@pytest.fixture(autouse=True)
def previous_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


def test_a_usable_keyring_keeps_the_password() -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)

    assert keyring_available()
    assert load_password(USER) is None
    assert save_password(USER, "Верный-пароль-2027")
    assert backend.kept == {(SERVICE, USER): "Верный-пароль-2027"}
    assert load_password(USER) == "Верный-пароль-2027"
    assert forget_password(USER)
    assert load_password(USER) is None
    assert forget_password(USER)  # nothing kept: still "not there"


def test_a_chainer_with_a_usable_backend_counts() -> None:
    class OneChained(chainer.ChainerBackend):
        viable = False
        backends = (MemoryKeyring(),)

    keyring.set_keyring(OneChained())
    assert keyring_available()


@pytest.mark.parametrize(
    "backend",
    [fail.Keyring(), null.Keyring(), EmptyChainer(), PlainFileKeyring()],
    ids=["fail", "null", "empty-chainer", "low-priority"],
)
def test_no_usable_keyring(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)

    assert not keyring_available()
    assert not save_password(USER, "secret")
    assert load_password(USER) is None
    assert not forget_password(USER)


def test_a_failing_keyring_answers_instead_of_raising() -> None:
    keyring.set_keyring(LockedKeyring())

    assert keyring_available()
    assert not save_password(USER, "secret")
    assert load_password(USER) is None
    assert not forget_password(USER)


def test_importing_credentials_does_not_load_keyring() -> None:
    code = "import sys, core.credentials; print('keyring' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
