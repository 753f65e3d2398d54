"""SQLAlchemy models. The schema changes only through Alembic (storage/migrations)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProfileRow(Base):
    __tablename__ = "profile"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1: one center per DB
    school_full_name: Mapped[str] = mapped_column(Text)
    school_short_name: Mapped[str] = mapped_column(Text)
    inn: Mapped[str] = mapped_column(String(12))
    municipality: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    director: Mapped[str] = mapped_column(Text)
    center_head: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(Text)
    pupils: Mapped[int] = mapped_column(Integer)
    campaign_year: Mapped[int] = mapped_column(Integer)
    opening_date: Mapped[dt.date] = mapped_column(Date)


class ItemStateRow(Base):
    __tablename__ = "item_state"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    not_required_reason: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[str] = mapped_column(Text, default="")
    due_override: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    completed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class EvidenceRow(Base):
    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("item_code", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # the subject: a checklist code, EQ-01, EQ-01/act, room/3/before, brand/room/3/door_sign...
    item_code: Mapped[str] = mapped_column(String(96), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    original_name: Mapped[str] = mapped_column(Text)
    stored_name: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime)


class HistoryRow(Base):
    __tablename__ = "history"
    __table_args__ = (Index("ix_history_item_code_at", "item_code", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, stored naive
    item_code: Mapped[str | None] = mapped_column(String(96), nullable=True)
    field: Mapped[str] = mapped_column(String(64))
    old: Mapped[str] = mapped_column(Text, default="")
    new: Mapped[str] = mapped_column(Text, default="")


class SettingRow(Base):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# --- registers: equipment, rooms, brand style, roadmap, indicators ------------------------


class PositionRow(Base):
    __tablename__ = "equipment_position"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    planned: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: template's
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    installed: Mapped[int] = mapped_column(Integer, default=0)
    in_use: Mapped[int] = mapped_column(Integer, default=0)
    supplier: Mapped[str] = mapped_column(Text, default="")
    contract_number: Mapped[str] = mapped_column(Text, default="")
    contract_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    delivery_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    act_number: Mapped[str] = mapped_column(Text, default="")
    act_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class RoomRow(Base):
    __tablename__ = "room"
    # ids are never reused: history and photos are keyed by room/<id>
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(Text)
    zone_type: Mapped[str] = mapped_column(String(64))
    floor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    area: Mapped[float | None] = mapped_column(Float, nullable=True)
    repair_status: Mapped[str] = mapped_column(String(16), default="not_started")
    comment: Mapped[str] = mapped_column(Text, default="")


class UnitRow(Base):
    __tablename__ = "equipment_unit"
    __table_args__ = {"sqlite_autoincrement": True}  # history is keyed by unit/<id>

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position_code: Mapped[str] = mapped_column(String(16), index=True)
    inventory_number: Mapped[str] = mapped_column(Text, default="")
    serial_number: Mapped[str] = mapped_column(Text, default="")
    room_id: Mapped[int | None] = mapped_column(
        ForeignKey("room.id", ondelete="SET NULL"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="stored")
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batch.id", ondelete="SET NULL"), nullable=True
    )


class BrandStateRow(Base):
    __tablename__ = "brand_state"

    key: Mapped[str] = mapped_column(String(96), primary_key=True)  # building/CODE, room/ID/CODE
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    comment: Mapped[str] = mapped_column(Text, default="")


class RoadmapStateRow(Base):
    __tablename__ = "roadmap_state"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    due_override: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    done_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    order_number: Mapped[str] = mapped_column(Text, default="")
    order_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")


class IndicatorTargetRow(Base):
    __tablename__ = "indicator_target"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[float] = mapped_column(Float)


class IndicatorValueRow(Base):
    __tablename__ = "indicator_value"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")


class ImportBatchRow(Base):
    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    file_name: Mapped[str] = mapped_column(Text)
    positions_before: Mapped[str] = mapped_column(Text)  # JSON: the rows it changed, as they were
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


# --- the outbox of report packages ---------------------------------------------------------


class PackageRow(Base):
    __tablename__ = "package"
    __table_args__ = (UniqueConstraint("period", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[str] = mapped_column(String(36), unique=True)
    period: Mapped[str] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(Integer)
    supersedes: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    key_id: Mapped[str] = mapped_column(String(16))
    photo_step: Mapped[str] = mapped_column(Text, default="")
    written_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    written_to: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    sent_to: Mapped[str] = mapped_column(Text, default="")
    send_queued: Mapped[int] = mapped_column(Integer, default=0)
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    receipt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    receipt_status: Mapped[str] = mapped_column(String(16), default="")
    receipt_comment: Mapped[str] = mapped_column(Text, default="")


class PackagePartRow(Base):
    __tablename__ = "package_part"

    package_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("package.package_id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    mailed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
