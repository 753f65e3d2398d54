"""Russian wording of domain values for people (dates as ДД.ММ.ГГГГ, statuses, plurals).
Plain Python, shared by the GUI and the command line."""

from __future__ import annotations

import datetime as dt

from core.model import EvidenceKind, ItemStatus

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

FIELD_NAMES = {
    "status": "Статус",
    "not_required_reason": "Причина «не требуется»",
    "responsible": "Ответственный",
    "due_override": "Срок",
    "comment": "Комментарий",
    "completed_on": "Дата выполнения",
    "evidence_added": "Приложен файл",
    "evidence_removed": "Удалён файл",
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


def history_value(field: str, raw: str) -> str:
    """A history value as people read it: statuses in Russian, ISO dates as ДД.ММ.ГГГГ."""
    if not raw:
        return "—"
    if field == "status":
        try:
            return STATUS_NAMES[ItemStatus(raw)]
        except ValueError:
            return raw
    if field in ("due_override", "completed_on", "profile.opening_date"):
        try:
            return format_date(dt.date.fromisoformat(raw))
        except ValueError:
            return raw
    return raw


def field_name(field: str) -> str:
    if field.startswith("profile."):
        from ui.messages import VALIDATION_FIELDS

        name = field.removeprefix("profile.")
        return f"Профиль: {VALIDATION_FIELDS.get(name, name)}"
    return FIELD_NAMES.get(field, field)


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} Б"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} КБ".replace(".", ",")
    return f"{size / 1024 / 1024:.1f} МБ".replace(".", ",")
