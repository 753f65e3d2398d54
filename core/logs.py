"""The application log: rotated files in the user log directory (platformdirs), or in
<data dir>/logs when the data folder is given explicitly (tests, portable installs). Nothing
personal is written on purpose: no profile fields, no file contents; paths under the home
folder are shortened to «~» in crash reports."""

from __future__ import annotations

import logging
import logging.handlers
import os
import platform
import sys
from pathlib import Path

from core import APP_NAME, APP_VERSION

LOG_FILE = "tochka.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
LOG_DIR_ENV = "TOCHKA_LOG_DIR"

log = logging.getLogger("tochka")


def default_log_dir() -> Path:
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def setup_logging(folder: Path | None = None) -> Path | None:
    """Log to folder/tochka.log (1 MB × 5 files). Returns the folder, or None when it cannot be
    written (a log is never a reason not to start)."""
    folder = folder or default_log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            folder / LOG_FILE, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    root = logging.getLogger("tochka")
    for old in list(root.handlers):
        if isinstance(old, logging.handlers.RotatingFileHandler):
            root.removeHandler(old)
            old.close()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    log.info(
        "start %s %s, Python %s, %s",
        APP_NAME,
        APP_VERSION,
        platform.python_version(),
        platform.platform(),
    )
    return folder


def log_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob(LOG_FILE + "*") if p.is_file())


def versions() -> dict[str, str]:
    """What a developer needs to reproduce a failure: versions of everything, no user data."""
    from importlib import metadata

    found = {
        "application": APP_VERSION,
        "python": sys.version.replace("\n", " "),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "frozen": str(bool(getattr(sys, "frozen", False))),
    }
    for name in (
        "PySide6-Essentials",
        "SQLAlchemy",
        "alembic",
        "Pillow",
        "reportlab",
        "openpyxl",
        "bagit",
        "py-minisign",
        "keyring",
    ):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "—"
    return found
