"""«Файл → Папка данных…»: another folder is opened in a new window (a new one asks for the
profile first), remembered for the next start; --data-dir still wins."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from core.model import CenterProfile


def test_another_data_folder_opens_and_is_remembered(
    qtbot, app, checklist, profile: CenterProfile, data_dir: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from main import open_center
    from ui import app as app_module
    from ui.app import Session, remembered_data_dir

    checklist.save_profile(profile)
    checklist.store.close()  # type: ignore[attr-defined]
    session = Session(open_center, None)
    first = session.show(open_center(data_dir), data_dir)
    qtbot.addWidget(first)
    other = tmp_path / "второй диск" / "данные"
    other.mkdir(parents=True)
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(other))
    )
    wizard_runs: list[Path] = []

    def fill_profile(opened_checklist, _wizard=None) -> bool:  # as a director fills it in
        wizard_runs.append(other)
        opened_checklist.save_profile(profile)
        return True

    monkeypatch.setattr(app_module, "first_run", fill_profile)
    first.choose_data_folder()
    second = session.window
    assert second is not first and second is not None
    qtbot.addWidget(second)
    assert wizard_runs == [other]
    assert second._layout.root == other and (other / "tochka.sqlite3").is_file()
    qtbot.waitUntil(lambda: not first.isVisible())
    assert remembered_data_dir(data_dir) == other
    session.close()


def test_leaving_the_wizard_keeps_the_old_window(
    qtbot, app, checklist, profile: CenterProfile, data_dir: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from main import open_center
    from ui import app as app_module
    from ui.app import Session

    checklist.save_profile(profile)
    checklist.store.close()  # type: ignore[attr-defined]
    session = Session(open_center, None)
    first = session.show(open_center(data_dir), data_dir)
    qtbot.addWidget(first)
    empty = tmp_path / "пустая"
    empty.mkdir()
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(empty))
    )
    monkeypatch.setattr(app_module, "first_run", lambda _checklist, _wizard=None: False)
    first.choose_data_folder()
    assert session.window is first and first.isVisible()
    session.close()
