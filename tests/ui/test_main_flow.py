"""The director's path through the real window: first run → mark items done with a photo →
restart on the same data folder → state, evidence and history are all still there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from core.model import ItemStatus
from tests.conftest import make_photo
from tests.ui.conftest import press, screenshot, type_text, wait_for_writes


def drive_wizard(qtbot, fields: dict[str, str], done: list[bool]) -> None:
    from ui.profile_form import FirstRunWizard

    wizard = QApplication.activeModalWidget()
    if not isinstance(wizard, FirstRunWizard):  # exec() has not shown it yet
        QTimer.singleShot(20, lambda: drive_wizard(qtbot, fields, done))
        return
    form = wizard.form
    wizard.next()  # welcome page → Школа
    for name, text in fields.items():
        widget = getattr(form, name)
        widget.clear()
        type_text(widget, text)
    form.pupils.setValue(287)
    form.campaign_year.setValue(2027)
    screenshot(wizard, "wizard.png")
    wizard.next()
    wizard.next()
    wizard.next()  # on the last page: «Готово»
    wizard.accept()
    done.append(True)


def test_first_run_wizard_saves_the_profile(qtbot, app, data_dir: Path) -> None:
    from main import open_checklist
    from ui.app import first_run

    checklist = open_checklist(data_dir)
    fields = {
        "school_full_name": "МБОУ «Средняя общеобразовательная школа с. Кукан»",
        "school_short_name": "МБОУ СОШ с. Кукан",
        "inn": "2714006330",
        "municipality": "Верхнебуреинский муниципальный район",
        "address": "с. Кукан, ул. Школьная, 3",
        "director": "Орлова Мария Андреевна",
        "center_head": "Ким Олег Юрьевич",
        "phone": "+7 (42149) 2-11-22",
        "email": "kukan@example.ru",
    }
    done: list[bool] = []
    QTimer.singleShot(0, lambda: drive_wizard(qtbot, fields, done))
    assert first_run(checklist) is True
    assert done == [True]
    profile = checklist.profile()
    assert profile is not None
    assert profile.school_short_name == "МБОУ СОШ с. Кукан"
    assert profile.pupils == 287
    assert profile.opening_date == dt.date(2027, 9, 1)
    # written to the database, not only kept in memory
    checklist.store.close()  # type: ignore[attr-defined]
    assert open_checklist(data_dir).profile() == profile


def test_wizard_refuses_a_wrong_inn_with_a_russian_message(qtbot, app, warnings) -> None:
    from ui.profile_form import FirstRunWizard

    wizard = FirstRunWizard()
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    form = wizard.form
    for name in ("school_full_name", "school_short_name", "municipality", "address"):
        type_text(getattr(form, name), "Тест")
    qtbot.keyClicks(form.inn, "2714006331")  # wrong check digit
    wizard.next()
    assert wizard.currentPage().title() == "Школа"  # stayed on the page
    assert warnings and "ИНН «2714006331» неверен" in warnings[-1]
    assert wizard.focusWidget() is form.inn  # the cursor waits in the wrong field


def select(window, code: str) -> None:
    window.show_item(code)
    assert window.checklist_view.detail.code == code


def test_mark_done_with_photo_then_restart_keeps_everything(
    qtbot, window, open_window, data_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    detail = window.checklist_view.detail
    select(window, "REM-01")
    # status through the combo box, as the user does with the keyboard
    detail.status.setFocus()
    detail.status.setCurrentIndex(list(ItemStatus).index(ItemStatus.DONE))
    wait_for_writes(qtbot, window)
    photo = make_photo(
        tmp_path / "до ремонта.jpg", (1200, 800), taken=dt.datetime(2026, 10, 5, 14, 30)
    )
    document = tmp_path / "акт.pdf"
    document.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    detail.attach_files([photo, document])
    wait_for_writes(qtbot, window)
    assert detail.evidence_model.rowCount() == 2
    # the thumbnail is made off the GUI thread and arrives as a real picture
    qtbot.waitUntil(lambda: not detail.evidence_model._requested, timeout=10000)
    assert detail.evidence_model._icons, "no thumbnail was made for the photo"

    detail.responsible.setFocus()
    type_text(detail.responsible, "Сидоров П. Н.")
    qtbot.keyClick(detail.responsible, Qt.Key.Key_Tab)  # leaving the field saves it
    wait_for_writes(qtbot, window)
    screenshot(window, "checklist.png")
    window.nav.setCurrentRow(0)
    screenshot(window, "summary.png")

    summary_done = window.summary.overall_text.text()
    window.close()
    wait_for_writes(qtbot, window)

    again = open_window(data_dir)
    select(again, "REM-01")
    detail2 = again.checklist_view.detail
    assert detail2.status.currentData() == ItemStatus.DONE.value
    assert detail2.responsible.text() == "Сидоров П. Н."
    assert detail2.evidence_model.rowCount() == 2
    names = {detail2.evidence_model.evidence_at(r)[0].original_name for r in range(2)}
    assert names == {"до ремонта.jpg", "акт.pdf"}
    photo_evidence = next(
        detail2.evidence_model.evidence_at(r)[0]
        for r in range(2)
        if detail2.evidence_model.evidence_at(r)[0].original_name.endswith(".jpg")
    )
    assert photo_evidence.taken_at == dt.datetime(2026, 10, 5, 14, 30)
    fields = [
        detail2.history_model.index(r, 1).data() for r in range(detail2.history_model.rowCount())
    ]
    assert "Статус" in fields and "Ответственный" in fields and fields.count("Приложен файл") == 2
    assert again.summary.overall_text.text() == summary_done


def test_closing_in_the_middle_of_typing_loses_nothing(
    qtbot, window, open_window, data_dir
) -> None:
    select(window, "DOC-02")
    detail = window.checklist_view.detail
    detail.comment.setFocus()
    type_text(detail.comment, "Проект приказа у юриста")
    # no pause for the autosave timer: the window closes at once
    window.close()
    again = open_window(data_dir)
    select(again, "DOC-02")
    assert again.checklist_view.detail.comment.toPlainText() == "Проект приказа у юриста"


def test_not_required_asks_for_a_reason(qtbot, window, monkeypatch) -> None:
    answers = iter([("", False), ("Кабинет отремонтирован в 2025 году", True)])
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: next(answers)))
    select(window, "REM-02")
    detail = window.checklist_view.detail
    index = list(ItemStatus).index(ItemStatus.NOT_REQUIRED)
    detail.status.setCurrentIndex(index)  # the user cancels the reason: nothing changes
    wait_for_writes(qtbot, window)
    assert detail.status.currentData() == ItemStatus.NOT_STARTED.value
    detail.status.setCurrentIndex(index)
    wait_for_writes(qtbot, window)
    state = window._checklist.state("REM-02")
    assert state.status is ItemStatus.NOT_REQUIRED
    assert state.not_required_reason == "Кабинет отремонтирован в 2025 году"
    assert detail.reason.isVisible()


def test_drop_files_and_remove_one_with_confirmation(qtbot, window, tmp_path, monkeypatch) -> None:
    select(window, "BRD-01")
    detail = window.checklist_view.detail
    photos = [make_photo(tmp_path / f"вывеска-{n}.jpg", seed=n) for n in range(3)]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in photos])
    enter = QDragEnterEvent(
        detail.rect().center(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    detail.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(detail.rect().center()),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    detail.dropEvent(drop)
    wait_for_writes(qtbot, window)
    assert detail.evidence_model.rowCount() == 3

    monkeypatch.setattr(
        QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes)
    )
    detail.evidence_view.setCurrentIndex(detail.evidence_model.index(0))
    detail.remove_selected()
    wait_for_writes(qtbot, window)
    assert detail.evidence_model.rowCount() == 2
    history = window._checklist.history("BRD-01")
    assert history[0].field == "evidence_removed"


def test_bad_files_get_a_russian_message_and_good_ones_still_attach(
    qtbot, window, tmp_path, warnings
) -> None:
    select(window, "EQP-01")
    detail = window.checklist_view.detail
    broken = tmp_path / "фото.jpg"
    broken.write_bytes(b"this is not a picture at all")
    empty = tmp_path / "пустой.png"
    empty.write_bytes(b"")
    gone = tmp_path / "исчез.jpg"
    good = make_photo(tmp_path / "ноутбуки.jpg")
    detail.attach_files([broken, empty, gone, good])
    wait_for_writes(qtbot, window)
    assert detail.evidence_model.rowCount() == 1
    assert len(warnings) == 1
    text = warnings[0]
    assert "Приложено файлов: 1" in text
    assert "«фото.jpg» — не изображение" in text
    assert "«пустой.png» пустой" in text
    assert "«исчез.jpg» не найден" in text
    assert window.isVisible()


def test_filters_and_search(qtbot, window) -> None:
    view = window.checklist_view
    window.nav.setCurrentRow(1)
    total = len(window._checklist.template.items())
    assert view.count_label.text() == f"Показано пунктов: {total} из {total}"
    view.focus_search()
    type_text(view.search, "3D-принтер")
    expected = [
        i.code
        for i in window._checklist.template.items()
        if "3d-принтер" in f"{i.code} {i.title} {i.done_when}".casefold()
    ]
    assert 1 <= len(expected) < total
    assert view.count_label.text() == f"Показано пунктов: {len(expected)} из {total}"
    view.search.clear()
    view.section_filter.setCurrentIndex(view.section_filter.findData("BRD"))
    brd = len(window._checklist.template.section("BRD").items)
    assert view.count_label.text() == f"Показано пунктов: {brd} из {total}"
    view.section_filter.setCurrentIndex(0)
    view.status_filter.setCurrentIndex(view.status_filter.findData(ItemStatus.DONE.value))
    assert view.count_label.text() == f"Показано пунктов: 0 из {total}"


def test_summary_numbers_match_the_data(qtbot, window) -> None:
    checklist = window._checklist
    today = checklist.today()
    for code in ("DOC-01", "DOC-02", "KAD-01"):
        checklist.update_item(code, status=ItemStatus.DONE)
    checklist.update_item("DOC-03", due_override=today - dt.timedelta(days=3))
    checklist.update_item("DOC-04", status=ItemStatus.NOT_REQUIRED, not_required_reason="есть")
    window.summary.refresh()
    readiness = checklist.readiness()
    applicable = len(checklist.template.items()) - 1
    assert window.summary.overall_text.text().startswith(f"выполнено 3 из {applicable} ")
    assert window.summary.overdue_model.rowCount() == len(readiness.overdue_codes) == 1
    assert window.summary.overdue_model.index(0, 0).data() == "DOC-03"
    assert window.summary.overdue_model.index(0, 3).data() == "3 дня"
    doc = window.summary._section_widgets[0]
    doc_total = len(checklist.template.section("DOC").items) - 1
    assert doc[2].text() == f"2 из {doc_total}, просрочено: 1"
    assert "До открытия Центра (01.09.2027)" in window.summary.opening.text()
    # activating an overdue row opens it in the checklist
    window.summary.item_activated.emit("DOC-03")
    assert window.checklist_view.detail.code == "DOC-03"


def test_unusable_data_folder_is_explained_and_left_untouched(
    qtbot, app, tmp_path, monkeypatch
) -> None:
    from main import open_center
    from ui.app import open_data

    data = tmp_path / "data"
    data.mkdir()
    db = data / "tochka.sqlite3"
    db.write_text("Это не база данных, а заметки директора", encoding="utf-8")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: shown.append(self.text()) or 0)
    assert open_data(data, open_center) is None  # the user chose «Выход»
    assert shown and "не является базой данных" in shown[0] and str(db) in shown[0]
    assert db.read_text(encoding="utf-8") == "Это не база данных, а заметки директора"


@pytest.mark.parametrize("key", ["Ctrl+1", "Ctrl+2"])
def test_keyboard_navigation_between_pages(qtbot, window, key: str) -> None:

    press(window, key)
    assert window.pages.currentIndex() == int(key[-1]) - 1
