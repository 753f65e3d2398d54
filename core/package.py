"""The signed report package (docs/package-format.md, «формат 1»): a ZIP that holds one BagIt
bag (RFC 8493) whose tag manifest is signed with the school key in minisign format, and its
verification, which the region can repeat with `minisign` and `bagit.py` alone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from core.documents import QUARTER
from core.errors import CancelledError, DocumentError, PackageError, StorageError, ValidationError
from core.keys import SchoolKey, format_key_id, load_or_create_key
from core.model import HistoryEntry
from core.paths import DataLayout
from core.registers import Center
from core.report_data import ReportSnapshot, take_snapshot

FORMAT_VERSION = 1
TAG_MANIFEST = "tagmanifest-sha256.txt"
SIGNATURE_FILE = TAG_MANIFEST + ".minisig"
REPORT_JSON = "report.json"
# An archive that unpacks to more than this, or holds more entries, is refused unread.
MAX_UNPACKED_BYTES = 2 << 30
MAX_ENTRIES = 100_000
DISK_FULL = {errno.ENOSPC, errno.EDQUOT}

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PackageInfo:
    path: Path
    package_id: str
    period: str
    sequence: int
    key_id: str
    bag_name: str
    size: int
    sha256: str  # of the ZIP file
    payload_files: int


class Check(enum.StrEnum):
    """The named checks of verify_package; ui/CLI words them in Russian."""

    BAD_ARCHIVE = "bad_archive"  # not a ZIP, or not exactly one bag in it
    UNSAFE_ARCHIVE = "unsafe_archive"  # absolute path, .., link, too big
    NOT_A_BAG = "not_a_bag"
    SIGNATURE = "signature"
    UNKNOWN_KEY = "unknown_key"
    MANIFEST_MISMATCH = "manifest_mismatch"
    MISSING_FILE = "missing_file"
    EXTRA_FILE = "extra_file"
    INVALID_REPORT = "invalid_report"
    METADATA = "metadata"  # ids in the signature, bag-info.txt and report.json disagree


@dataclass(frozen=True)
class CheckFailure:
    check: Check
    file: str = ""  # path inside the bag
    detail: str = ""


@dataclass(frozen=True)
class VerifyResult:
    failures: tuple[CheckFailure, ...]
    trusted_comment: str = ""
    bag_info: dict[str, str] = field(default_factory=dict)
    payload_files: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures

    def failed(self, check: Check) -> list[CheckFailure]:
        return [f for f in self.failures if f.check is check]


# --- building ------------------------------------------------------------------------------


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


def build_package(
    center: Center,
    layout: DataLayout,
    out: Path,
    *,
    period: str,
    passphrase: str | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> PackageInfo:
    """Freeze a snapshot, lay it out as a bag, sign the tag manifest and write the ZIP to out
    atomically. Raises StorageError(out, "disk_full"...), CancelledError, DocumentError
    ("no_profile"), PackageError, KeyFileError; out is then untouched."""
    period = normalize_period(period)
    snapshot = take_snapshot(center)
    profile = snapshot.profile
    if profile is None:
        raise DocumentError("no_profile")
    key = load_or_create_key(layout, passphrase)
    package_id = str(uuid.uuid4())
    sequence = 1  # numbering and supersede come with the outbox
    steps = 6
    tick = _ticker(progress, cancelled, steps)
    try:
        with tempfile.TemporaryDirectory(prefix="tochka-package-") as work:
            bag_name = f"tochka-{profile.inn}-{period}-{sequence:03d}"
            bag_dir = Path(work) / bag_name
            bag_dir.mkdir()
            report = report_record(snapshot, package_id=package_id, period=period, seq=sequence)
            report["audit_entries"] = _write_payload(center, layout, snapshot, report, bag_dir)
            tick(1)
            _write_documents(snapshot, layout, bag_dir, cancelled)
            tick(2)
            validate_report(report)
            (bag_dir / REPORT_JSON).write_text(_dump_json(report), encoding="utf-8")
            tick(3)
            bag_info = {
                "Source-Organization": profile.school_full_name,
                "Organization-Address": profile.address,
                "Contact-Name": profile.director,
                "Contact-Phone": profile.phone,
                "Contact-Email": profile.email,
                "Bagging-Date": snapshot.generated_at.date().isoformat(),
                "External-Identifier": package_id,
                "External-Description": f"Отчёт центра «Точка роста», {period}",
                "Reporting-Period": period,
                "Template-Id": snapshot.template_id,
                "Template-Version": snapshot.template_version,
                "App-Version": snapshot.app_version,
                "Package-Format": str(FORMAT_VERSION),
                "Sequence-Number": str(sequence),
                "Supersedes": "",
                "Signer-Key-Id": key.key_id,
                "School-INN": profile.inn,
            }
            payload_files = _make_bag(bag_dir, bag_info)
            tick(4)
            comment = f"package={package_id} inn={profile.inn} period={period} seq={sequence}"
            _sign(key, bag_dir / TAG_MANIFEST, comment)
            tick(5)
            size, digest = _write_zip_atomically(bag_dir, bag_name, out, snapshot.generated_at)
            tick(6)
    except OSError as exc:
        if exc.errno in DISK_FULL:
            raise StorageError(Path(exc.filename or tempfile.gettempdir()), "disk_full") from exc
        raise StorageError(Path(exc.filename or out), "io_error", str(exc)) from exc
    return PackageInfo(
        path=out,
        package_id=package_id,
        period=period,
        sequence=sequence,
        key_id=key.key_id,
        bag_name=bag_name,
        size=size,
        sha256=digest,
        payload_files=payload_files,
    )


def _ticker(
    progress: Progress | None, cancelled: Callable[[], bool] | None, total: int
) -> Callable[[int], None]:
    def tick(done: int) -> None:
        if cancelled is not None and cancelled():
            raise CancelledError("package")
        if progress is not None:
            progress(done, total)

    return tick


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


def report_record(snapshot: ReportSnapshot, *, package_id: str, period: str, seq: int) -> Any:
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
    return {
        "format": FORMAT_VERSION,
        "package_id": package_id,
        "period": period,
        "sequence": seq,
        "supersedes": None,
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
        "evidence": [
            {
                "subject": e.subject,
                "original_name": e.original_name,
                "kind": e.kind.value,
                "sha256": e.sha256,
                "taken_at": e.taken_at.isoformat() if e.taken_at else None,
                "added_at": e.added_at.isoformat(),
                "file": "evidence/" + evidence_file_name(e.sha256, e.original_name),
            }
            for e in snapshot.evidence
        ],
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
        "audit_entries": 0,
    }


def _write_payload(
    center: Center, layout: DataLayout, snapshot: ReportSnapshot, report: Any, bag_dir: Path
) -> int:
    """Copy the evidence files as they are and write audit.jsonl; returns the audit count."""
    evidence_dir = bag_dir / "evidence"
    evidence_dir.mkdir()
    for ref, entry in zip(snapshot.evidence, report["evidence"], strict=True):
        target = bag_dir / entry["file"]
        if target.exists():
            continue
        try:
            shutil.copyfile(ref.path, target)
        except FileNotFoundError as exc:
            raise PackageError("evidence_missing", f"{ref.subject}: {ref.original_name}") from exc
        if _sha256_of(target) != ref.sha256:
            raise PackageError("evidence_changed", f"{ref.subject}: {ref.original_name}")
    entries = sorted(all_history(center), key=lambda h: (h.at, h.id or 0))
    with (bag_dir / "audit.jsonl").open("w", encoding="utf-8") as stream:
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


def all_history(center: Center) -> list[HistoryEntry]:
    """Every audited change. The store protocol reads history per subject, so this asks for
    every subject the center knows (a store with all_history() is asked directly)."""
    store: Any = center.checklist.store
    reader = getattr(store, "all_history", None)
    if callable(reader):
        return list(reader())
    checklist, registers = center.checklist, center.registers
    template = checklist.template
    subjects: set[str | None] = {None}
    subjects.update(item.code for item in template.items())
    subjects.update(position.code for position in template.equipment)
    subjects.update(task.code for task in template.roadmap)
    subjects.update(indicator.code for indicator in template.indicators)
    subjects.update(f"unit/{unit.id}" for unit in registers.units())
    rooms = registers.rooms()
    subjects.update(f"room/{room.id}" for room in rooms)
    subjects.update(f"brand/{item.key}" for item in registers.brand_items(rooms))
    for row in registers.indicators():
        subjects.update(f"{row.indicator.code}/{row.year}-Q{q}" for q in range(1, 5))
    subjects.update(e.item_code for e in checklist.store.all_evidence())
    seen: dict[int | None, HistoryEntry] = {}
    unnumbered: list[HistoryEntry] = []
    for subject in subjects:
        for entry in checklist.history(subject):
            if entry.id is None:
                unnumbered.append(entry)
            else:
                seen[entry.id] = entry
    return [*seen.values(), *unnumbered]


def _write_documents(
    snapshot: ReportSnapshot,
    layout: DataLayout,
    bag_dir: Path,
    cancelled: Callable[[], bool] | None,
) -> None:
    # The writers take the same snapshot as report.json: the three never disagree.
    from core import pdf_reports
    from core.xlsx_export import write_workbook

    pdf_reports.write_readiness_report_pdf(
        snapshot, bag_dir / "report.pdf", thumbnails_dir=layout.thumbnails, cancelled=cancelled
    )
    write_workbook(snapshot, bag_dir / "report.xlsx", cancelled=cancelled)


def _dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


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


def _make_bag(bag_dir: Path, bag_info: dict[str, str]) -> int:
    import bagit  # type: ignore[import-untyped]

    # make_bag changes the working directory while it runs; it gets absolute paths only
    bagit.make_bag(str(bag_dir), bag_info=dict(bag_info), checksums=["sha256"], processes=1)
    return sum(1 for p in (bag_dir / "data").rglob("*") if p.is_file())


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


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
            with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(p for p in bag_dir.rglob("*") if p.is_file()):
                    info = zipfile.ZipInfo(
                        f"{bag_name}/{path.relative_to(bag_dir).as_posix()}", date_time
                    )
                    info.external_attr = (stat.S_IFREG | 0o644) << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
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
    _fsync_dir(out.parent)
    return out.stat().st_size, _sha256_of(out)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not possible on every system (Windows); the rename is already done
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- verifying -----------------------------------------------------------------------------


def verify_package(
    zip_path: Path,
    public_key: Any,
    *,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
    max_entries: int = MAX_ENTRIES,
) -> VerifyResult:
    """Every check of the package against the school's public key (a minisign.PublicKey).
    Unpacks only into a temporary directory, and only an archive found safe beforehand."""
    with tempfile.TemporaryDirectory(prefix="tochka-verify-") as work:
        root = Path(work)
        failures = _extract_safely(zip_path, root, max_unpacked_bytes, max_entries)
        if failures:
            return VerifyResult(tuple(failures))
        tops = [p for p in root.iterdir()]
        if len(tops) != 1 or not tops[0].is_dir():
            names = ", ".join(sorted(p.name for p in tops))
            return VerifyResult((CheckFailure(Check.BAD_ARCHIVE, "", names),))
        return verify_bag(tops[0], public_key)


def _extract_safely(
    zip_path: Path, root: Path, max_unpacked_bytes: int, max_entries: int
) -> list[CheckFailure]:
    try:
        archive = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [CheckFailure(Check.BAD_ARCHIVE, zip_path.name, str(exc))]
    with archive:
        members = archive.infolist()
        failures = [
            CheckFailure(Check.UNSAFE_ARCHIVE, info.filename, problem)
            for info in members
            if (problem := _unsafe_member(info))
        ]
        declared = sum(info.file_size for info in members)
        if len(members) > max_entries:
            failures.append(CheckFailure(Check.UNSAFE_ARCHIVE, "", f"entries {len(members)}"))
        if declared > max_unpacked_bytes:
            failures.append(CheckFailure(Check.UNSAFE_ARCHIVE, "", f"declared size {declared}"))
        if failures:
            return failures
        resolved_root = root.resolve()
        for info in members:
            target = (root / info.filename).resolve()
            if not target.is_relative_to(resolved_root):
                return [CheckFailure(Check.UNSAFE_ARCHIVE, info.filename, "outside")]
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as source, target.open("xb") as sink:
                    written = 0
                    for block in iter(lambda: source.read(1 << 20), b""):
                        written += len(block)
                        if written > info.file_size:  # the declared size lied
                            return [CheckFailure(Check.UNSAFE_ARCHIVE, info.filename, "size")]
                        sink.write(block)
            except FileExistsError:
                return [CheckFailure(Check.UNSAFE_ARCHIVE, info.filename, "duplicate")]
            except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
                return [CheckFailure(Check.BAD_ARCHIVE, info.filename, str(exc))]
    return []


def _unsafe_member(info: zipfile.ZipInfo) -> str:
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "link"
    if "\\" in name or "\0" in name:
        return "bad_name"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "absolute"
    parts = PurePosixPath(name).parts
    if ".." in parts:
        return "parent"
    if not parts:
        return "bad_name"
    return ""


def verify_bag(bag_dir: Path, public_key: Any) -> VerifyResult:
    """The checks on an unpacked bag: signature, BagIt validity, report.json."""
    import bagit
    import minisign  # type: ignore[import-untyped]

    failures: list[CheckFailure] = []
    trusted_comment = ""
    manifest = bag_dir / TAG_MANIFEST
    signature_path = bag_dir / SIGNATURE_FILE
    if not manifest.is_file():
        failures.append(CheckFailure(Check.MISSING_FILE, TAG_MANIFEST))
    if not signature_path.is_file():
        failures.append(CheckFailure(Check.SIGNATURE, SIGNATURE_FILE, "missing"))
    if manifest.is_file() and signature_path.is_file():
        try:
            signature = minisign.Signature.from_bytes(signature_path.read_bytes())
            trusted_comment = str(signature.trusted_comment)
            expected_id = format_key_id(bytes(public_key._keynum_pk.key_id))
            signed_id = format_key_id(bytes(signature._key_id))
            if signed_id != expected_id:
                failures.append(CheckFailure(Check.UNKNOWN_KEY, SIGNATURE_FILE, signed_id))
            else:
                public_key.verify(manifest.read_bytes(), signature)
        except (minisign.Error, ValueError) as exc:
            failures.append(CheckFailure(Check.SIGNATURE, SIGNATURE_FILE, str(exc)))
    bag_info: dict[str, str] = {}
    payload_files = 0
    try:
        bag = bagit.Bag(str(bag_dir))
        bag_info = {str(k): str(v) for k, v in bag.info.items()}
        payload_files = sum(1 for _ in bag.payload_files())
        failures.extend(_bag_failures(bag, bag_dir))
    except bagit.BagError as exc:
        failures.append(CheckFailure(Check.NOT_A_BAG, "", str(exc)))
    report_path = bag_dir / "data" / REPORT_JSON
    report: Any = None
    if report_path.is_file():
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            failures.append(CheckFailure(Check.INVALID_REPORT, "data/" + REPORT_JSON, str(exc)))
        else:
            failures.extend(
                CheckFailure(Check.INVALID_REPORT, "data/" + REPORT_JSON, problem)
                for problem in report_problems(report)[:20]
            )
    elif not any(f.file == "data/" + REPORT_JSON for f in failures):
        failures.append(CheckFailure(Check.MISSING_FILE, "data/" + REPORT_JSON))
    failures.extend(_metadata_failures(trusted_comment, bag_info, report))
    return VerifyResult(_unique(failures), trusted_comment, bag_info, payload_files)


def _bag_failures(bag: Any, bag_dir: Path) -> list[CheckFailure]:
    """Named failures: bagit's validate() stops at the first kind of problem (Payload-Oxum
    first), so missing, extra and changed files are also listed one by one here."""
    import bagit

    # bagit lists no tag files of the root outside the tag manifest: format 1 allows only ours
    listed = set(bag.entries) | {TAG_MANIFEST, SIGNATURE_FILE}
    extra_tags = [
        CheckFailure(Check.EXTRA_FILE, path.name)
        for path in sorted(bag_dir.iterdir())
        if path.name != "data" and path.name not in listed
    ]
    failures: list[CheckFailure] = []
    try:
        bag.validate(processes=1)
        return extra_tags
    except bagit.BagValidationError as exc:
        for detail in exc.details or []:
            failures.append(_detail_failure(detail))
        if not exc.details:
            failures.append(CheckFailure(Check.NOT_A_BAG, "", str(exc.message)))
    except bagit.BagError as exc:
        failures.append(CheckFailure(Check.NOT_A_BAG, "", str(exc)))
    only_in_manifests, only_on_disk = bag.compare_manifests_with_fs()
    failures.extend(CheckFailure(Check.MISSING_FILE, str(p)) for p in only_in_manifests)
    failures.extend(CheckFailure(Check.EXTRA_FILE, str(p)) for p in only_on_disk)
    for rel_path, hashes in bag.entries.items():
        path = bag_dir / rel_path
        expected = hashes.get("sha256")
        if not path.is_file():
            failures.append(CheckFailure(Check.MISSING_FILE, str(rel_path)))
        elif expected and _sha256_of(path) != expected.lower():
            failures.append(CheckFailure(Check.MANIFEST_MISMATCH, str(rel_path)))
    failures.extend(extra_tags)
    # a bag whose named failures all vanished on recount is still not valid
    return failures or [CheckFailure(Check.NOT_A_BAG, "", "bagit validation failed")]


def _detail_failure(detail: Any) -> CheckFailure:
    import bagit

    path = str(getattr(detail, "path", ""))
    if isinstance(detail, bagit.ChecksumMismatch):
        return CheckFailure(Check.MANIFEST_MISMATCH, path)
    if isinstance(detail, bagit.FileMissing):
        return CheckFailure(Check.MISSING_FILE, path)
    if isinstance(detail, bagit.UnexpectedFile):
        return CheckFailure(Check.EXTRA_FILE, path)
    return CheckFailure(Check.NOT_A_BAG, path, str(detail))


def parse_trusted_comment(comment: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in comment.split() if "=" in part)


def _metadata_failures(
    trusted_comment: str, bag_info: dict[str, str], report: Any
) -> list[CheckFailure]:
    if not trusted_comment or not bag_info:
        return []
    signed = parse_trusted_comment(trusted_comment)
    failures = []
    pairs = [
        ("package", "External-Identifier", "package_id"),
        ("period", "Reporting-Period", "period"),
        ("seq", "Sequence-Number", "sequence"),
    ]
    for comment_key, info_key, report_key in pairs:
        value = signed.get(comment_key)
        if value != bag_info.get(info_key):
            failures.append(CheckFailure(Check.METADATA, "bag-info.txt", info_key))
        if isinstance(report, dict) and str(report.get(report_key)) != value:
            failures.append(CheckFailure(Check.METADATA, "data/" + REPORT_JSON, report_key))
    if isinstance(report, dict) and isinstance(report.get("profile"), dict):
        if report["profile"].get("inn") != signed.get("inn"):
            failures.append(CheckFailure(Check.METADATA, "data/" + REPORT_JSON, "profile.inn"))
    return failures


def _unique(failures: Iterable[CheckFailure]) -> tuple[CheckFailure, ...]:
    return tuple(dict.fromkeys(failures))
