"""«Печать и экспорт»: the printed checklist, the readiness report, the quarterly indicators
report (PDF) and the Excel workbook. Made in a worker with progress and cancel; then opened in
the system viewer or saved where the user chooses."""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.documents import DocumentKind, DocumentOptions, default_quarter, make_document
from core.paths import DataLayout
from core.registers import Center
from core.wording import format_date, quarter_name
from ui.messages import describe_error
from ui.progress import progress_dialog
from ui.tasks import TaskRunner

TITLES = {
    DocumentKind.CHECKLIST: "Печатный чек-лист",
    DocumentKind.REPORT: "Отчёт о готовности",
    DocumentKind.INDICATORS: "Отчёт по показателям",
    DocumentKind.WORKBOOK: "Реестры центра",
}
HINTS = {
    DocumentKind.CHECKLIST: "Пустой чек-лист для обхода помещений с ручкой: пункты по разделам "
    "и по помещениям, клетки для отметок, строки для заметок, подписи.",
    DocumentKind.REPORT: "Заполненный отчёт: профиль, готовность по разделам, фото (уменьшенные), "
    "оборудование с расхождениями, помещения, дорожная карта, показатели, подписи.",
    DocumentKind.INDICATORS: "Цели, значения за квартал, % цели и примечания — для отчёта "
    "региональному оператору (не позднее последнего числа отчётного месяца).",
    DocumentKind.WORKBOOK: "Книга Excel со всеми реестрами: профиль, чек-лист, оборудование, "
    "помещения, фирменный стиль, дорожная карта, показатели.",
}


class PrintView(QWidget):
    failed = Signal(object)

    def __init__(
        self, center: Center, runner: TaskRunner, layout: DataLayout, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._center = center
        self._runner = runner
        self._layout = layout
        self._temp_dir = tempfile.TemporaryDirectory(prefix="tochka-print-")
        self.kinds = QButtonGroup(self)
        kinds_box = QGroupBox(self.tr("Документ"))
        kinds_layout = QVBoxLayout(kinds_box)
        for number, kind in enumerate(DocumentKind):
            button = QRadioButton(
                TITLES[kind] + (" (XLSX)" if kind is DocumentKind.WORKBOOK else " (PDF)")
            )
            self.kinds.addButton(button, number)
            kinds_layout.addWidget(button)
        self.kinds.button(0).setChecked(True)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #5f6368;")
        kinds_layout.addWidget(self.hint)

        template = center.checklist.template
        self.only_open = QComboBox()
        self.only_open.addItem(self.tr("все пункты"), False)
        self.only_open.addItem(self.tr("только невыполненные"), True)
        self.section = QComboBox()
        self.section.addItem(self.tr("все разделы"), None)
        for section in template.sections:
            self.section.addItem(section.title, section.code)
        self.room = QComboBox()
        self.year = QSpinBox()
        self.year.setRange(2018, 2100)
        self.quarter = QComboBox()
        for quarter in (1, 2, 3, 4):
            self.quarter.addItem(quarter_name(quarter), quarter)
        year, quarter = default_quarter(center)
        self.year.setValue(year)
        self.quarter.setCurrentIndex(quarter - 1)
        options = QGroupBox(self.tr("Что включить"))
        form = QFormLayout(options)
        self._rows: dict[str, tuple[QLabel, QWidget]] = {}
        for key, text, widget in (
            ("only_open", self.tr("&Пункты:"), self.only_open),
            ("section", self.tr("&Раздел:"), self.section),
            ("room", self.tr("По&мещение:"), self.room),
            ("year", self.tr("&Год:"), self.year),
            ("quarter", self.tr("&Квартал:"), self.quarter),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
            self._rows[key] = (label, widget)

        self.open_button = QPushButton(self.tr("&Открыть"))
        self.save_button = QPushButton(self.tr("&Сохранить как…"))
        self.open_button.clicked.connect(self.open_document)
        self.save_button.clicked.connect(self.save_document)
        self.result = QLabel()
        self.result.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        layout_ = QVBoxLayout(self)
        layout_.addWidget(kinds_box)
        layout_.addWidget(options)
        layout_.addLayout(buttons)
        layout_.addWidget(self.result)
        layout_.addStretch(1)
        self.kinds.idToggled.connect(self._on_kind)
        self._on_kind(0, True)
        self._progress: Any = None

    def kind(self) -> DocumentKind:
        return list(DocumentKind)[self.kinds.checkedId()]

    @Slot(int, bool)
    def _on_kind(self, _id: int, checked: bool) -> None:
        if not checked:
            return
        kind = self.kind()
        self.hint.setText(HINTS[kind])
        shown = {
            DocumentKind.CHECKLIST: {"only_open", "section", "room"},
            DocumentKind.INDICATORS: {"year", "quarter"},
        }.get(kind, set())
        for key, (label, widget) in self._rows.items():
            label.setVisible(key in shown)
            widget.setVisible(key in shown)

    def refresh(self) -> None:
        current = self.room.currentData()
        self.room.clear()
        self.room.addItem(self.tr("все помещения"), None)
        for room in self._center.registers.rooms():
            self.room.addItem(f"{room.number} {room.name}", room.number)
        self.room.setCurrentIndex(max(self.room.findData(current), 0))

    def showEvent(self, event: Any) -> None:
        self.refresh()
        super().showEvent(event)

    def options(self) -> DocumentOptions:
        return DocumentOptions(
            only_open=bool(self.only_open.currentData()),
            section=self.section.currentData(),
            room=self.room.currentData(),
            year=self.year.value(),
            quarter=self.quarter.currentData(),
        )

    def suggested_name(self) -> str:
        kind = self.kind()
        suffix = ".xlsx" if kind is DocumentKind.WORKBOOK else ".pdf"
        extra = ""
        if kind is DocumentKind.INDICATORS:
            extra = f" {self.year.value()}-Q{self.quarter.currentData()}"
        return f"{TITLES[kind]}{extra} {format_date(dt.date.today())}{suffix}"

    @Slot()
    def save_document(self) -> None:
        kind = self.kind()
        pattern = (
            self.tr("Книга Excel (*.xlsx)")
            if kind is DocumentKind.WORKBOOK
            else self.tr("Документ PDF (*.pdf)")
        )
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Сохранить документ"), str(Path.home() / self.suggested_name()), pattern
        )
        if path:
            self.make(Path(path), open_after=False)

    @Slot()
    def open_document(self) -> None:
        self.make(Path(self._temp_dir.name) / self.suggested_name(), open_after=True)

    def make(self, out: Path, open_after: bool) -> None:
        """Make the document in a worker; the window stays responsive, Отмена stops it."""
        kind = self.kind()
        self.open_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.result.setText(self.tr("Документ готовится…"))
        task = self._runner.run(
            functools.partial(make_document, self._center, kind, out, self.options(), self._layout),
            with_progress=True,
            on_success=lambda pages: self._made(out, pages, open_after),
            on_failure=self._failed,
        )
        self._progress = progress_dialog(
            self, self.tr("Готовится документ «%1»…").replace("%1", TITLES[kind]), task
        )

    def _finish(self) -> None:
        if self._progress is not None:
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
        self.open_button.setEnabled(True)
        self.save_button.setEnabled(True)

    def _made(self, out: Path, pages: int | None, open_after: bool) -> None:
        self._finish()
        self.last_output = out
        detail = self.tr(", страниц: %1").replace("%1", str(pages)) if pages else ""
        self.result.setText(self.tr("Готово: %1%2").replace("%1", str(out)).replace("%2", detail))
        if open_after:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(out)))

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        self.result.setText(describe_error(exc))
        self.failed.emit(exc)
