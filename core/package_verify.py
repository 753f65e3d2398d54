"""Checking a report package (docs/package-format.md): every part's signature against known
school keys, its BagIt manifests, report.json against the schema, and that the parts together
make one complete package. Archives are unpacked only into a temporary directory, and only
after they are found safe."""

from __future__ import annotations

import enum
import json
import re
import stat
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from core.files import sha256_of
from core.keys import format_key_id
from core.package import REPORT_JSON, SIGNATURE_FILE, TAG_MANIFEST, report_problems

# An archive that unpacks to more than this, or holds more entries, is refused unread.
MAX_UNPACKED_BYTES = 2 << 30
MAX_ENTRIES = 100_000
REPORT_PATH = "data/" + REPORT_JSON


class Check(enum.StrEnum):
    """The named checks; ui/CLI word them in Russian."""

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
    INCOMPLETE = "incomplete"  # a part of the group is missing, repeated or from another package


@dataclass(frozen=True)
class CheckFailure:
    check: Check
    file: str = ""  # path inside the bag
    detail: str = ""
    part: str = ""  # the ZIP file's name, when several were checked


@dataclass(frozen=True)
class VerifyResult:
    failures: tuple[CheckFailure, ...]
    trusted_comment: str = ""  # of the first part
    bag_info: dict[str, str] = field(default_factory=dict)  # of the first part
    payload_files: int = 0  # over all parts
    parts: int = 0
    signer_key_id: str = ""

    @property
    def ok(self) -> bool:
        return not self.failures

    def failed(self, check: Check) -> list[CheckFailure]:
        return [f for f in self.failures if f.check is check]


@dataclass
class _Part:
    zip_name: str
    bag_dir: Path | None = None
    failures: list[CheckFailure] = field(default_factory=list)
    signed: dict[str, str] = field(default_factory=dict)
    trusted_comment: str = ""
    bag_info: dict[str, str] = field(default_factory=dict)
    payload_files: int = 0
    report: Any = None
    key_id: str = ""


def parse_trusted_comment(comment: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in comment.split() if "=" in part)


def verify_package(
    parts: Path | Sequence[Path],
    keys: Mapping[str, Any] | Any,
    *,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
    max_entries: int = MAX_ENTRIES,
) -> VerifyResult:
    """Every check of a package — one ZIP, or all the ZIPs of a group — against the school's
    public keys (a minisign.PublicKey, or a mapping key id → PublicKey). A failure names its
    check, the file inside the bag and, for several parts, the part."""
    paths = [parts] if isinstance(parts, Path) else list(parts)
    key_map: Mapping[str, Any] = keys if isinstance(keys, Mapping) else {_key_id(keys): keys}
    several = len(paths) > 1
    checked: list[_Part] = []
    with tempfile.TemporaryDirectory(prefix="tochka-verify-") as work:
        for index, path in enumerate(paths):
            part = _Part(path.name)
            root = Path(work) / str(index)
            root.mkdir()
            part.failures = _extract_safely(path, root, max_unpacked_bytes, max_entries)
            if not part.failures:
                tops = list(root.iterdir())
                if len(tops) != 1 or not tops[0].is_dir():
                    names = ", ".join(sorted(p.name for p in tops))
                    part.failures = [CheckFailure(Check.BAD_ARCHIVE, "", names)]
                else:
                    part.bag_dir = tops[0]
                    _verify_bag(part, key_map)
            checked.append(part)
        group = _group_failures(checked, several)
    failures = [
        CheckFailure(f.check, f.file, f.detail, p.zip_name if several else "")
        for p in checked
        for f in p.failures
    ]
    first = next((p for p in checked if p.signed.get("part", "1/").startswith("1/")), checked[0])
    return VerifyResult(
        _unique([*failures, *group]),
        trusted_comment=first.trusted_comment,
        bag_info=first.bag_info,
        payload_files=sum(p.payload_files for p in checked),
        parts=len(checked),
        signer_key_id=first.key_id,
    )


def _key_id(public_key: Any) -> str:
    return format_key_id(bytes(public_key._keynum_pk.key_id))


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


def _verify_bag(part: _Part, keys: Mapping[str, Any]) -> None:
    """The checks on one unpacked bag: signature, BagIt validity, report.json."""
    import bagit  # type: ignore[import-untyped]
    import minisign  # type: ignore[import-untyped]

    bag_dir = part.bag_dir
    assert bag_dir is not None
    failures = part.failures
    manifest = bag_dir / TAG_MANIFEST
    signature_path = bag_dir / SIGNATURE_FILE
    if not manifest.is_file():
        failures.append(CheckFailure(Check.MISSING_FILE, TAG_MANIFEST))
    if not signature_path.is_file():
        failures.append(CheckFailure(Check.SIGNATURE, SIGNATURE_FILE, "missing"))
    if manifest.is_file() and signature_path.is_file():
        try:
            signature = minisign.Signature.from_bytes(signature_path.read_bytes())
            part.trusted_comment = str(signature.trusted_comment)
            part.key_id = format_key_id(bytes(signature._key_id))
            public_key = keys.get(part.key_id)
            if public_key is None:
                failures.append(CheckFailure(Check.UNKNOWN_KEY, SIGNATURE_FILE, part.key_id))
            else:
                public_key.verify(manifest.read_bytes(), signature)
                part.signed = parse_trusted_comment(part.trusted_comment)
        except minisign.VerifyError as exc:
            # the manifest or the signature changed: which one, the signature cannot tell
            failures.append(CheckFailure(Check.SIGNATURE, TAG_MANIFEST, str(exc)))
            failures.append(CheckFailure(Check.SIGNATURE, SIGNATURE_FILE, str(exc)))
        except (minisign.Error, ValueError) as exc:
            failures.append(CheckFailure(Check.SIGNATURE, SIGNATURE_FILE, str(exc)))
    try:
        bag = bagit.Bag(str(bag_dir))
        part.bag_info = {str(k): str(v) for k, v in bag.info.items()}
        part.payload_files = sum(1 for _ in bag.payload_files())
        failures.extend(_bag_failures(bag, bag_dir))
    except bagit.BagError as exc:
        # bagit cannot even open it (a broken bagit.txt or bag-info.txt): check the manifests
        # ourselves, so that the changed file is still named
        failures.append(CheckFailure(Check.NOT_A_BAG, "", str(exc)))
        failures.extend(_manifest_failures(bag_dir, "manifest-sha256.txt", payload=True))
    failures.extend(_manifest_failures(bag_dir, TAG_MANIFEST, payload=False))
    number = _part_number(part)
    report_path = bag_dir / REPORT_PATH
    if report_path.is_file():
        try:
            part.report = json.loads(report_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            failures.append(CheckFailure(Check.INVALID_REPORT, REPORT_PATH, str(exc)))
        else:
            failures.extend(
                CheckFailure(Check.INVALID_REPORT, REPORT_PATH, problem)
                for problem in report_problems(part.report)[:20]
            )
    elif number == 1 and not any(f.file == REPORT_PATH for f in failures):
        failures.append(CheckFailure(Check.MISSING_FILE, REPORT_PATH))
    failures.extend(_metadata_failures(part))


def _manifest_failures(bag_dir: Path, manifest_name: str, *, payload: bool) -> list[CheckFailure]:
    """Each «sha256  path» line of a manifest against the file; for the payload manifest also
    the files of data/ that it does not list."""
    manifest = bag_dir / manifest_name
    try:
        lines = manifest.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []  # named elsewhere: missing, or changed (the tag manifest lists it)
    failures = []
    listed = set()
    for line in lines:
        digest, _, name = line.strip().partition(" ")
        name = name.strip().replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
        if not name:
            continue
        listed.add(name)
        path = bag_dir / name
        if not path.resolve().is_relative_to(bag_dir.resolve()):
            failures.append(CheckFailure(Check.UNSAFE_ARCHIVE, name, manifest_name))
        elif not path.is_file():
            failures.append(CheckFailure(Check.MISSING_FILE, name))
        elif sha256_of(path) != digest.lower():
            failures.append(CheckFailure(Check.MANIFEST_MISMATCH, name))
    if payload:
        for path in sorted((bag_dir / "data").rglob("*")):
            name = path.relative_to(bag_dir).as_posix()
            if path.is_file() and name not in listed:
                failures.append(CheckFailure(Check.EXTRA_FILE, name))
    return failures


def _part_number(part: _Part) -> int:
    """From the signed comment when it verified, else from bag-info.txt (1 when neither)."""
    text = part.signed.get("part") or part.bag_info.get("Bag-Count", "1 of 1").replace(" of ", "/")
    try:
        return int(text.split("/")[0])
    except ValueError:
        return 1


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
        elif expected and sha256_of(path) != expected.lower():
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


def _metadata_failures(part: _Part) -> list[CheckFailure]:
    """What the signature vouches for must be what bag-info.txt and report.json say."""
    signed, bag_info, report = part.signed, part.bag_info, part.report
    if not signed or not bag_info:
        return []
    failures = []
    pairs = [
        ("package", "External-Identifier", "package_id"),
        ("period", "Reporting-Period", "period"),
        ("seq", "Sequence-Number", "sequence"),
        ("inn", "School-INN", None),
        ("part", "Bag-Count", None),
    ]
    for comment_key, info_key, report_key in pairs:
        value = signed.get(comment_key)
        info_value = bag_info.get(info_key, "")
        if comment_key == "part":
            info_value = info_value.replace(" of ", "/")
        if value != info_value:
            failures.append(CheckFailure(Check.METADATA, "bag-info.txt", info_key))
        if report_key and isinstance(report, dict) and str(report.get(report_key)) != value:
            failures.append(CheckFailure(Check.METADATA, REPORT_PATH, report_key))
    if isinstance(report, dict) and isinstance(report.get("profile"), dict):
        if report["profile"].get("inn") != signed.get("inn"):
            failures.append(CheckFailure(Check.METADATA, REPORT_PATH, "profile.inn"))
    return failures


def _group_failures(parts: list[_Part], several: bool) -> list[CheckFailure]:
    """The parts together: one package, each number once, none missing, and every file that
    report.json lists found in its part with the hash it lists."""
    signed = [p for p in parts if p.signed]
    if not signed:
        return []
    failures: list[CheckFailure] = []
    packages = {p.signed.get("package") for p in signed}
    if len(packages) > 1:
        names = ", ".join(sorted(p.zip_name for p in signed))
        failures.append(CheckFailure(Check.INCOMPLETE, "", f"different packages: {names}"))
        return failures
    counts = {p.signed.get("part", "1/1").split("/")[-1] for p in signed}
    try:
        count = max(int(c) for c in counts)
    except ValueError:
        return [CheckFailure(Check.INCOMPLETE, "", "bad part numbers")]
    numbers: dict[int, _Part] = {}
    for part in signed:
        number = _part_number(part)
        if number in numbers:
            failures.append(
                CheckFailure(Check.INCOMPLETE, "", f"part {number} twice", part.zip_name)
            )
        numbers[number] = part
    missing = [n for n in range(1, count + 1) if n not in numbers]
    if missing:
        failures.append(
            CheckFailure(Check.INCOMPLETE, "", "missing parts " + ", ".join(map(str, missing)))
        )
    first = numbers.get(1)
    if first is None or not isinstance(first.report, dict):
        return failures
    for entry in first.report.get("evidence", []):
        if not isinstance(entry, dict):
            continue
        holder = numbers.get(entry.get("part", 0))
        if holder is None or holder.bag_dir is None:
            continue  # its part is missing: said above
        name = f"data/{entry.get('file', '')}"
        if any(f.file == name for f in holder.failures):
            continue  # the part's own checks named it already
        where = holder.zip_name if several else ""
        path = holder.bag_dir / name
        if not path.is_file():
            failures.append(CheckFailure(Check.MISSING_FILE, name, "report.json", where))
        elif sha256_of(path) != entry.get("file_sha256"):
            failures.append(CheckFailure(Check.MANIFEST_MISMATCH, name, "report.json", where))
    return failures


def _unique(failures: Iterable[CheckFailure]) -> tuple[CheckFailure, ...]:
    return tuple(dict.fromkeys(failures))
