"""One frozen snapshot of the center for documents: the printed checklist, the readiness report,
the quarterly indicators report and the XLSX workbook all read this, never the store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from core import APP_VERSION
from core.checklist import utc_now
from core.model import (
    CenterProfile,
    EquipmentUnit,
    EvidenceKind,
    ItemStatus,
    Readiness,
    Room,
)
from core.readiness import CLOSED_STATUSES
from core.registers import (
    BrandItem,
    Center,
    Discrepancy,
    IndicatorRow,
    PositionView,
    RegisterSummary,
    TaskView,
)


@dataclass(frozen=True)
class ChecklistRow:
    section_code: str
    section_title: str
    code: str
    title: str
    done_when: str
    evidence: EvidenceKind
    role: str
    due: dt.date
    status: ItemStatus
    responsible: str
    completed_on: dt.date | None
    comment: str
    not_required_reason: str
    overdue: bool

    @property
    def open(self) -> bool:
        return self.status not in CLOSED_STATUSES


@dataclass(frozen=True)
class EvidenceRef:
    subject: str  # checklist code, EQ-01, room/3/before, brand/room/3/door_sign...
    original_name: str
    kind: EvidenceKind
    path: Path  # the stored file: writers downscale photos, never embed them whole
    sha256: str
    taken_at: dt.datetime | None
    added_at: dt.datetime


@dataclass(frozen=True)
class ReportSnapshot:
    generated_at: dt.datetime  # aware, UTC
    today: dt.date
    app_version: str
    template_id: str
    template_title: str
    template_version: str
    profile: CenterProfile | None
    readiness: Readiness
    checklist: tuple[ChecklistRow, ...]
    evidence: tuple[EvidenceRef, ...]
    positions: tuple[PositionView, ...]
    units: tuple[EquipmentUnit, ...]
    discrepancies: tuple[Discrepancy, ...]
    rooms: tuple[Room, ...]
    room_ready: dict[int, bool]
    zone_titles: dict[str, str]
    brand: tuple[BrandItem, ...]
    tasks: tuple[TaskView, ...]
    indicators: tuple[IndicatorRow, ...]
    summary: RegisterSummary

    def evidence_of(self, subject: str) -> list[EvidenceRef]:
        return [e for e in self.evidence if e.subject == subject]

    def room_name(self, room_id: int | None) -> str:
        for room in self.rooms:
            if room.id == room_id:
                return f"{room.number} {room.name}"
        return ""


def take_snapshot(center: Center, today: dt.date | None = None) -> ReportSnapshot:
    checklist, registers = center.checklist, center.registers
    template = checklist.template
    today = today or checklist.today()
    states = checklist.states()
    readiness = checklist.readiness(today)
    overdue = set(readiness.overdue_codes)
    rows = []
    for section in template.sections:
        for item in section.items:
            state = states[item.code]
            rows.append(
                ChecklistRow(
                    section_code=section.code,
                    section_title=section.title,
                    code=item.code,
                    title=item.title,
                    done_when=item.done_when,
                    evidence=item.evidence,
                    role=item.role,
                    due=checklist.due_date(item, state),
                    status=state.status,
                    responsible=state.responsible,
                    completed_on=state.completed_on,
                    comment=state.comment,
                    not_required_reason=state.not_required_reason,
                    overdue=item.code in overdue,
                )
            )
    evidence = tuple(
        EvidenceRef(
            subject=e.item_code,
            original_name=e.original_name,
            kind=e.kind,
            path=checklist.evidence_path(e),
            sha256=e.sha256,
            taken_at=e.taken_at,
            added_at=e.added_at,
        )
        for e in checklist.store.all_evidence()
    )
    units = registers.units()
    positions = registers.positions(units)
    rooms = registers.rooms()
    brand_states = registers.store.brand_states()
    return ReportSnapshot(
        generated_at=utc_now(),
        today=today,
        app_version=APP_VERSION,
        template_id=template.id,
        template_title=template.title,
        template_version=template.version,
        profile=checklist.profile(),
        readiness=readiness,
        checklist=tuple(rows),
        evidence=evidence,
        positions=tuple(positions),
        units=tuple(units),
        discrepancies=tuple(registers.discrepancies(positions, units)),
        rooms=tuple(rooms),
        room_ready={r.id: registers.room_ready(r, brand_states) for r in rooms},
        zone_titles={z.code: z.title for z in template.zone_types},
        brand=tuple(registers.brand_items(rooms, brand_states)),
        tasks=tuple(registers.tasks(today)),
        indicators=tuple(registers.indicators()),
        summary=registers.summary(today),
    )
