"""Russian wording of domain values, for people: statuses, dates as ДД.ММ.ГГГГ, plurals,
numbers. Used by the documents core writes (PDF, XLSX) and by ui/ and the command line."""

from __future__ import annotations

import datetime as dt

from core.model import EvidenceKind, ItemStatus, UnitStatus

STATUS_NAMES = {
    ItemStatus.NOT_STARTED: "не начато",
    ItemStatus.IN_PROGRESS: "в работе",
    ItemStatus.DONE: "выполнено",
    ItemStatus.NOT_REQUIRED: "не требуется",
}

EVIDENCE_NAMES = {
    EvidenceKind.PHOTO: "фото",
    EvidenceKind.DOCUMENT: "документ",
    EvidenceKind.NONE: "не требуется",
}


def format_date(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def format_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone()  # the user's local time
    return value.strftime("%d.%m.%Y %H:%M")


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 день, 2 дня, 5 дней, 21 день, 11 дней."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def days_phrase(days: int) -> str:
    return f"{days} {plural(days, 'день', 'дня', 'дней')}"


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} Б"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} КБ".replace(".", ",")
    return f"{size / 1024 / 1024:.1f} МБ".replace(".", ",")


UNIT_STATUS_NAMES = {
    UnitStatus.STORED: "на складе",
    UnitStatus.INSTALLED: "установлено",
    UnitStatus.IN_USE: "введено в эксплуатацию",
    UnitStatus.FAULTY: "неисправно",
    UnitStatus.WRITTEN_OFF: "списано",
}

DISCREPANCY_TEXT = {
    "not_delivered": "поставлено {actual} из {expected} по плану",
    "not_installed": "установлено {actual} из {expected} поставленных",
    "unit_without_room": "единица без помещения",
    "unit_without_inventory": "введена в эксплуатацию без инвентарного номера",
}


def format_number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}".replace(".", ",")


def quarter_name(quarter: int) -> str:
    return {1: "I", 2: "II", 3: "III", 4: "IV"}[quarter] + " кв."
