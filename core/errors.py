"""Typed failures of the domain. Each carries what went wrong and where; ui/messages.py
turns them into Russian text in one place."""

from __future__ import annotations

from pathlib import Path


class TochkaError(Exception):
    """Base of every failure the user may be told about."""


class TemplateError(TochkaError):
    """A checklist template that cannot be used.

    problem is a stable code (see ui/messages.py), detail a value that helps (a field name,
    the wrong value)."""

    def __init__(
        self, path: Path | str, problem: str, *, item_code: str | None = None, detail: str = ""
    ) -> None:
        self.path = Path(path)
        self.problem = problem
        self.item_code = item_code
        self.detail = detail
        where = f" item {item_code}" if item_code else ""
        super().__init__(f"{self.path.name}{where}: {problem} {detail}".strip())


class EvidenceError(TochkaError):
    """A file that cannot be attached as evidence."""

    def __init__(self, path: Path | str, problem: str, detail: str = "") -> None:
        self.path = Path(path)
        self.problem = problem
        self.detail = detail
        super().__init__(f"{self.path}: {problem} {detail}".strip())


class StorageError(TochkaError):
    """The database or the data folder cannot be used (not SQLite, read-only, disk full...)."""

    def __init__(self, path: Path | str, problem: str, detail: str = "") -> None:
        self.path = Path(path)
        self.problem = problem
        self.detail = detail
        super().__init__(f"{self.path}: {problem} {detail}".strip())


class ValidationError(TochkaError):
    """A value the user entered that the domain refuses (field names the profile field)."""

    def __init__(self, field: str, problem: str, detail: str = "") -> None:
        self.field = field
        self.problem = problem
        self.detail = detail
        super().__init__(f"{field}: {problem} {detail}".strip())


class DocumentError(TochkaError):
    """A document that cannot be made as asked. problem is a stable code (see ui/messages.py):
    unknown_section, unknown_room, no_profile, no_indicators, bad_quarter; detail is the value."""

    def __init__(self, problem: str, detail: str = "") -> None:
        self.problem = problem
        self.detail = detail
        super().__init__(f"{problem} {detail}".strip())


class CancelledError(TochkaError):
    """Long work stopped because the user asked to."""


class PackageError(TochkaError):
    """A report package that cannot be made, written or read. problem is a stable code (see
    ui/messages.py); detail names the file or value."""

    def __init__(self, problem: str, detail: str = "") -> None:
        self.problem = problem
        self.detail = detail
        super().__init__(f"{problem} {detail}".strip())


class KeyFileError(TochkaError):
    """A signing or verification key that cannot be used. problem: passphrase_needed,
    wrong_passphrase, unreadable, ... (see ui/messages.py)."""

    def __init__(self, path: Path | str, problem: str, detail: str = "") -> None:
        self.path = Path(path)
        self.problem = problem
        self.detail = detail
        super().__init__(f"{self.path}: {problem} {detail}".strip())


class MailError(TochkaError):
    """An e-mail that could not be sent. problem is a stable code (connect_failed, tls_failed,
    auth_failed, rejected, dropped, timeout, too_big, no_settings, ...); detail is the server's
    reply or the system's message. transient: whether trying again later may help."""

    def __init__(self, problem: str, detail: str = "", *, transient: bool = False) -> None:
        self.problem = problem
        self.detail = detail
        self.transient = transient
        super().__init__(f"{problem} {detail}".strip())


class ReceiptError(TochkaError):
    """A receipt from the regional operator that cannot be accepted. problem is a stable code
    (unreadable, not_a_receipt, signature, untrusted_key, unknown_package, mismatch, ...)."""

    def __init__(self, path: Path | str, problem: str, detail: str = "") -> None:
        self.path = Path(path)
        self.problem = problem
        self.detail = detail
        super().__init__(f"{self.path.name}: {problem} {detail}".strip())
