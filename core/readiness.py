"""Readiness of the center: per section and overall, overdue items, days until the opening."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping

from core.model import (
    CenterProfile,
    ItemState,
    ItemStatus,
    Readiness,
    SectionReadiness,
    Template,
    TemplateItem,
)

CLOSED_STATUSES = frozenset({ItemStatus.DONE, ItemStatus.NOT_REQUIRED})


def shift_to_year(day: dt.date, from_year: int, to_year: int) -> dt.date:
    """Move a template date into the campaign year (29 February becomes 28 February)."""
    year = day.year + (to_year - from_year)
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def effective_due(
    item: TemplateItem, state: ItemState, template: Template, campaign_year: int | None
) -> dt.date:
    if state.due_override is not None:
        return state.due_override
    if campaign_year is None:
        return item.due
    return shift_to_year(item.due, template.year, campaign_year)


def is_overdue(
    item: TemplateItem,
    state: ItemState,
    template: Template,
    campaign_year: int | None,
    today: dt.date,
) -> bool:
    if state.status in CLOSED_STATUSES:
        return False
    return effective_due(item, state, template, campaign_year) < today


def compute_readiness(
    template: Template,
    states: Mapping[str, ItemState],
    profile: CenterProfile | None,
    today: dt.date,
) -> Readiness:
    campaign_year = profile.campaign_year if profile else None
    sections: list[SectionReadiness] = []
    overdue_codes: list[str] = []
    by_status: Counter[ItemStatus] = Counter()
    for section in template.sections:
        done = applicable = overdue = 0
        for item in section.items:
            state = states.get(item.code) or ItemState(item.code)
            by_status[state.status] += 1
            if state.status is not ItemStatus.NOT_REQUIRED:
                applicable += 1
            if state.status is ItemStatus.DONE:
                done += 1
            if is_overdue(item, state, template, campaign_year, today):
                overdue += 1
                overdue_codes.append(item.code)
        sections.append(
            SectionReadiness(
                code=section.code,
                title=section.title,
                done=done,
                applicable=applicable,
                total=len(section.items),
                overdue=overdue,
            )
        )
    days = (profile.opening_date - today).days if profile else None
    return Readiness(
        sections=tuple(sections),
        overdue_codes=tuple(overdue_codes),
        days_until_opening=days,
        today=today,
        by_status=dict(by_status),
    )
