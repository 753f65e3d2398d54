"""The outbox: sequence and supersede, a frozen snapshot, the size budget (shrunk photos, a group
of parts), writing to a folder or drive, and a process killed while it makes a package."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import PackageError, StorageError
from core.keys import known_public_keys
from core.model import ItemStatus, PackageStatus
from core.outbox import Outbox
from core.package_verify import Check, verify_package
from core.paths import DataLayout
from core.registers import Center
from tests.conftest import fill_up, make_photo

ROOT = Path(__file__).resolve().parents[2]


def open_demo(data: Path, photos: int = 2) -> Center:
    from core.demo import fill_demo
    from main import open_center

    center = open_center(data)
    checklist = center.checklist
    fill_demo(checklist, checklist.today(), photos=photos, registers=center.registers)
    return center


@pytest.fixture
def center(tmp_path: Path) -> Iterator[Center]:
    opened = open_demo(tmp_path / "data")
    yield opened
    opened.checklist.store.close()  # type: ignore[attr-defined]


def outbox_of(center: Center, tmp_path: Path) -> Outbox:
    assert center.outbox_store is not None
    return Outbox(center, center.outbox_store, DataLayout(tmp_path / "data"))


def report_of(part: Path) -> dict:
    with zipfile.ZipFile(part) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith("/data/report.json")]
        return json.loads(archive.read(name))


def test_sequence_supersede_and_frozen_snapshot(center: Center, tmp_path: Path) -> None:
    outbox = outbox_of(center, tmp_path)
    first = outbox.make("2027-Q2")
    (first_file,) = outbox.files(first)
    first_bytes = first_file.read_bytes()
    assert first.sequence == 1 and first.supersedes is None
    assert first.status is PackageStatus.PREPARED
    states = center.checklist.states()
    code = next(c for c, state in states.items() if state.status is ItemStatus.DONE)

    def status_in(part: Path) -> str:
        return next(r["status"] for r in report_of(part)["checklist"] if r["code"] == code)

    assert status_in(first_file) == "done"
    center.checklist.update_item(code, status=ItemStatus.NOT_STARTED)

    second = outbox.make("2027-Q2")
    assert second.sequence == 2 and second.supersedes == first.package_id
    assert first_file.read_bytes() == first_bytes  # a package made never changes
    assert status_in(first_file) == "done"
    (second_file,) = outbox.files(second)
    report = report_of(second_file)
    assert status_in(second_file) == "not_started"
    assert report["supersedes"] == first.package_id
    # the audit of the second package starts where the first was made
    assert report["audit_since"] == first.created_at.isoformat()
    assert 0 < report["audit_entries"] < report_of(first_file)["audit_entries"]
    other = outbox.make("2027-Q3")
    assert other.sequence == 1 and other.supersedes is None
    assert [p.package_id for p in outbox.packages()][0] == other.package_id
    assert outbox.superseded_ids() == {first.package_id}


def test_as_of_date_package_counts_overdue_on_that_day(center: Center, tmp_path: Path) -> None:
    outbox = outbox_of(center, tmp_path)
    package = outbox.make("2027-01-15")
    report = report_of(outbox.files(package)[0])
    assert report["period"] == "2027-01-15" and report["today"] == "2027-01-15"


def big_photos(center: Center, tmp_path: Path, count: int) -> None:
    """Photos of 3000×2000 with a GPS position, attached to checklist items."""
    from PIL import Image

    codes = [item.code for item in center.checklist.template.items()][:count]
    for index, code in enumerate(codes):
        path = make_photo(tmp_path / f"big{index}.jpg", (3000, 2000), seed=100 + index)
        with Image.open(path) as img:
            exif = img.getexif()
            gps = exif.get_ifd(0x8825)
            gps[1], gps[2] = "N", (50.0, 10.0, 0.0)
            exif[0x8825] = gps
            img.save(path, exif=exif, quality=95)
        center.checklist.attach(code, [path])


def test_photos_shrink_to_fit_the_budget(center: Center, tmp_path: Path) -> None:
    big_photos(center, tmp_path, 6)
    outbox = outbox_of(center, tmp_path)
    estimate = outbox.estimate(max_size=1_500_000)
    assert estimate.photo_count >= 6 and estimate.needs_shrinking
    package = outbox.make("2027-Q2", max_size=1_500_000, workers=1)
    assert len(package.parts) == 1 and package.photo_step
    (part,) = outbox.files(package)
    assert part.stat().st_size <= 1_500_000
    report = report_of(part)
    shrunk = [e for e in report["evidence"] if e["downscaled"]]
    assert len(shrunk) >= 6 and report["photo_step"]["long_side"] <= 2048
    from PIL import Image

    with zipfile.ZipFile(part) as archive:
        name = next(n for n in archive.namelist() if n.endswith(shrunk[0]["file"]))
        archive.extract(name, tmp_path / "x")
    with Image.open(tmp_path / "x" / name) as img:
        assert max(img.size) == report["photo_step"]["long_side"]
        assert not img.getexif().get_ifd(0x8825)  # GPS removed
    assert verify_package(part, known_public_keys(DataLayout(tmp_path / "data"))).ok


def test_too_big_for_one_file_becomes_a_group_of_parts(center: Center, tmp_path: Path) -> None:
    codes = [item.code for item in center.checklist.template.items()][10:15]
    for index, code in enumerate(codes):  # documents are never shrunk: 5 × 600 kB
        document = tmp_path / f"акт-{index}.pdf"
        document.write_bytes(b"%PDF-1.4\n" + os.urandom(600_000))
        center.checklist.attach(code, [document])
    outbox = outbox_of(center, tmp_path)
    package = outbox.make("2027-Q2", max_size=1_000_000, workers=1)
    files = outbox.files(package)
    assert len(files) >= 3 and all(f.stat().st_size <= 1_000_000 for f in files)
    assert files[0].name.endswith(f"-1of{len(files)}.zip")
    keys = known_public_keys(DataLayout(tmp_path / "data"))
    together = verify_package(files, keys)
    assert together.ok, together.failures
    assert together.parts == len(files)
    # each part verifies alone: only the group is found incomplete
    for part in files:
        alone = verify_package(part, keys)
        assert {f.check for f in alone.failures} == {Check.INCOMPLETE}, alone.failures
    without_last = verify_package(files[:-1], keys)
    assert [f.check for f in without_last.failures] == [Check.INCOMPLETE]
    assert str(len(files)) in without_last.failures[0].detail
    # the bagit library and the minisign tool accept every part
    import bagit  # type: ignore[import-untyped]

    for index, part in enumerate(files):
        with zipfile.ZipFile(part) as archive:
            archive.extractall(tmp_path / f"p{index}")
        (bag,) = (tmp_path / f"p{index}").iterdir()
        assert bagit.Bag(str(bag)).validate()
        info = bagit.Bag(str(bag)).info
        assert info["Bag-Count"] == f"{index + 1} of {len(files)}"
        assert info["Bag-Group-Identifier"] == package.package_id


def test_a_document_bigger_than_the_limit_is_named(center: Center, tmp_path: Path) -> None:
    document = tmp_path / "огромный скан.pdf"
    document.write_bytes(b"%PDF-1.4\n" + os.urandom(1_200_000))
    center.checklist.attach(center.checklist.template.items()[3].code, [document])
    outbox = outbox_of(center, tmp_path)
    with pytest.raises(PackageError) as caught:
        outbox.make("2027-Q2", max_size=1_000_000, workers=1)
    assert caught.value.problem == "file_too_big"
    assert caught.value.detail == "огромный скан.pdf"
    assert outbox.packages() == []
    assert [p.name for p in (tmp_path / "data" / "outbox").iterdir()] == [".lock"]


def test_write_to_folder_reads_back_and_marks_written(center: Center, tmp_path: Path) -> None:
    outbox = outbox_of(center, tmp_path)
    package = outbox.make("2027-Q2")
    stick = tmp_path / "stick"
    stick.mkdir()
    written = outbox.write_to(package, stick)
    assert [p.name for p in written] == [part.file_name for part in package.parts]
    assert written[0].read_bytes() == outbox.files(package)[0].read_bytes()
    assert sorted(os.listdir(stick)) == [written[0].name]  # no temporary names left
    (again,) = outbox.packages()
    assert again.status is PackageStatus.WRITTEN and again.written_to == str(stick)


def test_full_drive_keeps_the_package_in_the_outbox(
    center: Center, tmp_path: Path, tiny_disk: Path
) -> None:
    outbox = outbox_of(center, tmp_path)
    package = outbox.make("2027-Q2")
    fill_up(tiny_disk, leave=16 * 1024)
    before = set(os.listdir(tiny_disk))
    with pytest.raises(StorageError) as caught:
        outbox.write_to(package, tiny_disk)
    assert caught.value.problem == "disk_full"
    assert set(os.listdir(tiny_disk)) == before
    (still,) = outbox.packages()
    assert still.status is PackageStatus.PREPARED
    assert outbox.files(still)[0].is_file()


def test_removed_drive_is_reported(center: Center, tmp_path: Path) -> None:
    outbox = outbox_of(center, tmp_path)
    package = outbox.make("2027-Q2")
    with pytest.raises(StorageError) as caught:
        outbox.write_to(package, tmp_path / "вынутая флешка")
    assert caught.value.problem == "folder_missing"
    assert outbox.packages()[0].status is PackageStatus.PREPARED


def test_a_changed_outbox_file_is_not_written(center: Center, tmp_path: Path) -> None:
    outbox = outbox_of(center, tmp_path)
    package = outbox.make("2027-Q2")
    (part,) = outbox.files(package)
    os.chmod(part, 0o644)
    with part.open("r+b") as stream:
        stream.seek(100)
        stream.write(b"X")
    with pytest.raises(PackageError) as caught:
        outbox.write_to(package, tmp_path)
    assert caught.value.problem == "outbox_file_changed"


def test_killed_during_export_leaves_no_half_package(tmp_path: Path) -> None:
    """SIGKILL while the package is being made: nothing is recorded, the leftovers are swept
    at the next start, the database is intact and a new package gets number 1."""
    data = tmp_path / "data"
    center = open_demo(data, photos=30)
    center.checklist.store.close()  # type: ignore[attr-defined]
    out = tmp_path / "out"
    out.mkdir()
    outbox_dir = data / "outbox"
    process = subprocess.Popen(
        [sys.executable, "main.py", "--data-dir", str(data), "package", "--period", "2027-Q2"]
        + ["--out", str(out), "--max-size", "1MB"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            building = list(outbox_dir.glob(".building-*")) if outbox_dir.is_dir() else []
            if building and any(p.name.startswith(".work-") for p in building[0].iterdir()):
                break
            time.sleep(0.02)
        assert process.poll() is None, "the export finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert list(out.iterdir()) == []
    with sqlite3.connect(data / "tochka.sqlite3") as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT count(*) FROM package").fetchone() == (0,)
    from main import open_center

    reopened = open_center(data)
    try:
        outbox = outbox_of(reopened, tmp_path)
        assert outbox.recover()  # the building folder is swept
        assert [p.name for p in outbox_dir.iterdir()] == [".lock"]
        assert outbox.packages() == []
        assert outbox.make("2027-Q2").sequence == 1
    finally:
        reopened.checklist.store.close()  # type: ignore[attr-defined]


def test_one_package_at_a_time_and_no_sweeping_under_a_live_maker(
    center: Center, tmp_path: Path
) -> None:
    """Another window (or a command) making a package holds the outbox lock: a second make is
    refused with a clear code, and its building folder is not swept as a leftover."""
    from core.outbox import BUILDING_PREFIX, OutboxLock

    outbox = outbox_of(center, tmp_path)
    outbox.folder.mkdir(parents=True)
    in_progress = outbox.folder / f"{BUILDING_PREFIX}live"
    in_progress.mkdir()
    other_process = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.path.insert(0, '.');"
         "from pathlib import Path; from core.outbox import OutboxLock;"
         f"lock = OutboxLock(Path({str(outbox.folder)!r})); assert lock.acquire();"
         "print('locked', flush=True); sys.stdin.read()"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert other_process.stdout is not None
        assert other_process.stdout.readline().strip() == "locked"
        with pytest.raises(PackageError) as caught:
            outbox.make("2027-Q2")
        assert caught.value.problem == "busy"
        assert outbox.recover() == [] and in_progress.is_dir()
    finally:
        assert other_process.stdin is not None
        other_process.stdin.close()
        other_process.wait()
    assert OutboxLock(outbox.folder).acquire()  # released when that process ended
    assert outbox.recover() == [in_progress.name]
    assert outbox.make("2027-Q2").sequence == 1


def test_a_stored_photo_that_no_longer_decodes_is_named(center: Center, tmp_path: Path) -> None:
    big_photos(center, tmp_path, 3)
    photo = next(e for e in center.checklist.store.all_evidence() if e.original_name == "big1.jpg")
    stored = center.checklist.evidence_path(photo)
    os.chmod(stored, 0o644)
    stored.write_bytes(stored.read_bytes()[:5000])  # a disk fault cut the file
    outbox = outbox_of(center, tmp_path)
    with pytest.raises(PackageError) as caught:
        outbox.make("2027-Q2", max_size=1_000_000, workers=1)
    assert caught.value.problem == "evidence_unusable"
    assert caught.value.detail.endswith("big1.jpg")
    assert outbox.packages() == []


def test_a_stored_file_changed_behind_our_back_is_named(center: Center, tmp_path: Path) -> None:
    evidence = center.checklist.store.all_evidence()[0]
    stored = center.checklist.evidence_path(evidence)
    os.chmod(stored, 0o644)
    raw = bytearray(stored.read_bytes())
    raw[-1] ^= 0x01
    stored.write_bytes(bytes(raw))
    outbox = outbox_of(center, tmp_path)
    with pytest.raises(PackageError) as caught:
        outbox.make("2027-Q2")
    assert caught.value.problem == "evidence_changed"
    assert caught.value.detail.endswith(evidence.original_name)
    assert outbox.packages() == []
