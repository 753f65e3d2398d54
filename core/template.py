"""Load and validate a checklist template (docs/template-format.md)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from core.errors import TemplateError
from core.model import (
    BrandElement,
    BrandScope,
    EquipmentPosition,
    EvidenceKind,
    Indicator,
    RoadmapTask,
    Template,
    TemplateItem,
    TemplateSection,
    ZoneType,
)

SUPPORTED_FORMATS = (1, 2)
DEFAULT_TEMPLATE_FILE = "tochka-rosta-2024-khv.yaml"
CODE_PATTERN = re.compile(r"^[A-Z]{2,5}-\d{2,3}$")
SECTION_CODE_PATTERN = re.compile(r"^[A-Z]{2,5}$")

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TemplateLoader(_BaseLoader):  # type: ignore[misc]
    """Safe loader that leaves dates as text: an impossible date such as 2024-02-30 then
    reaches our validation (and is reported with its item code) instead of crashing PyYAML."""


_TemplateLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def default_template_path() -> Path:
    return Path(str(resources.files("resources") / "templates" / DEFAULT_TEMPLATE_FILE))


def load_default_template() -> Template:
    return load_template(default_template_path())


def load_template(path: Path) -> Template:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TemplateError(path, "not_found") from exc
    except UnicodeDecodeError as exc:
        raise TemplateError(path, "not_utf8") from exc
    except OSError as exc:
        raise TemplateError(path, "unreadable", detail=str(exc.strerror or exc)) from exc
    try:
        data = yaml.load(text, Loader=_TemplateLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 1}" if mark is not None else ""
        raise TemplateError(path, "not_yaml", detail=line) from exc
    return parse_template(data, path)


def parse_template(data: object, path: Path) -> Template:
    if not isinstance(data, Mapping):
        raise TemplateError(path, "not_mapping")
    fmt = _required(data, "format", int, path)
    if fmt not in SUPPORTED_FORMATS:
        raise TemplateError(path, "unsupported_format", detail=str(fmt))
    template_id = _required(data, "id", str, path)
    title = _required(data, "title", str, path)
    region = _required(data, "region", str, path)
    year = _required(data, "year", int, path)
    version = str(_required(data, "version", (str, int, float), path))
    roles_raw = _required(data, "roles", list, path)
    if not roles_raw or not all(isinstance(r, str) and r.strip() for r in roles_raw):
        raise TemplateError(path, "bad_value", detail="roles")
    roles = tuple(r.strip() for r in roles_raw)
    sections_raw = _required(data, "sections", list, path)
    if not sections_raw:
        raise TemplateError(path, "bad_value", detail="sections")

    sections: list[TemplateSection] = []
    seen_sections: set[str] = set()
    seen_items: set[str] = set()
    for raw_section in sections_raw:
        if not isinstance(raw_section, Mapping):
            raise TemplateError(path, "wrong_type", detail="sections")
        code = _required(raw_section, "code", str, path)
        if not SECTION_CODE_PATTERN.match(code):
            raise TemplateError(path, "bad_section_code", detail=code)
        if code in seen_sections:
            raise TemplateError(path, "duplicate_section", detail=code)
        seen_sections.add(code)
        section_title = _required(raw_section, "title", str, path)
        items_raw = _required(raw_section, "items", list, path)
        if not items_raw:
            raise TemplateError(path, "empty_section", detail=code)
        items = tuple(
            _parse_item(raw_item, code, roles, seen_items, path) for raw_item in items_raw
        )
        sections.append(TemplateSection(code=code, title=section_title, items=items))

    item_codes = frozenset(seen_items)
    equipment_sections = tuple(_string_list(data, "equipment_sections", path))
    brand_elements = tuple(
        _parse_brand_element(raw, path) for raw in _blocks(data, "brand_elements", path)
    )
    _unique((b.code for b in brand_elements), path)
    room_brand = {b.code for b in brand_elements if b.scope is BrandScope.ROOM}
    equipment = tuple(
        _parse_position(raw, equipment_sections, item_codes, path)
        for raw in _blocks(data, "equipment", path)
    )
    _unique((p.code for p in equipment), path)
    zone_types = tuple(
        _parse_zone_type(raw, room_brand, path) for raw in _blocks(data, "zone_types", path)
    )
    _unique((z.code for z in zone_types), path)
    roadmap = tuple(_parse_task(raw, roles, path) for raw in _blocks(data, "roadmap", path))
    _unique((t.code for t in roadmap), path)
    indicators = tuple(_parse_indicator(raw, path) for raw in _blocks(data, "indicators", path))
    _unique((i.code for i in indicators), path)

    return Template(
        id=template_id,
        title=title,
        region=region,
        year=year,
        version=version,
        roles=roles,
        sections=tuple(sections),
        equipment_sections=equipment_sections,
        equipment=equipment,
        zone_types=zone_types,
        brand_elements=brand_elements,
        roadmap=roadmap,
        indicators=indicators,
    )


EQUIPMENT_CODE = re.compile(r"^EQ-\d{2,3}$")
ROADMAP_CODE = re.compile(r"^RM-\d{2,3}$")
INDICATOR_CODE = re.compile(r"^IND-\d{2}$")
SLUG_CODE = re.compile(r"^[a-z_]+$")
INDICATOR_UNITS = ("чел.", "%", "ед.")


def _blocks(data: Mapping[str, Any], key: str, path: Path) -> list[Mapping[str, Any]]:
    raw = data.get(key)
    if raw is None:
        return []  # format 1 templates have none of the register blocks
    if not isinstance(raw, list) or not all(isinstance(x, Mapping) for x in raw):
        raise TemplateError(path, "wrong_type", detail=key)
    return raw


def _string_list(data: Mapping[str, Any], key: str, path: Path) -> list[str]:
    raw = data.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        raise TemplateError(path, "wrong_type", detail=key)
    return [x.strip() for x in raw]


def _unique(codes: Iterable[str], path: Path) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise TemplateError(path, "duplicate_code", item_code=code)
        seen.add(code)


def _code(raw: Mapping[str, Any], pattern: re.Pattern[str], path: Path) -> str:
    code = raw.get("code")
    if not isinstance(code, str) or not code.strip():
        raise TemplateError(path, "missing_field", detail="code")
    if not pattern.match(code):
        raise TemplateError(path, "bad_code", item_code=code)
    return code


def _date(raw: Mapping[str, Any], code: str, path: Path) -> dt.date:
    due = raw.get("due")
    if due is None:
        raise TemplateError(path, "missing_field", item_code=code, detail="due")
    if isinstance(due, str):
        try:
            return dt.date.fromisoformat(due)
        except ValueError:
            raise TemplateError(path, "bad_date", item_code=code, detail=due) from None
    if isinstance(due, dt.datetime) or not isinstance(due, dt.date):
        raise TemplateError(path, "bad_date", item_code=code, detail=str(due))
    return due


def _number(raw: Mapping[str, Any], key: str, code: str, path: Path) -> float:
    value = raw.get(key)
    if value is None:
        raise TemplateError(path, "missing_field", item_code=code, detail=key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise TemplateError(path, "bad_value", item_code=code, detail=key)
    return float(value)


def _parse_position(
    raw: Mapping[str, Any], sections: tuple[str, ...], item_codes: frozenset[str], path: Path
) -> EquipmentPosition:
    code = _code(raw, EQUIPMENT_CODE, path)
    section = _required(raw, "section", str, path, code)
    if section not in sections:
        raise TemplateError(path, "unknown_section", item_code=code, detail=section)
    planned = _number(raw, "planned", code, path)
    if planned != int(planned):
        raise TemplateError(path, "bad_value", item_code=code, detail="planned")
    checklist = raw.get("checklist")
    if checklist is not None and checklist not in item_codes:
        raise TemplateError(path, "unknown_item", item_code=code, detail=str(checklist))
    return EquipmentPosition(
        code=code,
        section=section,
        name=_required(raw, "name", str, path, code).strip(),
        unit=_required(raw, "unit", str, path, code).strip(),
        planned=int(planned),
        checklist_item=checklist,
    )


def _parse_zone_type(raw: Mapping[str, Any], room_brand: set[str], path: Path) -> ZoneType:
    code = _code(raw, SLUG_CODE, path)
    brand = raw.get("brand") or []
    if not isinstance(brand, list) or not all(isinstance(b, str) for b in brand):
        raise TemplateError(path, "wrong_type", item_code=code, detail="brand")
    for element in brand:
        if element not in room_brand:
            raise TemplateError(path, "unknown_brand", item_code=code, detail=element)
    return ZoneType(code=code, title=_required(raw, "title", str, path, code), brand=tuple(brand))


def _parse_brand_element(raw: Mapping[str, Any], path: Path) -> BrandElement:
    code = _code(raw, SLUG_CODE, path)
    scope = _required(raw, "scope", str, path, code)
    try:
        brand_scope = BrandScope(scope)
    except ValueError:
        raise TemplateError(path, "bad_value", item_code=code, detail="scope") from None
    text = raw.get("text") or ""
    if not isinstance(text, str):
        raise TemplateError(path, "wrong_type", item_code=code, detail="text")
    return BrandElement(
        code=code, title=_required(raw, "title", str, path, code), scope=brand_scope, text=text
    )


def _parse_task(raw: Mapping[str, Any], roles: tuple[str, ...], path: Path) -> RoadmapTask:
    code = _code(raw, ROADMAP_CODE, path)
    responsible = _required(raw, "responsible", str, path, code)
    if responsible not in roles:
        raise TemplateError(path, "unknown_role", item_code=code, detail=responsible)
    documents = raw.get("documents") or ""
    quarterly = raw.get("quarterly_report", False)
    if not isinstance(documents, str) or not isinstance(quarterly, bool):
        raise TemplateError(path, "wrong_type", item_code=code, detail="documents")
    return RoadmapTask(
        code=code,
        name=_required(raw, "name", str, path, code),
        responsible=responsible,
        result=_required(raw, "result", str, path, code),
        due=_date(raw, code, path),
        documents=documents,
        quarterly_report=quarterly,
    )


def _parse_indicator(raw: Mapping[str, Any], path: Path) -> Indicator:
    code = _code(raw, INDICATOR_CODE, path)
    unit = _required(raw, "unit", str, path, code)
    if unit not in INDICATOR_UNITS:
        raise TemplateError(path, "bad_value", item_code=code, detail="unit")
    target = _number(raw, "target", code, path)
    if unit == "%" and target > 100:
        raise TemplateError(path, "bad_value", item_code=code, detail="target")
    return Indicator(
        code=code, name=_required(raw, "name", str, path, code), unit=unit, target=target
    )


def _parse_item(
    raw: object, section_code: str, roles: tuple[str, ...], seen: set[str], path: Path
) -> TemplateItem:
    if not isinstance(raw, Mapping):
        raise TemplateError(path, "wrong_type", detail="items")
    code = raw.get("code")
    if not isinstance(code, str) or not code.strip():
        raise TemplateError(path, "missing_field", detail="code")
    if not CODE_PATTERN.match(code):
        raise TemplateError(path, "bad_code", item_code=code)
    if not code.startswith(section_code + "-"):
        raise TemplateError(path, "code_prefix", item_code=code, detail=section_code)
    if code in seen:
        raise TemplateError(path, "duplicate_code", item_code=code)
    seen.add(code)

    title = _required(raw, "title", str, path, code)
    done_when = _required(raw, "done_when", str, path, code)
    evidence_raw = _required(raw, "evidence", str, path, code)
    try:
        evidence = EvidenceKind(evidence_raw)
    except ValueError:
        raise TemplateError(path, "bad_evidence", item_code=code, detail=evidence_raw) from None
    due = raw.get("due")
    if due is None:
        raise TemplateError(path, "missing_field", item_code=code, detail="due")
    if isinstance(due, str):
        try:
            due = dt.date.fromisoformat(due)
        except ValueError:
            raise TemplateError(path, "bad_date", item_code=code, detail=str(due)) from None
    if isinstance(due, dt.datetime) or not isinstance(due, dt.date):
        raise TemplateError(path, "bad_date", item_code=code, detail=str(due))
    role = _required(raw, "role", str, path, code)
    if role not in roles:
        raise TemplateError(path, "unknown_role", item_code=code, detail=role)
    return TemplateItem(
        code=code,
        section_code=section_code,
        title=title.strip(),
        done_when=done_when.strip(),
        evidence=evidence,
        due=due,
        role=role,
    )


def _required(
    data: Mapping[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    path: Path,
    item_code: str | None = None,
) -> Any:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise TemplateError(path, "missing_field", item_code=item_code, detail=key)
    # bool is an int in Python; a template saying `year: yes` is wrong, not 1
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise TemplateError(path, "wrong_type", item_code=item_code, detail=key)
    return value
