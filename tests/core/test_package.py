"""The signed report package: build, verify, interoperate with the minisign CLI, and fail by
name on tampering, wrong keys, unsafe archives and a full disk."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import KeyFileError, StorageError
from core.keys import load_or_create_key, load_public_key
from core.package import PackageRequest, build_package, normalize_period
from core.package_verify import Check, parse_trusted_comment, verify_package
from core.paths import DataLayout
from core.registers import Center
from tests.conftest import fill_up

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Center, DataLayout]]:
    from core.demo import fill_demo
    from main import open_center

    data = tmp_path_factory.mktemp("package") / "data"
    center = open_center(data)
    checklist = center.checklist
    fill_demo(checklist, checklist.today(), photos=2, registers=center.registers)
    yield center, DataLayout(data)
    checklist.store.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def package(demo: tuple[Center, DataLayout], tmp_path_factory: pytest.TempPathFactory) -> Path:
    center, layout = demo
    out = tmp_path_factory.mktemp("out")
    built = build_package(center, layout, out, PackageRequest(period="2027-Q2"))
    assert len(built.parts) == 1 and built.photo_step == ""
    return built.parts[0].path


@pytest.fixture
def school_key(demo: tuple[Center, DataLayout]) -> object:
    return load_or_create_key(demo[1]).public


def unpack(package: Path, into: Path) -> Path:
    with zipfile.ZipFile(package) as archive:
        archive.extractall(into)
    (bag,) = into.iterdir()
    return bag


def repack(bag: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in bag.rglob("*") if p.is_file()):
            archive.write(path, f"{bag.name}/{path.relative_to(bag).as_posix()}")
    return out


def test_package_round_trip(package: Path, school_key: object, demo: tuple) -> None:
    center, layout = demo
    result = verify_package(package, school_key)
    assert result.ok, result.failures
    signed = parse_trusted_comment(result.trusted_comment)
    profile = center.checklist.profile()
    assert signed["inn"] == profile.inn
    assert signed["period"] == "2027-Q2" and signed["seq"] == "1"
    info = result.bag_info
    assert info["External-Identifier"] == signed["package"]
    assert info["Source-Organization"] == profile.school_full_name
    assert info["Contact-Name"] == profile.director
    assert info["Contact-Email"] == profile.email
    assert info["Signer-Key-Id"] == load_or_create_key(layout).key_id
    assert info["Payload-Oxum"].endswith(f".{result.payload_files}")
    for name in ("Reporting-Period", "Template-Id", "Template-Version", "App-Version"):
        assert info[name]
    assert info["Sequence-Number"] == "1" and info["Supersedes"] == ""


def test_package_contents(package: Path, tmp_path: Path, demo: tuple) -> None:
    center, _ = demo
    bag = unpack(package, tmp_path)
    data = bag / "data"
    names = {p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()}
    assert {"report.json", "report.pdf", "report.xlsx", "audit.jsonl"} <= names
    report = json.loads((data / "report.json").read_text(encoding="utf-8"))
    assert report["period"] == "2027-Q2"
    assert len(report["checklist"]) == len(center.checklist.template.items())
    assert report["evidence"] and all((data / e["file"]).is_file() for e in report["evidence"])
    audit = (data / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(audit) == report["audit_entries"] > 0
    assert all(json.loads(line)["at"] for line in audit)
    assert (data / "report.pdf").read_bytes().startswith(b"%PDF")
    tag_manifest = (bag / "tagmanifest-sha256.txt").read_text()
    assert "bag-info.txt" in tag_manifest and ".minisig" not in tag_manifest


def test_minisign_cli_verifies_the_bag(package: Path, tmp_path: Path, demo: tuple) -> None:
    if shutil.which("minisign") is None:
        pytest.fail("the minisign command is missing: `make test` installs it (TEST_DEBS)")
    pub = tmp_path / "school.pub"
    result = subprocess.run(
        [sys.executable, "main.py", "--data-dir", str(demo[1].root), "pubkey"]
        + ["--out", str(pub)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    bag = unpack(package, tmp_path / "x")
    checked = subprocess.run(
        ["minisign", "-Vm", "tagmanifest-sha256.txt", "-p", str(pub)],
        cwd=bag,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert "package=" in checked.stdout
    # the same with the key given on the command line, as a region operator would type it
    line = pub.read_text().splitlines()[1]
    checked = subprocess.run(
        ["minisign", "-Vm", "tagmanifest-sha256.txt", "-P", line],
        cwd=bag,
        capture_output=True,
    )
    assert checked.returncode == 0


def test_bagit_validates_the_bag(package: Path, tmp_path: Path) -> None:
    import bagit  # type: ignore[import-untyped]

    bag = unpack(package, tmp_path)
    assert bagit.Bag(str(bag)).validate()


def test_one_changed_byte_is_named(package: Path, tmp_path: Path, school_key: object) -> None:
    bag = unpack(package, tmp_path / "x")
    report = bag / "data" / "report.json"
    raw = bytearray(report.read_bytes())
    raw[10] ^= 0x01
    report.write_bytes(bytes(raw))
    result = verify_package(repack(bag, tmp_path / "t.zip"), school_key)
    mismatched = result.failed(Check.MANIFEST_MISMATCH)
    assert [f.file for f in mismatched] == ["data/report.json"]


def test_changed_tag_file_breaks_the_signature(
    package: Path, tmp_path: Path, school_key: object
) -> None:
    bag = unpack(package, tmp_path / "x")
    manifest = bag / "manifest-sha256.txt"
    manifest.write_bytes(manifest.read_bytes().replace(b"0", b"1", 1))
    result = verify_package(repack(bag, tmp_path / "t.zip"), school_key)
    assert any(f.file == "manifest-sha256.txt" for f in result.failed(Check.MANIFEST_MISMATCH))
    tag = bag / "tagmanifest-sha256.txt"
    tag.write_bytes(tag.read_bytes() + b"\n")
    result = verify_package(repack(bag, tmp_path / "t2.zip"), school_key)
    assert result.failed(Check.SIGNATURE)


def test_extra_file_is_named(package: Path, tmp_path: Path, school_key: object) -> None:
    bag = unpack(package, tmp_path / "x")
    (bag / "data" / "evidence" / "подложное.jpg").write_bytes(b"fake")
    (bag / "readme.txt").write_text("extra tag file")
    result = verify_package(repack(bag, tmp_path / "t.zip"), school_key)
    extra = {f.file for f in result.failed(Check.EXTRA_FILE)}
    assert extra == {"data/evidence/подложное.jpg", "readme.txt"}


def test_removed_file_is_named(package: Path, tmp_path: Path, school_key: object) -> None:
    bag = unpack(package, tmp_path / "x")
    (bag / "data" / "report.xlsx").unlink()
    result = verify_package(repack(bag, tmp_path / "t.zip"), school_key)
    assert [f.file for f in result.failed(Check.MISSING_FILE)] == ["data/report.xlsx"]
    assert not result.ok


def test_invalid_report_is_named(package: Path, tmp_path: Path, school_key: object) -> None:
    """A report.json that breaks the schema fails by name even when the manifests are
    re-made to match (only the signature would catch that, and it does)."""
    bag = unpack(package, tmp_path / "x")
    report_path = bag / "data" / "report.json"
    report = json.loads(report_path.read_text(encoding="utf-8"))
    report["checklist"][0]["status"] = "почти готово"
    report_path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    result = verify_package(repack(bag, tmp_path / "t.zip"), school_key)
    invalid = result.failed(Check.INVALID_REPORT)
    assert invalid and "checklist/0/status" in invalid[0].detail


def test_wrong_key_fails(package: Path, tmp_path: Path) -> None:
    other = load_or_create_key(DataLayout(tmp_path / "other")).public
    result = verify_package(package, other)
    assert [f.check for f in result.failures] == [Check.UNKNOWN_KEY]


def test_swapped_signature_fails(package: Path, tmp_path: Path, demo: tuple) -> None:
    """A signature of another school, with our key id forged into it, does not verify."""
    import minisign  # type: ignore[import-untyped]

    bag = unpack(package, tmp_path / "x")
    ours = load_or_create_key(demo[1])
    other = load_or_create_key(DataLayout(tmp_path / "other"))
    sig_path = bag / "tagmanifest-sha256.txt.minisig"
    original = minisign.Signature.from_bytes(sig_path.read_bytes())
    forged = other.secret.sign(
        (bag / "tagmanifest-sha256.txt").read_bytes(),
        prehash=True,
        trusted_comment=original.trusted_comment,
    )
    forged._key_id = bytes(ours.public._keynum_pk.key_id)
    sig_path.write_bytes(bytes(forged) + b"\n")
    assert isinstance(forged, minisign.Signature)
    result = verify_package(repack(bag, tmp_path / "t.zip"), ours.public)
    assert {f.check for f in result.failures} == {Check.SIGNATURE}


def unsafe_zip(path: Path, name: str, *, link: bool = False) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("bag/bagit.txt", "BagIt-Version: 0.97\n")
        info = zipfile.ZipInfo(name)
        if link:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd" if link else "evil")
    return path


@pytest.mark.parametrize("kind", ["parent", "absolute", "link"])
def test_unsafe_archives_are_refused_unextracted(
    tmp_path: Path, system_temp: Path, school_key: object, kind: str
) -> None:
    target = tmp_path / "evil"
    name = {
        "parent": "bag/../../../../../../../../" + str(target).lstrip("/"),
        "absolute": str(target),
        "link": "bag/link",
    }[kind]
    archive = unsafe_zip(tmp_path / "bad.zip", name, link=kind == "link")
    result = verify_package(archive, school_key)
    assert [f.check for f in result.failures] == [Check.UNSAFE_ARCHIVE]
    assert not target.exists()
    assert list(system_temp.iterdir()) == []  # nothing left behind, nothing extracted


def test_declared_size_over_the_limit_is_refused(package: Path, school_key: object) -> None:
    result = verify_package(package, school_key, max_unpacked_bytes=1000)
    assert [f.check for f in result.failures] == [Check.UNSAFE_ARCHIVE]


def test_full_disk_gives_disk_full_and_no_partial_zip(demo: tuple, tiny_disk: Path) -> None:
    center, layout = demo
    fill_up(tiny_disk, leave=64 * 1024)
    before = set(os.listdir(tiny_disk))
    with pytest.raises(StorageError) as caught:
        build_package(center, layout, tiny_disk, PackageRequest(period="2027-Q2"))
    assert caught.value.problem == "disk_full"
    assert set(os.listdir(tiny_disk)) == before


def test_period_forms() -> None:
    from core.errors import ValidationError

    assert normalize_period("2027Q2") == "2027-Q2"
    assert normalize_period("2027-08-25") == "2027-08-25"
    with pytest.raises(ValidationError):
        normalize_period("2027-5")


def test_key_is_private_and_may_have_a_passphrase(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path / "d")
    key = load_or_create_key(layout, passphrase="пароль директора")
    secret_file = layout.root / "keys" / "school.key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert b"encrypted" in secret_file.read_bytes()
    with pytest.raises(KeyFileError) as caught:
        load_or_create_key(layout)
    assert caught.value.problem == "passphrase_needed"
    with pytest.raises(KeyFileError) as caught:
        load_or_create_key(layout, passphrase="не тот")
    assert caught.value.problem == "wrong_passphrase"
    again = load_or_create_key(layout, passphrase="пароль директора")
    assert again.key_id == key.key_id and len(key.key_id) == 16
    pub = load_public_key(layout.root / "keys" / "school.pub")
    assert pub.to_base64() == key.public.to_base64()


def test_cli_package_and_verify(demo: tuple, tmp_path: Path) -> None:
    data = str(demo[1].root)
    out, pub = tmp_path / "stick", tmp_path / "school.pub"
    out.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True
        )

    made = run("--data-dir", data, "package", "--period", "2027-Q2", "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert "записан" in made.stdout and "Примерно" in made.stdout
    (package,) = out.iterdir()
    assert run("--data-dir", data, "pubkey", "--out", str(pub)).returncode == 0
    printed = run("--data-dir", data, "pubkey")
    assert printed.stdout == pub.read_text()
    checked = run("verify", str(package), "--pubkey", str(pub))
    assert checked.returncode == 0, checked.stderr
    assert "подпись верна" in checked.stdout
    listed = run("--data-dir", data, "outbox")
    assert "2027-Q2" in listed.stdout and "записан на носитель" in listed.stdout
    bag = unpack(package, tmp_path / "x")
    (bag / "data" / "report.pdf").unlink()
    (bag / "data" / "лишний.txt").write_text("x")
    checked = run("verify", str(repack(bag, tmp_path / "t.zip")), "--pubkey", str(pub))
    assert checked.returncode != 0
    assert "[missing_file]" in checked.stderr and "data/report.pdf" in checked.stderr
    assert "[extra_file]" in checked.stderr and "data/лишний.txt" in checked.stderr
    bad = run("--data-dir", data, "package", "--period", "2027-5", "--out", str(out))
    assert bad.returncode == 2 and "не понят" in bad.stderr
    missing = run("--data-dir", data, "package", "--as-of", "2027-08-25", "--out", str(out / "нет"))
    assert missing.returncode == 2 and "не подключены" in missing.stderr


def test_every_single_byte_change_in_every_file_is_named(
    package: Path, tmp_path: Path, school_key: object
) -> None:
    """First, middle and last byte of every file of the bag, one at a time: verify fails and
    names the file that was changed."""
    bag = unpack(package, tmp_path / "x")
    files = sorted(p for p in bag.rglob("*") if p.is_file())
    assert len(files) >= 9
    for path in files:
        original = path.read_bytes()
        rel = path.relative_to(bag).as_posix()
        for position in sorted({0, len(original) // 2, len(original) - 1}):
            changed = bytearray(original)
            changed[position] ^= 0x01
            path.write_bytes(bytes(changed))
            result = verify_package(repack(bag, tmp_path / "t.zip"), school_key)
            named = {f.file for f in result.failures}
            assert rel in named, (rel, position, result.failures)
        path.write_bytes(original)
    assert verify_package(repack(bag, tmp_path / "t.zip"), school_key).ok
