"""Load and validate a checklist template (docs/template-format.md)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from core.errors import TemplateError
from core.model import EvidenceKind, Template, TemplateItem, TemplateSection

SUPPORTED_FORMAT = 1
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
    if fmt != SUPPORTED_FORMAT:
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

    return Template(
        id=template_id,
        title=title,
        region=region,
        year=year,
        version=version,
        roles=roles,
        sections=tuple(sections),
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
