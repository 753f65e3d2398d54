"""Domain values: the template, the center profile, the state of checklist items, evidence and
the audit history. Plain frozen dataclasses that cross threads and layers safely."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class ItemStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_REQUIRED = "not_required"


class EvidenceKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"
    NONE = "none"


@dataclass(frozen=True)
class TemplateItem:
    code: str
    section_code: str
    title: str
    done_when: str
    evidence: EvidenceKind
    due: dt.date
    role: str


@dataclass(frozen=True)
class TemplateSection:
    code: str
    title: str
    items: tuple[TemplateItem, ...]


@dataclass(frozen=True)
class Template:
    id: str
    title: str
    region: str
    year: int
    version: str
    roles: tuple[str, ...]
    sections: tuple[TemplateSection, ...]
    equipment_sections: tuple[str, ...] = ()
    equipment: tuple[EquipmentPosition, ...] = ()
    zone_types: tuple[ZoneType, ...] = ()
    brand_elements: tuple[BrandElement, ...] = ()
    roadmap: tuple[RoadmapTask, ...] = ()
    indicators: tuple[Indicator, ...] = ()

    def items(self) -> list[TemplateItem]:
        return [item for section in self.sections for item in section.items]

    def item(self, code: str) -> TemplateItem:
        for section in self.sections:
            for item in section.items:
                if item.code == code:
                    return item
        raise KeyError(code)

    def section(self, code: str) -> TemplateSection:
        for section in self.sections:
            if section.code == code:
                return section
        raise KeyError(code)


@dataclass(frozen=True)
class CenterProfile:
    school_full_name: str
    school_short_name: str
    inn: str
    municipality: str
    address: str
    director: str
    center_head: str
    phone: str
    email: str
    pupils: int
    campaign_year: int
    opening_date: dt.date


PROFILE_FIELDS: tuple[str, ...] = tuple(CenterProfile.__dataclass_fields__)


@dataclass(frozen=True)
class ItemState:
    """What the school recorded about one template item. An item never touched is
    ItemState(code) with every field at its default."""

    code: str
    status: ItemStatus = ItemStatus.NOT_STARTED
    not_required_reason: str = ""
    responsible: str = ""
    due_override: dt.date | None = None
    comment: str = ""
    completed_on: dt.date | None = None


# The fields of ItemState a user edits, in the order the history shows them.
ITEM_FIELDS: tuple[str, ...] = (
    "status",
    "not_required_reason",
    "responsible",
    "due_override",
    "comment",
    "completed_on",
)


@dataclass(frozen=True)
class Evidence:
    id: int
    item_code: str
    sha256: str
    kind: EvidenceKind
    original_name: str
    stored_name: str  # path relative to the evidence folder, e.g. "ab/ab12...ef.jpg"
    size: int
    taken_at: dt.datetime | None
    added_at: dt.datetime


@dataclass(frozen=True)
class NewEvidence:
    """Evidence about to be recorded (no id yet)."""

    item_code: str
    sha256: str
    kind: EvidenceKind
    original_name: str
    stored_name: str
    size: int
    taken_at: dt.datetime | None


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    item_code: str | None  # None for changes to the profile
    field: str
    old: str
    new: str
    id: int | None = None


@dataclass(frozen=True)
class SectionReadiness:
    code: str
    title: str
    done: int
    applicable: int  # items that count: all but «не требуется»
    total: int
    overdue: int

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.applicable if self.applicable else 100.0


@dataclass(frozen=True)
class Readiness:
    sections: tuple[SectionReadiness, ...]
    overdue_codes: tuple[str, ...]
    days_until_opening: int | None
    today: dt.date
    by_status: dict[ItemStatus, int] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return sum(s.done for s in self.sections)

    @property
    def applicable(self) -> int:
        return sum(s.applicable for s in self.sections)

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.applicable if self.applicable else 100.0


# --- issue 3: equipment, rooms, brand style, roadmap, indicators -------------------------


@dataclass(frozen=True)
class EquipmentPosition:
    """A position of the infrastructure list (template data)."""

    code: str  # EQ-01
    section: str  # физика, химия, биология, робототехника, ИТ, ОБЖ, мебель
    name: str
    unit: str  # шт., компл., набор
    planned: int
    checklist_item: str | None = None  # the checklist item it belongs to, e.g. EQP-01


@dataclass(frozen=True)
class ZoneType:
    code: str  # physics
    title: str  # кабинет физики
    brand: tuple[str, ...]  # codes of the brand elements a room of this type needs


class BrandScope(StrEnum):
    BUILDING = "building"
    ROOM = "room"


@dataclass(frozen=True)
class BrandElement:
    code: str  # entrance_sign
    title: str
    scope: BrandScope
    text: str = ""  # standard text, e.g. for the school site section


@dataclass(frozen=True)
class RoadmapTask:
    code: str  # RM-01
    name: str
    responsible: str
    result: str
    due: dt.date
    documents: str = ""
    quarterly_report: bool = False  # a quarterly monitoring deadline of the regional order


@dataclass(frozen=True)
class Indicator:
    code: str  # IND-01
    name: str
    unit: str  # чел. | % | ед.
    target: float  # per year


class UnitStatus(StrEnum):
    STORED = "stored"  # на складе
    INSTALLED = "installed"  # установлено
    IN_USE = "in_use"  # введено в эксплуатацию
    FAULTY = "faulty"  # неисправно
    WRITTEN_OFF = "written_off"  # списано


@dataclass(frozen=True)
class PositionState:
    """What the school recorded about one position of the infrastructure list."""

    code: str
    planned: int | None = None  # None: the template's typical quantity
    delivered: int = 0
    installed: int = 0
    in_use: int = 0
    supplier: str = ""
    contract_number: str = ""
    contract_date: dt.date | None = None
    delivery_date: dt.date | None = None
    act_number: str = ""
    act_date: dt.date | None = None


POSITION_FIELDS: tuple[str, ...] = tuple(PositionState.__dataclass_fields__)[1:]


@dataclass(frozen=True)
class EquipmentUnit:
    id: int  # 0 until stored
    position_code: str
    inventory_number: str = ""
    serial_number: str = ""
    room_id: int | None = None
    status: UnitStatus = UnitStatus.STORED
    import_batch_id: int | None = None


UNIT_FIELDS = ("inventory_number", "serial_number", "room_id", "status")


@dataclass(frozen=True)
class Room:
    id: int  # 0 until stored
    number: str
    name: str
    zone_type: str
    floor: int | None = None
    area: float | None = None
    repair_status: ItemStatus = ItemStatus.NOT_STARTED
    comment: str = ""


ROOM_FIELDS = ("number", "name", "zone_type", "floor", "area", "repair_status", "comment")


@dataclass(frozen=True)
class BrandState:
    key: str  # building/CODE or room/ID/CODE
    status: ItemStatus = ItemStatus.NOT_STARTED
    comment: str = ""


@dataclass(frozen=True)
class RoadmapState:
    code: str
    status: ItemStatus = ItemStatus.NOT_STARTED
    due_override: dt.date | None = None
    done_on: dt.date | None = None
    order_number: str = ""
    order_date: dt.date | None = None
    comment: str = ""


ROADMAP_FIELDS = ("status", "due_override", "done_on", "order_number", "order_date", "comment")


@dataclass(frozen=True)
class IndicatorValue:
    code: str
    year: int
    quarter: int  # 1..4
    value: float
    note: str = ""


@dataclass(frozen=True)
class ImportBatch:
    id: int
    at: dt.datetime
    file_name: str
    undone_at: dt.datetime | None


# --- the outbox: report packages made, written, sent, confirmed -----------------------------


class PackageStatus(StrEnum):
    PREPARED = "prepared"  # made and kept in the outbox
    WRITTEN = "written"  # copied to a folder or a removable drive and read back
    SENT = "sent"  # every part accepted by the mail server
    CONFIRMED = "confirmed"  # a signed receipt of the region says accepted
    REJECTED = "rejected"  # a signed receipt of the region says rejected


@dataclass(frozen=True)
class PackagePart:
    number: int  # 1..n
    file_name: str
    size: int
    sha256: str
    mailed_at: dt.datetime | None = None  # accepted by the SMTP server: never mailed twice


@dataclass(frozen=True)
class OutboxPackage:
    package_id: str  # UUID4, External-Identifier of the bag
    period: str  # "2027-Q2" or an ISO date for «готовность на дату»
    sequence: int  # 1, 2, ... per period; a higher number supersedes a lower one
    supersedes: str | None
    created_at: dt.datetime  # aware, UTC
    key_id: str
    parts: tuple[PackagePart, ...]
    photo_step: str = ""  # how photos were shrunk, e.g. "1280 px, 78 %"; "" = none was needed
    written_at: dt.datetime | None = None
    written_to: str = ""
    sent_at: dt.datetime | None = None
    sent_to: str = ""
    send_queued: bool = False  # «отправить, когда появится сеть»
    send_attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    last_error: str = ""
    receipt_at: dt.datetime | None = None
    receipt_status: str = ""  # "accepted" | "rejected"
    receipt_comment: str = ""
    id: int | None = None

    @property
    def size(self) -> int:
        return sum(part.size for part in self.parts)

    @property
    def status(self) -> PackageStatus:
        if self.receipt_at is not None:
            if self.receipt_status == "rejected":
                return PackageStatus.REJECTED
            return PackageStatus.CONFIRMED
        if self.sent_at is not None:
            return PackageStatus.SENT
        if self.written_at is not None:
            return PackageStatus.WRITTEN
        return PackageStatus.PREPARED
