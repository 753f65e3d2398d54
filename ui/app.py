"""Starting the GUI: the application object, fonts, Russian, opening the data, the first-run
wizard, the main window."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from core import APP_NAME, APP_VERSION
from core.checklist import Checklist
from core.errors import TochkaError
from core.paths import DataLayout
from core.registers import Center
from ui.about import app_icon
from ui.main_window import MainWindow
from ui.messages import describe_error
from ui.profile_form import FirstRunWizard
from ui.resources import install_russian, register_fonts
from ui.tasks import TaskRunner

Opener = Callable[[Path], Center]


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName("Точка роста")
    app.setApplicationVersion(APP_VERSION)
    register_fonts(app)
    install_russian(app)
    return app


def open_data(data_dir: Path, opener: Opener) -> tuple[Center, Path] | None:
    """Open the data folder; when it cannot be used, say why and offer another folder."""
    while True:
        try:
            return opener(data_dir), data_dir
        except TochkaError as exc:
            box = QMessageBox(
                QMessageBox.Icon.Critical, "Не удалось открыть данные", describe_error(exc)
            )
            other = box.addButton("Выбрать другую папку данных…", QMessageBox.ButtonRole.AcceptRole)
            box.addButton("Выход", QMessageBox.ButtonRole.RejectRole)
            box.exec()
            if box.clickedButton() is not other:
                return None
            chosen = QFileDialog.getExistingDirectory(None, "Папка данных", str(data_dir.parent))
            if not chosen:
                return None
            data_dir = Path(chosen)


def first_run(checklist: Checklist, wizard: FirstRunWizard | None = None) -> bool:
    """The profile wizard; False when the user leaves it (nothing was saved) or asks to
    restore a backup instead (wizard.restore_wanted)."""
    wizard = wizard or FirstRunWizard()
    while True:
        if wizard.exec() != FirstRunWizard.DialogCode.Accepted:
            return False
        try:
            checklist.save_profile(wizard.form.profile())
            return True
        except TochkaError as exc:
            QMessageBox.critical(wizard, "Профиль не сохранён", describe_error(exc))


def welcome(center: Center, folder: Path, opener: Opener) -> Center | None:
    """A data folder without a profile: the first-run wizard, or — on a new computer — a
    restore from a backup. Returns the center to work on (opened again after a restore), or
    None when the user leaves."""
    while center.checklist.profile() is None:
        wizard = FirstRunWizard()
        if first_run(center.checklist, wizard):
            return center
        if not wizard.restore_wanted:
            _close(center)
            return None
        if restore_at_first_run(center, folder):
            try:
                center = opener(folder)
            except TochkaError as exc:
                QMessageBox.critical(None, "Не удалось открыть данные", describe_error(exc))
                return None
    return center


def restore_at_first_run(center: Center, folder: Path) -> bool:
    """The «Резервная копия» dialog over the new, empty data. True when the data was closed
    for a restore (done or failed): it must be opened again."""
    from core.backup import Backups
    from ui.backup_dialog import BackupDialog

    dialog = BackupDialog(
        Backups(DataLayout(folder), center.backup_database), close_data=lambda: _close(center)
    )
    closed: list[object] = []
    dialog.restored.connect(closed.append)
    dialog.restore_failed.connect(closed.append)
    dialog.exec()
    return bool(closed)


def build_main_window(center: Center, data_dir: Path) -> MainWindow:
    runner = TaskRunner()
    window = MainWindow(center, runner, DataLayout(data_dir))
    runner.setParent(window)
    return window


class Session:
    """The open data folder and its window; after a restore the folder is opened again in a
    new window (the new one shown before the old one closes: the application never has none)."""

    def __init__(self, opener: Opener, log_dir: Path | None) -> None:
        self.opener = opener
        self.log_dir = log_dir
        self.center: Center | None = None
        self.window: MainWindow | None = None
        self.folder: Path | None = None

    def show(self, center: Center, folder: Path) -> MainWindow:
        window = build_main_window(center, folder)
        window.log_dir = self.log_dir
        window.setWindowIcon(app_icon())
        window.reopen_requested.connect(self.reopen)
        self.center, self.window, self.folder = center, window, folder
        window.show()
        return window

    def reopen(self, folder: object) -> None:
        """Open folder in a new window: after a restore, or another data folder chosen. A new
        folder asks for the profile first; leaving that wizard keeps the old window."""
        old = self.window
        try:
            center = self.opener(Path(str(folder)))
        except TochkaError as exc:
            QMessageBox.critical(old, "Не удалось открыть данные", describe_error(exc))
            return
        opened = welcome(center, Path(str(folder)), self.opener)
        if opened is None:
            return
        self.show(opened, Path(str(folder)))
        if old is not None:
            old.close()
            old.deleteLater()

    def close(self) -> None:
        if self.center is not None:
            _close(self.center)


DATA_FOLDER_KEY = "data/folder"  # QSettings: the data folder the director chose in the menu


def remembered_data_dir(default: Path) -> Path:
    value = QSettings().value(DATA_FOLDER_KEY)
    return Path(str(value)) if value else default


def run_gui(
    data_dir: Path,
    opener: Opener,
    at_exit: Callable[[Path], object] | None = None,
    *,
    data_dir_chosen: bool = False,
) -> int:
    """The application until its window closes. at_exit(data_dir) runs after the data is
    closed (main.py passes the automatic database backup). Without --data-dir or
    $TOCHKA_DATA_DIR (data_dir_chosen) the folder chosen in «Файл → Папка данных…» is used."""
    from core.logs import log, setup_logging
    from ui.crash_dialog import install_excepthook

    log_dir = setup_logging()
    app = make_application()
    install_excepthook(log_dir)
    if not data_dir_chosen:
        data_dir = remembered_data_dir(data_dir)
    opened = open_data(data_dir, opener)
    if opened is None:
        return 2
    center, data_dir = opened
    welcomed = welcome(center, data_dir, opener)
    if welcomed is None:
        return 0
    center = welcomed
    session = Session(opener, log_dir)
    session.show(center, data_dir)
    code = app.exec()
    session.close()
    if at_exit is not None:
        try:
            at_exit(session.folder or data_dir)
        except (TochkaError, OSError) as exc:  # a backup on exit never stops the exit
            log.warning("backup on exit failed: %s", exc)
    return code


def _close(center: Center) -> None:
    close = getattr(center.checklist.store, "close", None)
    if callable(close):
        close()
