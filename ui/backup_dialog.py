"""«Резервная копия»: save the whole data folder to a USB stick or a folder as one file, and
restore from such a file. The work runs in the task runner's pool with a progress dialog; the
dialog never touches the database itself.

Restoring needs the database closed: the dialog calls close_data (the main window flushes its
edits, waits for its writes and disposes the engine), runs the restore, and then emits restored
(the data changed) or restore_failed (nothing changed) with the data folder, for the main window
to open it again in both cases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.backup import BackupInfo, BackupManifest, Backups, RestoreResult
from core.errors import CancelledError, TochkaError
from core.wording import format_datetime, format_size
from ui.messages import describe_error
from ui.progress import progress_dialog
from ui.tasks import TaskRunner

HINT_STYLE = "color: #5f6368;"
ZERO_WIDTH_SPACE = "\u200b"


def breakable(text: str) -> str:
    """Let a long path wrap after its separators (a label breaks lines only at spaces)."""
    return text.replace("/", "/" + ZERO_WIDTH_SPACE).replace("\\", "\\" + ZERO_WIDTH_SPACE)


class BackupDialog(QDialog):
    saved = Signal(object)  # BackupInfo
    restored = Signal(object)  # Path: the data folder, now holding the restored data
    restore_failed = Signal(object)  # Path: the data folder, unchanged, closed for the attempt

    def __init__(
        self,
        backups: Backups,
        *,
        close_data: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._backups = backups
        self._close_data = close_data
        self._runner = TaskRunner(self)
        self._progress: QProgressDialog | None = None
        self._busy = False
        self.setWindowTitle(self.tr("Резервная копия"))
        self.setMinimumWidth(560)

        about = QLabel(
            self.tr(
                "Копия — один файл со всеми данными программы: чек-лист и реестры, приложенные "
                "фото и документы, ключ подписи школы и пакеты отчётов. Храните её на флешке "
                "отдельно от компьютера: если компьютер сломается, данные можно будет "
                "восстановить на другом."
            )
        )
        about.setWordWrap(True)
        self.last_label = QLabel()
        self.last_label.setWordWrap(True)
        self.save_button = QPushButton(self.tr("Сохранить копию на флешку или в папку…"))
        self.save_button.setDefault(True)
        self.restore_button = QPushButton(self.tr("Восстановить из копии…"))
        secret = QLabel(
            self.tr("В копии есть ключ подписи школы: не оставляйте флешку с копией без присмотра.")
        )
        secret.setWordWrap(True)
        secret.setStyleSheet(HINT_STYLE)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addSpacing(6)
        layout.addWidget(self.last_label)
        layout.addSpacing(6)
        layout.addWidget(self.save_button)
        layout.addWidget(self.restore_button)
        layout.addWidget(secret)
        layout.addWidget(self.outcome)
        layout.addStretch(1)
        layout.addWidget(buttons)

        self.save_button.clicked.connect(self.save_backup)
        self.restore_button.clicked.connect(self.restore_backup)
        self.show_last_backup()

    # --- the last copy ------------------------------------------------------------------------
    def show_last_backup(self) -> None:
        record = self._backups.last()
        if record is None:
            self.last_label.setText(self.tr("На этом компьютере резервную копию ещё не сохраняли."))
        else:
            text = (
                self.tr("Последняя копия: %1 (%2)\nФайл: %3\nПапка: %4")
                .replace("%1", format_datetime(record.created_at))
                .replace("%2", format_size(record.size))
                .replace("%3", breakable(record.path.name))
                .replace("%4", breakable(str(record.path.parent)))
            )
            if not record.path.exists():
                text += "\n" + self.tr(
                    "Сейчас этого файла не видно — флешка, вероятно, не подключена."
                )
            self.last_label.setText(text)
        self._refit()

    def _refit(self) -> None:
        """Grow to fit wrapped labels (a label's height follows its text only on a relayout)."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
        self.adjustSize()

    def _start_folder(self) -> str:
        record = self._backups.last()
        if record is not None and record.path.parent.is_dir():
            return str(record.path.parent)
        return str(Path.home())

    # --- saving -------------------------------------------------------------------------------
    @Slot()
    def save_backup(self) -> None:
        if self._busy:
            return
        chosen = QFileDialog.getExistingDirectory(
            self, self.tr("Куда сохранить резервную копию (флешка или папка)"), self._start_folder()
        )
        if not chosen:
            return
        folder = Path(chosen)
        self._begin()
        task = self._runner.run(
            self._backups.save,
            folder,
            with_progress=True,
            on_success=self._saved,
            on_failure=self._save_failed,
        )
        label = self.tr("Сохраняется резервная копия в %1…").replace("%1", str(folder))
        self._progress = progress_dialog(self, label, task)

    def _saved(self, info: BackupInfo) -> None:
        self._finish()
        self.outcome.setText(
            self.tr(
                "Копия сохранена и проверена: она прочитана с носителя, все файлы целы. "
                "Флешку можно извлечь."
            )
        )
        self.show_last_backup()
        text = (
            self.tr(
                "Копия сохранена: файл «%1» в папке «%2» (%3). Она прочитана с носителя и "
                "проверена — все файлы целы. Флешку можно извлечь."
            )
            .replace("%1", info.path.name)
            .replace("%2", str(info.path.parent))
            .replace("%3", format_size(info.size))
        )
        QMessageBox.information(self, self.tr("Резервная копия сохранена"), text)
        self.saved.emit(info)

    def _save_failed(self, exc: BaseException) -> None:
        self._finish()
        if isinstance(exc, CancelledError):
            self.outcome.setText(self.tr("Сохранение отменено. На носителе ничего не осталось."))
            return
        text = describe_error(exc)
        self.outcome.setText(breakable(text))
        self._refit()
        QMessageBox.warning(self, self.tr("Копия не сохранена"), text)

    # --- restoring ----------------------------------------------------------------------------
    @Slot()
    def restore_backup(self) -> None:
        if self._busy:
            return
        chosen, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Выберите резервную копию"),
            self._start_folder(),
            self.tr("Резервные копии (tochka-backup-*.zip);;Архивы ZIP (*.zip)"),
        )
        if not chosen:
            return
        path = Path(chosen)
        try:
            manifest = self._backups.inspect(path)  # the ZIP's directory and manifest: quick
        except TochkaError as exc:
            text = describe_error(exc)
            self.outcome.setText(breakable(text))
            self._refit()
            QMessageBox.warning(self, self.tr("Эту копию нельзя восстановить"), text)
            return
        answer = QMessageBox.question(
            self,
            self.tr("Восстановить данные из копии?"),
            self.confirmation_text(manifest),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._begin()
        if self._close_data is not None:
            self._close_data()
        task = self._runner.run(
            self._backups.restore,
            path,
            with_progress=True,
            on_success=self._restored,
            on_failure=self._restore_failed,
        )
        self._progress = progress_dialog(self, self.tr("Восстанавливаются данные из копии…"), task)

    def confirmation_text(self, manifest: BackupManifest) -> str:
        when = format_datetime(manifest.created_at) if manifest.created_at else self.tr("—")
        school = manifest.school_name or self.tr("не указана")
        if manifest.inn:
            school += self.tr(", ИНН %1").replace("%1", manifest.inn)
        lines = []
        try:
            current_inn = self._backups.current_school().inn
        except TochkaError:
            current_inn = None  # the current database cannot be read: all the more reason
        if manifest.inn and current_inn and manifest.inn != current_inn:
            lines.append(
                self.tr(
                    "Внимание: копия сделана в другой школе (ИНН %1), а сейчас в программе "
                    "данные школы с ИНН %2."
                )
                .replace("%1", manifest.inn)
                .replace("%2", current_inn)
            )
        lines.append(self.tr("Копия от %1. Школа: %2.").replace("%1", when).replace("%2", school))
        lines.append(
            self.tr(
                "Сначала программа сохранит нынешние данные в отдельную резервную копию (папка "
                "«backups» в папке данных), затем заменит их данными из выбранной копии. Всё, "
                "что внесено после %1, из программы пропадёт, но останется в той сохранённой "
                "копии."
            ).replace("%1", when)
        )
        lines.append(
            self.tr("На время восстановления программа закроет данные, а затем откроет их заново.")
        )
        return "\n\n".join(lines)

    def _restored(self, result: RestoreResult) -> None:
        self._finish()
        when = format_datetime(result.manifest.created_at) if result.manifest.created_at else ""
        text = self.tr("Данные восстановлены из копии от %1.").replace("%1", when)
        if result.safety_backup is not None:
            text += " " + self.tr("Данные, что были до восстановления, сохранены в %1.").replace(
                "%1", str(result.safety_backup)
            )
        self.outcome.setText(text)
        QMessageBox.information(self, self.tr("Данные восстановлены"), text)
        self.restored.emit(self._backups.layout.root)
        self.accept()

    def _restore_failed(self, exc: BaseException) -> None:
        self._finish()
        if isinstance(exc, CancelledError):
            text = self.tr("Восстановление отменено. Данные не изменены.")
            self.outcome.setText(text)
        else:
            text = describe_error(exc)
            self.outcome.setText(breakable(text))
            QMessageBox.warning(self, self.tr("Данные не восстановлены"), text)
        self._refit()
        self.restore_failed.emit(self._backups.layout.root)

    # --- state --------------------------------------------------------------------------------
    def _begin(self) -> None:
        self._busy = True
        self.save_button.setEnabled(False)
        self.restore_button.setEnabled(False)
        self.outcome.clear()

    def _finish(self) -> None:
        self._busy = False
        if self._progress is not None:
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
        self.save_button.setEnabled(True)
        self.restore_button.setEnabled(True)

    def busy(self) -> bool:
        return self._busy

    @Slot()
    def reject(self) -> None:
        if self._busy:
            return  # a copy or a restore half-done: wait for it (Отмена in the progress stops it)
        super().reject()
