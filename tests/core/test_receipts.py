"""Receipts («квитанции») of the regional operator (docs/receipt-format.md): issued over the exact
part files, read back only when signed by a trusted operator key, refused by name when forged,
altered, swapped, damaged or not a receipt at all; made and checked with the minisign command
too."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path
from typing import Any

import minisign  # type: ignore[import-untyped]
import pytest

from core.errors import KeyFileError, PackageError, ReceiptError, StorageError, ValidationError
from core.keys import format_key_id, public_key_base64, public_key_text
from core.receipts import (
    RECEIPT_JSON,
    RECEIPT_SIGNATURE,
    issue_receipt,
    load_trusted_keys,
    pack_receipt,
    parse_public_key,
    read_receipt,
    receipt_matches,
)
from tests.conftest import fill_up

PACKAGE_ID = "5b0c8a3e-2f41-4d0e-9a57-0c3f2d9b7e11"
INN = "2714006330"
OPERATOR = "КГБУ «Региональный центр оценки качества образования»"
RECEIVED = dt.datetime(2027, 7, 3, 10, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=10)))


def key_id(public: Any) -> str:
    return format_key_id(bytes(public._keynum_pk.key_id))


def cli() -> str:
    path = shutil.which("minisign")
    if path is None:
        pytest.fail("the minisign command is missing: `make test` installs it (TEST_DEBS)")
    return path


def make_part(
    path: Path,
    *,
    package_id: str = PACKAGE_ID,
    number: int = 1,
    count: int = 1,
    inn: str = INN,
    period: str = "2027-Q2",
    sequence: int = 1,
    payload: bytes = b"report",
    bag_count: bool = True,
) -> Path:
    """A part ZIP as core/package.py lays it out; only bag-info.txt matters to a receipt."""
    bag = f"tochka-{inn}-{period}-{sequence:03d}" + (f"-{number}of{count}" if count > 1 else "")
    info = (
        "Source-Organization: МБОУ СОШ № 2 п. Эльбан\n"
        f"External-Identifier: {package_id}\n"
        f"Bag-Group-Identifier: {package_id}\n"
        + (f"Bag-Count: {number} of {count}\n" if bag_count else "")
        + f"Reporting-Period: {period}\n"
        f"Sequence-Number: {sequence}\n"
        f"School-INN: {inn}\n"
        "External-Description: Отчёт центра «Точка роста»,\n"
        f"  {period}\n"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{bag}/bagit.txt", "BagIt-Version: 0.97\n")
        archive.writestr(f"{bag}/bag-info.txt", info)
        archive.writestr(f"{bag}/data/report.json", payload)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def parts(tmp_path: Path) -> list[Path]:
    return [
        make_part(tmp_path / f"part{n}.zip", number=n, count=2, payload=f"part {n}".encode())
        for n in (1, 2)
    ]


@pytest.fixture
def operator_key() -> Any:
    return minisign.KeyPair.generate()


@pytest.fixture
def trusted(operator_key: Any) -> dict[str, Any]:
    return {key_id(operator_key.public_key): operator_key.public_key}


def unpack(receipt: Path) -> tuple[bytes, bytes]:
    with zipfile.ZipFile(receipt) as archive:
        return archive.read(RECEIPT_JSON), archive.read(RECEIPT_SIGNATURE)


def repack(out: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out


def problem_of(path: Path, trusted: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(ReceiptError) as caught:
        read_receipt(path, trusted)
    assert caught.value.path == path
    return caught.value.problem, caught.value.detail


# --- the round trip ------------------------------------------------------------------------


def test_round_trip(
    tmp_path: Path, parts: list[Path], operator_key: Any, trusted: dict[str, Any]
) -> None:
    out = tmp_path / "квитанция.zip"
    issued = issue_receipt(
        list(reversed(parts)),  # the order given does not matter: parts are numbered
        operator_key.secret_key,
        operator=OPERATOR,
        comment="Пакет принят, замечаний нет.",
        out=out,
        received_at=RECEIVED,
    )
    assert issued.package_id == PACKAGE_ID and issued.school_inn == INN
    assert issued.period == "2027-Q2" and issued.sequence == 1
    assert issued.status == "accepted" and issued.operator == OPERATOR
    assert [p.name for p in issued.parts] == ["part1.zip", "part2.zip"]
    assert issued.part_sha256 == tuple(sha256(p) for p in parts)
    assert [p.size for p in issued.parts] == [p.stat().st_size for p in parts]
    assert issued.received_at == RECEIVED
    assert issued.key_id == key_id(operator_key.public_key)

    read = read_receipt(out, trusted)
    assert read == issued
    assert read.version == 1 and read.comment == "Пакет принят, замечаний нет."
    assert receipt_matches(read, PACKAGE_ID, [sha256(p) for p in parts]) == []
    assert receipt_matches(read, PACKAGE_ID, [sha256(p) for p in reversed(parts)]) == []

    receipt_json, signature = unpack(out)
    record = json.loads(receipt_json)
    assert record["receipt_format"] == 1 and record["received_at"] == "2027-07-03T10:15:00+10:00"
    assert record["parts"][0] == {
        "name": "part1.zip",
        "sha256": sha256(parts[0]),
        "size": parts[0].stat().st_size,
    }
    parsed = minisign.Signature.from_bytes(signature)
    assert parsed.is_prehashed()
    assert parsed.trusted_comment == (
        f"receipt=1 package={PACKAGE_ID} status=accepted inn={INN} period=2027-Q2 seq=1"
    )


def test_rejection_and_the_default_time(
    tmp_path: Path, parts: list[Path], operator_key: Any, trusted: dict[str, Any]
) -> None:
    out = tmp_path / "r.zip"
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    issued = issue_receipt(
        parts,
        operator_key.secret_key,
        operator=OPERATOR,
        status="rejected",
        comment="Нет фотографий кабинета химии.",
        out=out,
    )
    assert issued.received_at.tzinfo is not None and issued.received_at >= before
    assert read_receipt(out, trusted).status == "rejected"
    with pytest.raises(ValidationError) as caught:
        issue_receipt(parts, operator_key.secret_key, operator=OPERATOR, status="ok", out=out)
    assert caught.value.field == "status"
    with pytest.raises(ValidationError) as caught:
        issue_receipt(parts, operator_key.secret_key, operator="  ", out=out)
    assert caught.value.field == "operator"
    with pytest.raises(ValidationError) as caught:
        issue_receipt(
            parts,
            operator_key.secret_key,
            operator=OPERATOR,
            out=out,
            received_at=dt.datetime(2027, 7, 3, 10, 15),
        )
    assert caught.value.field == "received_at"


def test_operator_key_from_files(tmp_path: Path, parts: list[Path]) -> None:
    """A key made by `minisign -G -W`, and one protected by a passphrase."""
    plain_key, plain_pub = tmp_path / "op.key", tmp_path / "op.pub"
    subprocess.run(
        [cli(), "-G", "-W", "-p", str(plain_pub), "-s", str(plain_key)],
        check=True,
        capture_output=True,
    )
    trusted = load_trusted_keys([plain_pub.read_text()])
    out = tmp_path / "r.zip"
    issue_receipt(parts, plain_key, operator=OPERATOR, out=out, received_at=RECEIVED)
    assert read_receipt(out, trusted).package_id == PACKAGE_ID

    pair = minisign.KeyPair.generate()
    pair.secret_key.encrypt("секрет", opslimit=1 << 15, memlimit=1 << 20)
    locked = tmp_path / "locked.key"
    locked.write_bytes(bytes(pair.secret_key) + b"\n")
    for passphrase, problem in ((None, "passphrase_needed"), ("не тот", "wrong_passphrase")):
        with pytest.raises(KeyFileError) as caught:
            issue_receipt(parts, locked, passphrase=passphrase, operator=OPERATOR, out=out)
        assert caught.value.problem == problem and caught.value.path == locked
    issue_receipt(parts, locked, passphrase="секрет", operator=OPERATOR, out=out)
    assert read_receipt(out, {key_id(pair.public_key): pair.public_key}).operator == OPERATOR
    garbage = tmp_path / "garbage.key"
    garbage.write_text("not a key")
    with pytest.raises(KeyFileError) as caught:
        issue_receipt(parts, garbage, operator=OPERATOR, out=out)
    assert caught.value.problem == "unreadable"


def test_issuing_reads_the_parts_it_is_given(
    tmp_path: Path, parts: list[Path], operator_key: Any
) -> None:
    out = tmp_path / "r.zip"

    def problem(given: list[Path]) -> tuple[str, str]:
        with pytest.raises(PackageError) as caught:
            issue_receipt(given, operator_key.secret_key, operator=OPERATOR, out=out)
        return caught.value.problem, caught.value.detail

    other = make_part(tmp_path / "other.zip", package_id=str(uuid.uuid4()), number=2, count=2)
    assert problem([parts[0], other])[0] == "metadata"
    assert problem(parts[:1])[0] == "metadata"  # «1 of 2»: the second part is missing
    not_zip = tmp_path / "not.zip"
    not_zip.write_bytes(b"hello")
    assert problem([not_zip]) == ("bad_archive", "not.zip")
    no_bag = repack(tmp_path / "nobag.zip", {"readme.txt": b"x"})
    assert problem([no_bag]) == ("not_a_bag", "nobag.zip")
    with pytest.raises(ValidationError):
        issue_receipt([], operator_key.secret_key, operator=OPERATOR, out=out)
    assert not out.exists()
    # a single-ZIP package made before packages were split has no Bag-Count
    single = make_part(tmp_path / "single.zip", bag_count=False)
    receipt = issue_receipt([single], operator_key.secret_key, operator=OPERATOR, out=out)
    assert receipt.part_sha256 == (sha256(single),)


def test_issuing_on_a_full_disk_leaves_nothing(
    tiny_disk: Path, parts: list[Path], operator_key: Any
) -> None:
    fill_up(tiny_disk)
    with pytest.raises(StorageError) as caught:
        issue_receipt(
            parts, operator_key.secret_key, operator=OPERATOR, out=tiny_disk / "квитанция.zip"
        )
    assert caught.value.problem == "disk_full"
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]


# --- refusals --------------------------------------------------------------------------------


@pytest.fixture
def receipt(tmp_path: Path, parts: list[Path], operator_key: Any) -> Path:
    out = tmp_path / "receipt.zip"
    issue_receipt(parts, operator_key.secret_key, operator=OPERATOR, out=out, received_at=RECEIVED)
    return out


def test_a_receipt_signed_by_an_untrusted_key(
    tmp_path: Path, parts: list[Path], receipt: Path
) -> None:
    stranger = minisign.KeyPair.generate()
    out = tmp_path / "stranger.zip"
    issue_receipt(parts, stranger.secret_key, operator=OPERATOR, out=out)
    problem, detail = problem_of(out, {})
    assert (problem, detail) == ("untrusted_key", key_id(stranger.public_key))
    other = minisign.KeyPair.generate().public_key
    assert problem_of(receipt, {key_id(other): other})[0] == "untrusted_key"


def test_an_altered_receipt_json(tmp_path: Path, receipt: Path, trusted: dict[str, Any]) -> None:
    receipt_json, signature = unpack(receipt)
    record = json.loads(receipt_json)
    record["status"] = "rejected"
    altered = repack(
        tmp_path / "altered.zip",
        {RECEIPT_JSON: json.dumps(record).encode(), RECEIPT_SIGNATURE: signature},
    )
    assert problem_of(altered, trusted)[0] == "signature"
    one_byte = repack(
        tmp_path / "one-byte.zip",
        {
            RECEIPT_JSON: receipt_json.replace(b"accepted", b"acceptee"),
            RECEIPT_SIGNATURE: signature,
        },
    )
    assert problem_of(one_byte, trusted)[0] == "signature"


def test_a_swapped_signature(
    tmp_path: Path, parts: list[Path], receipt: Path, operator_key: Any, trusted: dict[str, Any]
) -> None:
    """The signature of another, genuine receipt of the same operator does not fit."""
    other = tmp_path / "other.zip"
    issue_receipt(parts, operator_key.secret_key, operator=OPERATOR, status="rejected", out=other)
    receipt_json, _ = unpack(receipt)
    _, other_signature = unpack(other)
    swapped = repack(
        tmp_path / "swapped.zip", {RECEIPT_JSON: receipt_json, RECEIPT_SIGNATURE: other_signature}
    )
    assert problem_of(swapped, trusted)[0] == "signature"
    # and a trusted comment taken from another receipt, global signature kept
    signature = minisign.Signature.from_bytes(unpack(receipt)[1])
    signature._trusted_comment = minisign.Signature.from_bytes(other_signature).trusted_comment
    patched = repack(
        tmp_path / "patched.zip",
        {RECEIPT_JSON: receipt_json, RECEIPT_SIGNATURE: bytes(signature) + b"\n"},
    )
    assert problem_of(patched, trusted)[0] == "signature"


def test_a_trusted_comment_that_disagrees(
    tmp_path: Path, receipt: Path, operator_key: Any, trusted: dict[str, Any]
) -> None:
    receipt_json, _ = unpack(receipt)

    def signed_with(comment: str) -> Path:
        signature = operator_key.secret_key.sign(
            receipt_json, prehash=True, trusted_comment=comment
        )
        return repack(
            tmp_path / "c.zip",
            {RECEIPT_JSON: receipt_json, RECEIPT_SIGNATURE: bytes(signature) + b"\n"},
        )

    assert read_receipt(signed_with(f"package={PACKAGE_ID} status=accepted"), trusted)
    for comment in (
        f"package={PACKAGE_ID} status=rejected",
        f"package={uuid.uuid4()} status=accepted",
        f"package={PACKAGE_ID}",
        f"package={PACKAGE_ID} package={uuid.uuid4()} status=accepted",
        f"package={PACKAGE_ID} status=accepted inn=0000000000",
        f"package={PACKAGE_ID} status=accepted seq=2",
        f"receipt=2 package={PACKAGE_ID} status=accepted",
        "timestamp:1720000000\tfile:receipt.json\thashed",
    ):
        problem, _ = problem_of(signed_with(comment), trusted)
        assert problem == "mismatch", comment


def test_a_legacy_unhashed_signature_is_refused(
    tmp_path: Path, receipt: Path, operator_key: Any, trusted: dict[str, Any]
) -> None:
    receipt_json, signature = unpack(receipt)
    comment = minisign.Signature.from_bytes(signature).trusted_comment
    legacy = operator_key.secret_key.sign(receipt_json, prehash=False, trusted_comment=comment)
    out = repack(
        tmp_path / "legacy.zip",
        {RECEIPT_JSON: receipt_json, RECEIPT_SIGNATURE: bytes(legacy) + b"\n"},
    )
    assert problem_of(out, trusted) == ("signature", "not_prehashed")


def test_a_receipt_for_other_bytes(tmp_path: Path, receipt: Path, trusted: dict[str, Any]) -> None:
    read = read_receipt(receipt, trusted)
    ours = list(read.part_sha256)
    changed = hashlib.sha256(b"another build of the same package").hexdigest()
    assert receipt_matches(read, PACKAGE_ID, [ours[0], changed]) == [
        f"part_not_in_receipt:{changed}",
        f"part_not_sent:{ours[1]}",
    ]
    other_id = str(uuid.uuid4())
    assert receipt_matches(read, other_id, ours) == [f"package_id:{PACKAGE_ID}"]
    assert receipt_matches(read, PACKAGE_ID, ours[:1]) == [f"part_not_sent:{ours[1]}"]
    # hex case does not matter
    assert receipt_matches(read, PACKAGE_ID, [h.upper() for h in ours]) == []


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda good: b"", "not_a_receipt"),
        (lambda good: b"garbage, not a receipt at all" * 10, "not_a_receipt"),
        (lambda good: b"%PDF-1.4\n" + b"x" * 100, "not_a_receipt"),
        (lambda good: good[: len(good) // 2], "unreadable"),
        (lambda good: good[:-30], "unreadable"),
        (lambda good: b"prefix" + good, "not_a_receipt"),
    ],
)
def test_damaged_or_foreign_files(
    tmp_path: Path, receipt: Path, trusted: dict[str, Any], make: Any, expected: str
) -> None:
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(make(receipt.read_bytes()))
    assert problem_of(damaged, trusted)[0] == expected


def test_a_changed_byte_inside_the_zip_is_caught(
    tmp_path: Path, receipt: Path, trusted: dict[str, Any]
) -> None:
    data = bytearray(receipt.read_bytes())
    at = data.index(b'"operator"')  # stored, so the JSON is there as it is
    data[at + 3] ^= 0x01
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    assert problem_of(damaged, trusted)[0] == "unreadable"  # the ZIP's CRC


def test_unexpected_structure_is_refused(
    tmp_path: Path, receipt: Path, trusted: dict[str, Any]
) -> None:
    receipt_json, signature = unpack(receipt)
    layouts: dict[str, dict[str, bytes]] = {
        "extra": {RECEIPT_JSON: receipt_json, RECEIPT_SIGNATURE: signature, "x.txt": b"x"},
        "folder": {"r/" + RECEIPT_JSON: receipt_json, "r/" + RECEIPT_SIGNATURE: signature},
        "no_signature": {RECEIPT_JSON: receipt_json},
        "no_json": {RECEIPT_SIGNATURE: signature},
        "empty": {},
    }
    for name, entries in layouts.items():
        assert problem_of(repack(tmp_path / f"{name}.zip", entries), trusted)[0] == (
            "not_a_receipt"
        ), name
    duplicate = tmp_path / "duplicate.zip"
    with pytest.warns(UserWarning):  # zipfile warns of the duplicate name
        repack(duplicate, {RECEIPT_JSON: receipt_json, RECEIPT_SIGNATURE: signature})
        with zipfile.ZipFile(duplicate, "a") as archive:
            archive.writestr(RECEIPT_JSON, b"{}")
    assert problem_of(duplicate, trusted)[0] == "not_a_receipt"
    bad_signature = repack(
        tmp_path / "bad-sig.zip", {RECEIPT_JSON: receipt_json, RECEIPT_SIGNATURE: b"hello\n"}
    )
    assert problem_of(bad_signature, trusted)[0] == "signature"
    huge = repack(
        tmp_path / "huge.zip",
        {RECEIPT_JSON: b" " * (2 << 20) + receipt_json, RECEIPT_SIGNATURE: signature},
    )
    assert problem_of(huge, trusted) == ("not_a_receipt", "too_big")
    big_file = tmp_path / "big.zip"
    big_file.write_bytes(receipt.read_bytes() + b"\0" * (2 << 20))
    assert problem_of(big_file, trusted) == ("not_a_receipt", "too_big")
    assert problem_of(tmp_path / "missing.zip", trusted)[0] == "unreadable"
    assert problem_of(tmp_path, trusted)[0] == "unreadable"


def signed_receipt(
    tmp_path: Path, operator_key: Any, record: Any, comment: str | None = None
) -> Path:
    data = (
        json.dumps(record, ensure_ascii=False).encode()
        if not isinstance(record, bytes)
        else (record)
    )
    signature = operator_key.secret_key.sign(
        data,
        prehash=True,
        trusted_comment=comment or f"receipt=1 package={PACKAGE_ID} status=accepted",
    )
    out = tmp_path / f"signed-{uuid.uuid4().hex[:6]}.zip"
    pack_receipt(data, bytes(signature) + b"\n", out)
    return out


def good_record(parts: list[Path]) -> dict[str, Any]:
    return {
        "receipt_format": 1,
        "package_id": PACKAGE_ID,
        "school_inn": INN,
        "period": "2027-Q2",
        "sequence": 1,
        "parts": [{"name": p.name, "sha256": sha256(p), "size": p.stat().st_size} for p in parts],
        "received_at": "2027-07-03T10:15:00+10:00",
        "status": "accepted",
        "operator": OPERATOR,
        "comment": "",
    }


def test_signed_but_not_a_receipt(
    tmp_path: Path, parts: list[Path], operator_key: Any, trusted: dict[str, Any]
) -> None:
    """Signed by the trusted operator, yet not a receipt this program understands."""
    assert read_receipt(signed_receipt(tmp_path, operator_key, good_record(parts)), trusted)

    def problem(record: Any) -> tuple[str, str]:
        return problem_of(signed_receipt(tmp_path, operator_key, record), trusted)

    future = good_record(parts) | {"receipt_format": 2, "new_field": 1}
    assert problem(future) == ("unsupported_version", "2")
    assert problem(b"\xff\xfe not json")[0] == "not_a_receipt"
    assert problem([1, 2])[0] == "not_a_receipt"
    assert problem({"format": 1, "package_id": PACKAGE_ID})[0] == "not_a_receipt"
    assert problem(good_record(parts) | {"receipt_format": "1"})[0] == "not_a_receipt"
    assert problem(good_record(parts) | {"receipt_format": True})[0] == "not_a_receipt"
    broken: list[tuple[str, Any]] = [
        ("status", "maybe"),
        ("sequence", 0),
        ("sequence", "1"),
        ("received_at", "2027-07-03T10:15:00"),  # no time zone
        ("received_at", "вчера"),
        ("parts", []),
        ("parts", [{"name": "a.zip", "sha256": "xyz", "size": 1}]),
        ("parts", [{"name": "a.zip", "sha256": "ab" * 32}]),
        ("operator", ""),
        ("school_inn", "27140063"),
        ("comment", None),
        ("extra", "field"),
    ]
    for field, value in broken:
        code, detail = problem(good_record(parts) | {field: value})
        assert code == "not_a_receipt" and field in detail, (field, value, detail)
    record = good_record(parts)
    del record["comment"]
    assert problem(record) == ("not_a_receipt", "comment")
    duplicated = json.dumps(good_record(parts))[:-1] + ', "status": "rejected"}'
    assert problem(duplicated.encode())[0] == "not_a_receipt"


# --- interoperability with the minisign command ---------------------------------------------


def test_a_receipt_made_with_the_minisign_command_is_accepted(
    tmp_path: Path, parts: list[Path]
) -> None:
    work = tmp_path / "operator"
    work.mkdir()
    subprocess.run(
        [cli(), "-G", "-W", "-p", "op.pub", "-s", "op.key"],
        cwd=work,
        check=True,
        capture_output=True,
    )
    (work / RECEIPT_JSON).write_text(
        json.dumps(good_record(parts), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    comment = f"receipt=1 package={PACKAGE_ID} status=accepted inn={INN} period=2027-Q2 seq=1"
    subprocess.run(
        [cli(), "-S", "-s", "op.key", "-m", RECEIPT_JSON, "-t", comment],
        cwd=work,
        check=True,
        capture_output=True,
    )
    # packed as `zip -j квитанция.zip receipt.json receipt.json.minisig` does
    out = tmp_path / "квитанция.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(work / RECEIPT_JSON, RECEIPT_JSON)
        archive.write(work / RECEIPT_SIGNATURE, RECEIPT_SIGNATURE)
    # the operator's key as the director pastes it into the settings: the bare line
    line = (work / "op.pub").read_text().splitlines()[1]
    trusted = load_trusted_keys([line])
    receipt = read_receipt(out, trusted)
    assert receipt.package_id == PACKAGE_ID and receipt.operator == OPERATOR
    assert receipt.trusted_comment == comment
    assert receipt_matches(receipt, PACKAGE_ID, [sha256(p) for p in parts]) == []


def test_the_minisign_command_verifies_an_issued_receipt(
    tmp_path: Path, receipt: Path, operator_key: Any
) -> None:
    pub = tmp_path / "operator.pub"
    pub.write_text(public_key_text(operator_key.public_key))
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(receipt) as archive:
        assert sorted(archive.namelist()) == [RECEIPT_JSON, RECEIPT_SIGNATURE]
        archive.extractall(unpacked)
    checked = subprocess.run(
        [cli(), "-VHm", RECEIPT_JSON, "-p", str(pub)], cwd=unpacked, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert f"package={PACKAGE_ID} status=accepted" in checked.stdout
    checked = subprocess.run(
        [cli(), "-Vm", RECEIPT_JSON, "-P", public_key_base64(operator_key.public_key)],
        cwd=unpacked,
        capture_output=True,
    )
    assert checked.returncode == 0
    # a changed receipt.json fails there too
    (unpacked / RECEIPT_JSON).write_bytes(
        (unpacked / RECEIPT_JSON).read_bytes().replace(b"accepted", b"rejected")
    )
    checked = subprocess.run(
        [cli(), "-Vm", RECEIPT_JSON, "-p", str(pub)], cwd=unpacked, capture_output=True
    )
    assert checked.returncode != 0


# --- trusted keys from the settings -----------------------------------------------------------


def test_trusted_keys_from_settings_strings() -> None:
    a = minisign.KeyPair.generate().public_key
    b = minisign.KeyPair.generate().public_key
    keys = load_trusted_keys([public_key_text(a), "  " + public_key_base64(b) + "\n", ""])
    assert keys == {key_id(a): a, key_id(b): b}
    assert parse_public_key(public_key_base64(a)) == a
    with pytest.raises(KeyFileError) as caught:
        load_trusted_keys([public_key_base64(a), "RWxyz"])
    assert caught.value.problem == "unreadable" and "2" in str(caught.value.path)


def test_the_receipt_file_is_small_and_stored(receipt: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(receipt.read_bytes())) as archive:
        assert [i.filename for i in archive.infolist()] == [RECEIPT_JSON, RECEIPT_SIGNATURE]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())
    assert receipt.stat().st_size < 4096
