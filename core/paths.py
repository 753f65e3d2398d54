"""Where the application keeps its data: the user data directory from platformdirs, or one
override (--data-dir, else TOCHKA_DATA_DIR) for tests, development and portable installs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from core import APP_NAME

DATA_DIR_ENV = "TOCHKA_DATA_DIR"


def resolve_data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs  # only when no override: keeps tests and CLI runs independent of $HOME

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=True))


@dataclass(frozen=True)
class DataLayout:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "tochka.sqlite3"

    @property
    def evidence(self) -> Path:
        return self.root / "evidence"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def thumbnails(self) -> Path:
        return self.root / "cache" / "thumbnails"
