"""Shared fixtures: a fresh data folder per test, real SQLite, real image files."""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("TOCHKA_DATA_DIR", None)

from core.checklist import Checklist  # noqa: E402
from core.model import CenterProfile  # noqa: E402


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def checklist(data_dir: Path) -> Iterator[Checklist]:
    from main import open_checklist

    opened = open_checklist(data_dir)
    yield opened
    opened.store.close()  # type: ignore[attr-defined]


@pytest.fixture
def profile() -> CenterProfile:
    return CenterProfile(
        school_full_name=(
            "Муниципальное бюджетное общеобразовательное учреждение «СОШ № 2 п. Эльбан»"
        ),
        school_short_name="МБОУ СОШ № 2 п. Эльбан",
        inn="2714006330",
        municipality="Амурский муниципальный район",
        address="682640, Хабаровский край, п. Эльбан, ул. Школьная, 1",
        director="Петров Пётр Петрович",
        center_head="Сидорова Анна Ивановна",
        phone="+7 (42142) 5-55-55",
        email="elban2@example.ru",
        pupils=350,
        campaign_year=2027,
        opening_date=dt.date(2027, 9, 1),
    )


def make_photo(
    path: Path,
    size: tuple[int, int] = (640, 480),
    *,
    seed: int = 1,
    taken: dt.datetime | None = None,
    orientation: int | None = None,
    fmt: str = "JPEG",
) -> Path:
    """A real image with noise (not a flat colour), optional EXIF date and orientation."""
    from PIL import Image

    rnd = random.Random(seed)
    img = Image.effect_noise(size, 40).convert("RGB")
    img.paste((rnd.randint(0, 255), 40, 40), (0, 0, size[0] // 2, size[1] // 3))
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if orientation is not None:
        exif[0x0112] = orientation
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "JPEG":
        img.save(path, "JPEG", quality=85, exif=exif.tobytes())
    else:
        img.save(path, fmt)
    return path


SECTION_TITLES = [
    "Документы и организация",
    "Кадры и повышение квалификации",
    "Ремонт помещений",
    "Зонирование",
    "Оборудование",
    "Фирменный стиль",
    "Открытие Центра",
    "Информационное сопровождение",
    "Мониторинг показателей",
]


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    """Mount real tmpfs file systems (size like "1m") under tmp_path; needs root, as on CI.
    Unmounted when the test ends."""
    mounted: list[Path] = []

    def mount(name: str, size: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)]
        if subprocess.run(command, capture_output=True).returncode != 0:
            pytest.skip("mounting a tmpfs needs root")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


@pytest.fixture
def tiny_disk(mount_tmpfs: Callable[[str, str], Path]) -> Path:
    """A real, nearly full file system: a 1 MiB tmpfs."""
    return mount_tmpfs("tiny", "1m")


def fill_up(folder: Path, leave: int = 0) -> Path:
    """Take every free byte of the file system under folder, then give `leave` bytes back (so a
    write starts and fails half-way). Returns the filler file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (1 << 20, 4096, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError:
                    break
        if leave:
            os.ftruncate(fd, max(0, os.fstat(fd).st_size - leave))
    finally:
        os.close(fd)
    return filler


@pytest.fixture
def system_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system temporary folder, watched for leftovers."""
    import tempfile

    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def serve() -> Iterator[Callable[..., int]]:
    """Start a real aiosmtpd server on 127.0.0.1 with the given handler and SMTP options
    (port= to start one where a test expects it); returns its port. Stopped when the test
    ends."""
    from aiosmtpd.controller import Controller

    from tests.smtp_server import free_port

    controllers: list[Controller] = []

    def start(handler: object, port: int | None = None, **options: Any) -> int:
        port = port or free_port()
        controller = Controller(
            handler,
            hostname="127.0.0.1",
            port=port,
            server_hostname="mail.test",
            ready_timeout=5.0,
            **options,
        )
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()
