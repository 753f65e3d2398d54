"""How the history reads for people: field names and values. Plain Python, shared by the GUI
and the command line; the wording of statuses, dates and numbers is core/wording.py."""

from __future__ import annotations

import datetime as dt

from core.model import ItemStatus, UnitStatus
from core.wording import STATUS_NAMES, UNIT_STATUS_NAMES, format_date

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
