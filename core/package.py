"""Making the signed report package (docs/package-format.md, «формат 1»): one ZIP, or a numbered
group of ZIPs when the size budget demands, each holding one BagIt bag (RFC 8493) whose tag
manifest is signed with the school key in minisign format. core/package_verify.py checks them,
as the region can with `minisign` and `bagit.py` alone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import os
import re
import shutil
import stat
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from core.documents import QUARTER
from core.errors import (
    CancelledError,
    DocumentError,
    EvidenceError,
    PackageError,
    StorageError,
    ValidationError,
)
from core.files import DISK_FULL, fsync_dir, sha256_of
from core.keys import SchoolKey, load_or_create_key
from core.model import EvidenceKind
from core.paths import DataLayout
from core.registers import Center
from core.report_data import EvidenceRef, ReportSnapshot, take_snapshot

FORMAT_VERSION = 1
TAG_MANIFEST = "tagmanifest-sha256.txt"
SIGNATURE_FILE = TAG_MANIFEST + ".minisig"
REPORT_JSON = "report.json"
DEFAULT_MAX_SIZE = 20 * 1000 * 1000  # «20 МБ», as mail services count
MIN_MAX_SIZE = 1 * 1000 * 1000
# What one part may hold besides its payload: bag tag files, the signature, ZIP headers. The
# per-file figure covers two manifest lines and the ZIP's local and central headers.
PART_OVERHEAD = 64 * 1024
FILE_OVERHEAD = 512
# Already compressed: stored in the ZIP as they are (deflating them costs time, saves nothing).
STORED_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".webp", ".xlsx", ".docx", ".odt", ".ods", ".zip", ".djvu"}
)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PackageRequest:
    """What to make: the period, its number in the sequence and what it replaces."""

    period: str  # normalized: "2027-Q2" or an ISO date
    sequence: int = 1
    supersedes: str | None = None
    audit_since: dt.datetime | None = None  # the previous package: audit.jsonl starts there
    max_size: int = DEFAULT_MAX_SIZE  # bytes per file
    as_of: dt.date | None = None  # «готовность на дату»: overdue counted on that day


@dataclass(frozen=True)
class BuiltPart:
    number: int
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class BuiltPackage:
    package_id: str
    period: str
    sequence: int
    supersedes: str | None
    key_id: str
    created_at: dt.datetime
    parts: tuple[BuiltPart, ...]
    photo_step: str  # "1280 px, 78 %" or "" when no photo had to be shrunk
    payload_files: int

    @property
    def size(self) -> int:
        return sum(part.size for part in self.parts)


# --- periods -----------------------------------------------------------------------------


def normalize_period(text: str) -> str:
    """«2027-Q2» (also 2027Q2, 2027-К2) → "2027-Q2"; an ISO date «2027-08-25» for
    «готовность на дату» stays as it is."""
    text = text.strip()
    match = QUARTER.match(text)
    if match:
        return f"{match.group(1)}-Q{match.group(2)}"
    try:
        return dt.date.fromisoformat(text).isoformat() if len(text) == 10 else _bad(text)
    except ValueError:
        return _bad(text)


def _bad(text: str) -> str:
    raise ValidationError("period", "bad_period", text)


def period_as_of(period: str) -> dt.date | None:
    """The day of a «готовность на дату» period; None for a quarter."""
    return None if "Q" in period else dt.date.fromisoformat(period)


def parse_size(text: str) -> int:
    """«20MB», «20 МБ», «500KB», «20000000» → bytes (decimal units, as mail services count)."""
    match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*([KkMmGgКкМмГг]?)[BbБб]?\s*", text)
    if not match:
        raise ValidationError("max_size", "bad_size", text)
    number = float(match.group(1).replace(",", "."))
    unit = match.group(2).upper()
    factor = {"": 1, "K": 10**3, "К": 10**3, "M": 10**6, "М": 10**6, "G": 10**9, "Г": 10**9}
    size = int(number * factor[unit])
    if size < MIN_MAX_SIZE:
        raise ValidationError("max_size", "too_small", text)
    return size


def part_file_name(inn: str, period: str, sequence: int, number: int, count: int) -> str:
    base = f"tochka-{inn}-{period}-{sequence:03d}"
    return f"{base}.zip" if count == 1 else f"{base}-{number}of{count}.zip"


# --- building ------------------------------------------------------------------------------


@dataclass
class _Payload:
    """One file of data/: where it comes from and how big it is."""

    name: str  # path inside data/
    source: Path
    size: int
    ref: EvidenceRef | None = None
    downscaled: bool = False
    sha256: str = ""  # of the file as packaged, when it differs from the stored original
    part: int = 1


def build_package(
    center: Center,
    layout: DataLayout,
    out_dir: Path,
    request: PackageRequest,
    *,
    passphrase: str | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    workers: int | None = None,
) -> BuiltPackage:
    """Freeze a snapshot and write it into out_dir as one or more signed part ZIPs, each at most
    request.max_size bytes. Photos are shrunk only as far as the budget needs; when even the
    smallest allowed size does not fit, the package is split into parts.

    Raises StorageError ("disk_full", ...), CancelledError, DocumentError ("no_profile"),
    PackageError ("file_too_big", "evidence_missing", "evidence_changed", "invalid_report"),
    KeyFileError. On failure no part file is left in out_dir."""
    snapshot = take_snapshot(center, today=request.as_of)
    profile = snapshot.profile
    if profile is None:
        raise DocumentError("no_profile")
    key = load_or_create_key(layout, passphrase)  # a wrong passphrase fails before any work
    package_id = str(uuid.uuid4())
    ticker = _Ticker(progress, cancelled)
    written: list[Path] = []
    try:
        with tempfile.TemporaryDirectory(prefix=".work-", dir=out_dir) as work_name:
            work = Path(work_name)
            common = work / "common"
            common.mkdir()
            ticker.tick(10)
            _write_documents(snapshot, layout, common, cancelled)
            audit = _write_audit(center, common / "audit.jsonl", request.audit_since)
            ticker.tick(150)
            photos, documents = _evidence_payload(snapshot)
            fixed = [
                _Payload("report.pdf", common / "report.pdf", _size(common / "report.pdf")),
                _Payload("report.xlsx", common / "report.xlsx", _size(common / "report.xlsx")),
                _Payload("audit.jsonl", common / "audit.jsonl", _size(common / "audit.jsonl")),
            ]
            # report.json is written last (it lists the parts); its size is known closely enough
            # from a draft, and the margin covers the digits that change
            draft = _report(snapshot, package_id, request, [*photos, *documents], 1, None, audit)
            report_size = len(_dump_json(draft).encode()) + 16 * 1024
            first_part_fixed = sum(p.size for p in fixed) + report_size
            capacity = request.max_size - PART_OVERHEAD
            _refuse_too_big(fixed, documents, first_part_fixed, capacity)
            budget = (
                capacity
                - first_part_fixed
                - sum(d.size + FILE_OVERHEAD for d in documents)
                - FILE_OVERHEAD * len(photos)
            )
            step_text, step = "", None
            if photos and sum(p.size for p in photos) > budget:
                from core.photo_budget import fit_photos

                try:
                    fit = fit_photos(
                        [(p.source, Path(p.name).name) for p in photos],
                        max(budget, 0),
                        work / "photos",
                        workers=workers,
                        progress=lambda done, total: ticker.span(150, 800, done, total),
                        cancelled=cancelled,
                    )
                except EvidenceError as exc:  # a stored photo that no longer decodes
                    names = {p.source: p.ref for p in photos}
                    ref = names.get(exc.path)
                    detail = f"{ref.subject}: {ref.original_name}" if ref else exc.path.name
                    raise PackageError("evidence_unusable", detail) from exc
                step = fit.step
                step_text = f"{step.long_side} px, {step.quality} %"
                for payload, made in zip(photos, fit.photos, strict=True):
                    payload.name = f"evidence/{Path(payload.name).stem}.jpg"
                    payload.source, payload.size, payload.downscaled = made.path, made.size, True
                    payload.sha256 = sha256_of(made.path)
            ticker.tick(800)
            evidence = [*documents, *photos]
            count = _assign_parts(evidence, capacity, first_part_fixed)
            report = _report(snapshot, package_id, request, evidence, count, step, audit)
            validate_report(report)
            (common / REPORT_JSON).write_text(_dump_json(report), encoding="utf-8")
            fixed.insert(0, _Payload(REPORT_JSON, common / REPORT_JSON, 0))
            parts: list[BuiltPart] = []
            payload_files = 0
            for number in range(1, count + 1):
                files = (fixed if number == 1 else []) + [e for e in evidence if e.part == number]
                bag_name = part_file_name(
                    profile.inn, request.period, request.sequence, number, count
                ).removesuffix(".zip")
                bag_dir = work / bag_name
                payload_files += _lay_out(bag_dir, files)
                info = _bag_info(snapshot, package_id, request, key, number, count)
                _make_bag(bag_dir, info)
                _check_evidence(bag_dir, files)
                comment = (
                    f"package={package_id} inn={profile.inn} period={request.period} "
                    f"seq={request.sequence} part={number}/{count}"
                )
                _sign(key, bag_dir / TAG_MANIFEST, comment)
                out = out_dir / f"{bag_name}.zip"
                size, digest = _write_zip_atomically(bag_dir, bag_name, out, snapshot.generated_at)
                written.append(out)
                if size > request.max_size:
                    raise PackageError("over_budget", f"{out.name}: {size}")
                parts.append(BuiltPart(number, out, size, digest))
                shutil.rmtree(bag_dir)
                ticker.span(800, 1000, number, count)
    except BaseException as exc:
        for path in written:
            path.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            where = Path(exc.filename or out_dir)
            if exc.errno in DISK_FULL:
                raise StorageError(where, "disk_full") from exc
            raise StorageError(where, "io_error", str(exc)) from exc
        raise
    return BuiltPackage(
        package_id=package_id,
        period=request.period,
        sequence=request.sequence,
        supersedes=request.supersedes,
        key_id=key.key_id,
        created_at=snapshot.generated_at,
        parts=tuple(parts),
        photo_step=step_text,
        payload_files=payload_files,
    )


class _Ticker:
    """progress on a scale of 0..1000 and the cancel check between steps."""

    def __init__(self, progress: Progress | None, cancelled: Callable[[], bool] | None) -> None:
        self.progress, self.cancelled = progress, cancelled

    def tick(self, done: int) -> None:
        if self.cancelled is not None and self.cancelled():
            raise CancelledError("package")
        if self.progress is not None:
            self.progress(done, 1000)

    def span(self, start: int, end: int, done: int, total: int) -> None:
        self.tick(start + (end - start) * done // max(total, 1))


def _size(path: Path) -> int:
    return path.stat().st_size


def _evidence_payload(snapshot: ReportSnapshot) -> tuple[list[_Payload], list[_Payload]]:
    """Each stored file once (a file attached to two subjects is the same bytes), photos and
    documents apart: only photos may be shrunk."""
    photos: dict[str, _Payload] = {}
    documents: dict[str, _Payload] = {}
    for ref in snapshot.evidence:
        if ref.sha256 in photos or ref.sha256 in documents:
            continue
        try:
            size = ref.path.stat().st_size
        except FileNotFoundError as exc:
            raise PackageError("evidence_missing", f"{ref.subject}: {ref.original_name}") from exc
        payload = _Payload(
            "evidence/" + evidence_file_name(ref.sha256, ref.original_name), ref.path, size, ref
        )
        (photos if ref.kind is EvidenceKind.PHOTO else documents)[ref.sha256] = payload
    return list(photos.values()), list(documents.values())


def _refuse_too_big(
    fixed: Sequence[_Payload],
    documents: Sequence[_Payload],
    first_part_fixed: int,
    capacity: int,
) -> None:
    """A file that fits no part, however the rest is split, is named before any slow work."""
    if first_part_fixed > capacity:
        biggest = max(fixed, key=lambda p: p.size)
        raise PackageError("report_too_big", f"{biggest.name}: {first_part_fixed}")
    for document in documents:
        if document.size + FILE_OVERHEAD > capacity:
            assert document.ref is not None
            raise PackageError("file_too_big", document.ref.original_name)


def _assign_parts(evidence: list[_Payload], capacity: int, first_part_fixed: int) -> int:
    """First fit, biggest first: part 1 carries the report and what fits beside it. Returns
    the number of parts."""
    free = [capacity - first_part_fixed]
    for payload in sorted(evidence, key=lambda p: (-p.size, p.name)):
        need = payload.size + FILE_OVERHEAD
        if need > capacity:
            assert payload.ref is not None
            raise PackageError("file_too_big", payload.ref.original_name)
        for index, room in enumerate(free):
            if need <= room:
                free[index] -= need
                payload.part = index + 1
                break
        else:
            free.append(capacity - need)
            payload.part = len(free)
    return len(free)


def _plain(value: Any) -> Any:
    """Dataclasses, enums, dates and containers → JSON values (dates in ISO 8601)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def evidence_file_name(sha256: str, original_name: str) -> str:
    """Name in data/evidence/: the content hash (one copy of a file attached twice) and the
    original extension."""
    suffix = re.sub(r"[^A-Za-z0-9]", "", Path(original_name).suffix)[:8].lower()
    return f"{sha256}.{suffix}" if suffix else sha256


def _report(
    snapshot: ReportSnapshot,
    package_id: str,
    request: PackageRequest,
    evidence: Sequence[_Payload],
    parts: int,
    step: Any,
    audit_entries: int,
) -> Any:
    """The machine-readable record of the snapshot: what resources/schemas/report.schema.json
    describes."""
    readiness = _plain(snapshot.readiness)
    readiness.update(
        percent=round(snapshot.readiness.percent, 2),
        done=snapshot.readiness.done,
        applicable=snapshot.readiness.applicable,
    )
    for section, data in zip(snapshot.readiness.sections, readiness["sections"], strict=True):
        data["percent"] = round(section.percent, 2)
    summary = _plain(snapshot.summary)
    summary.pop("indicators", None)  # the same rows as "indicators" below
    by_sha = {p.ref.sha256: p for p in evidence if p.ref is not None}
    return {
        "format": FORMAT_VERSION,
        "package_id": package_id,
        "period": request.period,
        "sequence": request.sequence,
        "supersedes": request.supersedes,
        "parts": parts,
        "photo_step": None
        if step is None
        else {"long_side": step.long_side, "quality": step.quality},
        "audit_since": request.audit_since.isoformat() if request.audit_since else None,
        "generated_at": snapshot.generated_at.isoformat(),
        "today": snapshot.today.isoformat(),
        "app_version": snapshot.app_version,
        "template": {
            "id": snapshot.template_id,
            "title": snapshot.template_title,
            "version": snapshot.template_version,
        },
        "profile": _plain(snapshot.profile),
        "readiness": readiness,
        "checklist": [_plain(row) | {"open": row.open} for row in snapshot.checklist],
        "evidence": [_evidence_entry(e, by_sha[e.sha256]) for e in snapshot.evidence],
        "positions": _plain(snapshot.positions),
        "units": _plain(snapshot.units),
        "discrepancies": _plain(snapshot.discrepancies),
        "rooms": [
            _plain(room) | {"ready": snapshot.room_ready.get(room.id, False)}
            for room in snapshot.rooms
        ],
        "zone_titles": dict(snapshot.zone_titles),
        "brand": _plain(snapshot.brand),
        "tasks": _plain(snapshot.tasks),
        "indicators": [
            _plain(row) | {"percent": None if row.percent is None else round(row.percent, 2)}
            for row in snapshot.indicators
        ],
        "summary": summary,
        "audit_entries": audit_entries,
    }


def _evidence_entry(ref: EvidenceRef, payload: _Payload) -> dict[str, Any]:
    return {
        "subject": ref.subject,
        "original_name": ref.original_name,
        "kind": ref.kind.value,
        "sha256": ref.sha256,
        "taken_at": ref.taken_at.isoformat() if ref.taken_at else None,
        "added_at": ref.added_at.isoformat(),
        "file": payload.name,
        "part": payload.part,
        # the draft report is sized before photos are shrunk: the original's figures stand in
        "file_sha256": payload.sha256 if payload.downscaled else ref.sha256,
        "file_size": payload.size,
        "downscaled": payload.downscaled,
    }


def _lay_out(bag_dir: Path, files: Sequence[_Payload]) -> int:
    """Copy the part's files into bag_dir (bagit then moves them under data/)."""
    for payload in files:
        target = bag_dir / payload.name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(payload.source, target)
        except FileNotFoundError as exc:
            ref = payload.ref
            detail = f"{ref.subject}: {ref.original_name}" if ref else payload.name
            raise PackageError("evidence_missing", detail) from exc
    return len(files)


def _check_evidence(bag_dir: Path, files: Sequence[_Payload]) -> None:
    """Evidence as stored must be the bytes its hash names: checked against the manifest
    bagit just wrote (one read of each file, not two)."""
    manifest = {}
    for line in (bag_dir / "manifest-sha256.txt").read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition(" ")
        manifest[name.strip()] = digest.lower()
    for payload in files:
        ref = payload.ref
        if ref is not None and not payload.downscaled:
            if manifest.get(f"data/{payload.name}") != ref.sha256:
                raise PackageError("evidence_changed", f"{ref.subject}: {ref.original_name}")


def _write_audit(center: Center, path: Path, since: dt.datetime | None) -> int:
    """audit.jsonl: the history recorded after the previous package (all of it for the
    first). Returns the number of entries."""
    entries = center.checklist.store.history_since(since)
    with path.open("w", encoding="utf-8") as stream:
        for h in entries:
            line = {
                "id": h.id,
                "at": h.at.isoformat(),
                "subject": h.item_code,
                "field": h.field,
                "old": h.old,
                "new": h.new,
            }
            stream.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
    return len(entries)


def _write_documents(
    snapshot: ReportSnapshot,
    layout: DataLayout,
    folder: Path,
    cancelled: Callable[[], bool] | None,
) -> None:
    # The writers take the same snapshot as report.json: the three never disagree.
    from core import pdf_reports
    from core.xlsx_export import write_workbook

    pdf_reports.write_readiness_report_pdf(
        snapshot, folder / "report.pdf", thumbnails_dir=layout.thumbnails, cancelled=cancelled
    )
    write_workbook(snapshot, folder / "report.xlsx", cancelled=cancelled)


def _dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _bag_info(
    snapshot: ReportSnapshot,
    package_id: str,
    request: PackageRequest,
    key: SchoolKey,
    number: int,
    count: int,
) -> dict[str, str]:
    profile = snapshot.profile
    assert profile is not None
    return {
        "Source-Organization": profile.school_full_name,
        "Organization-Address": profile.address,
        "Contact-Name": profile.director,
        "Contact-Phone": profile.phone,
        "Contact-Email": profile.email,
        "Bagging-Date": snapshot.generated_at.date().isoformat(),
        "External-Identifier": package_id,
        "External-Description": f"Отчёт центра «Точка роста», {request.period}",
        "Bag-Group-Identifier": package_id,
        "Bag-Count": f"{number} of {count}",
        "Reporting-Period": request.period,
        "Template-Id": snapshot.template_id,
        "Template-Version": snapshot.template_version,
        "App-Version": snapshot.app_version,
        "Package-Format": str(FORMAT_VERSION),
        "Sequence-Number": str(request.sequence),
        "Supersedes": request.supersedes or "",
        "Signer-Key-Id": key.key_id,
        "School-INN": profile.inn,
    }


def report_schema() -> Any:
    text = resources.files("resources").joinpath("schemas/report.schema.json").read_text("utf-8")
    return json.loads(text)


def report_problems(report: Any) -> list[str]:
    """Every way report violates the schema, as «path: message»."""
    import jsonschema  # type: ignore[import-untyped]

    validator = jsonschema.Draft202012Validator(report_schema())
    problems = []
    for error in sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(корень)"
        problems.append(f"{where}: {error.message}")
    return problems


def validate_report(report: Any) -> None:
    problems = report_problems(report)
    if problems:
        raise PackageError("invalid_report", "; ".join(problems[:5]))


def _make_bag(bag_dir: Path, bag_info: dict[str, str]) -> None:
    import bagit  # type: ignore[import-untyped]

    # make_bag changes the working directory while it runs; it gets absolute paths only
    bagit.make_bag(str(bag_dir), bag_info=dict(bag_info), checksums=["sha256"], processes=1)


def _sign(key: SchoolKey, tag_manifest: Path, trusted_comment: str) -> None:
    """Prehashed ("ED") signature next to the tag manifest, as `minisign -S` writes it. It
    is made after the tag manifest, so the manifest does not list it."""
    signature = key.secret.sign(
        tag_manifest.read_bytes(),
        prehash=True,
        untrusted_comment=f"signature from tochka-readiness secret key {key.key_id}",
        trusted_comment=trusted_comment,
    )
    tag_manifest.with_name(SIGNATURE_FILE).write_bytes(bytes(signature) + b"\n")


def _write_zip_atomically(
    bag_dir: Path, bag_name: str, out: Path, stamp: dt.datetime
) -> tuple[int, str]:
    """The bag as bag_name/... in a ZIP: written beside out under a temporary name, synced,
    then renamed over out. A failure leaves no partial file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.partial")
    date_time = stamp.timetuple()[:6]
    try:
        with temp.open("xb") as stream:
            with zipfile.ZipFile(stream, "w") as archive:
                for path in sorted(p for p in bag_dir.rglob("*") if p.is_file()):
                    info = zipfile.ZipInfo(
                        f"{bag_name}/{path.relative_to(bag_dir).as_posix()}", date_time
                    )
                    info.external_attr = (stat.S_IFREG | 0o644) << 16
                    stored = path.suffix.lower() in STORED_SUFFIXES
                    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                    info.file_size = path.stat().st_size  # lets zipfile skip ZIP64 extras
                    with path.open("rb") as source, archive.open(info, "w") as target:
                        shutil.copyfileobj(source, target, 1 << 20)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, out)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            raise StorageError(out, "disk_full") from exc
        raise
    fsync_dir(out.parent)
    return out.stat().st_size, sha256_of(out)
