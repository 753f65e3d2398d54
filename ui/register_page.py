"""What every register page shares: saving through core on the single writer, then showing
what is stored; failures go to the window's one error message."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

from core.registers import Registers
from ui.history_model import HistoryTableModel
from ui.tasks import TaskRunner


class RegisterPage(QWidget):
    changed = Signal()
    failed = Signal(object)

    def __init__(
        self, registers: Registers, runner: TaskRunner, thumbnails_dir: Path, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.registers = registers
        self.checklist = registers.checklist
        self.runner = runner
        self.thumbnails_dir = thumbnails_dir
        self._stale = True

    def save(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run a core use case on the writer; refresh on success and on failure alike."""
        self.runner.write(
            functools.partial(fn, *args, **kwargs),
            on_success=lambda _result: self._saved(),
            on_failure=self._save_failed,
        )

    def _saved(self) -> None:
        self.refresh()
        self.changed.emit()

    def _save_failed(self, exc: BaseException) -> None:
        self.failed.emit(exc)
        self.refresh()

    def refresh(self) -> None:
        raise NotImplementedError

    def mark_stale(self) -> None:
        """Data changed elsewhere: refresh when next shown (or now if visible)."""
        self._stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: Any) -> None:
        if self._stale:
            self.refresh()
        super().showEvent(event)


def history_table(model: HistoryTableModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().hide()
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return view
