"""An exception nobody expected: instead of vanishing, the application says so in Russian,
offers «Сохранить отчёт об ошибке» (traceback, versions and the log zipped, no personal data)
and lets the director go on working or close the program."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from core.crash_report import write_crash_report
from core.errors import TochkaError
from ui.messages import describe_error

log = logging.getLogger("tochka.crash")


class CrashDialog(QDialog):
    def __init__(self, traceback_text: str, log_dir: Path | None, parent: Any = None) -> None:
        super().__init__(parent)
        self.traceback_text = traceback_text
        self.log_dir = log_dir
        self.saved: Path | None = None
        self.setWindowTitle(self.tr("Непредвиденная ошибка"))
        text = QLabel(
            self.tr(
                "В программе произошла непредвиденная ошибка. Всё, что было сохранено раньше, "
                "сохранено; последнее действие могло не выполниться.\n\n"
                "Сохраните отчёт об ошибке и передайте его тому, кто сопровождает программу: "
                "в отчёте только описание ошибки, версии программ и журнал работы — без данных "
                "центра, фото и документов."
            )
        )
        text.setWordWrap(True)
        details = QPlainTextEdit(traceback_text)
        details.setReadOnly(True)
        details.setMaximumHeight(160)
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.save_button = QPushButton(self.tr("&Сохранить отчёт об ошибке…"))
        self.continue_button = QPushButton(self.tr("&Продолжить работу"))
        self.quit_button = QPushButton(self.tr("&Закрыть программу"))
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.continue_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.save_button.clicked.connect(self.save_report)
        self.continue_button.clicked.connect(self.accept)
        self.quit_button.clicked.connect(self.quit_application)
        self.continue_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(details)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(620, 380)

    def suggested_path(self) -> Path:
        stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
        return Path.home() / f"отчёт-об-ошибке-{stamp}.zip"

    @Slot()
    def save_report(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Сохранить отчёт об ошибке"),
            str(self.suggested_path()),
            self.tr("Архив ZIP (*.zip)"),
        )
        if not path:
            return
        try:
            self.saved = write_crash_report(Path(path), self.traceback_text, self.log_dir)
        except TochkaError as exc:
            self.status.setText(describe_error(exc))
            return
        self.status.setText(self.tr("Отчёт сохранён: %1").replace("%1", str(self.saved)))

    @Slot()
    def quit_application(self) -> None:
        self.reject()
        app = QApplication.instance()
        if app is not None:
            app.exit(1)


def install_excepthook(log_dir: Path | None) -> None:
    """Uncaught exceptions on the GUI thread go to the log and to a CrashDialog."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        show_crash(value, log_dir, tb)

    sys.excepthook = hook


def show_crash(exc: BaseException, log_dir: Path | None, tb: TracebackType | None = None) -> None:
    text = "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))
    log.error("unexpected error\n%s", text)
    if QApplication.instance() is None:
        sys.stderr.write(text)
        return
    CrashDialog(text, log_dir, QApplication.activeWindow()).exec()
