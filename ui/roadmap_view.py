"""«Дорожная карта»: the tasks of the roadmap with their dates, and a timeline by months and
weeks with a line for today and overdue tasks in red."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QSplitter, QToolTip, QVBoxLayout, QWidget

from core.model import ItemStatus
from core.readiness import CLOSED_STATUSES
from core.registers import Registers, TaskView
from core.wording import STATUS_NAMES, format_date
from ui.history_model import HistoryTableModel
from ui.record_table import Column, RecordTable
from ui.register_page import RegisterPage, history_table
from ui.rooms_view import status_choices
from ui.tasks import TaskRunner

RED, GREEN, GREY, BLUE = "#b3261e", "#1b7f3b", "#80868b", "#1a73e8"
MONTHS = ("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")


class TimelineWidget(QWidget):
    """Months and weeks across, one row per task: a diamond on the due date."""

    task_clicked = Signal(str)
    ROW = 18
    TOP = 34
    LEFT = 70

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks: list[TaskView] = []
        self._today = dt.date.today()
        self._start = self._end = self._today
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_tasks(self, tasks: list[TaskView], today: dt.date) -> None:
        self._tasks = sorted(tasks, key=lambda t: t.due)
        self._today = today
        dates = [t.due for t in tasks] + [today]
        first, last = min(dates), max(dates)
        self._start = dt.date(first.year, first.month, 1)
        end_month = last.month % 12 + 1
        self._end = dt.date(last.year + (last.month == 12), end_month, 1)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(800, self.TOP + self.ROW * max(len(self._tasks), 3) + 10)

    def minimumSizeHint(self) -> QSize:
        return QSize(300, self.TOP + self.ROW * 3)

    def _x(self, day: dt.date) -> float:
        span = max((self._end - self._start).days, 1)
        width = self.width() - self.LEFT - 10
        return self.LEFT + width * (day - self._start).days / span

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        small = QFont(self.font())
        small.setPointSizeF(small.pointSizeF() * 0.85)
        painter.setFont(small)
        bottom = self.TOP + self.ROW * len(self._tasks)
        # weeks: thin lines on Mondays; months: labelled lines on the 1st
        day = self._start
        while day < self._end:
            x = self._x(day)
            if day.day == 1:
                painter.setPen(QPen(QColor("#9aa0a6"), 1))
                painter.drawLine(int(x), 4, int(x), bottom)
                label = MONTHS[day.month - 1] + (
                    f" {day.year}" if day.month == 1 or day == self._start else ""
                )
                painter.setPen(QColor("#3c4043"))
                painter.drawText(int(x) + 3, 16, label)
            elif day.weekday() == 0:
                painter.setPen(QPen(QColor("#e8eaed"), 1))
                painter.drawLine(int(x), 22, int(x), bottom)
            day += dt.timedelta(days=1)
        for row, task in enumerate(self._tasks):
            y = self.TOP + row * self.ROW + self.ROW / 2
            painter.setPen(QColor("#3c4043"))
            painter.drawText(4, int(y + 5), task.task.code)
            color = QColor(
                GREEN
                if task.state.status is ItemStatus.DONE
                else GREY
                if task.state.status is ItemStatus.NOT_REQUIRED
                else RED
                if task.overdue
                else BLUE
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            x = self._x(task.due)
            size = 6.0
            if task.task.quarterly_report:
                painter.drawRect(QRectF(x - size, y - size, 2 * size, 2 * size))
            else:
                painter.drawPolygon(
                    [  # a diamond
                        QRectF(x, y - size, 0, 0).topLeft(),
                        QRectF(x + size, y, 0, 0).topLeft(),
                        QRectF(x, y + size, 0, 0).topLeft(),
                        QRectF(x - size, y, 0, 0).topLeft(),
                    ]
                )
        if self._start <= self._today <= self._end:
            x = self._x(self._today)
            painter.setPen(QPen(QColor(RED), 2))
            painter.drawLine(int(x), 20, int(x), bottom)
            painter.drawText(int(x) + 4, 30, f"сегодня {format_date(self._today)}")
        painter.end()

    def _task_at(self, y: float) -> TaskView | None:
        row = int((y - self.TOP) // self.ROW)
        return self._tasks[row] if 0 <= row < len(self._tasks) and y >= self.TOP else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        task = self._task_at(event.position().y())
        if task is not None:
            state = "просрочено" if task.overdue else STATUS_NAMES[task.state.status]
            QToolTip.showText(
                event.globalPosition().toPoint(),
                f"{task.task.code} {task.task.name}\nСрок {format_date(task.due)} — {state}",
                self,
            )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        task = self._task_at(event.position().y())
        if task is not None:
            self.task_clicked.emit(task.task.code)


class RoadmapView(RegisterPage):
    FIELDS = {
        5: "due_override",
        6: "status",
        7: "done_on",
        8: "order_number",
        9: "order_date",
        10: "comment",
    }

    def __init__(
        self, registers: Registers, runner: TaskRunner, thumbnails_dir: Path, parent: Any = None
    ) -> None:
        super().__init__(registers, runner, thumbnails_dir, parent)
        self.timeline = TimelineWidget()
        self.timeline.task_clicked.connect(self.select_task)
        self.table = RecordTable(
            [
                Column("Код", lambda t: t.task.code, width=60),
                Column("Мероприятие", lambda t: t.task.name, width=330),
                Column("Ответственный", lambda t: t.task.responsible, width=150),
                Column("Результат", lambda t: t.task.result, width=220),
                Column("Документы", lambda t: t.task.documents, width=180),
                Column(
                    "Срок",
                    lambda t: t.due,
                    edit="date",
                    width=95,
                    color=lambda t: RED if t.overdue else None,
                    tooltip=lambda t: "Просрочено" if t.overdue else "",
                ),
                Column(
                    "Статус",
                    lambda t: STATUS_NAMES[t.state.status],
                    edit="choice",
                    value=lambda t: t.state.status.value,
                    choices=status_choices,
                    width=110,
                    color=lambda t: GREEN if t.state.status in CLOSED_STATUSES else None,
                ),
                Column("Выполнено", lambda t: t.state.done_on, edit="date", width=95),
                Column("Приказ №", lambda t: t.state.order_number, edit="text", width=90),
                Column("Дата приказа", lambda t: t.state.order_date, edit="date", width=95),
                Column("Комментарий", lambda t: t.state.comment, edit="text"),
            ],
            self.tr("Фильтр по мероприятию, ответственному…"),
        )
        self.table.model.edit_requested.connect(self._on_edit)
        self.table.current_changed.connect(self._on_selected)
        self.history_model = HistoryTableModel(self)
        history = history_table(self.history_model)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.timeline)
        splitter.addWidget(self.table)
        splitter.addWidget(history)
        splitter.setSizes([300, 330, 110])
        QVBoxLayout(self).addWidget(splitter)

    def refresh(self) -> None:
        self._stale = False
        today = self.checklist.today()
        tasks = self.registers.tasks(today)
        self.timeline.set_tasks(tasks, today)
        self.table.set_rows(tasks, keep=lambda t: t.task.code)
        self._on_selected(self.table.current_row())

    @Slot(object)
    def _on_selected(self, task: TaskView | None) -> None:
        self.history_model.set_entries(self.checklist.history(task.task.code) if task else [])

    @Slot(object, int, object)
    def _on_edit(self, task: TaskView, column: int, value: Any) -> None:
        self.save(self.registers.update_task, task.task.code, **{self.FIELDS[column]: value})

    @Slot(str)
    def select_task(self, code: str) -> None:
        self.table.filter.clear()
        self.table.select(lambda t: t.task.code == code)
        self.table.view.setFocus()
