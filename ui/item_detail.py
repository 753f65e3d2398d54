"""The detail panel of one checklist item: every field, evidence thumbnails, the history.
Every edit is saved at once (text after a short pause or when the field is left)."""

from __future__ import annotations

import dataclasses
import functools
import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QMargins, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressDialog,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.checklist import Checklist
from core.model import ItemState, ItemStatus
from core.wording import EVIDENCE_NAMES, STATUS_NAMES, format_date
from ui.evidence_panel import EvidencePanel
from ui.history_model import HistoryTableModel
from ui.profile_form import DATE_FORMAT, from_qdate, to_qdate
from ui.tasks import TaskRunner

AUTOSAVE_MS = 800
FILE_FILTER = (
    "Фото и документы (*.jpg *.jpeg *.png *.gif *.bmp *.tif *.tiff *.webp *.pdf *.doc *.docx "
    "*.odt *.rtf *.xls *.xlsx *.ods *.djvu *.txt);;Все файлы (*)"
)


class ItemDetail(QWidget):
    item_saved = Signal(str)
    failed = Signal(object)

    def __init__(
        self, checklist: Checklist, runner: TaskRunner, thumbnails_dir: Path, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._checklist = checklist
        self._runner = runner
        self._code: str | None = None
        self._state: ItemState | None = None
        self._loading = False
        self._dirty: set[str] = set()
        self._progress: QProgressDialog | None = None
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.flush)
        self.setAcceptDrops(True)

        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setTextFormat(Qt.TextFormat.RichText)

        self.status = QComboBox()
        for status in ItemStatus:
            self.status.addItem(STATUS_NAMES[status], status.value)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("почему пункт не требуется"))
        self.reason_label = QLabel(self.tr("&Причина:"))
        self.reason_label.setBuddy(self.reason)
        self.responsible = QLineEdit()
        self.responsible.setPlaceholderText(self.tr("ФИО ответственного"))
        self.own_due = QCheckBox(self.tr("свой срок"))
        self.due = QDateEdit()
        self.due.setDisplayFormat(DATE_FORMAT)
        self.due.setCalendarPopup(True)
        self.completed_on = QDateEdit()
        self.completed_on.setDisplayFormat(DATE_FORMAT)
        self.completed_on.setCalendarPopup(True)
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText(self.tr("заметки, договорённости, что осталось сделать"))
        self.comment.setTabChangesFocus(True)
        self.comment.setFixedHeight(80)
        self.comment.installEventFilter(self)

        due_row = QHBoxLayout()
        due_row.addWidget(self.due, 1)
        due_row.addWidget(self.own_due)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for text, widget in (
            (self.tr("С&татус:"), self.status),
            (None, self.reason),
            (self.tr("&Ответственный:"), self.responsible),
            (self.tr("&Срок:"), due_row),
            (self.tr("&Дата выполнения:"), self.completed_on),
            (self.tr("&Комментарий:"), self.comment),
        ):
            if text is None:
                form.addRow(self.reason_label, widget)
                continue
            label = QLabel(text)
            if isinstance(widget, QWidget):
                label.setBuddy(widget)
            else:
                label.setBuddy(self.due)
            form.addRow(label, widget)
        self._form = form

        self.evidence = EvidencePanel(checklist, runner, thumbnails_dir, checklist.attach)
        self.evidence.changed.connect(self._on_evidence_changed)
        self.evidence.failed.connect(self.failed)
        # the panel's parts, as the tests and the drop handlers of this widget use them
        self.evidence_model = self.evidence.model
        self.evidence_view = self.evidence.view
        self.attach_files = self.evidence.attach_files
        self.remove_selected = self.evidence.remove_selected

        self.history_model = HistoryTableModel(self)
        self.history_view = QTableView()
        self.history_view.setModel(self.history_model)
        self.history_view.verticalHeader().hide()
        self.history_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_view.setWordWrap(True)
        header = self.history_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.history_view.setMinimumHeight(140)
        history_box = QGroupBox(self.tr("История изменений"))
        QVBoxLayout(history_box).addWidget(self.history_view)

        self.placeholder = QLabel(self.tr("Выберите пункт чек-листа слева."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.addWidget(self.heading)
        body_layout.addWidget(self.about)
        body_layout.addLayout(form)
        body_layout.addWidget(self.evidence)
        body_layout.addWidget(history_box, 1)
        self.body = body
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(420)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.placeholder)
        outer.addWidget(scroll)
        self._scroll = scroll
        scroll.hide()

        self.status.currentIndexChanged.connect(self._on_status_changed)
        self.reason.textEdited.connect(lambda: self._mark_dirty("not_required_reason"))
        self.reason.editingFinished.connect(self.flush)
        self.responsible.textEdited.connect(lambda: self._mark_dirty("responsible"))
        self.responsible.editingFinished.connect(self.flush)
        self.own_due.toggled.connect(self._on_own_due_toggled)
        self.due.dateChanged.connect(lambda: self._mark_dirty("due_override"))
        self.due.editingFinished.connect(self.flush)
        self.completed_on.dateChanged.connect(lambda: self._mark_dirty("completed_on"))
        self.completed_on.editingFinished.connect(self.flush)
        self.comment.textChanged.connect(lambda: self._mark_dirty("comment"))

    @staticmethod
    def _margins() -> QMargins:
        return QMargins(8, 8, 8, 40)

    # --- showing -------------------------------------------------------------------------
    @property
    def code(self) -> str | None:
        return self._code

    def show_item(self, code: str | None) -> None:
        self.flush()
        self._code = code
        self._scroll.setVisible(code is not None)
        self.placeholder.setVisible(code is None)
        if code is not None:
            self.reload()

    def reload(self) -> None:
        """Show what is stored now for the current item (also after a failed save)."""
        if self._code is None:
            return
        code = self._code
        item = self._checklist.template.item(code)
        section = self._checklist.template.section(item.section_code)
        state = self._checklist.state(code)
        self._state = state
        self._dirty.clear()
        self._autosave.stop()
        self._loading = True
        try:
            self.heading.setText(f"<b>{code}</b>  {item.title}")
            template_due = self._checklist.due_date(item, ItemState(code))
            self.about.setText(
                f"<p><b>Выполнено, когда:</b> {_html(item.done_when)}</p>"
                f"<p>Раздел: {_html(section.title)} · Ответственный по шаблону: "
                f"{_html(item.role)} · Подтверждение: {EVIDENCE_NAMES[item.evidence]} · "
                f"Срок по шаблону: {format_date(template_due)}</p>"
            )
            self.status.setCurrentIndex(list(ItemStatus).index(state.status))
            self.reason.setText(state.not_required_reason)
            not_required = state.status is ItemStatus.NOT_REQUIRED
            self.reason.setVisible(not_required)
            self.reason_label.setVisible(not_required)
            self.responsible.setText(state.responsible)
            self.own_due.setChecked(state.due_override is not None)
            self.due.setEnabled(state.due_override is not None)
            self.due.setDate(to_qdate(state.due_override or template_due))
            today = self._checklist.today()
            self.completed_on.setMaximumDate(to_qdate(today))
            self.completed_on.setEnabled(state.status is ItemStatus.DONE)
            self.completed_on.setDate(to_qdate(state.completed_on or today))
            if self.comment.toPlainText() != state.comment:
                self.comment.setPlainText(state.comment)
        finally:
            self._loading = False
        self.reload_evidence()
        self.history_model.set_entries(self._checklist.history(code))

    def reload_evidence(self) -> None:
        self.evidence.set_subject(self._code)

    # --- editing -------------------------------------------------------------------------
    def _mark_dirty(self, field: str) -> None:
        if self._loading or self._code is None:
            return
        self._dirty.add(field)
        self._autosave.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.comment and event.type() == QEvent.Type.FocusOut:
            self.flush()
        return super().eventFilter(watched, event)

    @Slot()
    def flush(self) -> None:
        """Save every field changed since the last save, now."""
        self._autosave.stop()
        if self._code is None or not self._dirty:
            return
        changes: dict[str, Any] = {}
        for field in self._dirty:
            if field == "responsible":
                changes[field] = self.responsible.text()
            elif field == "comment":
                changes[field] = self.comment.toPlainText()
            elif field == "not_required_reason":
                changes[field] = self.reason.text()
            elif field == "due_override":
                changes[field] = from_qdate(self.due.date()) if self.own_due.isChecked() else None
            elif field == "completed_on" and self.completed_on.isEnabled():
                changes[field] = from_qdate(self.completed_on.date())
        self._dirty.clear()
        if self._state is not None:
            changes = {k: v for k, v in changes.items() if getattr(self._state, k) != v}
        if changes:
            self._save(changes)

    def _save(self, changes: dict[str, Any], reload_after: bool = False) -> None:
        code = self._code
        assert code is not None
        if self._state is not None:
            # what the user sees is what will be stored: later edits compare with it
            self._state = _apply(self._state, changes)
        self._runner.write(
            functools.partial(self._checklist.update_item, code, **changes),
            on_success=lambda _state: self._saved(code, reload_after),
            on_failure=lambda exc: self._save_failed(code, exc),
        )

    def _saved(self, code: str, reload_after: bool) -> None:
        if reload_after and code == self._code and not self._dirty:
            self.reload()
        elif code == self._code:
            self.history_model.set_entries(self._checklist.history(code))
        self.item_saved.emit(code)

    def _save_failed(self, code: str, exc: BaseException) -> None:
        self.failed.emit(exc)
        if code == self._code:
            self.reload()

    @Slot(int)
    def _on_status_changed(self, index: int) -> None:
        if self._loading or self._code is None:
            return
        status = ItemStatus(self.status.itemData(index))
        self.flush()
        changes: dict[str, Any] = {"status": status}
        if status is ItemStatus.NOT_REQUIRED:
            reason, ok = QInputDialog.getText(
                self,
                self.tr("Пункт не требуется"),
                self.tr("Почему этот пункт не требуется для вашего центра?"),
                QLineEdit.EchoMode.Normal,
                self.reason.text(),
            )
            if not ok or not reason.strip():
                self.reload()  # back to the stored status
                return
            changes["not_required_reason"] = reason.strip()
        self._save(changes, reload_after=True)

    @Slot(bool)
    def _on_own_due_toggled(self, on: bool) -> None:
        if self._loading:
            return
        self.due.setEnabled(on)
        self._mark_dirty("due_override")
        self.flush()

    # --- evidence ------------------------------------------------------------------------
    @Slot(str)
    def _on_evidence_changed(self, code: str) -> None:
        if code == self._code:
            self.history_model.set_entries(self._checklist.history(code))
        self.item_saved.emit(code)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.evidence.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.evidence.dropEvent(event)


def _apply(state: ItemState, changes: dict[str, Any]) -> ItemState:
    return dataclasses.replace(state, **changes)


def _html(text: str) -> str:
    return html.escape(text)
