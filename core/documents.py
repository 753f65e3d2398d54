"""Making a document: the one entry point the GUI and the command line share. Takes a fresh
snapshot of the center and hands it to the PDF or XLSX writer (imported only now: the writers'
libraries are heavy and never loaded at start-up)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from core.errors import ValidationError
from core.paths import DataLayout
from core.registers import Center
from core.report_data import take_snapshot

Progress = Callable[[int, int], None]
QUARTER = re.compile(r"^(\d{4})-?[QqКк]([1-4])$")


class DocumentKind(StrEnum):
    CHECKLIST = "checklist"  # Печатный чек-лист (blank)
    REPORT = "report"  # Отчёт о готовности
    INDICATORS = "indicators"  # Отчёт по показателям за квартал
    WORKBOOK = "xlsx"  # Книга Excel


@dataclass(frozen=True)
class DocumentOptions:
    only_open: bool = False
    section: str | None = None
    room: str | None = None
    year: int | None = None
    quarter: int | None = None


def parse_quarter(text: str) -> tuple[int, int]:
    """«2024-Q3» (also 2024Q3, 2024-К3) → (2024, 3)."""
    match = QUARTER.match(text.strip())
    if not match:
        raise ValidationError("quarter", "bad_quarter_text", text)
    return int(match.group(1)), int(match.group(2))


def current_quarter(today: dt.date) -> tuple[int, int]:
    return today.year, (today.month - 1) // 3 + 1


def default_quarter(center: Center) -> tuple[int, int]:
    """The quarter to report: the latest one with values in the campaign year; else this
    quarter when the campaign is this year, else the campaign's first quarter."""
    registers = center.registers
    year = registers.indicator_year()
    quarters = [q for row in registers.indicators(year) for q in row.values]
    if quarters:
        return year, max(quarters)
    this_year, this_quarter = current_quarter(center.checklist.today())
    return year, this_quarter if this_year == year else 1


def make_document(
    center: Center,
    kind: DocumentKind,
    out: Path,
    options: DocumentOptions = DocumentOptions(),
    layout: DataLayout | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> int | None:
    """Write the document to out. Returns the number of pages of a PDF (None for XLSX)."""
    snapshot = take_snapshot(center)
    if kind is DocumentKind.WORKBOOK:
        from core.xlsx_export import write_workbook

        write_workbook(snapshot, out, progress=progress, cancelled=cancelled)
        return None
    from core import pdf_reports

    if kind is DocumentKind.CHECKLIST:
        return pdf_reports.write_checklist_pdf(
            snapshot,
            out,
            only_open=options.only_open,
            section=options.section,
            room=options.room,
            progress=progress,
            cancelled=cancelled,
        )
    if kind is DocumentKind.REPORT:
        return pdf_reports.write_readiness_report_pdf(
            snapshot,
            out,
            thumbnails_dir=layout.thumbnails if layout else None,
            progress=progress,
            cancelled=cancelled,
        )
    year, quarter = (
        (options.year, options.quarter)
        if options.year and options.quarter
        else default_quarter(center)
    )
    return pdf_reports.write_indicators_pdf(
        snapshot, out, year=year, quarter=quarter, progress=progress, cancelled=cancelled
    )
