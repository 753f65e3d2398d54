"""«О программе»: version, where the data and the log are, the font licence, the libraries."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core import APP_VERSION
from core.logs import versions


def app_icon() -> QIcon:
    icon = resources.files("resources") / "icons" / "tochka.svg"
    return QIcon(str(icon)) if icon.is_file() else QIcon()


class AboutDialog(QDialog):
    def __init__(self, data_dir: Path, log_dir: Path | None, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("О программе"))
        self.setWindowIcon(app_icon())
        self.resize(640, 560)
        title = QLabel(
            self.tr("<b>Точка роста — готовность центра</b><br>версия %1").replace(
                "%1", APP_VERSION
            )
        )
        title.setTextFormat(Qt.TextFormat.RichText)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        header = QHBoxLayout()
        header.addWidget(icon)
        header.addWidget(title, 1)

        form = QFormLayout()
        self.data_dir = data_dir
        self.log_dir = log_dir
        form.addRow(self.tr("Папка данных:"), self._path_row(data_dir))
        if log_dir is not None:
            form.addRow(self.tr("Журнал работы:"), self._path_row(log_dir))
        libraries = ", ".join(
            f"{name} {version}"
            for name, version in versions().items()
            if name not in ("application", "python", "platform", "machine", "frozen")
        )
        libs = QLabel(f"Python {versions()['python'].split()[0]}; {libraries}")
        libs.setWordWrap(True)
        libs.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.tr("Библиотеки:"), libs)

        licence = QPlainTextEdit()
        licence.setReadOnly(True)
        licence.setPlainText(self.font_licence())
        licence_label = QLabel(
            self.tr(
                "Программа использует Qt и Qt for Python (PySide6) по лицензии GNU LGPL v3 "
                "(тексты лицензий — в папке программы resources/licenses). Шрифты PT Sans и "
                "PT Serif (ParaType) — лицензия ParaType Free Font License:"
            )
        )
        licence_label.setWordWrap(True)
        self.licence = licence
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(form)
        layout.addWidget(licence_label)
        layout.addWidget(licence, 1)
        layout.addWidget(buttons)

    def _path_row(self, path: Path) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        label = QLabel(str(path))
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setWordWrap(True)
        button = QPushButton(self.tr("Открыть"))
        button.clicked.connect(lambda: self.open_folder(path))
        box.addWidget(label, 1)
        box.addWidget(button)
        return row

    @staticmethod
    def font_licence() -> str:
        path = resources.files("resources") / "fonts" / "LICENSE-ParaType.txt"
        return path.read_text(encoding="utf-8")

    @Slot()
    def open_folder(self, path: Path) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
