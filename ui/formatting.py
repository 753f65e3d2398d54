"""Russian wording of domain values for people (dates as ДД.ММ.ГГГГ, statuses, plurals).
Plain Python, shared by the GUI and the command line."""

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

FIELD_NAMES = {
    "status": "Статус",
    "not_required_reason": "Причина «не требуется»",
    "responsible": "Ответственный",
    "due_override": "Срок",
    "comment": "Комментарий",
    "completed_on": "Дата выполнения",
    "evidence_added": "Приложен файл",
    "evidence_removed": "Удалён файл",
    "planned": "План",
    "delivered": "Поставлено",
    "installed": "Установлено",
    "in_use": "Введено в эксплуатацию",
    "supplier": "Поставщик",
    "contract_number": "Номер контракта",
    "contract_date": "Дата контракта",
    "delivery_date": "Дата поставки",
    "act_number": "Номер акта",
    "act_date": "Дата акта",
    "inventory_number": "Инвентарный номер",
    "serial_number": "Серийный номер",
    "room_id": "Помещение",
    "unit_added": "Добавлена единица",
    "unit_removed": "Удалена единица",
    "number": "Номер помещения",
    "name": "Название",
    "zone_type": "Зона",
    "floor": "Этаж",
    "area": "Площадь",
    "repair_status": "Ремонт",
    "room_removed": "Помещение удалено",
    "done_on": "Дата выполнения",
    "order_number": "Номер приказа",
    "order_date": "Дата приказа",
    "value": "Значение",
    "note": "Примечание",
    "target": "Цель на год",
    "delivery_import": "Импорт поставки",
    "delivery_import_undone": "Импорт поставки отменён",
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
    if field in ("status", "repair_status"):
        if raw in {s.value for s in ItemStatus}:
            return STATUS_NAMES[ItemStatus(raw)]
        if raw in {s.value for s in UnitStatus}:
            return UNIT_STATUS_NAMES[UnitStatus(raw)]
        return raw
    if field in DATE_FIELDS:
        try:
            return format_date(dt.date.fromisoformat(raw))
        except ValueError:
            return raw
    return raw


DATE_FIELDS = frozenset(
    {
        "due_override",
        "completed_on",
        "profile.opening_date",
        "contract_date",
        "delivery_date",
        "act_date",
        "done_on",
        "order_date",
    }
)


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
