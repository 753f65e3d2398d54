"""The ChecklistStore of core/, over SQLite. ORM rows never leave this module: callers get
core's dataclasses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.model import (
    PROFILE_FIELDS,
    CenterProfile,
    Evidence,
    EvidenceKind,
    HistoryEntry,
    ItemState,
    ItemStatus,
    NewEvidence,
)
from storage.db import db_errors
from storage.models import EvidenceRow, HistoryRow, ItemStateRow, ProfileRow, SettingRow

PROFILE_ID = 1


def upsert(session: Session, model: type[Any], key: dict[str, Any], **values: Any) -> Any:
    """The row of model with this primary key, made if missing, with values set."""
    identity = tuple(key.values())
    row = session.get(model, identity if len(identity) > 1 else identity[0])
    if row is None:
        row = model(**key)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    return row


class SqliteStore:
    """What both stores share: the engine, the file (for error messages), a session factory."""

    def __init__(self, engine: Engine, path: Path) -> None:
        self.engine = engine
        self.path = path
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def _session(self) -> Session:
        return self._sessions()

    def close(self) -> None:
        self.engine.dispose()


def history_rows(entries: Sequence[HistoryEntry]) -> list[HistoryRow]:
    return [
        HistoryRow(at=to_db_time(e.at), item_code=e.item_code, field=e.field, old=e.old, new=e.new)
        for e in entries
    ]


def to_db_time(value: dt.datetime) -> dt.datetime:
    """Stored as naive UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None)


def from_db_time(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC)


class SqliteChecklistStore(SqliteStore):
    # --- profile -------------------------------------------------------------------------
    def get_profile(self) -> CenterProfile | None:
        with db_errors(self.path), self._session() as s:
            row = s.get(ProfileRow, PROFILE_ID)
            if row is None:
                return None
            return CenterProfile(**{name: getattr(row, name) for name in PROFILE_FIELDS})

    def save_profile(self, profile: CenterProfile, history: Sequence[HistoryEntry]) -> None:
        with db_errors(self.path), self._session() as s, s.begin():
            row = s.get(ProfileRow, PROFILE_ID)
            if row is None:
                row = ProfileRow(id=PROFILE_ID)
                s.add(row)
            for name in PROFILE_FIELDS:
                setattr(row, name, getattr(profile, name))
            s.add_all(history_rows(history))

    # --- items ---------------------------------------------------------------------------
    def item_states(self) -> dict[str, ItemState]:
        with db_errors(self.path), self._session() as s:
            return {row.code: self._state(row) for row in s.scalars(select(ItemStateRow))}

    @staticmethod
    def _state(row: ItemStateRow) -> ItemState:
        return ItemState(
            code=row.code,
            status=ItemStatus(row.status),
            not_required_reason=row.not_required_reason,
            responsible=row.responsible,
            due_override=row.due_override,
            comment=row.comment,
            completed_on=row.completed_on,
        )

    def save_item_state(self, state: ItemState, history: Sequence[HistoryEntry]) -> None:
        with db_errors(self.path), self._session() as s, s.begin():
            upsert(
                s,
                ItemStateRow,
                {"code": state.code},
                status=state.status.value,
                not_required_reason=state.not_required_reason,
                responsible=state.responsible,
                due_override=state.due_override,
                comment=state.comment,
                completed_on=state.completed_on,
                updated_at=to_db_time(dt.datetime.now(dt.UTC)),
            )
            s.add_all(history_rows(history))

    # --- evidence ------------------------------------------------------------------------
    @staticmethod
    def _evidence(row: EvidenceRow) -> Evidence:
        return Evidence(
            id=row.id,
            item_code=row.item_code,
            sha256=row.sha256,
            kind=EvidenceKind(row.kind),
            original_name=row.original_name,
            stored_name=row.stored_name,
            size=row.size,
            taken_at=row.taken_at,  # camera local time, as EXIF gives it
            added_at=from_db_time(row.added_at),
        )

    def add_evidence(self, evidence: NewEvidence, history: HistoryEntry) -> Evidence:
        with db_errors(self.path), self._session() as s, s.begin():
            row = EvidenceRow(
                item_code=evidence.item_code,
                sha256=evidence.sha256,
                kind=evidence.kind.value,
                original_name=evidence.original_name,
                stored_name=evidence.stored_name,
                size=evidence.size,
                taken_at=evidence.taken_at,
                added_at=to_db_time(history.at),
            )
            s.add(row)
            s.add_all(history_rows([history]))
            s.flush()
            return self._evidence(row)

    def remove_evidence(self, evidence_id: int, history: HistoryEntry) -> None:
        with db_errors(self.path), self._session() as s, s.begin():
            s.execute(delete(EvidenceRow).where(EvidenceRow.id == evidence_id))
            s.add_all(history_rows([history]))

    def get_evidence(self, evidence_id: int) -> Evidence | None:
        with db_errors(self.path), self._session() as s:
            row = s.get(EvidenceRow, evidence_id)
            return self._evidence(row) if row else None

    def evidence_for(self, item_code: str) -> list[Evidence]:
        with db_errors(self.path), self._session() as s:
            rows = s.scalars(
                select(EvidenceRow)
                .where(EvidenceRow.item_code == item_code)
                .order_by(EvidenceRow.added_at, EvidenceRow.id)
            )
            return [self._evidence(row) for row in rows]

    def all_evidence(self) -> list[Evidence]:
        with db_errors(self.path), self._session() as s:
            rows = s.scalars(select(EvidenceRow).order_by(EvidenceRow.id))
            return [self._evidence(row) for row in rows]

    def evidence_counts(self) -> dict[str, int]:
        with db_errors(self.path), self._session() as s:
            rows = s.execute(
                select(EvidenceRow.item_code, func.count()).group_by(EvidenceRow.item_code)
            )
            return {code: count for code, count in rows}

    # --- history -------------------------------------------------------------------------
    def history_for(self, item_code: str | None) -> list[HistoryEntry]:
        with db_errors(self.path), self._session() as s:
            query = select(HistoryRow).order_by(HistoryRow.at.desc(), HistoryRow.id.desc())
            if item_code is None:
                query = query.where(HistoryRow.item_code.is_(None))
            else:
                query = query.where(HistoryRow.item_code == item_code)
            return [
                HistoryEntry(
                    at=from_db_time(r.at),
                    item_code=r.item_code,
                    field=r.field,
                    old=r.old,
                    new=r.new,
                    id=r.id,
                )
                for r in s.scalars(query)
            ]

    def history_since(self, after: dt.datetime | None) -> list[HistoryEntry]:
        with db_errors(self.path), self._session() as s:
            query = select(HistoryRow).order_by(HistoryRow.at, HistoryRow.id)
            if after is not None:
                query = query.where(HistoryRow.at > to_db_time(after))
            return [
                HistoryEntry(
                    at=from_db_time(r.at),
                    item_code=r.item_code,
                    field=r.field,
                    old=r.old,
                    new=r.new,
                    id=r.id,
                )
                for r in s.scalars(query)
            ]

    # --- settings ------------------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        with db_errors(self.path), self._session() as s:
            row = s.get(SettingRow, key)
            return row.value if row else None

    def set_setting(self, key: str, value: str) -> None:
        with db_errors(self.path), self._session() as s, s.begin():
            upsert(s, SettingRow, {"key": key}, value=value)
