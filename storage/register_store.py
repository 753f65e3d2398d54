"""The RegisterStore of core/ over SQLite: equipment, rooms, brand style, roadmap, indicators.
ORM rows stay here; callers get core's dataclasses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.model import (
    POSITION_FIELDS,
    BrandState,
    EquipmentUnit,
    HistoryEntry,
    ImportBatch,
    IndicatorValue,
    ItemStatus,
    PositionState,
    RoadmapState,
    Room,
    UnitStatus,
)
from storage.db import db_errors
from storage.models import (
    BrandStateRow,
    ImportBatchRow,
    IndicatorTargetRow,
    IndicatorValueRow,
    PositionRow,
    RoadmapStateRow,
    RoomRow,
    UnitRow,
)
from storage.sqlite_store import SqliteStore, from_db_time, history_rows, to_db_time, upsert


def _position(row: PositionRow) -> PositionState:
    return PositionState(code=row.code, **{f: getattr(row, f) for f in POSITION_FIELDS})


def _unit(row: UnitRow) -> EquipmentUnit:
    return EquipmentUnit(
        id=row.id,
        position_code=row.position_code,
        inventory_number=row.inventory_number,
        serial_number=row.serial_number,
        room_id=row.room_id,
        status=UnitStatus(row.status),
        import_batch_id=row.import_batch_id,
    )


def _room(row: RoomRow) -> Room:
    return Room(
        id=row.id,
        number=row.number,
        name=row.name,
        zone_type=row.zone_type,
        floor=row.floor,
        area=row.area,
        repair_status=ItemStatus(row.repair_status),
        comment=row.comment,
    )


def _position_json(state: PositionState) -> dict[str, Any]:
    data = dataclasses.asdict(state)
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}


def _position_from_json(data: dict[str, Any]) -> PositionState:
    dates = ("contract_date", "delivery_date", "act_date")
    fields: dict[str, Any] = {
        k: dt.date.fromisoformat(v) if k in dates and v else v for k, v in data.items()
    }
    return PositionState(**fields)


def _with_subject(history: Sequence[HistoryEntry], placeholder: str, subject: str) -> list[Any]:
    """History written before the new row had its id names it once the id is known."""
    return history_rows(
        [
            dataclasses.replace(h, item_code=subject) if h.item_code == placeholder else h
            for h in history
        ]
    )


class SqliteRegisterStore(SqliteStore):
    # --- equipment -----------------------------------------------------------------------
    def position_states(self) -> dict[str, PositionState]:
        with db_errors(self.path), self._session() as s:
            return {row.code: _position(row) for row in s.scalars(select(PositionRow))}

    @staticmethod
    def _write_position(s: Session, state: PositionState) -> None:
        upsert(
            s, PositionRow, {"code": state.code}, **{f: getattr(state, f) for f in POSITION_FIELDS}
        )

    def save_position(self, state: PositionState, history: Sequence[HistoryEntry]) -> None:
        with db_errors(self.path), self._session() as s, s.begin():
            self._write_position(s, state)
            s.add_all(history_rows(history))

    def units(
        self, position_code: str | None = None, room_id: int | None = None
    ) -> list[EquipmentUnit]:
        # plain rows, not ORM instances: thousands of units load several times faster
        query = select(
            UnitRow.id,
            UnitRow.position_code,
            UnitRow.inventory_number,
            UnitRow.serial_number,
            UnitRow.room_id,
            UnitRow.status,
            UnitRow.import_batch_id,
        ).order_by(UnitRow.id)
        if position_code is not None:
            query = query.where(UnitRow.position_code == position_code)
        if room_id is not None:
            query = query.where(UnitRow.room_id == room_id)
        with db_errors(self.path), self._session() as s:
            return [
                EquipmentUnit(
                    id=r.id,
                    position_code=r.position_code,
                    inventory_number=r.inventory_number,
                    serial_number=r.serial_number,
                    room_id=r.room_id,
                    status=UnitStatus(r.status),
                    import_batch_id=r.import_batch_id,
                )
                for r in s.execute(query)
            ]

    def add_unit(self, unit: EquipmentUnit, history: Sequence[HistoryEntry]) -> EquipmentUnit:
        with db_errors(self.path), self._session() as s, s.begin():
            row = self._new_unit_row(unit)
            s.add(row)
            s.flush()
            s.add_all(_with_subject(history, "unit/new", f"unit/{row.id}"))
            return _unit(row)

    @staticmethod
    def _new_unit_row(unit: EquipmentUnit) -> UnitRow:
        return UnitRow(
            position_code=unit.position_code,
            inventory_number=unit.inventory_number,
            serial_number=unit.serial_number,
            room_id=unit.room_id,
            status=unit.status.value,
            import_batch_id=unit.import_batch_id,
        )

    def save_unit(self, unit: EquipmentUnit, history: Sequence[HistoryEntry]) -> None:
        with db_errors(self.path), self._session() as s, s.begin():
            row = s.get(UnitRow, unit.id)
            if row is None:
                raise KeyError(unit.id)
            row.inventory_number = unit.inventory_number
            row.serial_number = unit.serial_number
            row.room_id = unit.room_id
            row.status = unit.status.value
            s.add_all(history_rows(history))

    def remove_unit(self, unit_id: int, history: Sequence[HistoryEntry]) -> None:
        with db_errors(self.path), self._session() as s, s.begin():
            s.execute(delete(UnitRow).where(UnitRow.id == unit_id))
            s.add_all(history_rows(history))

    # --- rooms ---------------------------------------------------------------------------
    def rooms(self) -> list[Room]:
        with db_errors(self.path), self._session() as s:
            return [_room(r) for r in s.scalars(select(RoomRow).order_by(RoomRow.id))]

    def add_room(self, room: Room, history: Sequence[HistoryEntry]) -> Room:
        with db_errors(self.path), self._session() as s, s.begin():
            row = RoomRow()
            self._fill_room(row, room)
            s.add(row)
            s.flush()
            s.add_all(_with_subject(history, "room/new", f"room/{row.id}"))
            return _room(row)

    @staticmethod
    def _fill_room(row: RoomRow, room: Room) -> None:
        row.number = room.number
        row.name = room.name
        row.zone_type = room.zone_type
        row.floor = room.floor
        row.area = room.area
        row.repair_status = room.repair_status.value
        row.comment = room.comment

    def save_room(self, room: Room, history: Sequence[HistoryEntry]) -> None:
        with db_errors(self.path), self._session() as s, s.begin():
            row = s.get(RoomRow, room.id)
            if row is None:
                raise KeyError(room.id)
            self._fill_room(row, room)
            s.add_all(history_rows(history))

    def remove_room(self, room_id: int, history: Sequence[HistoryEntry]) -> None:
        """Units placed there lose their room (they are not lost); its brand states go."""
        with db_errors(self.path), self._session() as s, s.begin():
            s.execute(update(UnitRow).where(UnitRow.room_id == room_id).values(room_id=None))
            s.execute(delete(BrandStateRow).where(BrandStateRow.key.like(f"room/{room_id}/%")))
            s.execute(delete(RoomRow).where(RoomRow.id == room_id))
            s.add_all(history_rows(history))

    # --- brand style ---------------------------------------------------------------------
    def brand_states(self) -> dict[str, BrandState]:
        with db_errors(self.path), self._session() as s:
            return {
                r.key: BrandState(r.key, ItemStatus(r.status), r.comment)
                for r in s.scalars(select(BrandStateRow))
            }

    def save_brand(self, state: BrandState, history: Sequence[HistoryEntry]) -> None:
        with db_errors(self.path), self._session() as s, s.begin():
            upsert(
                s,
                BrandStateRow,
                {"key": state.key},
                status=state.status.value,
                comment=state.comment,
            )
            s.add_all(history_rows(history))

    # --- roadmap -------------------------------------------------------------------------
    def roadmap_states(self) -> dict[str, RoadmapState]:
        with db_errors(self.path), self._session() as s:
            return {
                r.code: RoadmapState(
                    code=r.code,
                    status=ItemStatus(r.status),
                    due_override=r.due_override,
                    done_on=r.done_on,
                    order_number=r.order_number,
                    order_date=r.order_date,
                    comment=r.comment,
                )
                for r in s.scalars(select(RoadmapStateRow))
            }

    def save_roadmap(self, state: RoadmapState, history: Sequence[HistoryEntry]) -> None:
        with db_errors(self.path), self._session() as s, s.begin():
            upsert(
                s,
                RoadmapStateRow,
                {"code": state.code},
                status=state.status.value,
                due_override=state.due_override,
                done_on=state.done_on,
                order_number=state.order_number,
                order_date=state.order_date,
                comment=state.comment,
            )
            s.add_all(history_rows(history))

    # --- indicators ----------------------------------------------------------------------
    def indicator_targets(self, year: int) -> dict[str, float]:
        with db_errors(self.path), self._session() as s:
            rows = s.scalars(select(IndicatorTargetRow).where(IndicatorTargetRow.year == year))
            return {r.code: r.target for r in rows}

    def save_indicator_target(
        self, code: str, year: int, target: float, history: Sequence[HistoryEntry]
    ) -> None:
        with db_errors(self.path), self._session() as s, s.begin():
            upsert(s, IndicatorTargetRow, {"code": code, "year": year}, target=target)
            s.add_all(history_rows(history))

    def indicator_values(self, year: int) -> dict[tuple[str, int], IndicatorValue]:
        with db_errors(self.path), self._session() as s:
            rows = s.scalars(select(IndicatorValueRow).where(IndicatorValueRow.year == year))
            return {
                (r.code, r.quarter): IndicatorValue(r.code, r.year, r.quarter, r.value, r.note)
                for r in rows
            }

    def save_indicator_value(self, value: IndicatorValue, history: Sequence[HistoryEntry]) -> None:
        with db_errors(self.path), self._session() as s, s.begin():
            key = {"code": value.code, "year": value.year, "quarter": value.quarter}
            upsert(s, IndicatorValueRow, key, value=value.value, note=value.note)
            s.add_all(history_rows(history))

    # --- delivery import -----------------------------------------------------------------
    def apply_delivery(
        self,
        file_name: str,
        positions: Sequence[PositionState],
        before: Sequence[PositionState],
        units: Sequence[EquipmentUnit],
        history: Sequence[HistoryEntry],
    ) -> int:
        """All or nothing: one transaction for the positions, the units and the history."""
        with db_errors(self.path), self._session() as s, s.begin():
            batch = ImportBatchRow(
                at=to_db_time(dt.datetime.now(dt.UTC)),
                file_name=file_name,
                positions_before=json.dumps(
                    [_position_json(p) for p in before], ensure_ascii=False
                ),
            )
            s.add(batch)
            s.flush()
            for state in positions:
                self._write_position(s, state)
            for unit in units:
                row = self._new_unit_row(unit)
                row.import_batch_id = batch.id
                s.add(row)
            s.add_all(history_rows(history))
            return batch.id

    def undo_delivery(self, batch_id: int, history: Sequence[HistoryEntry]) -> None:
        with db_errors(self.path), self._session() as s, s.begin():
            batch = s.get(ImportBatchRow, batch_id)
            if batch is None or batch.undone_at is not None:
                raise KeyError(batch_id)
            for data in json.loads(batch.positions_before):
                self._write_position(s, _position_from_json(data))
            s.execute(delete(UnitRow).where(UnitRow.import_batch_id == batch_id))
            batch.undone_at = to_db_time(dt.datetime.now(dt.UTC))
            s.add_all(history_rows(history))

    def last_import(self) -> ImportBatch | None:
        with db_errors(self.path), self._session() as s:
            row = s.scalars(select(ImportBatchRow).order_by(ImportBatchRow.id.desc())).first()
            if row is None:
                return None
            return ImportBatch(
                id=row.id,
                at=from_db_time(row.at),
                file_name=row.file_name,
                undone_at=from_db_time(row.undone_at) if row.undone_at else None,
            )
