"""SqliteChecklistStore round-trips core's dataclasses through a real SQLite file, and what was
saved is there after the engine is closed and the folder opened again."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.model import (
    CenterProfile,
    EvidenceKind,
    HistoryEntry,
    ItemState,
    ItemStatus,
    NewEvidence,
)
from core.paths import DataLayout
from main import open_checklist
from storage.db import open_database
from storage.sqlite_store import SqliteChecklistStore
from tests.conftest import make_photo

AT = dt.datetime(2027, 4, 1, 8, 15, 30, 123456, tzinfo=dt.UTC)


@pytest.fixture
def store(data_dir: Path) -> Iterator[SqliteChecklistStore]:
    layout = DataLayout(data_dir)
    opened = SqliteChecklistStore(open_database(layout.database, layout.backups), layout.database)
    yield opened
    opened.close()


def reopen(store: SqliteChecklistStore) -> SqliteChecklistStore:
    store.close()
    engine = open_database(store.path, store.path.parent / "backups")
    return SqliteChecklistStore(engine, store.path)


def entry(field: str, at: dt.datetime = AT, code: str | None = "DOC-01") -> HistoryEntry:
    return HistoryEntry(at=at, item_code=code, field=field, old="", new=field)


def test_profile_round_trip(store: SqliteChecklistStore, profile: CenterProfile) -> None:
    assert store.get_profile() is None

    store.save_profile(profile, [entry("profile.inn", code=None)])
    changed = dataclasses.replace(profile, pupils=351, opening_date=dt.date(2027, 9, 2))
    store.save_profile(changed, [])

    again = reopen(store)
    try:
        assert again.get_profile() == changed
        assert isinstance(again.get_profile().opening_date, dt.date)  # type: ignore[union-attr]
    finally:
        again.close()


def test_item_state_round_trip_with_dates(store: SqliteChecklistStore) -> None:
    done = ItemState(
        "REM-01",
        status=ItemStatus.DONE,
        responsible="Сидоров Павел Николаевич (завхоз)",
        due_override=dt.date(2027, 8, 20),
        comment="Акт № 14 от 19.08",
        completed_on=dt.date(2027, 8, 19),
    )
    not_required = ItemState(
        "EQP-04", status=ItemStatus.NOT_REQUIRED, not_required_reason="Есть с 2021 года"
    )
    store.save_item_state(done, [entry("status", code="REM-01")])
    store.save_item_state(not_required, [entry("status", code="EQP-04")])
    store.save_item_state(dataclasses.replace(done, comment="Акт № 14 от 19.08.2027"), [])

    again = reopen(store)
    try:
        assert again.item_states() == {
            "REM-01": dataclasses.replace(done, comment="Акт № 14 от 19.08.2027"),
            "EQP-04": not_required,
        }
    finally:
        again.close()


def test_evidence_round_trip(store: SqliteChecklistStore) -> None:
    sha = "ab" + "0" * 62
    new = NewEvidence(
        item_code="REM-01",
        sha256=sha,
        kind=EvidenceKind.PHOTO,
        original_name="IMG_0001 кабинет физики.jpg",
        stored_name=f"ab/{sha}.jpg",
        size=123_456,
        taken_at=dt.datetime(2027, 5, 3, 14, 30, 15),
    )

    added = store.add_evidence(new, entry("evidence_added", code="REM-01"))
    document = store.add_evidence(
        dataclasses.replace(new, sha256="cd" + "1" * 62, kind=EvidenceKind.DOCUMENT, taken_at=None),
        entry("evidence_added", code="REM-01"),
    )
    store.add_evidence(dataclasses.replace(new, item_code="ZON-02"), entry("evidence_added"))

    again = reopen(store)
    try:
        [photo_back, document_back] = again.evidence_for("REM-01")
        assert photo_back == added
        assert document_back == document
        assert photo_back.added_at == AT
        assert photo_back.taken_at == dt.datetime(2027, 5, 3, 14, 30, 15)
        assert (photo_back.kind, document_back.kind) == (EvidenceKind.PHOTO, EvidenceKind.DOCUMENT)
        assert document_back.taken_at is None
        assert again.get_evidence(added.id) == added
        assert again.get_evidence(10_000) is None
        assert again.evidence_counts() == {"REM-01": 2, "ZON-02": 1}
        assert [e.item_code for e in again.all_evidence()] == ["REM-01", "REM-01", "ZON-02"]

        again.remove_evidence(added.id, entry("evidence_removed", code="REM-01"))
        assert again.evidence_for("REM-01") == [document]
        assert again.evidence_counts() == {"REM-01": 1, "ZON-02": 1}
    finally:
        again.close()


def test_history_is_newest_first_and_per_item(
    store: SqliteChecklistStore, profile: CenterProfile
) -> None:
    times = [AT + dt.timedelta(minutes=n) for n in range(3)]
    store.save_item_state(ItemState("DOC-01"), [entry("status", times[0])])
    store.save_item_state(ItemState("DOC-01"), [entry("responsible", times[2])])
    store.save_item_state(ItemState("DOC-01"), [entry("comment", times[1])])
    store.save_item_state(ItemState("DOC-02"), [entry("status", times[1], "DOC-02")])
    store.save_profile(
        profile,
        [entry("profile.director", times[0], None), entry("profile.email", times[0], None)],
    )

    again = reopen(store)
    try:
        doc01 = again.history_for("DOC-01")
        assert [e.field for e in doc01] == ["responsible", "comment", "status"]
        assert [e.at for e in doc01] == [times[2], times[1], times[0]]
        assert all(e.at.tzinfo is not None for e in doc01)
        assert len({e.id for e in doc01}) == 3
        assert [e.field for e in again.history_for("DOC-02")] == ["status"]
        # same moment: the entry written last comes first
        assert [e.field for e in again.history_for(None)] == ["profile.email", "profile.director"]
        assert again.history_for("DOC-03") == []
    finally:
        again.close()


def test_history_time_is_kept_as_the_same_instant(store: SqliteChecklistStore) -> None:
    khabarovsk = dt.timezone(dt.timedelta(hours=10))  # Хабаровск, UTC+10
    local = dt.datetime(2027, 4, 1, 18, 15, 30, tzinfo=khabarovsk)

    store.save_item_state(ItemState("DOC-01"), [entry("status", local)])

    [back] = store.history_for("DOC-01")
    assert back.at == local
    assert back.at.utcoffset() == dt.timedelta(0)


def test_settings_round_trip(store: SqliteChecklistStore) -> None:
    assert store.get_setting("report.signer") is None

    store.set_setting("report.signer", "Иванова С. П.")
    store.set_setting("report.signer", "Ким А. В.")
    store.set_setting("ui.last_folder", "/media/флешка")

    again = reopen(store)
    try:
        assert again.get_setting("report.signer") == "Ким А. В."
        assert again.get_setting("ui.last_folder") == "/media/флешка"
    finally:
        again.close()


def test_everything_survives_reopening_the_folder(
    data_dir: Path, profile: CenterProfile, tmp_path: Path
) -> None:
    first = open_checklist(data_dir)
    first.save_profile(profile)
    first.update_item("DOC-01", status=ItemStatus.DONE, completed_on=dt.date(2026, 3, 2))
    first.update_item("REM-01", status=ItemStatus.IN_PROGRESS, comment="Окна заменены")
    [evidence] = first.attach("REM-01", [make_photo(tmp_path / "окна.jpg")]).added
    states = first.states()
    history = {code: first.history(code) for code in (None, "DOC-01", "REM-01")}
    template_id = first.store.get_setting("template.id")
    first.store.close()  # type: ignore[attr-defined]

    second = open_checklist(data_dir)
    try:
        assert second.profile() == profile
        assert second.states() == states
        assert second.states()["DOC-01"].completed_on == dt.date(2026, 3, 2)
        assert second.evidence("REM-01") == [evidence]
        assert second.evidence_path(evidence).read_bytes() == (tmp_path / "окна.jpg").read_bytes()
        assert {code: second.history(code) for code in history} == history
        assert second.store.get_setting("template.id") == template_id == second.template.id
    finally:
        second.store.close()  # type: ignore[attr-defined]
