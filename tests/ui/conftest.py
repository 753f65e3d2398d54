"""GUI fixtures: the real main window over a real data folder; QSettings kept in tmp."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from core.checklist import Checklist
from core.model import CenterProfile

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, qapp: object) -> None:
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qs"))


@pytest.fixture
def app(qapp: object) -> object:
    from ui.app import make_application

    return make_application()


@pytest.fixture
def open_window(qtbot, app) -> Callable[[Path], object]:
    """Open the data folder and its main window as main.py does (the real opener)."""
    from main import open_center
    from ui.app import build_main_window

    def opener(data_dir: Path):
        window = build_main_window(open_center(data_dir), data_dir)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return opener


@pytest.fixture
def window(open_window, checklist: Checklist, profile: CenterProfile, data_dir: Path):
    checklist.save_profile(profile)
    checklist.store.close()  # type: ignore[attr-defined]
    return open_window(data_dir)


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Capture QMessageBox.warning/critical texts instead of blocking on a modal box."""
    seen: list[str] = []

    def capture(_parent, _title, text, *args, **kwargs):
        seen.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(capture))
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(capture))
    yield seen


def wait_for_writes(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window._runner.pending() == 0, timeout=15000)


def screenshot(widget, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / name
    widget.grab().save(str(path))
    return path


def type_text(widget, text: str) -> None:
    """Type text as key events. QTest.keyClicks only knows ASCII; directors type Cyrillic."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    widget.setFocus()
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char)
            QApplication.sendEvent(widget, event)


def press(widget, keys) -> None:
    """A shortcut as the user presses it. QTest.keySequence leaves Ctrl down in Qt's idea of
    the keyboard, which would turn the next row selection into a toggle: let go of it."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeySequence
    from PySide6.QtTest import QTest

    QTest.keySequence(widget, QKeySequence(keys))
    QTest.keyRelease(widget, Qt.Key.Key_Control)


@pytest.fixture(autouse=True)
def keyboard_let_go(qapp: object) -> None:
    """No modifier held over from an earlier test's shortcut."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QWidget

    QTest.keyRelease(QWidget(), Qt.Key.Key_Control)
