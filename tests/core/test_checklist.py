"""Use cases of the checklist over a real SQLite store: item updates with their audit history,
completion dates, and the validated center profile."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from core.checklist import Checklist
from core.errors import ValidationError
from core.model import PROFILE_FIELDS, CenterProfile, ItemState, ItemStatus
from core.profile import inn_is_valid
from ui.messages import describe_error

NOW = dt.datetime(2027, 5, 10, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.astimezone().date()


@pytest.fixture
def fixed(checklist: Checklist) -> Checklist:
    """The same real store and template, with a clock that does not move during the test."""
    return Checklist(checklist.store, checklist.template, checklist.evidence_folder, lambda: NOW)


def changes(checklist: Checklist, code: str) -> list[tuple[str, str, str]]:
    return [(e.field, e.old, e.new) for e in checklist.history(code)]


# --- items ---------------------------------------------------------------------------------


def test_each_changed_field_is_written_to_history(fixed: Checklist) -> None:
    fixed.update_item(
        "DOC-01",
        status=ItemStatus.IN_PROGRESS,
        responsible="Сидорова Анна Ивановна",
        due_override=dt.date(2027, 4, 1),
    )

    history = fixed.history("DOC-01")
    assert sorted((e.field, e.old, e.new) for e in history) == [
        ("due_override", "", "2027-04-01"),
        ("responsible", "", "Сидорова Анна Ивановна"),
        ("status", "not_started", "in_progress"),
    ]
    assert {e.at for e in history} == {NOW}
    assert {e.item_code for e in history} == {"DOC-01"}
    assert fixed.state("DOC-01") == ItemState(
        "DOC-01",
        status=ItemStatus.IN_PROGRESS,
        responsible="Сидорова Анна Ивановна",
        due_override=dt.date(2027, 4, 1),
    )
    assert fixed.history("DOC-02") == []


def test_second_change_records_old_and_new_value(fixed: Checklist) -> None:
    fixed.update_item("DOC-01", comment="Ждём подписи")
    fixed.update_item("DOC-01", comment="Подписано, регистрируем")

    assert changes(fixed, "DOC-01")[0] == ("comment", "Ждём подписи", "Подписано, регистрируем")
    assert len(changes(fixed, "DOC-01")) == 2


def test_nothing_changed_writes_no_history(fixed: Checklist) -> None:
    fixed.update_item("DOC-01", status="in_progress", responsible="Иванов")
    before = changes(fixed, "DOC-01")

    fixed.update_item("DOC-01", status=ItemStatus.IN_PROGRESS, responsible="  Иванов  ")
    fixed.update_item("DOC-01")

    assert changes(fixed, "DOC-01") == before
    assert len(before) == 2


def test_untouched_item_saved_unchanged_writes_nothing(fixed: Checklist) -> None:
    fixed.update_item("DOC-07", status=ItemStatus.NOT_STARTED, comment="")

    assert fixed.history("DOC-07") == []
    assert "DOC-07" not in fixed.store.item_states()


def test_done_sets_completed_on_to_today_and_leaving_done_clears_it(fixed: Checklist) -> None:
    done = fixed.update_item("DOC-01", status=ItemStatus.DONE)

    assert done.completed_on == TODAY
    assert fixed.state("DOC-01").completed_on == TODAY
    assert ("completed_on", "", TODAY.isoformat()) in changes(fixed, "DOC-01")

    reopened = fixed.update_item("DOC-01", status=ItemStatus.IN_PROGRESS)

    assert reopened.completed_on is None
    assert fixed.state("DOC-01").completed_on is None
    assert sorted(changes(fixed, "DOC-01")[:2]) == [
        ("completed_on", TODAY.isoformat(), ""),
        ("status", "done", "in_progress"),
    ]


def test_done_keeps_a_completion_date_given_in_the_past(fixed: Checklist) -> None:
    earlier = TODAY - dt.timedelta(days=12)

    fixed.update_item("DOC-01", status=ItemStatus.DONE, completed_on=earlier)
    fixed.update_item("DOC-01", comment="Копия в папке Центра")

    assert fixed.state("DOC-01").completed_on == earlier


def test_not_required_needs_a_reason(fixed: Checklist) -> None:
    with pytest.raises(ValidationError) as caught:
        fixed.update_item("EQP-01", status=ItemStatus.NOT_REQUIRED, not_required_reason="   ")

    assert (caught.value.field, caught.value.problem) == ("not_required_reason", "reason_required")
    assert "причину" in describe_error(caught.value)
    assert fixed.state("EQP-01").status is ItemStatus.NOT_STARTED
    assert fixed.history("EQP-01") == []


def test_not_required_with_reason_keeps_it_and_leaving_clears_it(fixed: Checklist) -> None:
    fixed.update_item(
        "EQP-01", status=ItemStatus.NOT_REQUIRED, not_required_reason="Лаборатория есть с 2021 года"
    )
    assert fixed.state("EQP-01").not_required_reason == "Лаборатория есть с 2021 года"

    fixed.update_item("EQP-01", status=ItemStatus.IN_PROGRESS)

    assert fixed.state("EQP-01").not_required_reason == ""
    assert ("not_required_reason", "Лаборатория есть с 2021 года", "") in changes(fixed, "EQP-01")


def test_completion_date_in_the_future_is_refused(fixed: Checklist) -> None:
    fixed.update_item("DOC-01", status=ItemStatus.IN_PROGRESS)
    before = changes(fixed, "DOC-01")

    with pytest.raises(ValidationError) as caught:
        fixed.update_item(
            "DOC-01", status=ItemStatus.DONE, completed_on=TODAY + dt.timedelta(days=1)
        )

    assert (caught.value.field, caught.value.problem) == ("completed_on", "future_date")
    assert fixed.state("DOC-01").status is ItemStatus.IN_PROGRESS
    assert changes(fixed, "DOC-01") == before


def test_unknown_item_or_field_is_refused(fixed: Checklist) -> None:
    with pytest.raises(KeyError):
        fixed.update_item("XXX-01", status=ItemStatus.DONE)
    with pytest.raises(TypeError):
        fixed.update_item("DOC-01", colour="red")
    assert fixed.store.item_states() == {}


# --- profile -------------------------------------------------------------------------------


def test_first_profile_save_records_every_field(fixed: Checklist, profile: CenterProfile) -> None:
    saved = fixed.save_profile(profile)

    assert saved == profile
    assert fixed.store.get_profile() == profile
    history = fixed.history(None)
    assert sorted(e.field for e in history) == sorted(f"profile.{n}" for n in PROFILE_FIELDS)
    by_field = {e.field: e for e in history}
    assert (by_field["profile.inn"].old, by_field["profile.inn"].new) == ("", "2714006330")
    assert by_field["profile.opening_date"].new == "2027-09-01"
    assert by_field["profile.pupils"].new == "350"
    assert {e.item_code for e in history} == {None}


def test_profile_change_records_only_what_changed(fixed: Checklist, profile: CenterProfile) -> None:
    fixed.save_profile(profile)
    count = len(fixed.history(None))

    fixed.save_profile(dataclasses.replace(profile, director="  Кузнецова Мария Олеговна "))
    fixed.save_profile(dataclasses.replace(profile, director="Кузнецова Мария Олеговна"))

    history = fixed.history(None)
    assert len(history) == count + 1
    assert (history[0].field, history[0].old, history[0].new) == (
        "profile.director",
        "Петров Пётр Петрович",
        "Кузнецова Мария Олеговна",
    )
    assert fixed.store.get_profile().director == "Кузнецова Мария Олеговна"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"inn": "2714006331"}, "inn", "bad_inn"),
        ({"inn": "271400633"}, "inn", "bad_inn"),
        ({"director": "   "}, "director", "required"),
        ({"school_full_name": ""}, "school_full_name", "required"),
        ({"email": "elban2.example.ru"}, "email", "bad_email"),
        ({"phone": "12-3"}, "phone", "bad_phone"),
        ({"pupils": 0}, "pupils", "bad_pupils"),
        ({"opening_date": dt.date(2028, 9, 1)}, "opening_date", "opening_year_mismatch"),
    ],
)
def test_wrong_profile_is_refused_and_nothing_is_saved(
    fixed: Checklist, profile: CenterProfile, change: dict[str, object], field: str, problem: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        fixed.save_profile(dataclasses.replace(profile, **change))  # type: ignore[arg-type]

    assert (caught.value.field, caught.value.problem) == (field, problem)
    assert fixed.profile() is None
    assert fixed.store.get_profile() is None
    assert fixed.history(None) == []
    message = describe_error(caught.value)
    assert problem not in message and any("а" <= ch <= "я" for ch in message.lower())


def test_refused_profile_keeps_the_saved_one(fixed: Checklist, profile: CenterProfile) -> None:
    fixed.save_profile(profile)
    count = len(fixed.history(None))

    with pytest.raises(ValidationError):
        fixed.save_profile(dataclasses.replace(profile, inn="2714006331"))

    assert fixed.profile() == profile
    assert fixed.store.get_profile() == profile
    assert len(fixed.history(None)) == count


@pytest.mark.parametrize(
    "inn",
    ["2714006330", "7707083893", "7830002293", "500100732259"],
)
def test_known_good_inn(inn: str) -> None:
    assert inn_is_valid(inn)


@pytest.mark.parametrize(
    "inn",
    ["2714006331", "7707083890", "500100732250", "500100732269", "27140063300", "27140O6330", ""],
)
def test_wrong_inn(inn: str) -> None:
    assert not inn_is_valid(inn)
