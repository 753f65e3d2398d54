"""«Резервная копия» over the real main window: save to a folder and restore through the dialog,
a full stick told in Russian with the program still running, a damaged copy refused with the
data reopened unchanged. File and message boxes are patched; everything else is real."""

from __future__ import annotations

import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from core.backup import Backups
from core.paths import DataLayout
from storage.backup_store import SqliteBackupDatabase
from tests.conftest import fill_up
from tests.ui.conftest import screenshot
from ui.backup_dialog import BackupDialog


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from core.demo import fill_demo
    from main import open_center

    folder = tmp_path_factory.mktemp("backup-demo") / "data"
    center = open_center(folder)
    checklist = center.checklist
    fill_demo(checklist, checklist.today(), photos=2, registers=center.registers)
    checklist.store.close()  # type: ignore[attr-defined]
    return folder


@pytest.fixture
def data(demo_folder: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(demo_folder, folder)
    return folder


@pytest.fixture
def window(open_window, data: Path) -> Any:
    return open_window(data)


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[str]]]:
    """Message boxes answered without blocking: questions get «Да», texts are kept."""
    seen: dict[str, list[str]] = {"question": [], "information": [], "warning": []}

    def keeper(kind: str, answer: Any = QMessageBox.StandardButton.Ok) -> Any:
        def show(_parent, _title, text, *args, **kwargs):
            seen[kind].append(text)
            return answer

        return staticmethod(show)

    monkeypatch.setattr(QMessageBox, "question", keeper("question", QMessageBox.StandardButton.Yes))
    monkeypatch.setattr(QMessageBox, "information", keeper("information"))
    monkeypatch.setattr(QMessageBox, "warning", keeper("warning"))
    monkeypatch.setattr(QMessageBox, "critical", keeper("warning"))
    yield seen


def open_dialog(qtbot, window, data: Path) -> BackupDialog:
    """The dialog as the main window opens it; closing the data is what the window will do."""

    def close_data() -> None:
        window._runner.wait_for_writes()
        window._center.checklist.store.close()

    dialog = BackupDialog(
        Backups(DataLayout(data), SqliteBackupDatabase()), close_data=close_data, parent=window
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def choose_folder(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder))
    )


def choose_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), ""))
    )


def plain(label: Any) -> str:
    return label.text().replace("\u200b", "")


def profile_comment_rows(database: Path) -> list[tuple]:
    con = sqlite3.connect(database)
    try:
        return con.execute("SELECT code, comment FROM item_state ORDER BY code").fetchall()
    finally:
        con.close()


def test_save_and_restore_through_the_dialog(
    qtbot, window, data: Path, tmp_path: Path, monkeypatch, boxes
) -> None:
    stick = tmp_path / "флешка"
    stick.mkdir()
    dialog = open_dialog(qtbot, window, data)
    assert "ещё не сохраняли" in dialog.last_label.text()
    screenshot(dialog, "backup_dialog.png")

    choose_folder(monkeypatch, stick)
    with qtbot.waitSignal(dialog.saved, timeout=30000) as saved:
        dialog.save_button.click()
    info = saved.args[0]
    assert info.path.parent == stick and info.path.is_file()
    assert [p.name for p in stick.iterdir()] == [info.path.name]
    shown = plain(dialog.last_label)
    assert info.path.name in shown and str(stick) in shown
    assert "проверена" in boxes["information"][-1]
    screenshot(dialog, "backup_dialog_saved.png")
    before = profile_comment_rows(data / "tochka.sqlite3")

    code = next(iter(window._checklist.states()))
    window._checklist.update_item(code, comment="Внесено после копии")
    assert profile_comment_rows(data / "tochka.sqlite3") != before

    choose_file(monkeypatch, info.path)
    with qtbot.waitSignal(dialog.restored, timeout=30000) as restored:
        dialog.restore_button.click()
    assert restored.args[0] == data
    question = boxes["question"][-1]
    assert "сохранит нынешние данные" in question and "откроет их заново" in question
    assert profile_comment_rows(data / "tochka.sqlite3") == before
    assert "восстановлены" in boxes["information"][-1]
    assert boxes["warning"] == []
    assert list((data / "backups").glob("tochka-backup-before-restore-*.zip"))
    assert QApplication.instance() is not None and window.isVisible()

    from main import open_center  # what the main window does on restored: open the data again

    reopened = open_center(data)
    try:
        assert reopened.checklist.state(code).comment != "Внесено после копии"
    finally:
        reopened.checklist.store.close()  # type: ignore[attr-defined]


def test_a_full_stick_is_told_in_russian_and_the_program_goes_on(
    qtbot, window, data: Path, tiny_disk: Path, monkeypatch, boxes
) -> None:
    fill_up(tiny_disk)
    dialog = open_dialog(qtbot, window, data)
    choose_folder(monkeypatch, tiny_disk)

    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.busy() and bool(boxes["warning"]), timeout=30000)

    (text,) = boxes["warning"]
    assert "закончилось место" in text and str(tiny_disk) in text
    assert plain(dialog.outcome) == text
    assert [p.name for p in tiny_disk.iterdir()] == ["filler"]
    assert dialog.isVisible() and dialog.save_button.isEnabled() and window.isVisible()
    screenshot(dialog, "backup_dialog_full_stick.png")
    window._checklist.profile()  # the data stays open and usable


def test_a_damaged_copy_is_refused_and_the_data_reopened_unchanged(
    qtbot, window, data: Path, tmp_path: Path, monkeypatch, boxes
) -> None:
    stick = tmp_path / "флешка"
    stick.mkdir()
    made = Backups(DataLayout(data), SqliteBackupDatabase()).save(stick)
    with zipfile.ZipFile(made.path) as archive:
        photo = archive.getinfo(next(n for n in archive.namelist() if n.startswith("evidence/")))
    with made.path.open("r+b") as stream:  # a byte of a photo changed on the stick
        stream.seek(photo.header_offset + 30 + len(photo.filename) + 1000)
        value = stream.read(1)[0]
        stream.seek(-1, 1)
        stream.write(bytes([value ^ 0xFF]))
    before = profile_comment_rows(data / "tochka.sqlite3")
    dialog = open_dialog(qtbot, window, data)
    choose_file(monkeypatch, made.path)

    with qtbot.waitSignal(dialog.restore_failed, timeout=30000) as failed:
        dialog.restore_button.click()

    assert failed.args[0] == data
    (text,) = boxes["warning"]
    assert photo.filename in text
    assert profile_comment_rows(data / "tochka.sqlite3") == before
    assert not list(data.glob(".restore-*"))
    assert dialog.isVisible() and dialog.restore_button.isEnabled()


def test_not_a_backup_is_refused_before_anything_closes(
    qtbot, window, data: Path, tmp_path: Path, monkeypatch, boxes
) -> None:
    other = tmp_path / "фото.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("photo.jpg", b"jpeg")
    dialog = open_dialog(qtbot, window, data)
    choose_file(monkeypatch, other)

    dialog.restore_button.click()

    assert len(boxes["warning"]) == 1 and boxes["question"] == []
    window._checklist.profile()  # never closed


def test_confirmation_screenshot(qtbot, window, data: Path, tmp_path: Path) -> None:
    """The confirmation as the director sees it (built unpatched, only shown and grabbed)."""
    stick = tmp_path / "флешка"
    stick.mkdir()
    backups = Backups(DataLayout(data), SqliteBackupDatabase())
    manifest = backups.inspect(backups.save(stick).path)
    dialog = open_dialog(qtbot, window, data)
    box = QMessageBox(
        QMessageBox.Icon.Question,
        dialog.tr("Восстановить данные из копии?"),
        dialog.confirmation_text(manifest),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        dialog,
    )
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    screenshot(box, "backup_restore_confirmation.png")
    box.close()


def test_restore_from_the_menu_reopens_the_data_in_a_new_window(
    qtbot, app, data: Path, tmp_path: Path, monkeypatch, boxes
) -> None:
    """Файл → Резервная копия…: save, change something, restore; the session opens the data
    again in a new window that shows the restored state, and the old window goes."""
    from main import open_center
    from ui.app import Session

    session = Session(open_center, None)
    first = session.show(open_center(data), data)
    qtbot.addWidget(first)
    qtbot.waitExposed(first)
    stick = tmp_path / "stick"
    stick.mkdir()
    shown: list[BackupDialog] = []

    def run_dialog(dialog: BackupDialog) -> int:
        shown.append(dialog)
        if len(shown) == 1:
            choose_folder(monkeypatch, stick)
            with qtbot.waitSignal(dialog.saved, timeout=30000):
                dialog.save_button.click()
        else:
            (copy,) = stick.iterdir()
            choose_file(monkeypatch, copy)
            with qtbot.waitSignal(dialog.restored, timeout=30000):
                dialog.restore_button.click()
        return 0

    monkeypatch.setattr(BackupDialog, "exec", run_dialog)
    first.show_backup()  # save
    code = next(iter(first._checklist.states()))
    first._checklist.update_item(code, comment="Внесено после копии")
    first.show_backup()  # restore
    second = session.window
    assert second is not None and second is not first
    qtbot.addWidget(second)
    qtbot.waitUntil(lambda: not first.isVisible())
    assert second.isVisible()
    assert second._checklist.state(code).comment != "Внесено после копии"
    session.close()


def test_a_new_computer_restores_from_the_first_run_wizard(
    qtbot, app, data: Path, tmp_path: Path, monkeypatch, boxes
) -> None:
    """A new, empty data folder: «Восстановить из резервной копии…» on the wizard's first page
    restores the copy, and the program goes on with the school's data — no profile typed."""
    from main import open_center
    from ui.app import welcome
    from ui.profile_form import FirstRunWizard

    stick = tmp_path / "stick"
    stick.mkdir()
    old_pc = open_center(data)
    backup = Backups(DataLayout(data), SqliteBackupDatabase()).save(stick)
    school = old_pc.checklist.profile()
    old_pc.checklist.store.close()  # type: ignore[attr-defined]

    def wizard_exec(wizard: FirstRunWizard) -> int:
        wizard.restore_button.click()
        return int(FirstRunWizard.DialogCode.Rejected.value)

    def dialog_exec(dialog: BackupDialog) -> int:
        choose_file(monkeypatch, backup.path)
        with qtbot.waitSignal(dialog.restored, timeout=30000):
            dialog.restore_button.click()
        return 0

    monkeypatch.setattr(FirstRunWizard, "exec", wizard_exec)
    monkeypatch.setattr(BackupDialog, "exec", dialog_exec)
    new_pc = tmp_path / "новый компьютер"
    center = welcome(open_center(new_pc), new_pc, open_center)
    assert center is not None
    try:
        assert center.checklist.profile() == school
        photos = sorted(p.name for p in (data / "evidence").rglob("*") if p.is_file())
        assert (
            photos
            and sorted(p.name for p in (new_pc / "evidence").rglob("*") if p.is_file()) == photos
        )
    finally:
        center.checklist.store.close()  # type: ignore[attr-defined]
