"""Use cases of the registers: equipment of the infrastructure list, rooms and zoning, brand
style, the roadmap and the quarterly indicators. Every change is audited like the checklist's."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.checklist import AttachResult, Checklist, format_value
from core.errors import ValidationError
from core.model import (
    POSITION_FIELDS,
    ROADMAP_FIELDS,
    ROOM_FIELDS,
    UNIT_FIELDS,
    BrandElement,
    BrandScope,
    BrandState,
    EquipmentPosition,
    EquipmentUnit,
    HistoryEntry,
    ImportBatch,
    Indicator,
    IndicatorValue,
    ItemStatus,
    PositionState,
    RoadmapState,
    RoadmapTask,
    Room,
    UnitStatus,
)
from core.readiness import CLOSED_STATUSES, shift_to_year
from core.store import OutboxStore, RegisterStore

# СП 2.4.3648-20 as commonly read: m² per pupil for frontal lessons and for group work (a hint)
AREA_PER_PUPIL_FRONTAL = 2.5
AREA_PER_PUPIL_GROUP = 3.5


@dataclass(frozen=True)
class PositionView:
    position: EquipmentPosition
    state: PositionState
    planned: int
    units: int


@dataclass(frozen=True)
class Discrepancy:
    kind: str  # not_delivered | not_installed | unit_without_room | unit_without_inventory
    position_code: str
    expected: int = 0
    actual: int = 0
    unit_id: int | None = None


@dataclass(frozen=True)
class BrandItem:
    key: str
    element: BrandElement
    room: Room | None
    state: BrandState


@dataclass(frozen=True)
class TaskView:
    task: RoadmapTask
    state: RoadmapState
    due: dt.date
    overdue: bool


@dataclass(frozen=True)
class IndicatorRow:
    indicator: Indicator
    year: int
    target: float
    values: dict[int, IndicatorValue]  # by quarter

    @property
    def latest(self) -> IndicatorValue | None:
        return self.values[max(self.values)] if self.values else None

    @property
    def percent(self) -> float | None:
        """Progress: the latest quarter's value (reported for the year so far) of the target."""
        latest = self.latest
        if latest is None or self.target <= 0:
            return None
        return 100.0 * latest.value / self.target


@dataclass(frozen=True)
class RegisterSummary:
    planned: int
    delivered: int
    installed: int
    in_use: int
    discrepancies: int
    rooms_ready: int
    rooms_total: int
    brand_done: int
    brand_total: int
    roadmap_overdue: int
    roadmap_total: int
    indicators: tuple[IndicatorRow, ...]


def capacity_hint(area: float | None) -> tuple[int, int] | None:
    """Pupils the room fits for frontal lessons and for group work (information only)."""
    if not area or area <= 0:
        return None
    return math.floor(area / AREA_PER_PUPIL_FRONTAL), math.floor(area / AREA_PER_PUPIL_GROUP)


def brand_key(element_code: str, room_id: int | None) -> str:
    return f"building/{element_code}" if room_id is None else f"room/{room_id}/{element_code}"


def room_subject(room_id: int, part: str = "") -> str:
    return f"room/{room_id}/{part}" if part else f"room/{room_id}"


class Registers:
    def __init__(self, store: RegisterStore, checklist: Checklist) -> None:
        self.store = store
        self.checklist = checklist
        self.template = checklist.template

    def _now(self) -> dt.datetime:
        return self.checklist._clock()

    def _history(
        self, subject: str, old: object, new: object, fields: Sequence[str], prefix: str = ""
    ) -> list[HistoryEntry]:
        now = self._now()
        return [
            HistoryEntry(
                at=now,
                item_code=subject,
                field=prefix + name,
                old=format_value(getattr(old, name)) if old is not None else "",
                new=format_value(getattr(new, name)),
            )
            for name in fields
            if old is None or getattr(old, name) != getattr(new, name)
        ]

    # --- equipment -----------------------------------------------------------------------
    def position(self, code: str) -> EquipmentPosition:
        for position in self.template.equipment:
            if position.code == code:
                return position
        raise KeyError(code)

    def positions(self, units: Sequence[EquipmentUnit] | None = None) -> list[PositionView]:
        states = self.store.position_states()
        counts: dict[str, int] = {}
        for unit in self.store.units() if units is None else units:
            counts[unit.position_code] = counts.get(unit.position_code, 0) + 1
        views = []
        for position in self.template.equipment:
            state = states.get(position.code) or PositionState(position.code)
            planned = state.planned if state.planned is not None else position.planned
            views.append(PositionView(position, state, planned, counts.get(position.code, 0)))
        return views

    def update_position(self, code: str, **changes: Any) -> PositionState:
        self.position(code)
        unknown = set(changes) - set(POSITION_FIELDS)
        if unknown:
            raise TypeError(f"unknown position fields: {sorted(unknown)}")
        for name in ("planned", "delivered", "installed", "in_use"):
            value = changes.get(name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValidationError(name, "negative", str(value))
        for name in ("supplier", "contract_number", "act_number"):
            if name in changes:
                changes[name] = (changes[name] or "").strip()
        old = self.store.position_states().get(code) or PositionState(code)
        new = dataclasses.replace(old, **changes)
        history = self._history(code, old, new, POSITION_FIELDS)
        if history:
            self.store.save_position(new, history)
        return new

    def units(self, position_code: str | None = None) -> list[EquipmentUnit]:
        return self.store.units(position_code=position_code)

    def add_unit(self, position_code: str, **fields: Any) -> EquipmentUnit:
        self.position(position_code)
        unit = self._checked_unit(EquipmentUnit(0, position_code), fields)
        history = self._history("unit/new", None, unit, UNIT_FIELDS)
        history.append(
            HistoryEntry(self._now(), position_code, "unit_added", "", unit.serial_number or "—")
        )
        return self.store.add_unit(unit, history)

    def update_unit(self, unit_id: int, **changes: Any) -> EquipmentUnit:
        old = next((u for u in self.store.units() if u.id == unit_id), None)
        if old is None:
            raise KeyError(unit_id)
        new = self._checked_unit(old, changes)
        history = self._history(f"unit/{unit_id}", old, new, UNIT_FIELDS)
        if history:
            self.store.save_unit(new, history)
        return new

    def _checked_unit(self, unit: EquipmentUnit, changes: dict[str, Any]) -> EquipmentUnit:
        unknown = set(changes) - set(UNIT_FIELDS)
        if unknown:
            raise TypeError(f"unknown unit fields: {sorted(unknown)}")
        for name in ("inventory_number", "serial_number"):
            if name in changes:
                changes[name] = (changes[name] or "").strip()
        if "status" in changes:
            changes["status"] = UnitStatus(changes["status"])
        room_id = changes.get("room_id")
        if room_id is not None and room_id not in {r.id for r in self.store.rooms()}:
            raise ValidationError("room_id", "unknown_room", str(room_id))
        return dataclasses.replace(unit, **changes)

    def remove_unit(self, unit_id: int) -> None:
        unit = next((u for u in self.store.units() if u.id == unit_id), None)
        if unit is None:
            return
        entry = HistoryEntry(
            self._now(), unit.position_code, "unit_removed", unit.serial_number or "—", ""
        )
        self.store.remove_unit(unit_id, [entry])

    def discrepancies(
        self,
        positions: Sequence[PositionView] | None = None,
        units: Sequence[EquipmentUnit] | None = None,
    ) -> list[Discrepancy]:
        units = self.store.units() if units is None else units
        found: list[Discrepancy] = []
        for view in self.positions(units) if positions is None else positions:
            state = view.state
            if state.delivered < view.planned:
                found.append(
                    Discrepancy("not_delivered", view.position.code, view.planned, state.delivered)
                )
            if state.installed < state.delivered:
                found.append(
                    Discrepancy(
                        "not_installed", view.position.code, state.delivered, state.installed
                    )
                )
        for unit in units:
            if unit.status is UnitStatus.WRITTEN_OFF:
                continue
            if unit.room_id is None:
                found.append(Discrepancy("unit_without_room", unit.position_code, unit_id=unit.id))
            if unit.status is UnitStatus.IN_USE and not unit.inventory_number:
                found.append(
                    Discrepancy("unit_without_inventory", unit.position_code, unit_id=unit.id)
                )
        return found

    # --- delivery import -----------------------------------------------------------------
    def preview_delivery(
        self,
        path: Path,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> Any:
        from core.delivery_import import read_delivery_list

        return read_delivery_list(
            path, self.template.equipment, progress=progress, cancelled=cancelled
        )

    def apply_delivery(self, preview: Any) -> int:
        """Apply the matched rows of a preview at once, all or nothing; undo_last_import()
        takes the whole import back in one step."""
        states = self.store.position_states()
        before: dict[str, PositionState] = {}
        after: dict[str, PositionState] = {}
        units: list[EquipmentUnit] = []
        history: list[HistoryEntry] = []
        now = self._now()
        for row in preview.matched:
            code = row.position_code
            old = after.get(code) or states.get(code) or PositionState(code)
            before.setdefault(code, states.get(code) or PositionState(code))
            changes: dict[str, Any] = {"delivered": old.delivered + row.quantity}
            if row.supplier:
                changes["supplier"] = row.supplier
            if row.contract:
                changes["contract_number"] = row.contract
            if row.delivery_date:
                changes["delivery_date"] = row.delivery_date
            after[code] = dataclasses.replace(old, **changes)
            serials = [row.serial_number] if row.quantity == 1 else [""] * row.quantity
            for serial in serials:
                units.append(
                    EquipmentUnit(
                        0, code, inventory_number=row.inventory_number, serial_number=serial
                    )
                )
        for code, new in after.items():
            history.extend(self._history(code, before[code], new, POSITION_FIELDS))
        history.append(
            HistoryEntry(
                now,
                None,
                "delivery_import",
                "",
                f"{Path(preview.path).name}: {len(preview.matched)} строк, {len(units)} ед.",
            )
        )
        return self.store.apply_delivery(
            Path(preview.path).name, list(after.values()), list(before.values()), units, history
        )

    def last_import(self) -> ImportBatch | None:
        return self.store.last_import()

    def undo_last_import(self) -> ImportBatch | None:
        batch = self.store.last_import()
        if batch is None or batch.undone_at is not None:
            return None
        entry = HistoryEntry(self._now(), None, "delivery_import_undone", batch.file_name, "")
        self.store.undo_delivery(batch.id, [entry])
        return batch

    # --- rooms ---------------------------------------------------------------------------
    def zone_title(self, code: str) -> str:
        return next((z.title for z in self.template.zone_types if z.code == code), code)

    def rooms(self) -> list[Room]:
        return self.store.rooms()

    def room(self, room_id: int) -> Room:
        for room in self.store.rooms():
            if room.id == room_id:
                return room
        raise KeyError(room_id)

    def add_room(self, number: str, name: str, zone_type: str, **fields: Any) -> Room:
        room = self._checked_room(Room(0, number, name, zone_type), fields)
        return self.store.add_room(room, self._history("room/new", None, room, ROOM_FIELDS))

    def update_room(self, room_id: int, **changes: Any) -> Room:
        old = self.room(room_id)
        new = self._checked_room(old, changes)
        history = self._history(room_subject(room_id), old, new, ROOM_FIELDS)
        if history:
            self.store.save_room(new, history)
        return new

    def _checked_room(self, room: Room, changes: dict[str, Any]) -> Room:
        unknown = set(changes) - set(ROOM_FIELDS)
        if unknown:
            raise TypeError(f"unknown room fields: {sorted(unknown)}")
        new = dataclasses.replace(room, **changes)
        new = dataclasses.replace(
            new,
            number=new.number.strip(),
            name=new.name.strip(),
            comment=new.comment.strip(),
            repair_status=ItemStatus(new.repair_status),
        )
        if not new.number:
            raise ValidationError("room_number", "required")
        if not new.name:
            raise ValidationError("room_name", "required")
        if new.zone_type not in {z.code for z in self.template.zone_types}:
            raise ValidationError("zone_type", "unknown_zone", new.zone_type)
        if new.area is not None and not 0 < new.area < 10000:
            raise ValidationError("area", "bad_area", str(new.area))
        if new.floor is not None and not -5 <= new.floor <= 50:
            raise ValidationError("floor", "bad_floor", str(new.floor))
        return new

    def remove_room(self, room_id: int) -> None:
        room = self.room(room_id)
        entry = HistoryEntry(
            self._now(), room_subject(room_id), "room_removed", f"{room.number} {room.name}", ""
        )
        self.store.remove_room(room_id, [entry])

    def units_in(self, room_id: int) -> list[EquipmentUnit]:
        return self.store.units(room_id=room_id)

    def room_ready(self, room: Room, brand: dict[str, BrandState] | None = None) -> bool:
        if room.repair_status not in CLOSED_STATUSES:
            return False
        states = brand if brand is not None else self.store.brand_states()
        zone = next((z for z in self.template.zone_types if z.code == room.zone_type), None)
        for code in zone.brand if zone else ():
            state = states.get(brand_key(code, room.id))
            if state is None or state.status not in CLOSED_STATUSES:
                return False
        return True

    # --- brand style ---------------------------------------------------------------------
    def brand_items(
        self,
        rooms: Sequence[Room] | None = None,
        states: dict[str, BrandState] | None = None,
    ) -> list[BrandItem]:
        states = self.store.brand_states() if states is None else states
        elements = {e.code: e for e in self.template.brand_elements}
        items = []
        for element in self.template.brand_elements:
            if element.scope is BrandScope.BUILDING:
                key = brand_key(element.code, None)
                items.append(BrandItem(key, element, None, states.get(key) or BrandState(key)))
        zones = {z.code: z for z in self.template.zone_types}
        for room in self.store.rooms() if rooms is None else rooms:
            zone = zones.get(room.zone_type)
            for code in zone.brand if zone else ():
                key = brand_key(code, room.id)
                items.append(
                    BrandItem(key, elements[code], room, states.get(key) or BrandState(key))
                )
        return items

    def update_brand(self, key: str, **changes: Any) -> BrandState:
        if key not in {i.key for i in self.brand_items()}:
            raise KeyError(key)
        old = self.store.brand_states().get(key) or BrandState(key)
        if "status" in changes:
            changes["status"] = ItemStatus(changes["status"])
        if "comment" in changes:
            changes["comment"] = (changes["comment"] or "").strip()
        new = dataclasses.replace(old, **changes)
        history = self._history(f"brand/{key}", old, new, ("status", "comment"))
        if history:
            self.store.save_brand(new, history)
        return new

    def missing_brand_by_room(self) -> dict[str, list[str]]:
        """What is not done yet, per place («Здание» or the room), for the summary."""
        missing: dict[str, list[str]] = {}
        for item in self.brand_items():
            if item.state.status in CLOSED_STATUSES:
                continue
            place = "Здание" if item.room is None else f"{item.room.number} {item.room.name}"
            missing.setdefault(place, []).append(item.element.title)
        return missing

    # --- roadmap -------------------------------------------------------------------------
    def tasks(self, today: dt.date | None = None) -> list[TaskView]:
        today = today or self.checklist.today()
        profile = self.checklist.profile()
        states = self.store.roadmap_states()
        views = []
        for task in self.template.roadmap:
            state = states.get(task.code) or RoadmapState(task.code)
            due = state.due_override or (
                shift_to_year(task.due, self.template.year, profile.campaign_year)
                if profile
                else task.due
            )
            overdue = state.status not in CLOSED_STATUSES and due < today
            views.append(TaskView(task, state, due, overdue))
        return views

    def update_task(self, code: str, **changes: Any) -> RoadmapState:
        if code not in {t.code for t in self.template.roadmap}:
            raise KeyError(code)
        unknown = set(changes) - set(ROADMAP_FIELDS)
        if unknown:
            raise TypeError(f"unknown roadmap fields: {sorted(unknown)}")
        old = self.store.roadmap_states().get(code) or RoadmapState(code)
        if "status" in changes:
            changes["status"] = ItemStatus(changes["status"])
        for name in ("order_number", "comment"):
            if name in changes:
                changes[name] = (changes[name] or "").strip()
        new = dataclasses.replace(old, **changes)
        today = self.checklist.today()
        if new.status is ItemStatus.DONE and new.done_on is None:
            new = dataclasses.replace(new, done_on=today)
        if new.status is not ItemStatus.DONE and "done_on" not in changes:
            new = dataclasses.replace(new, done_on=None)
        if new.done_on is not None and new.done_on > today:
            raise ValidationError("done_on", "future_date", new.done_on.isoformat())
        history = self._history(code, old, new, ROADMAP_FIELDS)
        if history:
            self.store.save_roadmap(new, history)
        return new

    # --- indicators ----------------------------------------------------------------------
    def indicator_year(self) -> int:
        profile = self.checklist.profile()
        return profile.campaign_year if profile else self.template.year

    def indicators(self, year: int | None = None) -> list[IndicatorRow]:
        year = year or self.indicator_year()
        targets = self.store.indicator_targets(year)
        values = self.store.indicator_values(year)
        rows = []
        for indicator in self.template.indicators:
            by_quarter = {q: v for (code, q), v in values.items() if code == indicator.code}
            target = targets.get(indicator.code, indicator.target)
            rows.append(IndicatorRow(indicator, year, target, by_quarter))
        return rows

    def _indicator(self, code: str) -> Indicator:
        for indicator in self.template.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(code)

    def _check_amount(self, indicator: Indicator, value: float, field: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise ValidationError(field, "not_a_number", str(value))
        if value < 0:
            raise ValidationError(field, "negative", f"{value:g}")
        if indicator.unit == "%" and value > 100:
            raise ValidationError(field, "percent_range", f"{value:g}")
        if indicator.unit in ("чел.", "ед.") and value != int(value):
            raise ValidationError(field, "whole_number", f"{value:g}")
        profile = self.checklist.profile()
        if indicator.unit == "чел." and profile is not None and value > profile.pupils:
            raise ValidationError(field, "above_pupils", f"{value:g} > {profile.pupils}")
        return float(value)

    def set_indicator_value(
        self, code: str, year: int, quarter: int, value: float, note: str = ""
    ) -> IndicatorValue:
        indicator = self._indicator(code)
        if quarter not in (1, 2, 3, 4):
            raise ValidationError("quarter", "bad_quarter", str(quarter))
        amount = self._check_amount(indicator, value, "indicator_value")
        old = self.store.indicator_values(year).get((code, quarter))
        new = IndicatorValue(code, year, quarter, amount, note.strip())
        history = self._history(f"{code}/{year}-Q{quarter}", old, new, ("value", "note"))
        if history:
            self.store.save_indicator_value(new, history)
        return new

    def set_indicator_target(self, code: str, year: int, target: float) -> float:
        indicator = self._indicator(code)
        amount = self._check_amount(indicator, target, "indicator_target")
        old = self.store.indicator_targets(year).get(code, indicator.target)
        if old != amount:
            entry = HistoryEntry(
                self._now(), f"{code}/{year}", "target", format_value(old), format_value(amount)
            )
            self.store.save_indicator_target(code, year, amount, [entry])
        return amount

    # --- evidence of registers -----------------------------------------------------------
    def attach(
        self,
        subject: str,
        paths: Sequence[Path],
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> AttachResult:
        return self.checklist.attach_to_subject(subject, paths, progress, cancelled)

    # --- summary -------------------------------------------------------------------------
    def summary(self, today: dt.date | None = None) -> RegisterSummary:
        units = self.store.units()
        positions = self.positions(units)
        rooms = self.store.rooms()
        brand_states = self.store.brand_states()
        brand = self.brand_items(rooms, brand_states)
        tasks = self.tasks(today)
        return RegisterSummary(
            planned=sum(p.planned for p in positions),
            delivered=sum(p.state.delivered for p in positions),
            installed=sum(p.state.installed for p in positions),
            in_use=sum(p.state.in_use for p in positions),
            discrepancies=len(self.discrepancies(positions, units)),
            rooms_ready=sum(self.room_ready(r, brand_states) for r in rooms),
            rooms_total=len(rooms),
            brand_done=sum(i.state.status in CLOSED_STATUSES for i in brand),
            brand_total=len(brand),
            roadmap_overdue=sum(t.overdue for t in tasks),
            roadmap_total=len(tasks),
            indicators=tuple(self.indicators()),
        )


@dataclass(frozen=True)
class Center:
    """Everything the application works on for one center."""

    checklist: Checklist
    registers: Registers
    outbox_store: OutboxStore | None = None  # the report packages made (core/outbox.py)
    backup_database: Any = None  # core.backup.BackupDatabase: full backups and restore
