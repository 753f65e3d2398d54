"""Evidence of one item as a list of thumbnails; thumbnails are made off the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

from core.model import Evidence, EvidenceKind
from core.thumbnails import make_thumbnail
from core.wording import EVIDENCE_NAMES, format_datetime, format_size
from ui.tasks import TaskRunner

EvidenceIdRole = Qt.ItemDataRole.UserRole + 1
EvidencePathRole = Qt.ItemDataRole.UserRole + 2
THUMB = QSize(160, 120)

Index = QModelIndex | QPersistentModelIndex


class EvidenceListModel(QAbstractListModel):
    def __init__(self, runner: TaskRunner, thumbnails_dir: Path, parent: Any = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._thumbnails_dir = thumbnails_dir
        self._items: list[tuple[Evidence, Path]] = []
        self._icons: dict[str, QIcon] = {}  # by sha256: same content, same picture
        self._requested: set[str] = set()
        self._broken: set[str] = set()

    def set_evidence(self, items: list[tuple[Evidence, Path]]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()
        for evidence, path in self._items:
            if evidence.kind is EvidenceKind.PHOTO:
                self._request_thumbnail(evidence.sha256, path)

    def evidence_at(self, row: int) -> tuple[Evidence, Path]:
        return self._items[row]

    def _request_thumbnail(self, sha: str, path: Path) -> None:
        if sha in self._icons or sha in self._requested or sha in self._broken:
            return
        self._requested.add(sha)
        self._runner.run(
            make_thumbnail,
            path,
            self._thumbnails_dir,
            sha,
            on_success=lambda thumb, sha=sha: self._thumbnail_ready(sha, thumb),
            on_failure=lambda _exc, sha=sha: self._thumbnail_failed(sha),
        )

    def _thumbnail_ready(self, sha: str, thumb: Path) -> None:
        self._requested.discard(sha)
        pixmap = QPixmap(str(thumb))
        if pixmap.isNull():
            self._broken.add(sha)
        else:
            self._icons[sha] = QIcon(pixmap)
        self._changed(sha)

    def _thumbnail_failed(self, sha: str) -> None:
        self._requested.discard(sha)
        self._broken.add(sha)
        self._changed(sha)

    def _changed(self, sha: str) -> None:
        for row, (evidence, _path) in enumerate(self._items):
            if evidence.sha256 == sha:
                index = self.index(row)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        evidence, path = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return evidence.original_name
        if role == Qt.ItemDataRole.DecorationRole:
            icon = self._icons.get(evidence.sha256)
            if icon is not None:
                return icon
            style = QApplication.style()
            if evidence.kind is EvidenceKind.PHOTO and evidence.sha256 not in self._broken:
                return style.standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView)
            return style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [
                evidence.original_name,
                f"{EVIDENCE_NAMES[evidence.kind].capitalize()}, {format_size(evidence.size)}",
                f"Добавлен: {format_datetime(evidence.added_at)}",
            ]
            if evidence.taken_at:
                lines.append(f"Снято: {format_datetime(evidence.taken_at)}")
            lines.append("Двойной щелчок или Enter — открыть")
            return "\n".join(lines)
        if role == EvidenceIdRole:
            return evidence.id
        if role == EvidencePathRole:
            return str(path)
        return None
