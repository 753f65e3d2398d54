"""The bundled template loads and says what a center needs; a broken template is refused with
a TemplateError that names the file, the item and the problem, in Russian for people."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from core.errors import TemplateError
from core.model import EvidenceKind
from core.template import default_template_path, load_default_template, load_template
from tests.conftest import SECTION_TITLES
from ui.messages import describe_error

# Positions of the infrastructure list named in shared/domain/DOMAIN.md, as the template words them.
EQUIPMENT_KEYWORDS = [
    "цифровая лаборатория по физике",
    "цифровая лаборатория по химии",
    "цифровая лаборатория по биологии",
    "ученических опытов по физике",
    "ученических опытов по химии",
    "ученических опытов по биологии",
    "комплект влажных препаратов демонстрационный",
    "комплект гербариев демонстрационный",
    "комплект коллекций демонстрационный",
    "демонстрационное оборудование по химии",
    "демонстрационное оборудование по физике",
    "комплект химических реактивов",
    "комплектов для огэ",
    "микроскоп цифровой",
    "блочного программирования с комплектом датчиков",
    "по механике, мехатронике и робототехнике",
    "промышленных робототехнических систем",
    "робот-манипулятор",
    "3d-принтер",
    "ноутбук",
    "мфу",
    "сердечно-лёгочной реанимации",
    "инородного тела из верхних дыхательных путей",
    "имитаторов травм и поражений",
    "шина лестничная",
    "воротник шейный",
    "табельные средства для оказания первой помощи",
    "столы",
    "стулья",
    "зоны отдыха",
]

CYRILLIC = re.compile(r"[А-Яа-яЁё]")


@pytest.fixture(scope="module")
def default_text() -> str:
    return default_template_path().read_text(encoding="utf-8")


def item_block_span(text: str, code: str) -> tuple[int, int]:
    start = text.index(f"- code: {code}\n")
    following = re.compile(r"^\s*- code: ", re.MULTILINE)
    match = following.search(text, start + 1)
    return start, match.start() if match else len(text)


def edit_item(text: str, code: str, old: str, new: str) -> str:
    """Replace old by new inside the block of one item, failing loudly if it is not there."""
    start, end = item_block_span(text, code)
    block = text[start:end]
    assert old in block, f"{old!r} not in item {code}: the template changed, update the test"
    return text[:start] + block.replace(old, new, 1) + text[end:]


def write(tmp_path: Path, text: str | bytes, name: str = "broken-template.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def assert_russian_message(exc: TemplateError, path: Path) -> str:
    message = describe_error(exc)
    assert CYRILLIC.search(message), message
    assert path.name in message
    if exc.item_code:
        assert exc.item_code in message
    assert exc.problem not in message, f"raw problem code leaked: {message}"
    return message


# --- the bundled template ------------------------------------------------------------------


def test_default_template_has_enough_items_in_the_nine_sections() -> None:
    template = load_default_template()

    assert len(template.items()) >= 80
    assert [s.title for s in template.sections] == SECTION_TITLES
    assert template.year == 2024
    assert template.region == "Хабаровский край"


def test_default_template_codes_are_unique_and_prefixed_by_their_section() -> None:
    template = load_default_template()
    codes = [item.code for item in template.items()]

    assert len(codes) == len(set(codes))
    for section in template.sections:
        assert section.items, section.code
        for item in section.items:
            assert item.code.startswith(section.code + "-")
            assert item.section_code == section.code


def test_every_default_item_says_what_done_means_who_and_when() -> None:
    template = load_default_template()

    for item in template.items():
        assert item.title.strip(), item.code
        assert item.done_when.strip(), item.code
        assert item.role in template.roles, item.code
        assert isinstance(item.due, dt.date) and not isinstance(item.due, dt.datetime)
        assert isinstance(item.evidence, EvidenceKind)


@pytest.mark.parametrize("keyword", EQUIPMENT_KEYWORDS)
def test_equipment_section_covers_the_infrastructure_list(keyword: str) -> None:
    equipment = load_default_template().section("EQP")
    titles = [item.title.lower() for item in equipment.items]

    assert any(keyword in title for title in titles), f"no EQP item for «{keyword}»"


# --- broken templates ----------------------------------------------------------------------


def test_missing_due_names_file_item_and_field(tmp_path: Path, default_text: str) -> None:
    path = write(tmp_path, edit_item(default_text, "DOC-01", "        due: 2024-03-29\n", ""))

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    exc = caught.value
    assert exc.path.name == "broken-template.yaml"
    assert (exc.item_code, exc.problem, exc.detail) == ("DOC-01", "missing_field", "due")
    message = assert_russian_message(exc, path)
    assert "срок" in message


def test_duplicate_code_names_the_repeated_code(tmp_path: Path, default_text: str) -> None:
    path = write(tmp_path, edit_item(default_text, "DOC-02", "code: DOC-02", "code: DOC-01"))

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    assert (caught.value.problem, caught.value.item_code) == ("duplicate_code", "DOC-01")
    assert_russian_message(caught.value, path)


def test_unknown_evidence_kind_is_refused(tmp_path: Path, default_text: str) -> None:
    path = write(
        tmp_path, edit_item(default_text, "DOC-03", "evidence: document", "evidence: video")
    )

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    exc = caught.value
    assert (exc.problem, exc.item_code, exc.detail) == ("bad_evidence", "DOC-03", "video")
    assert "video" in assert_russian_message(exc, path)


def test_role_not_in_roles_is_refused(tmp_path: Path, default_text: str) -> None:
    path = write(tmp_path, edit_item(default_text, "DOC-04", "role: Директор", "role: Завхоз"))

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    exc = caught.value
    assert (exc.problem, exc.item_code, exc.detail) == ("unknown_role", "DOC-04", "Завхоз")
    assert "Завхоз" in assert_russian_message(exc, path)


def test_code_of_another_section_is_refused(tmp_path: Path, default_text: str) -> None:
    path = write(tmp_path, edit_item(default_text, "KAD-01", "code: KAD-01", "code: DOC-50"))

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    exc = caught.value
    assert (exc.problem, exc.item_code, exc.detail) == ("code_prefix", "DOC-50", "KAD")
    assert "KAD" in assert_russian_message(exc, path)


def test_date_not_in_iso_form_is_refused(tmp_path: Path, default_text: str) -> None:
    path = write(
        tmp_path, edit_item(default_text, "DOC-05", "due: 2024-03-29", 'due: "29.03.2024"')
    )

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    exc = caught.value
    assert (exc.problem, exc.item_code, exc.detail) == ("bad_date", "DOC-05", "29.03.2024")
    assert "29.03.2024" in assert_russian_message(exc, path)


def test_impossible_unquoted_date_is_a_template_error(tmp_path: Path, default_text: str) -> None:
    path = write(tmp_path, edit_item(default_text, "DOC-01", "due: 2024-03-29", "due: 2024-02-30"))

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    assert (caught.value.problem, caught.value.item_code) == ("bad_date", "DOC-01")
    assert_russian_message(caught.value, path)


def test_text_that_is_not_yaml_names_the_line(tmp_path: Path, default_text: str) -> None:
    title = 'title: "Приказ о создании Центра «Точка роста»"'
    broken = edit_item(default_text, "DOC-01", title, title + " лишний текст")
    path = write(tmp_path, broken)
    line = broken[: broken.index(title)].count("\n") + 1

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    exc = caught.value
    assert (exc.problem, exc.detail) == ("not_yaml", str(line))
    assert f"строка {exc.detail}" in assert_russian_message(exc, path)


def test_file_not_in_utf8_is_refused(tmp_path: Path, default_text: str) -> None:
    path = write(tmp_path, default_text.encode("cp1251", errors="replace"))

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    assert caught.value.problem == "not_utf8"
    assert "UTF-8" in assert_russian_message(caught.value, path)


def test_newer_format_is_refused(tmp_path: Path, default_text: str) -> None:
    newer, count = re.subn(r"\nformat: \d+\n", "\nformat: 99\n", default_text, count=1)
    assert count == 1
    path = write(tmp_path, newer)

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    assert (caught.value.problem, caught.value.detail) == ("unsupported_format", "99")
    assert_russian_message(caught.value, path)


@pytest.mark.parametrize("content", ["", "# только комментарий\n", "- список\n- вместо шаблона\n"])
def test_empty_or_shapeless_file_is_refused(tmp_path: Path, content: str) -> None:
    path = write(tmp_path, content)

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    assert caught.value.problem == "not_mapping"
    assert_russian_message(caught.value, path)


def test_missing_file_is_a_template_error(tmp_path: Path) -> None:
    path = tmp_path / "no-such-template.yaml"

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    assert caught.value.problem == "not_found"
    assert_russian_message(caught.value, path)


SMALL_TEMPLATE = """\
format: 1
id: small
title: "Малый шаблон"
region: "Хабаровский край"
year: 2024
version: "0.1"
roles: [Директор]
sections:
  - code: DOC
    title: "Документы"
    items:
      - code: DOC-01
        title: "Приказ"
        done_when: "Подписан"
        evidence: document
        due: 2024-03-29
        role: Директор
"""


def test_small_hand_written_template_loads(tmp_path: Path) -> None:
    template = load_template(write(tmp_path, SMALL_TEMPLATE, "small.yaml"))

    item = template.item("DOC-01")
    assert (template.id, template.version, template.roles) == ("small", "0.1", ("Директор",))
    assert (item.due, item.evidence, item.role) == (
        dt.date(2024, 3, 29),
        EvidenceKind.DOCUMENT,
        "Директор",
    )


@pytest.mark.parametrize(
    ("old", "new", "problem", "item_code", "detail"),
    [
        ('        done_when: "Подписан"\n', "", "missing_field", "DOC-01", "done_when"),
        ("      - code: DOC-01", "      - code: DOC-1", "bad_code", "DOC-1", ""),
        ("year: 2024", "year: yes", "wrong_type", None, "year"),
        ("roles: [Директор]", "roles: []", "bad_value", None, "roles"),
        ("  - code: DOC\n", "  - code: doc\n", "bad_section_code", None, "doc"),
        (
            "due: 2024-03-29",
            "due: 2024-03-29 10:00:00",
            "bad_date",
            "DOC-01",
            "2024-03-29 10:00:00",
        ),
    ],
)
def test_small_template_mistakes(
    tmp_path: Path, old: str, new: str, problem: str, item_code: str | None, detail: str
) -> None:
    assert old in SMALL_TEMPLATE
    path = write(tmp_path, SMALL_TEMPLATE.replace(old, new, 1), "small.yaml")

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    exc = caught.value
    assert (exc.problem, exc.item_code, exc.detail) == (problem, item_code, detail)
    assert_russian_message(exc, path)
