"""Photos and documents of one subject (a checklist item, a position, a room's «до»/«после», a
brand element): thumbnails, add by dialog or drag-and-drop, open, remove with confirmation."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMargins, QModelIndex, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.checklist import AttachResult, Checklist
from ui.evidence_model import THUMB, EvidenceListModel
from ui.messages import describe_error
from ui.progress import progress_dialog
from ui.tasks import TaskRunner

FILE_FILTER = (
    "Фото и документы (*.jpg *.jpeg *.png *.gif *.bmp *.tif *.tiff *.webp *.pdf *.doc *.docx "
    "*.odt *.rtf *.xls *.xlsx *.ods *.djvu *.txt);;Все файлы (*)"
)
# attach(subject, paths, progress=..., cancelled=...) -> AttachResult: a core use case
AttachFn = Callable[..., AttachResult]


class EvidencePanel(QGroupBox):
    changed = Signal(str)  # the subject whose evidence changed
    failed = Signal(object)

    def __init__(
        self,
        checklist: Checklist,
        runner: TaskRunner,
        thumbnails_dir: Path,
        attach: AttachFn,
        title: str = "",
        compact: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title or self.tr("Фото и документы"), parent)
        self._checklist = checklist
        self._runner = runner
        self._attach = attach
        self._subject: str | None = None
        self._progress: QProgressDialog | None = None
        self.setAcceptDrops(True)

        self.model = EvidenceListModel(runner, thumbnails_dir, self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        thumb = THUMB / 2 if compact else THUMB
        self.view.setIconSize(thumb)
        self.view.setGridSize(thumb.grownBy(QMargins(8, 8, 8, 40)))
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setWordWrap(True)
        self.view.setMinimumHeight(thumb.height() + 60)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.activated.connect(self._open_evidence)
        self.add_button = QPushButton(self.tr("&Добавить файлы…"))
        self.open_button = QPushButton(self.tr("Откр&ыть"))
        self.remove_button = QPushButton(self.tr("&Удалить…"))
        self.add_button.clicked.connect(self.choose_files)
        self.open_button.clicked.connect(self._open_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.open_button, self.remove_button):
            buttons.addWidget(button)
        if compact:  # narrow places: a double click or Enter opens a file
            self.add_button.setText(self.tr("&Добавить…"))
            self.open_button.hide()
        buttons.addStretch(1)
        self.drop_hint = QLabel(self.tr("Перетащите сюда фото или документы, чтобы приложить."))
        self.drop_hint.setStyleSheet("color: #5f6368;")
        self.drop_hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        if not compact:
            layout.addWidget(self.drop_hint)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.view, self.remove_selected)
        # several panels show at once: Delete acts on the one with the focus
        delete.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.set_subject(None)

    @property
    def subject(self) -> str | None:
        return self._subject

    def set_subject(self, subject: str | None) -> None:
        self._subject = subject
        self.setEnabled(subject is not None)
        self.reload()

    def reload(self) -> None:
        if self._subject is None:
            self.model.set_evidence([])
        else:
            evidence = self._checklist.evidence(self._subject)
            self.model.set_evidence([(e, self._checklist.evidence_path(e)) for e in evidence])
        has = self.model.rowCount() > 0
        self.open_button.setEnabled(has)
        self.remove_button.setEnabled(has)

    @Slot()
    def choose_files(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        if self._subject is None:
            return
        paths, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Приложить фото и документы"), "", FILE_FILTER
        )
        if paths:
            self.attach_files([Path(p) for p in paths])

    def attach_files(self, paths: list[Path]) -> None:
        subject = self._subject
        if subject is None or not paths:
            return
        task = self._runner.write(
            functools.partial(self._attach, subject, paths),
            with_progress=True,
            on_success=lambda result: self._attached(subject, result),
            on_failure=lambda exc: self._attach_failed(subject, exc),
        )
        self._progress = progress_dialog(self, self.tr("Копирование файлов в папку данных…"), task)

    def _close_progress(self) -> None:
        if self._progress is not None:
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None

    def _attached(self, subject: str, result: AttachResult) -> None:
        self._close_progress()
        if subject == self._subject:
            self.reload()
        self.changed.emit(subject)
        if result.failed:
            lines = "\n\n".join(describe_error(exc) for exc in result.failed)
            added = len(result.added)
            head = self.tr("Приложено файлов: %n.", "", added) + "\n\n" if added else ""
            QMessageBox.warning(self, self.tr("Не все файлы приложены"), head + lines)

    def _attach_failed(self, subject: str, exc: BaseException) -> None:
        self._close_progress()
        if subject == self._subject:
            self.reload()
        self.changed.emit(subject)
        self.failed.emit(exc)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._subject is not None and local_paths(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData().urls())
        if self._subject is not None and paths:
            event.acceptProposedAction()
            self.attach_files(paths)

    def _selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.view.selectionModel().selectedIndexes()})

    @Slot()
    def _open_selected(self) -> None:
        rows = self._selected_rows() or ([0] if self.model.rowCount() else [])
        for row in rows:
            self._open_evidence(self.model.index(row))

    @Slot(QModelIndex)
    def _open_evidence(self, index: QModelIndex) -> None:
        _evidence, path = self.model.evidence_at(index.row())
        if not path.exists():
            QMessageBox.warning(
                self,
                self.tr("Файл не найден"),
                self.tr(
                    "Файл «%1» пропал из папки данных. Восстановите папку из резервной копии."
                ).replace("%1", str(path)),
            )
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    @Slot()
    def remove_selected(self) -> None:
        subject = self._subject
        rows = self._selected_rows()
        if subject is None or not rows:
            return
        chosen = [self.model.evidence_at(r)[0] for r in rows]
        names = "\n".join(f"• {e.original_name}" for e in chosen)
        answer = QMessageBox.question(
            self,
            self.tr("Удалить файлы"),
            self.tr("Убрать эти файлы?\n\n%1\n\nУдаление будет записано в историю.").replace(
                "%1", names
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        for evidence in chosen:
            self._runner.write(
                self._checklist.remove_evidence,
                evidence.id,
                on_success=lambda _r: self._attached(subject, AttachResult()),
                on_failure=lambda exc: self._attach_failed(subject, exc),
            )


def local_paths(urls: list[QUrl]) -> list[Path]:
    paths = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
    return paths if len(paths) == len(urls) else []
