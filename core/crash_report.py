"""«Сохранить отчёт об ошибке»: one ZIP with what went wrong (the traceback), the versions of
everything and the recent log — no database, no photos, no profile. The home folder in paths
becomes «~» so the user name does not travel."""

from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from pathlib import Path

from core.errors import StorageError
from core.files import DISK_FULL
from core.logs import log_files, versions


def scrub(text: str) -> str:
    home = str(Path.home())
    if home and home not in ("/", "\\"):
        text = text.replace(home, "~")
    user = os.environ.get("USERNAME") or os.environ.get("USER")
    if user and len(user) > 2:
        text = text.replace(f"\\{user}\\", "\\~\\").replace(f"/{user}/", "/~/")
    return text


def write_crash_report(out: Path, traceback_text: str, log_dir: Path | None) -> Path:
    """Write the report to out (temporary name, then rename). Raises StorageError."""
    temp = out.with_name(f".{out.name}.tmp")
    try:
        with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("error.txt", scrub(traceback_text))
            archive.writestr(
                "versions.json", json.dumps(versions(), ensure_ascii=False, indent=2) + "\n"
            )
            archive.writestr("created.txt", dt.datetime.now(dt.UTC).isoformat() + "\n")
            for path in log_files(log_dir) if log_dir else []:
                text = path.read_text(encoding="utf-8", errors="replace")
                archive.writestr(f"logs/{path.name}", scrub(text))
        os.replace(temp, out)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        problem = "disk_full" if exc.errno in DISK_FULL else "io_error"
        raise StorageError(out, problem, exc.strerror or str(exc)) from exc
    return out
