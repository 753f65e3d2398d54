"""The settings a director changes: the package size limit, the mail server, the regional
operator's keys. Kept in the database (they travel with a backup); the SMTP password never is:
it lives in the system keyring (core/credentials.py) or is asked each time."""

from __future__ import annotations

import json
from typing import Any, Protocol

from core.package import DEFAULT_MAX_SIZE, MIN_MAX_SIZE

MAX_SIZE_KEY = "package.max_size"
SMTP_KEY = "mail.smtp"
OPERATOR_KEYS_KEY = "receipts.operator_keys"


class SettingsStore(Protocol):
    def get_setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str) -> None: ...


class Settings:
    def __init__(self, store: SettingsStore) -> None:
        self.store = store

    def max_size(self) -> int:
        raw = self.store.get_setting(MAX_SIZE_KEY)
        try:
            value = int(raw) if raw else DEFAULT_MAX_SIZE
        except ValueError:
            return DEFAULT_MAX_SIZE
        return max(value, MIN_MAX_SIZE)

    def set_max_size(self, value: int) -> None:
        self.store.set_setting(MAX_SIZE_KEY, str(max(int(value), MIN_MAX_SIZE)))

    def smtp(self) -> dict[str, Any] | None:
        """The SMTP settings as core.mail.SmtpSettings.to_dict() wrote them; None if never set."""
        raw = self.store.get_setting(SMTP_KEY)
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None

    def set_smtp(self, value: dict[str, Any]) -> None:
        if "password" in value:
            raise ValueError("the SMTP password is never stored in the database")
        self.store.set_setting(SMTP_KEY, json.dumps(value, ensure_ascii=False, sort_keys=True))

    def operator_keys(self) -> list[str]:
        """Trusted public keys of the regional operator, each a minisign public key text."""
        raw = self.store.get_setting(OPERATOR_KEYS_KEY)
        try:
            value = json.loads(raw) if raw else []
        except json.JSONDecodeError:
            return []
        return [str(v) for v in value] if isinstance(value, list) else []

    def set_operator_keys(self, keys: list[str]) -> None:
        self.store.set_setting(OPERATOR_KEYS_KEY, json.dumps(list(keys), ensure_ascii=False))
