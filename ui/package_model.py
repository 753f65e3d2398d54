"""The outbox as a table: one row per report package, newest first, with its state in words
(queued for sending, the last mail error in Russian, «заменён пакетом № N» in grey)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from core.errors import MailError
from core.model import OutboxPackage, PackageStatus
from core.wording import format_date, format_datetime, format_size
from ui.messages import describe_error

COL_PERIOD, COL_NUMBER, COL_CREATED, COL_SIZE, COL_PARTS, COL_SHA256, COL_STATE = range(7)

PackageRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex

GREY = "#80868b"
GREEN = "#1e7e34"
RED = "#c5221f"
AMBER = "#9a5b00"
SHORT_HASH = 12


def mail_error(last_error: str) -> MailError:
    """The MailError a failed sending left in the outbox record («problem: detail»)."""
    problem, _, detail = last_error.partition(":")
    return MailError(problem.strip(), detail.strip())


def first_sentence(text: str) -> str:
    """The first sentence of a message, for a table cell (the whole one is in the tooltip)."""
    for end in (". ", "! ", "? "):
        cut = text.find(end)
        if cut > 0:
            return text[: cut + 1]
    return text


class PackageTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._packages: list[OutboxPackage] = []
        self._replaced_by: dict[str, int] = {}  # package id → number of the one replacing it
        self.headers = (
            self.tr("Период"),
            self.tr("№"),
            self.tr("Создан"),
            self.tr("Размер"),
            self.tr("Частей"),
            self.tr("SHA-256"),
            self.tr("Состояние"),
        )
        self.status_names = {
            PackageStatus.PREPARED: self.tr("подготовлен"),
            PackageStatus.WRITTEN: self.tr("записан на носитель"),
            PackageStatus.SENT: self.tr("отправлен по почте"),
            PackageStatus.CONFIRMED: self.tr("подтверждён регионом"),
            PackageStatus.REJECTED: self.tr("отклонён регионом"),
        }

    # --- content ---------------------------------------------------------------------------
    def set_packages(self, packages: Iterable[OutboxPackage]) -> None:
        self.beginResetModel()
        self._packages = list(packages)
        self._replaced_by = {
            p.supersedes: p.sequence for p in self._packages if p.supersedes is not None
        }
        self.endResetModel()

    def packages(self) -> list[OutboxPackage]:
        return list(self._packages)

    def package(self, package_id: str) -> OutboxPackage | None:
        return next((p for p in self._packages if p.package_id == package_id), None)

    def row_of(self, package_id: str) -> int:
        return next((n for n, p in enumerate(self._packages) if p.package_id == package_id), -1)

    def replaced_by(self, package: OutboxPackage) -> int | None:
        return self._replaced_by.get(package.package_id)

    # --- wording ---------------------------------------------------------------------------
    def period_text(self, period: str) -> str:
        """«2027-Q2» → «2 квартал 2027»; «2027-08-25» → «на 25.08.2027»."""
        year, quarter_mark, quarter = period.partition("-Q")
        if quarter_mark:
            return self.tr("%1 квартал %2").replace("%1", quarter).replace("%2", year)
        try:
            day = dt.date.fromisoformat(period)
        except ValueError:
            return period
        return self.tr("на %1").replace("%1", format_date(day))

    def title(self, package: OutboxPackage) -> str:
        """«пакет № 2 за 2 квартал 2027» / «пакет № 1 на 25.08.2027»."""
        period = self.period_text(package.period)
        joiner = "" if period.startswith(self.tr("на ")) else self.tr("за ")
        return (
            self.tr("пакет № %1 %2%3")
            .replace("%1", str(package.sequence))
            .replace("%2", joiner)
            .replace("%3", period)
        )

    def short_hash(self, package: OutboxPackage) -> str:
        if not package.parts:
            return ""
        return package.parts[0].sha256[:SHORT_HASH] + "…"

    def queue_text(self, package: OutboxPackage) -> str:
        """«в очереди на отправку, попытка 2, следующая в 14:05»."""
        text = self.tr("в очереди на отправку")
        if package.send_attempts:
            text += self.tr(", попытка %1").replace("%1", str(package.send_attempts))
            when = package.next_attempt_at
            if when is not None:
                local = when.astimezone() if when.tzinfo is not None else when
                same_day = local.date() == dt.datetime.now().astimezone().date()
                shown = local.strftime("%H:%M") if same_day else format_datetime(when)
                text += self.tr(", следующая в %1").replace("%1", shown)
        return text

    def error_text(self, package: OutboxPackage) -> str:
        """The last mail error in Russian, "" when the last try went well."""
        if not package.last_error or package.sent_at is not None:
            return ""
        return describe_error(mail_error(package.last_error))

    def state_text(self, package: OutboxPackage, *, full: bool = False) -> str:
        status = package.status
        pieces = []
        queued = package.send_queued and package.sent_at is None
        if not (queued and status is PackageStatus.PREPARED):
            pieces.append(self.status_names[status])
        if queued:
            pieces.append(self.queue_text(package))
        error = self.error_text(package)
        if error:
            error = error if full else first_sentence(error)
            error = error[0].lower() + error[1:]
            if queued:
                pieces[-1] += f": {error}"
            else:
                pieces.append(self.tr("отправка не удалась: %1").replace("%1", error))
        if status is PackageStatus.REJECTED and package.receipt_comment:
            pieces.append(package.receipt_comment)
        replaced = self.replaced_by(package)
        if replaced is not None:
            pieces.append(self.tr("заменён пакетом № %1").replace("%1", str(replaced)))
        return "; ".join(pieces)

    def parts_text(self, package: OutboxPackage) -> str:
        lines = [self.tr("Части пакета и их контрольные суммы SHA-256:")]
        for part in package.parts:
            lines.append(f"{part.number}. {part.file_name} — {format_size(part.size)}")
            lines.append(f"    {part.sha256}")
        return "\n".join(lines)

    def tooltip(self, package: OutboxPackage) -> str:
        title = self.title(package)
        lines = [
            f"{title[0].upper()}{title[1:]}",
            self.tr("Идентификатор: %1").replace("%1", package.package_id),
            self.tr("Состояние: %1").replace("%1", self.state_text(package, full=True)),
            self.parts_text(package),
        ]
        return "\n".join(lines)

    # --- Qt --------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._packages)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        package = self._packages[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(package, column)
        if role == PackageRole:
            return package
        if role == SortRole:
            return self._sort_key(package, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(package)
        if role == Qt.ItemDataRole.ForegroundRole:
            color = self._color(package, column)
            return QBrush(QColor(color)) if color else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
            COL_NUMBER,
            COL_SIZE,
            COL_PARTS,
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, package: OutboxPackage, column: int) -> str:
        if column == COL_PERIOD:
            return self.period_text(package.period)
        if column == COL_NUMBER:
            return str(package.sequence)
        if column == COL_CREATED:
            return format_datetime(package.created_at)
        if column == COL_SIZE:
            return format_size(package.size)
        if column == COL_PARTS:
            return str(len(package.parts))
        if column == COL_SHA256:
            return self.short_hash(package)
        return self.state_text(package)

    def _sort_key(self, package: OutboxPackage, column: int) -> Any:
        if column == COL_PERIOD:
            return package.period
        if column == COL_NUMBER:
            return package.sequence
        if column == COL_CREATED:
            return package.created_at.timestamp()
        if column == COL_SIZE:
            return package.size
        if column == COL_PARTS:
            return len(package.parts)
        if column == COL_SHA256:
            return package.parts[0].sha256 if package.parts else ""
        return list(PackageStatus).index(package.status)

    def _color(self, package: OutboxPackage, column: int) -> str | None:
        if self.replaced_by(package) is not None:
            return GREY
        if column != COL_STATE:
            return None
        if self.error_text(package):
            return AMBER
        return {PackageStatus.CONFIRMED: GREEN, PackageStatus.REJECTED: RED}.get(package.status)


def copy_text(model: PackageTableModel, packages: Iterable[OutboxPackage]) -> str:
    """Tab-separated, one line per part with its full SHA-256: pastes into a spreadsheet, a
    letter to the region or a phone call note alike."""
    header = [
        model.tr("Период"),
        model.tr("№"),
        model.tr("Создан"),
        model.tr("Часть"),
        model.tr("Файл"),
        model.tr("Размер, байт"),
        model.tr("SHA-256"),
        model.tr("Состояние"),
    ]
    lines = ["\t".join(header)]
    for package in packages:
        for part in package.parts:
            lines.append(
                "\t".join(
                    [
                        model.period_text(package.period),
                        str(package.sequence),
                        format_datetime(package.created_at),
                        f"{part.number} / {len(package.parts)}",
                        part.file_name,
                        str(part.size),
                        part.sha256,
                        model.state_text(package),
                    ]
                )
            )
    return "\n".join(lines) + "\n"
