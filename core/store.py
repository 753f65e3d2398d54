"""What the domain needs from a store. storage/ implements it; main.py hands it in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from core.model import (
    BrandState,
    CenterProfile,
    EquipmentUnit,
    Evidence,
    HistoryEntry,
    ImportBatch,
    IndicatorValue,
    ItemState,
    NewEvidence,
    OutboxPackage,
    PositionState,
    RoadmapState,
    Room,
)


class ChecklistStore(Protocol):
    """Every write takes the history entries that describe it and records both in one
    transaction: the audit history never misses a change and never shows one that failed."""

    def get_profile(self) -> CenterProfile | None: ...

    def save_profile(self, profile: CenterProfile, history: Sequence[HistoryEntry]) -> None: ...

    def item_states(self) -> dict[str, ItemState]: ...

    def save_item_state(self, state: ItemState, history: Sequence[HistoryEntry]) -> None: ...

    def add_evidence(self, evidence: NewEvidence, history: HistoryEntry) -> Evidence: ...

    def remove_evidence(self, evidence_id: int, history: HistoryEntry) -> None: ...

    def get_evidence(self, evidence_id: int) -> Evidence | None: ...

    def evidence_for(self, item_code: str) -> list[Evidence]: ...

    def evidence_counts(self) -> dict[str, int]: ...

    def all_evidence(self) -> list[Evidence]: ...

    def history_for(self, item_code: str | None) -> list[HistoryEntry]: ...

    def history_since(self, after: dt.datetime | None) -> list[HistoryEntry]:
        """Every entry of every subject recorded after `after` (all when None), oldest first."""
        ...

    def get_setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str) -> None: ...


class RegisterStore(Protocol):
    """Equipment, rooms, brand style, roadmap and indicators. As above, every write records its
    history entries in the same transaction."""

    def position_states(self) -> dict[str, PositionState]: ...

    def save_position(self, state: PositionState, history: Sequence[HistoryEntry]) -> None: ...

    def units(
        self, position_code: str | None = None, room_id: int | None = None
    ) -> list[EquipmentUnit]: ...

    def add_unit(self, unit: EquipmentUnit, history: Sequence[HistoryEntry]) -> EquipmentUnit: ...

    def save_unit(self, unit: EquipmentUnit, history: Sequence[HistoryEntry]) -> None: ...

    def remove_unit(self, unit_id: int, history: Sequence[HistoryEntry]) -> None: ...

    def rooms(self) -> list[Room]: ...

    def add_room(self, room: Room, history: Sequence[HistoryEntry]) -> Room: ...

    def save_room(self, room: Room, history: Sequence[HistoryEntry]) -> None: ...

    def remove_room(self, room_id: int, history: Sequence[HistoryEntry]) -> None: ...

    def brand_states(self) -> dict[str, BrandState]: ...

    def save_brand(self, state: BrandState, history: Sequence[HistoryEntry]) -> None: ...

    def roadmap_states(self) -> dict[str, RoadmapState]: ...

    def save_roadmap(self, state: RoadmapState, history: Sequence[HistoryEntry]) -> None: ...

    def indicator_targets(self, year: int) -> dict[str, float]: ...

    def save_indicator_target(
        self, code: str, year: int, target: float, history: Sequence[HistoryEntry]
    ) -> None: ...

    def indicator_values(self, year: int) -> dict[tuple[str, int], IndicatorValue]: ...

    def save_indicator_value(
        self, value: IndicatorValue, history: Sequence[HistoryEntry]
    ) -> None: ...

    def apply_delivery(
        self,
        file_name: str,
        positions: Sequence[PositionState],
        before: Sequence[PositionState],
        units: Sequence[EquipmentUnit],
        history: Sequence[HistoryEntry],
    ) -> int: ...

    def undo_delivery(self, batch_id: int, history: Sequence[HistoryEntry]) -> None: ...

    def last_import(self) -> ImportBatch | None: ...


class OutboxStore(Protocol):
    """The report packages made, with their parts and where they went."""

    def packages(self) -> list[OutboxPackage]:
        """Newest first."""
        ...

    def add_package(self, package: OutboxPackage) -> OutboxPackage: ...

    def save_package(self, package: OutboxPackage) -> None:
        """Every field and part of an existing package (by package_id)."""
        ...
