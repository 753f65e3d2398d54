"""The import directions of the design card, enforced: core imports neither Qt, SQLAlchemy,
storage nor ui; only storage imports SQLAlchemy/Alembic; only ui imports PySide6."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


FORBIDDEN = {
    "core": {"PySide6", "shiboken6", "sqlalchemy", "alembic", "storage", "ui"},
    "storage": {"PySide6", "shiboken6", "ui"},
    "ui": {"sqlalchemy", "alembic", "storage"},
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_inward(package: str) -> None:
    offences = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_modules(path) & FORBIDDEN[package]
        if bad:
            offences.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offences == []


def test_main_does_not_import_qt_or_sqlalchemy_directly() -> None:
    assert not imported_modules(ROOT / "main.py") & {"PySide6", "sqlalchemy", "alembic"}


def test_command_line_status_never_loads_qt_or_report_libraries(tmp_path: Path) -> None:
    """`status` is plain text: loading Qt (or reportlab/openpyxl) there would be waste."""
    code = (
        "import sys, runpy; sys.argv = ['main.py', '--data-dir', sys.argv[1], 'status'];"
        "import main; main.main(sys.argv[1:]);"
        "heavy = [m for m in ('PySide6', 'reportlab', 'openpyxl', 'PIL') if m in sys.modules];"
        "print('HEAVY', heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "d")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "HEAVY []" in result.stdout


def test_gui_start_does_not_import_report_or_image_libraries() -> None:
    """Start-up stays light on old PCs: building the main window needs no reportlab,
    openpyxl or Pillow (thumbnails import Pillow in their worker)."""
    code = (
        "import sys; import ui.app, ui.main_window;"
        "print('HEAVY', [m for m in ('reportlab', 'openpyxl', 'PIL') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "HEAVY []" in result.stdout
