"""«Карточка ключа»: one A4 page the director signs and the region keeps, read back as a PDF
viewer would (pypdf for the text, pdffonts for the fonts), and refused cleanly on a full disk."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
from pathlib import Path
from typing import Any

import minisign  # type: ignore[import-untyped]
import pytest
from pypdf import PdfReader

from core.errors import StorageError
from core.key_card import write_key_card_pdf
from core.keys import format_key_id, key_fingerprint, public_key_base64
from core.model import CenterProfile
from tests.conftest import fill_up

MADE_ON = dt.date(2027, 5, 14)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots" / "key-card"
STANDARD_14 = ("Helvetica", "Times", "Courier", "Symbol", "ZapfDingbats")


@pytest.fixture
def public_key() -> Any:
    return minisign.KeyPair.generate().public_key


def text_of(pdf: Path) -> tuple[int, str]:
    reader = PdfReader(pdf)
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_card_holds_everything_the_region_checks(
    tmp_path: Path, profile: CenterProfile, public_key: Any
) -> None:
    out = tmp_path / "карточка.pdf"
    write_key_card_pdf(
        profile, public_key, out, made_on=MADE_ON, previous_key_id="0123456789ABCDEF"
    )
    pages, text = text_of(out)
    assert pages == 1
    flat = squeezed(text)
    assert "Карточка открытого ключа подписи пакетов отчётов" in " ".join(text.split())
    assert squeezed(profile.school_full_name) in flat
    assert squeezed(profile.address) in flat
    assert profile.inn in flat
    assert public_key_base64(public_key) in flat
    assert format_key_id(bytes(public_key._keynum_pk.key_id)) in flat
    assert squeezed(key_fingerprint(public_key)) in flat
    assert "14.05.2027" in flat
    assert "Заменяетключ0123456789ABCDEF" in flat
    assert "minisign-Vmtagmanifest-sha256.txt-P" in flat
    assert "М.П." in flat and "Директор" in flat and "П.П.Петров" in flat
    # to look at (screenshots/ is git-ignored)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "80", "-png", "-singlefile", str(out), str(SCREENSHOTS / "card")],
        check=True,
    )


def test_a_first_key_replaces_nothing(
    tmp_path: Path, profile: CenterProfile, public_key: Any
) -> None:
    out = tmp_path / "card.pdf"
    write_key_card_pdf(profile, public_key, out, made_on=MADE_ON)
    _, text = text_of(out)
    assert "Заменяет" not in text


def test_only_embedded_fonts(tmp_path: Path, profile: CenterProfile, public_key: Any) -> None:
    out = tmp_path / "card.pdf"
    write_key_card_pdf(profile, public_key, out, made_on=MADE_ON, previous_key_id="0" * 16)
    listing = subprocess.run(
        ["pdffonts", str(out)], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    assert rows
    for row in rows:
        # name, type (one or two words), encoding, emb, sub, uni, object, id
        assert row[-5] == "yes", row
    assert not any(base in listing for base in STANDARD_14)


def test_long_names_still_fit_one_page(
    tmp_path: Path, profile: CenterProfile, public_key: Any
) -> None:
    long = dataclasses.replace(
        profile,
        school_full_name=(
            "Муниципальное бюджетное общеобразовательное учреждение «Средняя "
            "общеобразовательная школа № 2 с углублённым изучением отдельных предметов "
            "естественно-научного и технологического профилей имени Героя Советского Союза "
            "Ивана Петровича Сидоренко» посёлка городского типа Эльбан"
        ),
        address=(
            "682640, Российская Федерация, Хабаровский край, Амурский муниципальный район, "
            "городское поселение «Рабочий посёлок Эльбан», ул. Школьная, д. 1, корп. 2, стр. 3"
        ),
        director="Константинопольская-Рождественская Александра Владимировна",
    )
    out = tmp_path / "card.pdf"
    write_key_card_pdf(long, public_key, out, made_on=MADE_ON, previous_key_id="F" * 16)
    pages, text = text_of(out)
    assert pages == 1
    flat = squeezed(text)
    assert public_key_base64(public_key) in flat
    assert squeezed(key_fingerprint(public_key)) in flat
    assert "Константинопольская-Рождественская" in flat


def test_a_full_disk_leaves_nothing(
    tiny_disk: Path, profile: CenterProfile, public_key: Any
) -> None:
    fill_up(tiny_disk)
    with pytest.raises(StorageError) as caught:
        write_key_card_pdf(profile, public_key, tiny_disk / "карточка.pdf", made_on=MADE_ON)
    assert caught.value.problem == "disk_full"
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]


def test_an_existing_card_survives_a_full_disk(
    tiny_disk: Path, profile: CenterProfile, public_key: Any
) -> None:
    out = tiny_disk / "карточка.pdf"
    out.write_bytes(b"the card printed last year")
    fill_up(tiny_disk, leave=2048)  # the write starts and fails half-way
    with pytest.raises(StorageError):
        write_key_card_pdf(profile, public_key, out, made_on=MADE_ON)
    assert out.read_bytes() == b"the card printed last year"
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler", "карточка.pdf"]
