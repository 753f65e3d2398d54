"""Use cases of the readiness checklist: the profile, item states, evidence and history."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import CancelledError, EvidenceError, TochkaError, ValidationError
from core.evidence import EvidenceFolder
from core.model import (
    ITEM_FIELDS,
    PROFILE_FIELDS,
    CenterProfile,
    Evidence,
    HistoryEntry,
    ItemState,
    ItemStatus,
    NewEvidence,
    Readiness,
    Template,
    TemplateItem,
)
from core.profile import validate_profile
from core.readiness import compute_readiness, effective_due
from core.store import ChecklistStore

Progress = Callable[[int, int], None]
Clock = Callable[[], dt.datetime]

TEMPLATE_ID_KEY = "template.id"
TEMPLATE_VERSION_KEY = "template.version"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def format_value(value: object) -> str:
    """How a field value is written in the history: machine-readable, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, ItemStatus):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass
class AttachResult:
    added: list[Evidence] = field(default_factory=list)
    failed: list[TochkaError] = field(default_factory=list)


class Checklist:
    def __init__(
        self,
        store: ChecklistStore,
        template: Template,
        evidence_folder: EvidenceFolder,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.template = template
        self.evidence_folder = evidence_folder
        self._clock = clock
        self._profile: CenterProfile | None = store.get_profile()
        self._record_template()

    def _record_template(self) -> None:
        if self.store.get_setting(TEMPLATE_ID_KEY) != self.template.id:
            self.store.set_setting(TEMPLATE_ID_KEY, self.template.id)
        if self.store.get_setting(TEMPLATE_VERSION_KEY) != self.template.version:
            self.store.set_setting(TEMPLATE_VERSION_KEY, self.template.version)

    def today(self) -> dt.date:
        return self._clock().astimezone().date()

    # --- profile -------------------------------------------------------------------------
    def profile(self) -> CenterProfile | None:
        """The saved profile (kept in memory: every save goes through save_profile)."""
        return self._profile

    def save_profile(self, profile: CenterProfile) -> CenterProfile:
        profile = dataclasses.replace(
            profile,
            **{
                name: getattr(profile, name).strip()
                for name in PROFILE_FIELDS
                if isinstance(getattr(profile, name), str)
            },
        )
        validate_profile(profile)
        old = self._profile
        now = self._clock()
        history = [
            HistoryEntry(
                at=now,
                item_code=None,
                field=f"profile.{name}",
                old=format_value(getattr(old, name)) if old else "",
                new=format_value(getattr(profile, name)),
            )
            for name in PROFILE_FIELDS
            if old is None or getattr(old, name) != getattr(profile, name)
        ]
        if history:
            self.store.save_profile(profile, history)
        self._profile = profile
        return profile

    # --- items ---------------------------------------------------------------------------
    def states(self) -> dict[str, ItemState]:
        stored = self.store.item_states()
        return {
            item.code: stored.get(item.code) or ItemState(item.code)
            for item in self.template.items()
        }

    def state(self, code: str) -> ItemState:
        self.template.item(code)  # KeyError for a code the template does not have
        return self.store.item_states().get(code) or ItemState(code)

    def due_date(self, item: TemplateItem, state: ItemState) -> dt.date:
        profile = self._profile
        return effective_due(item, state, self.template, profile.campaign_year if profile else None)

    def update_item(self, code: str, **changes: Any) -> ItemState:
        """Change fields of an item; the completion date follows the status unless given."""
        unknown = set(changes) - set(ITEM_FIELDS)
        if unknown:
            raise TypeError(f"unknown item fields: {sorted(unknown)}")
        old = self.state(code)
        if "status" in changes:
            changes["status"] = ItemStatus(changes["status"])
        for text_field in ("responsible", "comment", "not_required_reason"):
            if text_field in changes:
                changes[text_field] = (changes[text_field] or "").strip()
        new = dataclasses.replace(old, **changes)

        if new.status is ItemStatus.DONE and new.completed_on is None:
            new = dataclasses.replace(new, completed_on=self.today())
        if new.status is not ItemStatus.DONE and "completed_on" not in changes:
            new = dataclasses.replace(new, completed_on=None)
        if new.status is ItemStatus.NOT_REQUIRED and not new.not_required_reason:
            raise ValidationError("not_required_reason", "reason_required", code)
        if new.status is not ItemStatus.NOT_REQUIRED and "not_required_reason" not in changes:
            new = dataclasses.replace(new, not_required_reason="")
        if new.completed_on is not None and new.completed_on > self.today():
            raise ValidationError("completed_on", "future_date", new.completed_on.isoformat())

        now = self._clock()
        history = [
            HistoryEntry(
                at=now,
                item_code=code,
                field=name,
                old=format_value(getattr(old, name)),
                new=format_value(getattr(new, name)),
            )
            for name in ITEM_FIELDS
            if getattr(old, name) != getattr(new, name)
        ]
        if history:
            self.store.save_item_state(new, history)
        return new

    def history(self, code: str | None) -> list[HistoryEntry]:
        return self.store.history_for(code)

    # --- evidence ------------------------------------------------------------------------
    def evidence(self, code: str) -> list[Evidence]:
        return self.store.evidence_for(code)

    def evidence_counts(self) -> dict[str, int]:
        return self.store.evidence_counts()

    def evidence_path(self, evidence: Evidence) -> Path:
        return self.evidence_folder.path_of(evidence.stored_name)

    def attach(
        self,
        code: str,
        paths: Sequence[Path],
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> AttachResult:
        """Attach files to an item. One bad file does not stop the others; each failure is
        reported in the result. Raises CancelledError only between files."""
        self.template.item(code)
        return self.attach_to_subject(code, paths, progress, cancelled)

    def attach_to_subject(
        self,
        code: str,
        paths: Sequence[Path],
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> AttachResult:
        """Attach files to any subject: a checklist item, a position (EQ-01, EQ-01/act), a
        room's «до»/«после» (room/3/before), a brand element (brand/room/3/door_sign)."""
        result = AttachResult()
        existing = {e.sha256 for e in self.store.evidence_for(code)}
        total = len(paths)
        for done, path in enumerate(paths):
            if cancelled is not None and cancelled():
                raise CancelledError()
            if progress is not None:
                progress(done, total)
            try:
                imported = self.evidence_folder.import_file(Path(path))
                if imported.sha256 in existing:
                    raise EvidenceError(path, "already_attached")
                record = NewEvidence(
                    item_code=code,
                    sha256=imported.sha256,
                    kind=imported.kind,
                    original_name=Path(path).name,
                    stored_name=imported.stored_name,
                    size=imported.size,
                    taken_at=imported.taken_at,
                )
                entry = HistoryEntry(
                    at=self._clock(),
                    item_code=code,
                    field="evidence_added",
                    old="",
                    new=f"{record.original_name} (sha256 {record.sha256[:12]})",
                )
                result.added.append(self.store.add_evidence(record, entry))
                existing.add(imported.sha256)
            except EvidenceError as exc:
                result.failed.append(exc)
        if progress is not None:
            progress(total, total)
        # storage failures (disk full, read-only) propagate: nothing more can be attached
        return result

    def remove_evidence(self, evidence_id: int) -> None:
        """Forget an attachment. The file stays in the evidence folder: another item or an
        earlier report may refer to the same content, and nothing is ever destroyed."""
        evidence = self.store.get_evidence(evidence_id)
        if evidence is None:
            return
        entry = HistoryEntry(
            at=self._clock(),
            item_code=evidence.item_code,
            field="evidence_removed",
            old=f"{evidence.original_name} (sha256 {evidence.sha256[:12]})",
            new="",
        )
        self.store.remove_evidence(evidence_id, entry)

    # --- summary -------------------------------------------------------------------------
    def readiness(self, today: dt.date | None = None) -> Readiness:
        return compute_readiness(self.template, self.states(), self._profile, today or self.today())

    def items_in(self, section_codes: Iterable[str] | None = None) -> list[TemplateItem]:
        wanted = set(section_codes) if section_codes is not None else None
        return [i for i in self.template.items() if wanted is None or i.section_code in wanted]
