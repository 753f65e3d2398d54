"""`main.py print …` and `export-xlsx` as real processes on a demo center."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli-docs") / "data"
    result = run("--data-dir", str(data), "demo", "--photos", "2")
    assert result.returncode == 0, result.stderr
    return data


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["checklist"], "Чек-лист готовности"),
        (["checklist", "--section", "ZON", "--open-only"], "Зонирование"),
        (["checklist", "--room", "12"], "Помещение № 12"),
        (["report"], "ОТЧЁТ"),
        (["indicators", "--quarter", "2027-Q2"], "II квартал"),
    ],
)
def test_print_makes_a_pdf(demo_dir: Path, tmp_path: Path, args: list[str], text: str) -> None:
    out = tmp_path / "документ.pdf"
    result = run("--data-dir", str(demo_dir), "print", *args, "--out", str(out))
    assert result.returncode == 0, result.stderr
    pages = len(PdfReader(str(out)).pages)
    assert f"страниц: {pages}" in result.stdout
    words = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text in words


def test_export_xlsx(demo_dir: Path, tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "реестры.xlsx"
    result = run("--data-dir", str(demo_dir), "export-xlsx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    workbook = openpyxl.load_workbook(out, read_only=True)
    assert workbook.sheetnames[:2] == ["Профиль", "Чек-лист"]
    workbook.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["print", "indicators", "--quarter", "2027-5"], "не понят"),
        (["print", "checklist", "--section", "XYZ"], "Раздела «XYZ» нет"),
        (["print", "checklist", "--room", "999"], "Помещения № 999 нет"),
    ],
)
def test_bad_options_get_a_russian_message(
    demo_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "x.pdf"
    result = run("--data-dir", str(demo_dir), *args, "--out", str(out))
    assert result.returncode == 2
    assert message in result.stderr
    assert not out.exists()
