"""The log, «О программе», and an unexpected error: a dialog with «Сохранить отчёт об ошибке»
instead of a vanished window; the report holds no personal paths."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from core.crash_report import write_crash_report
from core.errors import StorageError
from core.logs import LOG_FILE, setup_logging
from tests.conftest import fill_up
from tests.ui.conftest import SCREENSHOTS


def test_log_is_written_and_rotates(tmp_path: Path) -> None:
    folder = setup_logging(tmp_path / "logs")
    assert folder == tmp_path / "logs"
    logger = logging.getLogger("tochka.test")
    for n in range(12_000):
        logger.info("line %d %s", n, "x" * 80)
    files = sorted(p.name for p in folder.iterdir())
    assert LOG_FILE in files and f"{LOG_FILE}.1" in files and len(files) <= 6
    assert "start tochka-readiness" in "".join(
        p.read_text(encoding="utf-8") for p in folder.iterdir()
    )


def test_crash_report_has_versions_log_and_no_home_path(tmp_path: Path) -> None:
    folder = setup_logging(tmp_path / "logs")
    logging.getLogger("tochka").error("failed at %s", Path.home() / "Документы" / "школа")
    trace = f'Traceback:\n  File "{Path.home()}/app/x.py", line 1\nZeroDivisionError'
    out = write_crash_report(tmp_path / "report.zip", trace, folder)
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        assert {"error.txt", "versions.json", f"logs/{LOG_FILE}"} <= names
        text = "".join(archive.read(n).decode() for n in names)
    assert str(Path.home()) not in text and "~/app/x.py" in text
    assert '"application"' in text and "ZeroDivisionError" in text


def test_crash_report_on_a_full_disk(tmp_path: Path, tiny_disk: Path) -> None:
    fill_up(tiny_disk)
    with pytest.raises(StorageError) as caught:
        write_crash_report(tiny_disk / "report.zip", "x" * 100_000, None)
    assert caught.value.problem == "disk_full"
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]


def test_crash_dialog_saves_the_report(
    qtbot, app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.crash_dialog import CrashDialog

    folder = setup_logging(tmp_path / "logs")
    dialog = CrashDialog("Traceback ...\nRuntimeError: boom", folder)
    qtbot.addWidget(dialog)
    dialog.show()
    SCREENSHOTS.mkdir(exist_ok=True)
    dialog.grab().save(str(SCREENSHOTS / "crash-dialog.png"))
    target = tmp_path / "отчёт.zip"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    dialog.save_button.click()
    assert dialog.saved == target and zipfile.is_zipfile(target)
    assert "Отчёт сохранён" in dialog.status.text()


def test_uncaught_exception_shows_the_crash_dialog(
    qtbot, app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from ui import crash_dialog

    shown: list[str] = []
    monkeypatch.setattr(
        crash_dialog.CrashDialog, "exec", lambda self: shown.append(self.traceback_text) or 0
    )
    previous = sys.excepthook
    try:
        crash_dialog.install_excepthook(tmp_path)
        try:
            raise ValueError("неожиданное")
        except ValueError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = previous
    assert len(shown) == 1 and "ValueError: неожиданное" in shown[0]


def test_about_shows_version_data_folder_and_font_licence(qtbot, app, tmp_path: Path) -> None:
    from core import APP_VERSION
    from ui.about import AboutDialog

    dialog = AboutDialog(tmp_path / "data", tmp_path / "logs")
    qtbot.addWidget(dialog)
    dialog.show()
    SCREENSHOTS.mkdir(exist_ok=True)
    dialog.grab().save(str(SCREENSHOTS / "about.png"))
    from PySide6.QtWidgets import QLabel

    labels = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert APP_VERSION in labels and str(tmp_path / "data") in labels
    assert "ParaType" in dialog.licence.toPlainText()
