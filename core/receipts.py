"""Receipts («квитанции») of the regional operator, docs/receipt-format.md: a small ZIP holding
receipt.json and its minisign signature by the operator's key. The region issues one over the
exact part files it received (issue_receipt); the school reads it only when a trusted operator
key signed it (read_receipt) and matches it to its own outbox record (receipt_matches)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import stat
import time
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import minisign  # type: ignore[import-untyped]

from core.errors import KeyFileError, PackageError, ReceiptError, ValidationError
from core.files import sha256_of, write_atomically
from core.keys import decrypt_secret, format_key_id, key_id_of, parse_public_key

__all__ = [
    "RECEIPT_FORMAT",
    "RECEIPT_JSON",
    "RECEIPT_SIGNATURE",
    "Receipt",
    "ReceiptPart",
    "issue_receipt",
    "load_trusted_keys",
    "pack_receipt",
    "parse_public_key",
    "read_receipt",
    "receipt_matches",
]

RECEIPT_FORMAT = 1
RECEIPT_JSON = "receipt.json"
RECEIPT_SIGNATURE = RECEIPT_JSON + ".minisig"
STATUSES = ("accepted", "rejected")
# A receipt is a few kilobytes: anything much larger is refused before it is parsed.
MAX_RECEIPT_BYTES = 1 << 20
MAX_JSON_BYTES = 256 << 10
MAX_SIGNATURE_BYTES = 16 << 10
MAX_BAG_INFO_BYTES = 1 << 20
MAX_PARTS = 1000
FIELDS = frozenset(
    {
        "receipt_format",
        "package_id",
        "school_inn",
        "period",
        "sequence",
        "parts",
        "received_at",
        "status",
        "operator",
        "comment",
    }
)
PART_FIELDS = frozenset({"name", "sha256", "size"})
# Values that travel in the trusted comment: printable ASCII without spaces.
_PACKAGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_INN = re.compile(r"\d{10}|\d{12}")
_PERIOD = re.compile(r"\d{4}-(Q[1-4]|\d{2}-\d{2})")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_BAG_INFO = re.compile(r"[^/]+/bag-info\.txt")
_BAG_COUNT = re.compile(r"(\d+)\s+of\s+(\d+)")


@dataclass(frozen=True)
class ReceiptPart:
    name: str  # the file name as the operator received it
    sha256: str  # lower-case hex, of the whole part ZIP
    size: int


@dataclass(frozen=True)
class Receipt:
    version: int
    package_id: str
    school_inn: str
    period: str
    sequence: int
    parts: tuple[ReceiptPart, ...]
    received_at: dt.datetime  # with its time zone
    status: str  # "accepted" | "rejected"
    operator: str
    comment: str
    key_id: str  # of the operator key that signed it, as minisign prints it
    trusted_comment: str

    @property
    def part_sha256(self) -> tuple[str, ...]:
        return tuple(part.sha256 for part in self.parts)


# --- trusted operator keys ---------------------------------------------------------------


def load_trusted_keys(texts: Iterable[str]) -> dict[str, minisign.PublicKey]:
    """The operator keys kept in the settings, each a minisign public key text (a .pub block or
    the bare line), by key id. Blank entries are skipped; a bad one raises
    KeyFileError("ключ оператора № N", "unreadable"...)."""
    keys: dict[str, minisign.PublicKey] = {}
    for number, text in enumerate(texts, start=1):
        if not text.strip():
            continue
        source = f"ключ оператора № {number}"
        public = parse_public_key(text, source)
        if keys.setdefault(key_id_of(public), public) != public:
            raise KeyFileError(source, "conflicting_key", key_id_of(public))
    return keys


# --- issuing (the region's side) --------------------------------------------------------------


def issue_receipt(
    package_parts: Sequence[Path],
    operator_key: minisign.SecretKey | Path,
    *,
    operator: str,
    status: str = "accepted",
    comment: str = "",
    out: Path,
    received_at: dt.datetime | None = None,
    passphrase: str | None = None,
) -> Receipt:
    """Sign a receipt for the part ZIPs of one package, as received, and write it to out.

    The package id, ИНН, period and sequence number come from bag-info.txt of the parts (read
    from the ZIPs, nothing extracted); the parts are hashed whole. operator_key is a secret key,
    or the path of a minisign secret key file (with passphrase when it is encrypted). Raises
    ValidationError (status, operator, received_at, package_parts), PackageError (bad_archive,
    not_a_bag, metadata), KeyFileError, StorageError ("disk_full"...; out is then untouched)."""
    if status not in STATUSES:
        raise ValidationError("status", "bad_status", status)
    if not operator.strip():
        raise ValidationError("operator", "empty")
    if received_at is None:
        received_at = dt.datetime.now().astimezone().replace(microsecond=0)
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValidationError("received_at", "no_timezone", received_at.isoformat())
    if not package_parts:
        raise ValidationError("package_parts", "empty")
    package = _package_of(package_parts)
    record = {
        "receipt_format": RECEIPT_FORMAT,
        "package_id": package["package_id"],
        "school_inn": package["inn"],
        "period": package["period"],
        "sequence": package["sequence"],
        "parts": [
            {"name": path.name, "sha256": sha256_of(path), "size": path.stat().st_size}
            for path in package["parts"]
        ],
        "received_at": received_at.isoformat(),
        "status": status,
        "operator": operator.strip(),
        "comment": comment,
    }
    receipt_json = (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    trusted_comment = (
        f"receipt={RECEIPT_FORMAT} package={record['package_id']} status={status} "
        f"inn={record['school_inn']} period={record['period']} seq={record['sequence']}"
    )
    secret = _operator_secret(operator_key, passphrase)
    try:
        key_id = key_id_of(secret.get_public_key())
        signature = secret.sign(
            receipt_json,
            prehash=True,
            untrusted_comment=f"tochka receipt signed by operator key {key_id}",
            trusted_comment=trusted_comment,
        )
    finally:
        secret.wipe()
    pack_receipt(receipt_json, bytes(signature) + b"\n", out)
    return _receipt_of(record, key_id, trusted_comment, out)


def pack_receipt(receipt_json: bytes, signature: bytes, out: Path) -> None:
    """The receipt file: a ZIP of exactly receipt.json and receipt.json.minisig, stored
    uncompressed, written to a temporary name, synced and renamed over out."""
    buffer = io.BytesIO()
    stamp = time.localtime()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in ((RECEIPT_JSON, receipt_json), (RECEIPT_SIGNATURE, signature)):
            info = zipfile.ZipInfo(name, stamp)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, data)
    write_atomically(out, buffer.getvalue(), 0o644)


def _operator_secret(key: minisign.SecretKey | Path, passphrase: str | None) -> Any:
    """An unlocked copy of the operator's secret key (the caller's object is never changed)."""
    source = Path(key) if isinstance(key, str | Path) else Path("operator key")
    try:
        if isinstance(key, str | Path):
            secret = minisign.SecretKey.from_file(source)
        else:
            secret = minisign.SecretKey.from_bytes(bytes(key))
    except (OSError, minisign.Error, ValueError) as exc:
        raise KeyFileError(source, "unreadable", str(exc)) from exc
    decrypt_secret(secret, source, passphrase)
    return secret


def _package_of(parts: Sequence[Path]) -> dict[str, Any]:
    """The package the parts make up, from their bag-info.txt: they must agree with each other
    and, when they are numbered (Bag-Count «N of M»), be all M of them. Parts in number order."""
    infos = [(path, _bag_info_of(path)) for path in parts]
    fields = {
        "package_id": "External-Identifier",
        "inn": "School-INN",
        "period": "Reporting-Period",
        "sequence": "Sequence-Number",
    }
    package: dict[str, Any] = {}
    for name, label in fields.items():
        values = {path: info.get(label) for path, info in infos}
        for path, value in values.items():
            if not value:
                raise PackageError("metadata", f"{path.name}: {label}")
            if value != values[infos[0][0]]:
                raise PackageError("metadata", f"{path.name}: {label} {value}")
        package[name] = values[infos[0][0]]
    if not _PACKAGE_ID.fullmatch(package["package_id"]):
        raise PackageError("metadata", f"External-Identifier {package['package_id']}")
    if not _INN.fullmatch(package["inn"]):
        raise PackageError("metadata", f"School-INN {package['inn']}")
    if not _PERIOD.fullmatch(package["period"]):
        raise PackageError("metadata", f"Reporting-Period {package['period']}")
    if not package["sequence"].isdigit() or int(package["sequence"]) < 1:
        raise PackageError("metadata", f"Sequence-Number {package['sequence']}")
    package["sequence"] = int(package["sequence"])
    package["parts"] = _in_part_order(infos)
    return package


def _in_part_order(infos: list[tuple[Path, dict[str, str]]]) -> list[Path]:
    counts = [(path, info.get("Bag-Count")) for path, info in infos]
    if all(count is None for _, count in counts):
        if len(infos) != 1:
            raise PackageError("metadata", "Bag-Count")
        return [infos[0][0]]
    numbered: dict[int, Path] = {}
    for path, count in counts:
        match = _BAG_COUNT.fullmatch(count or "")
        if not match or int(match.group(2)) != len(infos):
            raise PackageError("metadata", f"{path.name}: Bag-Count {count or ''}".strip())
        number = int(match.group(1))
        if number in numbered or not 1 <= number <= len(infos):
            raise PackageError("metadata", f"{path.name}: Bag-Count {count}")
        numbered[number] = path
    return [numbered[n] for n in sorted(numbered)]


def _bag_info_of(part: Path) -> dict[str, str]:
    """bag-info.txt of the one bag in a part ZIP, read from the archive (nothing extracted)."""
    try:
        with zipfile.ZipFile(part) as archive:
            found = [i for i in archive.infolist() if _BAG_INFO.fullmatch(i.filename)]
            if not found:
                raise PackageError("not_a_bag", part.name)
            if len(found) > 1 or found[0].file_size > MAX_BAG_INFO_BYTES:
                raise PackageError("bad_archive", f"{part.name}: {found[-1].filename}")
            with archive.open(found[0]) as stream:
                data = stream.read(MAX_BAG_INFO_BYTES + 1)
    except zipfile.BadZipFile as exc:
        raise PackageError("bad_archive", part.name) from exc
    except OSError as exc:
        raise PackageError("bad_archive", f"{part.name}: {exc.strerror or exc}") from exc
    except (EOFError, zlib.error, ValueError, NotImplementedError) as exc:
        raise PackageError("bad_archive", f"{part.name}: {exc}") from exc
    try:
        text = data[:MAX_BAG_INFO_BYTES].decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PackageError("metadata", f"{part.name}: bag-info.txt") from exc
    return _parse_bag_info(text)


def _parse_bag_info(text: str) -> dict[str, str]:
    """«Label: value» lines (RFC 8493 2.2.2); a line starting with white space continues the
    value above. The first of repeated labels counts."""
    info: dict[str, str] = {}
    label = ""
    for line in text.splitlines():
        if line[:1] in (" ", "\t"):
            if label:
                info[label] = f"{info[label]} {line.strip()}".strip()
            continue
        label, colon, value = line.partition(":")
        label = label.strip()
        if not colon or not label:
            label = ""
            continue
        if label in info:
            label = ""  # a repeat: its continuation lines are skipped too
            continue
        info[label] = value.strip()
    return info


# --- reading (the school's side) ----------------------------------------------------------------


def read_receipt(path: Path, trusted: Mapping[str, minisign.PublicKey]) -> Receipt:
    """A receipt checked in full: its structure, the signature by one of the trusted operator
    keys, its content, and the trusted comment against the content. Raises ReceiptError with
    problem unreadable, not_a_receipt, signature, untrusted_key, unsupported_version or
    mismatch. Nothing is extracted to disk."""
    receipt_json, signature_bytes = _unpack(path, _read_limited(path))
    try:
        signature = minisign.Signature.from_bytes(signature_bytes)
    except (minisign.Error, ValueError) as exc:
        raise ReceiptError(path, "signature", f"malformed: {exc}") from exc
    key_id = format_key_id(bytes(signature._key_id))
    by_id = {key_id_of(public): public for public in trusted.values()}
    public = by_id.get(key_id)
    if public is None:
        raise ReceiptError(path, "untrusted_key", key_id)
    if not signature.is_prehashed():
        raise ReceiptError(path, "signature", "not_prehashed")
    try:
        public.verify(receipt_json, signature)
    except (minisign.Error, ValueError) as exc:
        raise ReceiptError(path, "signature", str(exc)) from exc
    record = _load_json(path, receipt_json)
    version = record.get("receipt_format")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ReceiptError(path, "not_a_receipt", "receipt_format")
    if version != RECEIPT_FORMAT:
        raise ReceiptError(path, "unsupported_version", str(version))
    receipt = _receipt_of(record, key_id, str(signature.trusted_comment), path)
    _check_trusted_comment(path, receipt)
    return receipt


def receipt_matches(receipt: Receipt, package_id: str, part_sha256: Sequence[str]) -> list[str]:
    """How a receipt differs from the package the school sent: "package_id:<the receipt's>",
    "part_not_in_receipt:<sha256>" for a part of ours the receipt does not name (the operator
    got other bytes, or not that part), "part_not_sent:<sha256>" for one it names that we did
    not send. Empty when it is the receipt for exactly these files (in any order)."""
    problems = []
    if receipt.package_id != package_id:
        problems.append(f"package_id:{receipt.package_id}")
    ours = [sha.lower() for sha in part_sha256]
    theirs = list(receipt.part_sha256)
    problems += [f"part_not_in_receipt:{sha}" for sha in ours if sha not in theirs]
    problems += [f"part_not_sent:{sha}" for sha in theirs if sha not in ours]
    return problems


def _read_limited(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_RECEIPT_BYTES + 1)
    except OSError as exc:
        raise ReceiptError(path, "unreadable", exc.strerror or str(exc)) from exc
    if len(data) > MAX_RECEIPT_BYTES:
        raise ReceiptError(path, "not_a_receipt", "too_big")
    return data


def _unpack(path: Path, data: bytes) -> tuple[bytes, bytes]:
    """receipt.json and its signature from the ZIP in memory; anything else in it, a folder, an
    encryption or an unknown compression is refused."""
    if not data.startswith(b"PK\x03\x04"):
        raise ReceiptError(path, "not_a_receipt", "not a ZIP file")
    limits = {RECEIPT_JSON: MAX_JSON_BYTES, RECEIPT_SIGNATURE: MAX_SIGNATURE_BYTES}
    contents: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = sorted(info.filename for info in members)
            if names != sorted(limits):
                raise ReceiptError(path, "not_a_receipt", ", ".join(names)[:200])
            for info in members:
                if info.flag_bits & 0x1:
                    raise ReceiptError(path, "not_a_receipt", f"{info.filename}: encrypted")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise ReceiptError(path, "not_a_receipt", f"{info.filename}: compression")
                if stat.S_ISLNK(info.external_attr >> 16):
                    raise ReceiptError(path, "not_a_receipt", f"{info.filename}: link")
                limit = limits[info.filename]
                if info.file_size > limit:
                    raise ReceiptError(path, "not_a_receipt", "too_big")
                with archive.open(info) as stream:
                    content = stream.read(limit + 1)
                if len(content) > limit:  # the declared size lied
                    raise ReceiptError(path, "not_a_receipt", "too_big")
                contents[info.filename] = content
    except (zipfile.BadZipFile, EOFError, zlib.error, ValueError, NotImplementedError) as exc:
        raise ReceiptError(path, "unreadable", str(exc)) from exc
    return contents[RECEIPT_JSON], contents[RECEIPT_SIGNATURE]


def _load_json(path: Path, data: bytes) -> dict[str, Any]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"duplicate key {key}")
            result[key] = value
        return result

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        record = json.loads(
            data.decode("utf-8-sig"), object_pairs_hook=no_duplicates, parse_constant=no_constant
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ReceiptError(path, "not_a_receipt", str(exc)[:200]) from exc
    if not isinstance(record, dict):
        raise ReceiptError(path, "not_a_receipt", "not a JSON object")
    return record


def _receipt_of(record: dict[str, Any], key_id: str, trusted_comment: str, path: Path) -> Receipt:
    """The receipt a version-1 record describes; every field checked, nothing more allowed."""

    def bad(field: str) -> ReceiptError:
        return ReceiptError(path, "not_a_receipt", field)

    for field in sorted(FIELDS):
        if field not in record:
            raise bad(field)
    for field in sorted(record):
        if field not in FIELDS:
            raise bad(field)

    def text(field: str, pattern: re.Pattern[str] | None = None, empty: bool = False) -> str:
        value = record[field]
        if not isinstance(value, str) or (not empty and not value.strip()):
            raise bad(field)
        if pattern is not None and not pattern.fullmatch(value):
            raise bad(field)
        return value

    sequence = record["sequence"]
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 1:
        raise bad("sequence")
    try:
        received_at = dt.datetime.fromisoformat(text("received_at"))
    except ValueError as exc:
        raise bad("received_at") from exc
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise bad("received_at")
    status = text("status")
    if status not in STATUSES:
        raise bad("status")
    return Receipt(
        version=record["receipt_format"],
        package_id=text("package_id", _PACKAGE_ID),
        school_inn=text("school_inn", _INN),
        period=text("period", _PERIOD),
        sequence=sequence,
        parts=_parts_of(record["parts"], bad),
        received_at=received_at,
        status=status,
        operator=text("operator"),
        comment=text("comment", empty=True),
        key_id=key_id,
        trusted_comment=trusted_comment,
    )


def _parts_of(value: Any, bad: Any) -> tuple[ReceiptPart, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_PARTS:
        raise bad("parts")
    parts = []
    for index, part in enumerate(value):
        where = f"parts[{index}]"
        if not isinstance(part, dict) or set(part) != PART_FIELDS:
            raise bad(where)
        name, sha256, size = part["name"], part["sha256"], part["size"]
        if not isinstance(name, str) or not name.strip():
            raise bad(f"{where}.name")
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise bad(f"{where}.sha256")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise bad(f"{where}.size")
        parts.append(ReceiptPart(name, sha256.lower(), size))
    return tuple(parts)


def _check_trusted_comment(path: Path, receipt: Receipt) -> None:
    """The signed comment is what `minisign -V` shows a person: it must say what receipt.json
    says. package and status are required; receipt, inn, period and seq are checked if there."""
    signed: dict[str, str] = {}
    for token in receipt.trusted_comment.split():
        key, equals, value = token.partition("=")
        if not equals:
            continue
        if key in signed:
            raise ReceiptError(path, "mismatch", f"trusted comment: {key} twice")
        signed[key] = value
    expected = {
        "package": receipt.package_id,
        "status": receipt.status,
        "receipt": str(receipt.version),
        "inn": receipt.school_inn,
        "period": receipt.period,
        "seq": str(receipt.sequence),
    }
    for key, value in expected.items():
        if key in ("package", "status") and key not in signed:
            raise ReceiptError(path, "mismatch", f"trusted comment: no {key}")
        if key in signed and signed[key] != value:
            raise ReceiptError(path, "mismatch", f"trusted comment: {key}={signed[key]}")
