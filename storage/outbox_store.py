"""The OutboxStore of core/ over SQLite: report packages and their parts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from core.model import OutboxPackage, PackagePart
from storage.db import db_errors
from storage.models import PackagePartRow, PackageRow
from storage.sqlite_store import SqliteStore, from_db_time, to_db_time

_TIMES = ("created_at", "written_at", "sent_at", "next_attempt_at", "receipt_at")
_PLAIN = (
    "period",
    "sequence",
    "supersedes",
    "key_id",
    "photo_step",
    "written_to",
    "sent_to",
    "send_attempts",
    "last_error",
    "receipt_status",
    "receipt_comment",
)


def _time(value: dt.datetime | None) -> dt.datetime | None:
    return from_db_time(value) if value is not None else None


def _package(row: PackageRow, parts: list[PackagePartRow]) -> OutboxPackage:
    return OutboxPackage(
        id=row.id,
        package_id=row.package_id,
        period=row.period,
        sequence=row.sequence,
        supersedes=row.supersedes,
        created_at=from_db_time(row.created_at),
        key_id=row.key_id,
        photo_step=row.photo_step,
        written_at=_time(row.written_at),
        written_to=row.written_to,
        sent_at=_time(row.sent_at),
        sent_to=row.sent_to,
        send_queued=bool(row.send_queued),
        send_attempts=row.send_attempts,
        next_attempt_at=_time(row.next_attempt_at),
        last_error=row.last_error,
        receipt_at=_time(row.receipt_at),
        receipt_status=row.receipt_status,
        receipt_comment=row.receipt_comment,
        parts=tuple(
            PackagePart(
                number=p.number,
                file_name=p.file_name,
                size=p.size,
                sha256=p.sha256,
                mailed_at=_time(p.mailed_at),
            )
            for p in sorted(parts, key=lambda p: p.number)
        ),
    )


def _fill(row: PackageRow, package: OutboxPackage) -> None:
    for name in _PLAIN:
        setattr(row, name, getattr(package, name))
    for name in _TIMES:
        value = getattr(package, name)
        setattr(row, name, to_db_time(value) if value is not None else None)
    row.send_queued = int(package.send_queued)


def _part_rows(package: OutboxPackage) -> list[PackagePartRow]:
    return [
        PackagePartRow(
            package_id=package.package_id,
            number=p.number,
            file_name=p.file_name,
            size=p.size,
            sha256=p.sha256,
            mailed_at=to_db_time(p.mailed_at) if p.mailed_at else None,
        )
        for p in package.parts
    ]


class SqliteOutboxStore(SqliteStore):
    def packages(self) -> list[OutboxPackage]:
        with db_errors(self.path), self._session() as s:
            parts: dict[str, list[PackagePartRow]] = {}
            for part in s.scalars(select(PackagePartRow)):
                parts.setdefault(part.package_id, []).append(part)
            rows = s.scalars(select(PackageRow).order_by(PackageRow.created_at.desc()))
            return [_package(row, parts.get(row.package_id, [])) for row in rows]

    def add_package(self, package: OutboxPackage) -> OutboxPackage:
        with db_errors(self.path), self._session() as s, s.begin():
            row = PackageRow(package_id=package.package_id)
            _fill(row, package)
            s.add(row)
            s.flush()
            s.add_all(_part_rows(package))
            s.flush()
            return _package(row, _part_rows(package))

    def save_package(self, package: OutboxPackage) -> None:
        with db_errors(self.path), self._session() as s, s.begin():
            row = s.scalars(
                select(PackageRow).where(PackageRow.package_id == package.package_id)
            ).one()
            _fill(row, package)
            s.execute(delete(PackagePartRow).where(PackagePartRow.package_id == row.package_id))
            s.add_all(_part_rows(package))
