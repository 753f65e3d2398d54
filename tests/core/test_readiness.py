"""Readiness per section and overall, overdue items and days until the opening, computed by the
checklist over a real SQLite store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.checklist import Checklist
from core.model import CenterProfile, ItemStatus, Readiness, SectionReadiness
from core.readiness import shift_to_year
from core.template import load_template

REASON = "Оборудование есть в школе с прошлых лет"


def section(readiness: Readiness, code: str) -> SectionReadiness:
    return next(s for s in readiness.sections if s.code == code)


def test_untouched_checklist_is_at_zero_with_every_item_counted(checklist: Checklist) -> None:
    readiness = checklist.readiness(today=dt.date(2024, 1, 10))

    total = len(checklist.template.items())
    assert (readiness.done, readiness.applicable, readiness.percent) == (0, total, 0.0)
    assert [s.title for s in readiness.sections] == [s.title for s in checklist.template.sections]
    assert readiness.by_status == {ItemStatus.NOT_STARTED: total}
    assert readiness.overdue_codes == ()
    assert readiness.days_until_opening is None


def test_not_required_items_leave_the_denominator(checklist: Checklist) -> None:
    doc_total = len(checklist.template.section("DOC").items)
    checklist.update_item("DOC-01", status=ItemStatus.DONE)
    checklist.update_item("DOC-02", status=ItemStatus.DONE)
    checklist.update_item("DOC-03", status=ItemStatus.NOT_REQUIRED, not_required_reason=REASON)
    checklist.update_item("DOC-04", status=ItemStatus.IN_PROGRESS)

    readiness = checklist.readiness(today=dt.date(2024, 1, 10))

    doc = section(readiness, "DOC")
    assert (doc.done, doc.applicable, doc.total) == (2, doc_total - 1, doc_total)
    assert doc.percent == pytest.approx(100 * 2 / (doc_total - 1))
    kad = section(readiness, "KAD")
    assert (kad.done, kad.applicable, kad.percent) == (0, kad.total, 0.0)
    total = len(checklist.template.items())
    assert (readiness.done, readiness.applicable) == (2, total - 1)
    assert readiness.percent == pytest.approx(100 * 2 / (total - 1))
    assert readiness.by_status[ItemStatus.DONE] == 2
    assert readiness.by_status[ItemStatus.NOT_REQUIRED] == 1
    assert readiness.by_status[ItemStatus.IN_PROGRESS] == 1


def test_section_of_only_not_required_items_counts_as_ready(checklist: Checklist) -> None:
    for item in checklist.template.section("MON").items:
        checklist.update_item(item.code, status=ItemStatus.NOT_REQUIRED, not_required_reason=REASON)

    readiness = checklist.readiness(today=dt.date(2024, 1, 10))

    mon = section(readiness, "MON")
    assert (mon.done, mon.applicable, mon.percent) == (0, 0, 100.0)
    assert readiness.applicable == len(checklist.template.items()) - mon.total


def test_overdue_means_due_passed_and_still_open(checklist: Checklist) -> None:
    # DOC-01..DOC-05 are due 2024-03-29 in the template; no profile, so template dates apply
    for code in ("DOC-01", "DOC-02", "DOC-03", "DOC-04", "DOC-05"):
        assert checklist.template.item(code).due == dt.date(2024, 3, 29)
    checklist.update_item("DOC-01", status=ItemStatus.DONE)
    checklist.update_item("DOC-02", status=ItemStatus.NOT_REQUIRED, not_required_reason=REASON)
    checklist.update_item("DOC-03", status=ItemStatus.IN_PROGRESS)

    on_due_day = checklist.readiness(today=dt.date(2024, 3, 29))
    day_after = checklist.readiness(today=dt.date(2024, 3, 30))

    due_by_then = [i.code for i in checklist.template.items() if i.due <= dt.date(2024, 3, 29)]
    expected = tuple(code for code in due_by_then if code not in ("DOC-01", "DOC-02"))
    assert on_due_day.overdue_codes == ()
    assert {"DOC-03", "DOC-04", "DOC-05"} <= set(expected)
    assert day_after.overdue_codes == expected
    assert section(day_after, "DOC").overdue == sum(c.startswith("DOC-") for c in expected)
    assert sum(s.overdue for s in day_after.sections) == len(expected)


def test_due_override_wins_over_the_template_date(checklist: Checklist) -> None:
    # moved later: not overdue although the template date has passed
    checklist.update_item("DOC-01", due_override=dt.date(2024, 12, 1))
    # moved earlier: overdue although the template date (2024-07-31) is still ahead
    assert checklist.template.item("DOC-06").due == dt.date(2024, 7, 31)
    checklist.update_item("DOC-06", due_override=dt.date(2024, 2, 1))

    readiness = checklist.readiness(today=dt.date(2024, 4, 15))

    assert "DOC-01" not in readiness.overdue_codes
    assert "DOC-06" in readiness.overdue_codes
    doc01, doc06 = checklist.template.item("DOC-01"), checklist.template.item("DOC-06")
    assert checklist.due_date(doc01, checklist.state("DOC-01")) == dt.date(2024, 12, 1)
    assert checklist.due_date(doc06, checklist.state("DOC-06")) == dt.date(2024, 2, 1)


def test_template_dates_move_to_the_campaign_year(
    checklist: Checklist, profile: CenterProfile
) -> None:
    assert profile.campaign_year == 2027
    checklist.save_profile(profile)
    doc01 = checklist.template.item("DOC-01")

    assert checklist.due_date(doc01, checklist.state("DOC-01")) == dt.date(2027, 3, 29)
    # in the template's own year nothing of 2027 is overdue yet
    assert checklist.readiness(today=dt.date(2024, 12, 31)).overdue_codes == ()
    assert checklist.readiness(today=dt.date(2027, 3, 29)).overdue_codes == ()
    assert "DOC-01" in checklist.readiness(today=dt.date(2027, 3, 30)).overdue_codes


def test_days_until_opening(checklist: Checklist, profile: CenterProfile) -> None:
    checklist.save_profile(profile)  # opens 2027-09-01

    assert checklist.readiness(today=dt.date(2027, 8, 22)).days_until_opening == 10
    assert checklist.readiness(today=dt.date(2027, 9, 1)).days_until_opening == 0
    assert checklist.readiness(today=dt.date(2027, 9, 3)).days_until_opening == -2
    assert checklist.readiness(today=dt.date(2026, 9, 1)).days_until_opening == 365


@pytest.mark.parametrize(
    ("day", "from_year", "to_year", "expected"),
    [
        (dt.date(2024, 3, 29), 2024, 2027, dt.date(2027, 3, 29)),
        (dt.date(2024, 2, 29), 2024, 2027, dt.date(2027, 2, 28)),
        (dt.date(2024, 2, 29), 2024, 2028, dt.date(2028, 2, 29)),
        (dt.date(2025, 1, 15), 2024, 2026, dt.date(2027, 1, 15)),  # a date of the next year
        (dt.date(2024, 8, 30), 2024, 2024, dt.date(2024, 8, 30)),
        (dt.date(2024, 12, 31), 2024, 2019, dt.date(2019, 12, 31)),
    ],
)
def test_shift_to_year(day: dt.date, from_year: int, to_year: int, expected: dt.date) -> None:
    assert shift_to_year(day, from_year, to_year) == expected


LEAP_TEMPLATE = """\
format: 1
id: leap
title: "Високосный шаблон"
region: "Хабаровский край"
year: 2024
version: "1"
roles: [Директор]
sections:
  - code: DOC
    title: "Документы"
    items:
      - code: DOC-01
        title: "Приказ"
        done_when: "Подписан"
        evidence: none
        due: 2024-02-29
        role: Директор
"""


def test_29_february_becomes_28_february_in_a_common_year(
    checklist: Checklist, profile: CenterProfile, tmp_path: Path
) -> None:
    path = tmp_path / "leap.yaml"
    path.write_text(LEAP_TEMPLATE, encoding="utf-8")
    leap = Checklist(checklist.store, load_template(path), checklist.evidence_folder)
    leap.save_profile(profile)  # campaign year 2027

    assert leap.readiness(today=dt.date(2027, 2, 28)).overdue_codes == ()
    assert leap.readiness(today=dt.date(2027, 3, 1)).overdue_codes == ("DOC-01",)
