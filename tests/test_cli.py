"""The command line, run as a real process: `status` and `demo` print Russian summaries,
refuse to overwrite a center, and explain a broken data folder in Russian."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SECTION_TITLES

ROOT = Path(__file__).resolve().parent.parent
DEMO_SCHOOL = "МБОУ СОШ с. Троицкое"
Completed = subprocess.CompletedProcess[str]


def run(*args: str, home: Path, data_dir_env: Path | None = None) -> Completed:
    env = {k: v for k, v in os.environ.items() if k != "TOCHKA_DATA_DIR"}
    env["HOME"] = str(home)  # platformdirs must never reach the real user folder
    env["XDG_DATA_HOME"] = str(home / ".local" / "share")
    env["PYTHONIOENCODING"] = "utf-8"
    if data_dir_env is not None:
        env["TOCHKA_DATA_DIR"] = str(data_dir_env)
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def count_rows(database: Path, table: str) -> int:
    con = sqlite3.connect(database)
    try:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        con.close()


def assert_summary(stdout: str) -> None:
    assert "Готовность на " in stdout
    for title in SECTION_TITLES:
        assert title in stdout, title
    assert "Просрочено пунктов:" in stdout


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Completed]:
    """One demo center for the module: its photos are camera-sized, so it is made once."""
    base = tmp_path_factory.mktemp("cli-demo")
    data = base / "data"
    result = run("--data-dir", str(data), "demo", "--photos", "2", home=base)
    return data, result


def test_demo_fills_an_empty_folder_and_prints_the_summary(
    demo_dir: tuple[Path, Completed],
) -> None:
    data, result = demo_dir

    assert result.returncode == 0, result.stderr
    assert_summary(result.stdout)
    assert DEMO_SCHOOL in result.stdout
    assert "До открытия Центра" in result.stdout
    database = data / "tochka.sqlite3"
    assert count_rows(database, "profile") == 1
    assert count_rows(database, "evidence") == 2
    assert count_rows(database, "item_state") > 0
    blobs = [p for p in (data / "evidence").rglob("*.jpg")]
    assert len(blobs) == 2


def test_status_of_the_demo_center(demo_dir: tuple[Path, Completed], tmp_path: Path) -> None:
    data, _ = demo_dir

    result = run("--data-dir", str(data), "status", home=tmp_path)

    assert result.returncode == 0, result.stderr
    assert_summary(result.stdout)
    assert f"Центр «Точка роста» — {DEMO_SCHOOL}" in result.stdout
    assert "До открытия Центра (01.09." in result.stdout
    assert result.stderr == ""


def test_demo_refuses_a_folder_that_has_a_center(
    demo_dir: tuple[Path, Completed], tmp_path: Path
) -> None:
    data, _ = demo_dir
    database = data / "tochka.sqlite3"
    counts = {t: count_rows(database, t) for t in ("history", "evidence", "item_state", "setting")}
    blobs = sorted((data / "evidence").rglob("*"))

    result = run("--data-dir", str(data), "demo", "--photos", "2", home=tmp_path)

    assert result.returncode != 0
    assert "уже есть центр" in result.stderr
    assert str(data) in result.stderr
    assert {t: count_rows(database, t) for t in counts} == counts
    assert sorted((data / "evidence").rglob("*")) == blobs


def test_status_of_an_empty_folder_asks_for_the_profile(tmp_path: Path) -> None:
    data = tmp_path / "fresh"

    result = run("--data-dir", str(data), "status", home=tmp_path)

    assert result.returncode == 0, result.stderr
    assert_summary(result.stdout)
    assert "Профиль центра не заполнен" in result.stdout
    assert "(0 из " in result.stdout
    assert (data / "tochka.sqlite3").is_file()


def test_status_of_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    data = tmp_path / "broken"
    data.mkdir()
    database = data / "tochka.sqlite3"
    content = "Привет! Это текстовый файл, а не база.\n".encode() * 20
    database.write_bytes(content)

    result = run("--data-dir", str(data), "status", home=tmp_path)

    assert result.returncode == 2
    assert "не является базой данных" in result.stderr
    assert str(database) in result.stderr
    assert "Traceback" not in result.stderr
    assert database.read_bytes() == content
    assert sorted(p.name for p in data.iterdir()) == ["tochka.sqlite3"]


def test_data_dir_comes_from_the_environment_when_not_given(
    demo_dir: tuple[Path, Completed], tmp_path: Path
) -> None:
    data, _ = demo_dir

    result = run("status", home=tmp_path, data_dir_env=data)

    assert result.returncode == 0, result.stderr
    assert DEMO_SCHOOL in result.stdout
    assert not (tmp_path / ".local").exists()


def test_data_dir_option_wins_over_the_environment(
    demo_dir: tuple[Path, Completed], tmp_path: Path
) -> None:
    data, _ = demo_dir
    other = tmp_path / "other"

    result = run("--data-dir", str(other), "status", home=tmp_path, data_dir_env=data)

    assert result.returncode == 0, result.stderr
    assert "Профиль центра не заполнен" in result.stdout
    assert (other / "tochka.sqlite3").is_file()
