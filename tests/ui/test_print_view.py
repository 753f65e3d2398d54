"""«Печать и экспорт» driven as the director does: choose a document, «Сохранить как…», the
file is made in a worker and is a real PDF/XLSX; a full disk gives a Russian message."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QFileDialog

from core.documents import DocumentKind
from tests.ui.conftest import press, screenshot
from ui.main_window import PAGE_PRINT


def open_print_page(qtbot, window):
    press(window, "Ctrl+8")
    assert window.pages.currentIndex() == PAGE_PRINT
    return window.print_view


def choose(page, kind: DocumentKind) -> None:
    page.kinds.button(list(DocumentKind).index(kind)).setChecked(True)


def save_as(qtbot, page, monkeypatch, target: Path) -> None:
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )
    page.save_button.click()
    qtbot.waitUntil(lambda: page.save_button.isEnabled(), timeout=60000)


@pytest.mark.parametrize(
    ("kind", "name", "text"),
    [
        (DocumentKind.CHECKLIST, "чек-лист.pdf", "М.П."),
        (DocumentKind.REPORT, "отчёт.pdf", "Отчёт о готовности"),
        (DocumentKind.INDICATORS, "показатели.pdf", "Отчёт по показателям"),
    ],
)
def test_saving_each_pdf(qtbot, window, tmp_path, monkeypatch, warnings, kind, name, text) -> None:
    page = open_print_page(qtbot, window)
    choose(page, kind)
    target = tmp_path / name
    save_as(qtbot, page, monkeypatch, target)
    assert not warnings
    assert target.exists(), page.result.text()
    pages = len(PdfReader(str(target)).pages)
    assert f"страниц: {pages}" in page.result.text()
    words = subprocess.run(
        ["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text in words
    assert "МБОУ СОШ № 2 п. Эльбан" in words
    screenshot(window, "view-print.png")


def test_checklist_options_show_only_for_the_checklist(qtbot, window) -> None:
    page = open_print_page(qtbot, window)
    choose(page, DocumentKind.CHECKLIST)
    assert page.section.isVisible() and not page.quarter.isVisible()
    choose(page, DocumentKind.INDICATORS)
    assert page.quarter.isVisible() and not page.section.isVisible()


def test_workbook_is_saved(qtbot, window, tmp_path, monkeypatch, warnings) -> None:
    import openpyxl

    page = open_print_page(qtbot, window)
    choose(page, DocumentKind.WORKBOOK)
    target = tmp_path / "реестры.xlsx"
    save_as(qtbot, page, monkeypatch, target)
    workbook = openpyxl.load_workbook(target, read_only=True)
    assert "Чек-лист" in workbook.sheetnames and "Сведения" in workbook.sheetnames
    workbook.close()


def test_full_stick_gives_a_russian_message_and_keeps_the_app(
    qtbot, window, tiny_disk, monkeypatch, warnings
) -> None:
    filler = tiny_disk / "занято.bin"
    filler.write_bytes(b"\0" * (1024 * 1024 - 8192))
    page = open_print_page(qtbot, window)
    choose(page, DocumentKind.REPORT)
    save_as(qtbot, page, monkeypatch, tiny_disk / "отчёт.pdf")
    assert warnings and "закончилось место" in warnings[-1]
    assert "закончилось место" in page.result.text()
    assert not (tiny_disk / "отчёт.pdf").exists()
    assert window.isVisible()
