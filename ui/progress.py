"""A progress dialog for a background task: appears only after half a second, cancels by flag."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from ui.tasks import Task


def progress_dialog(parent: QWidget, label: str, task: Task) -> QProgressDialog:
    dialog = QProgressDialog(label, parent.tr("Отмена"), 0, 0, parent)
    dialog.setWindowTitle(parent.tr("Подождите"))
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(500)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.canceled.connect(task.cancel)
    previous = task.on_progress

    def on_progress(done: int, total: int) -> None:
        dialog.setMaximum(total)
        dialog.setValue(done)
        if previous is not None:
            previous(done, total)

    task.on_progress = on_progress
    return dialog
