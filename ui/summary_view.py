"""«Сводка»: overall and per-section readiness, overdue items, days until the opening."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.checklist import Checklist
from core.model import Readiness
from core.registers import Registers, RegisterSummary
from core.wording import days_phrase, format_date, format_number, plural

Index = QModelIndex | QPersistentModelIndex
ItemCodeRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2


class OverdueTableModel(QAbstractTableModel):
    COL_CODE, COL_TITLE, COL_DUE, COL_LATE, COL_RESPONSIBLE = range(5)
    HEADERS = ("Код", "Пункт", "Срок", "Просрочено", "Ответственный")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, str, Any, int, str]] = []

    def set_rows(self, rows: list[tuple[str, str, Any, int, str]]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        code, title, due, late, responsible = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (code, title, format_date(due), days_phrase(late), responsible)[column]
        if role == SortRole:
            return (code, title.casefold(), due.toordinal(), late, responsible.casefold())[column]
        if role == ItemCodeRole:
            return code
        return None


class SummaryView(QWidget):
    item_activated = Signal(str)

    def __init__(
        self, checklist: Checklist, registers: Registers | None = None, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._checklist = checklist
        self._registers = registers
        self.title = QLabel()
        title_font = QFont(self.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.5)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.title.setWordWrap(True)
        self.opening = QLabel()
        self.opening.setWordWrap(True)
        opening_font = QFont(self.font())
        opening_font.setPointSizeF(opening_font.pointSizeF() * 1.2)
        self.opening.setFont(opening_font)
        self.overall = QProgressBar()
        self.overall.setRange(0, 100)
        self.overall.setMinimumHeight(28)
        self.overall_text = QLabel()

        self.sections_box = QGroupBox(self.tr("Готовность по разделам"))
        self.sections_grid = QGridLayout(self.sections_box)
        self.sections_grid.setColumnStretch(1, 1)
        self._section_widgets: list[tuple[QLabel, QProgressBar, QLabel]] = []

        self.overdue_model = OverdueTableModel(self)
        proxy = QSortFilterProxyModel(self)
        proxy.setSourceModel(self.overdue_model)
        proxy.setSortRole(SortRole)
        self.overdue_view = QTableView()
        self.overdue_view.setModel(proxy)
        self.overdue_view.setSortingEnabled(True)
        self.overdue_view.sortByColumn(OverdueTableModel.COL_LATE, Qt.SortOrder.DescendingOrder)
        self.overdue_view.verticalHeader().hide()
        self.overdue_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.overdue_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.overdue_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(OverdueTableModel.COL_TITLE, QHeaderView.ResizeMode.Stretch)
        self.overdue_view.activated.connect(self._on_overdue_activated)
        self.overdue_box = QGroupBox()
        overdue_layout = QVBoxLayout(self.overdue_box)
        overdue_layout.addWidget(self.overdue_view)
        hint = QLabel(self.tr("Enter или двойной щелчок — открыть пункт в чек-листе."))
        hint.setStyleSheet("color: #5f6368;")
        overdue_layout.addWidget(hint)

        self.registers_box = QGroupBox(self.tr("Оборудование, помещения, дорожная карта"))
        registers_grid = QGridLayout(self.registers_box)
        self.register_lines: dict[str, QLabel] = {}
        for row, (key, caption) in enumerate(
            (
                ("equipment", self.tr("Оборудование (план / поставлено / установлено / введено):")),
                ("discrepancies", self.tr("Расхождения по оборудованию:")),
                ("rooms", self.tr("Помещения готовы:")),
                ("brand", self.tr("Фирменный стиль, элементов готово:")),
                ("roadmap", self.tr("Дорожная карта, просрочено:")),
            )
        ):
            registers_grid.addWidget(QLabel(caption), row, 0)
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            registers_grid.addWidget(value, row, 1)
            self.register_lines[key] = value
        registers_grid.setColumnStretch(1, 1)
        self.indicators_box = QGroupBox(self.tr("Показатели, % цели года"))
        self.indicators_grid = QGridLayout(self.indicators_box)
        self.indicators_grid.setColumnStretch(1, 1)
        self._indicator_widgets: list[tuple[QLabel, QProgressBar, QLabel]] = []

        top = QHBoxLayout()
        top.addWidget(self.overall, 1)
        top.addWidget(self.overall_text)
        middle = QHBoxLayout()
        middle.addWidget(self.sections_box, 3)
        right = QVBoxLayout()
        right.addWidget(self.registers_box)
        right.addWidget(self.indicators_box, 1)
        middle.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.opening)
        layout.addLayout(top)
        layout.addLayout(middle)
        layout.addWidget(self.overdue_box, 1)
        self.registers_box.setVisible(registers is not None)
        self.indicators_box.setVisible(registers is not None)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        checklist = self._checklist
        readiness = checklist.readiness()
        profile = checklist.profile()
        name = profile.school_short_name if profile else self.tr("профиль не заполнен")
        self.title.setText(self.tr("Центр «Точка роста» — %1").replace("%1", name))
        self.opening.setText(self._opening_text(readiness))
        self.overall.setValue(round(readiness.percent))
        self.overall.setFormat(f"{readiness.percent:.0f} %")
        self.overall_text.setText(
            f"выполнено {readiness.done} из {readiness.applicable} "
            f"{plural(readiness.applicable, 'пункта', 'пунктов', 'пунктов')}"
        )
        self._fill_sections(readiness)
        self._fill_overdue(readiness)
        if self._registers is not None:
            self._fill_registers(self._registers.summary(readiness.today))

    def _fill_registers(self, summary: RegisterSummary) -> None:
        lines = self.register_lines
        lines["equipment"].setText(
            f"{summary.planned} / {summary.delivered} / {summary.installed} / {summary.in_use}"
        )
        lines["discrepancies"].setText(str(summary.discrepancies))
        lines["discrepancies"].setStyleSheet("color: #b3261e;" if summary.discrepancies else "")
        lines["rooms"].setText(f"{summary.rooms_ready} из {summary.rooms_total}")
        lines["brand"].setText(f"{summary.brand_done} из {summary.brand_total}")
        lines["roadmap"].setText(f"{summary.roadmap_overdue} из {summary.roadmap_total}")
        lines["roadmap"].setStyleSheet("color: #b3261e;" if summary.roadmap_overdue else "")
        while len(self._indicator_widgets) < len(summary.indicators):
            row = len(self._indicator_widgets)
            label, bar, value = QLabel(), QProgressBar(), QLabel()
            bar.setRange(0, 100)
            bar.setMaximumHeight(18)
            self.indicators_grid.addWidget(label, row, 0)
            self.indicators_grid.addWidget(bar, row, 1)
            self.indicators_grid.addWidget(value, row, 2)
            self._indicator_widgets.append((label, bar, value))
        for (label, bar, value), indicator in zip(
            self._indicator_widgets, summary.indicators, strict=False
        ):
            label.setText(indicator.indicator.code)
            label.setToolTip(indicator.indicator.name)
            bar.setToolTip(indicator.indicator.name)
            percent = indicator.percent
            bar.setValue(min(100, round(percent)) if percent is not None else 0)
            bar.setFormat(f"{percent:.0f} %" if percent is not None else "нет данных")
            latest = indicator.latest
            value.setText(
                f"{format_number(latest.value)} из {format_number(indicator.target)} "
                f"{indicator.indicator.unit}"
                if latest
                else f"цель {format_number(indicator.target)} {indicator.indicator.unit}"
            )

    def _opening_text(self, readiness: Readiness) -> str:
        profile = self._checklist.profile()
        days = readiness.days_until_opening
        if profile is None or days is None:
            return ""
        date = format_date(profile.opening_date)
        if days > 0:
            return f"До открытия Центра ({date}) — {days_phrase(days)}"
        if days == 0:
            return f"Открытие Центра — сегодня, {date}"
        return f"Центр открыт {date} ({days_phrase(-days)} назад)"

    def _fill_sections(self, readiness: Readiness) -> None:
        while len(self._section_widgets) < len(readiness.sections):
            row = len(self._section_widgets)
            label, bar, counts = QLabel(), QProgressBar(), QLabel()
            bar.setRange(0, 100)
            self.sections_grid.addWidget(label, row, 0)
            self.sections_grid.addWidget(bar, row, 1)
            self.sections_grid.addWidget(counts, row, 2)
            self._section_widgets.append((label, bar, counts))
        for (label, bar, counts), section in zip(
            self._section_widgets, readiness.sections, strict=False
        ):
            label.setText(section.title)
            bar.setValue(round(section.percent))
            bar.setFormat(f"{section.percent:.0f} %")
            text = f"{section.done} из {section.applicable}"
            if section.overdue:
                text += f", просрочено: {section.overdue}"
            counts.setText(text)
            counts.setStyleSheet("color: #b3261e;" if section.overdue else "")

    def _fill_overdue(self, readiness: Readiness) -> None:
        checklist = self._checklist
        states = checklist.states()
        rows = []
        for code in readiness.overdue_codes:
            item = checklist.template.item(code)
            state = states[code]
            due = checklist.due_date(item, state)
            rows.append(
                (
                    code,
                    item.title,
                    due,
                    (readiness.today - due).days,
                    state.responsible or item.role,
                )
            )
        self.overdue_model.set_rows(rows)
        count = len(rows)
        self.overdue_box.setTitle(
            self.tr("Просроченные пункты: %1").replace("%1", str(count))
            if count
            else self.tr("Просроченных пунктов нет")
        )

    @Slot(QModelIndex)
    def _on_overdue_activated(self, index: QModelIndex) -> None:
        code = index.data(ItemCodeRole)
        if code:
            self.item_activated.emit(code)
