"""`main.py --self-test` in a real process: every step passes here; a broken step is reported
by name and makes the exit code non-zero."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core.self_test import run_self_test

ROOT = Path(__file__).resolve().parents[1]


def test_self_test_passes_and_leaves_nothing(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "main.py", "--self-test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path), "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("[ОК    ]") == 6
    assert "6 из 6" in result.stdout
    assert list(tmp_path.iterdir()) == []  # the temporary data folder is gone


def test_a_failing_step_is_named_and_fails_the_run() -> None:
    from main import open_center

    def broken_opener(data: Path):  # type: ignore[no-untyped-def]
        center = open_center(data)
        center.checklist.store.close()  # type: ignore[attr-defined]
        (data / "evidence").rmdir() if (data / "evidence").exists() else None
        (data / "evidence").write_text("not a folder: attaching photos must fail")
        return center

    lines: list[str] = []
    results = run_self_test(broken_opener, lines.append)
    failed = [r.name for r in results if not r.ok]
    assert "Демонстрационные данные" in failed
    assert any(line.startswith("[ОШИБКА]") for line in lines)
