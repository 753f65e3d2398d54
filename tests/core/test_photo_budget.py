"""Evidence photos shrunk to fit the package budget: upright, date-only EXIF, never enlarged, the
best ladder step that fits, and no file left behind by a call that failed or was cancelled."""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
import random
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from core.errors import CancelledError, EvidenceError, StorageError
from core.evidence import exif_taken_at
from core.photo_budget import (
    LADDER,
    FitResult,
    Step,
    _worker_make_jpeg,
    estimate_photo_bytes,
    fit_photos,
    prepare_photo,
)
from tests.conftest import fill_up

TAKEN = dt.datetime(2027, 5, 3, 14, 30, 15)
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
ORIENTATION, MAKE, MODEL, DATETIME = 0x0112, 0x010F, 0x0110, 0x0132
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
BODY_SERIAL, MAKER_NOTE, USER_COMMENT = 0xA431, 0x927C, 0x9286
# small steps keep the search tests quick; the same code runs for the default ladder
SMALL_LADDER = (Step(1024, 85), Step(800, 80), Step(640, 74), Step(480, 68), Step(320, 60))


def photo_like(size: tuple[int, int], seed: int = 1, *, noise: float = 4) -> Image.Image:
    """Smooth colour fields with texture at three scales and mild sensor noise: its JPEG sizes
    are close to a real photo's (a flat colour or pure noise would be far off)."""
    rnd = random.Random(seed)
    width, height = size

    def layer(cells: int) -> Image.Image:
        rows = max(1, cells * height // width)
        small = Image.frombytes("RGB", (cells, rows), rnd.randbytes(cells * rows * 3))
        return small.resize(size, Image.Resampling.BICUBIC)

    image = layer(6)
    for cells, weight in ((40, 0.4), (200, 0.3), (max(width // 8, 1), 0.2)):
        image = Image.blend(image, layer(cells), weight)
    grain = Image.effect_noise(size, noise).convert("RGB")
    return ImageChops.add(image, grain, scale=1.0, offset=-128)


def write_photo(
    path: Path,
    size: tuple[int, int] = (1600, 1200),
    *,
    seed: int = 1,
    exif: Image.Exif | None = None,
    quality: int = 92,
    noise: float = 4,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = photo_like(size, seed, noise=noise)
    image.save(path, "JPEG", quality=quality, exif=(exif or Image.Exif()).tobytes())
    return path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_in(folder: Path) -> list[str]:
    """Everything under folder, hidden files and folders included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def photo_set(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Twelve unlike photos: more than the sample fit_photos re-encodes at every step, so that
    its estimate is only an estimate. Busy and smooth ones, portrait, and two that are already
    smaller than some steps."""
    folder = tmp_path_factory.mktemp("set")
    photos = []
    for n in range(12):
        size = [(1200, 900), (900, 1200), (700, 500), (400, 300)][n % 4]
        noise = [2, 4, 12][n % 3]
        photos.append(write_photo(folder / f"IMG_{n:04d}.jpg", size, seed=n, noise=noise))
    return photos


def named(photos: list[Path]) -> list[tuple[Path, str]]:
    return [(p, f"{p.stem}.jpg") for p in photos]


def total_at(photos: list[Path], k: int, work: Path, ladder: tuple[Step, ...]) -> int:
    """The real total at ladder[k] by the same path fit_photos takes: a ladder that ends at k
    and a budget nothing meets is answered at its last step."""
    result = fit_photos(named(photos), 0, work, ladder=ladder[: k + 1], workers=1)
    assert result.step == ladder[k] and not result.fits
    return result.total_bytes


@pytest.fixture(scope="module")
def set_totals(photo_set: list[Path], tmp_path_factory: pytest.TempPathFactory) -> list[int]:
    work = tmp_path_factory.mktemp("totals")
    totals = [total_at(photo_set, k, work / str(k), SMALL_LADDER) for k in range(5)]
    assert totals == sorted(totals, reverse=True) and len(set(totals)) == 5
    return totals


def best_step(totals: list[int], budget: int) -> int:
    return next((k for k, total in enumerate(totals) if total <= budget), len(totals) - 1)


# --- one photo ---------------------------------------------------------------------------


def test_orientation_is_applied_to_the_pixels_and_not_written(tmp_path: Path) -> None:
    """A 12-megapixel camera photo stored landscape with Orientation=6 (turn right to view)."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    image = photo_like((4000, 3000))
    image.paste((255, 0, 0), (0, 0, 800, 600))  # top left as stored: top right when upright
    source = tmp_path / "IMG_0001.jpg"
    image.save(source, "JPEG", quality=92, exif=exif.tobytes())

    made = prepare_photo(source, tmp_path / "out.jpg", Step(1600, 82))

    assert (made.width, made.height) == (1200, 1600)
    with Image.open(tmp_path / "out.jpg") as out:
        assert out.format == "JPEG" and out.size == (1200, 1600)
        assert ORIENTATION not in out.getexif()
        red, green, blue = out.convert("RGB").getpixel((1200 - 60, 60))  # type: ignore[misc]
        assert red > 200 and green < 60 and blue < 60
        assert out.convert("RGB").getpixel((60, 60)) != (255, 0, 0)
    assert made.size == (tmp_path / "out.jpg").stat().st_size


def test_only_the_capture_date_is_kept(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[MAKE], exif[MODEL] = "Camera Maker", "Phone 12"
    exif[DATETIME] = "2027:05:04 09:00:00"
    exif_ifd = exif.get_ifd(EXIF_IFD)
    exif_ifd[DATETIME_ORIGINAL] = TAKEN.strftime("%Y:%m:%d %H:%M:%S")
    exif_ifd[OFFSET_TIME_ORIGINAL] = "+10:00"
    exif_ifd[BODY_SERIAL] = "SN-4711"
    exif_ifd[MAKER_NOTE] = b"secret maker data"
    exif_ifd[USER_COMMENT] = b"ASCII\0\0\0school 2, room 14"
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (48.0, 28.0, 12.5)
    gps[3], gps[4] = "E", (135.0, 4.0, 30.0)
    source = tmp_path / "IMG_0002.jpg"
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>48,28N</exif:GPSLatitude>'
    photo_like((1600, 1200)).save(
        source, "JPEG", quality=90, exif=exif.tobytes(), xmp=xmp + b"</x:xmpmeta>", comment=b"x"
    )
    with Image.open(source) as check:  # the source really carries all of it
        assert check.getexif().get_ifd(GPS_IFD) and "xmp" in check.info

    prepare_photo(source, tmp_path / "out.jpg", Step(1280, 78))

    with Image.open(tmp_path / "out.jpg") as out:
        kept = out.getexif()
        assert exif_taken_at(out) == TAKEN
        assert kept.get_ifd(GPS_IFD) == {}
        assert {tag for tag in kept if tag != EXIF_IFD} == {DATETIME}
        assert kept[DATETIME] == "2027:05:04 09:00:00"
        assert kept.get_ifd(EXIF_IFD) == {
            DATETIME_ORIGINAL: "2027:05:03 14:30:15",
            OFFSET_TIME_ORIGINAL: "+10:00",
        }
        assert "xmp" not in out.info and "comment" not in out.info
    data = (tmp_path / "out.jpg").read_bytes()
    assert b"SN-4711" not in data and b"secret" not in data and b"Phone 12" not in data


def test_a_photo_without_exif_gets_none(tmp_path: Path) -> None:
    source = tmp_path / "plain.png"
    photo_like((800, 600)).save(source)
    prepare_photo(source, tmp_path / "out.jpg", Step(640, 74))
    with Image.open(tmp_path / "out.jpg") as out:
        assert out.size == (640, 480) and len(out.getexif()) == 0


def test_never_enlarged(tmp_path: Path) -> None:
    source = write_photo(tmp_path / "small.jpg", (640, 480))
    for step in LADDER:
        made = prepare_photo(source, tmp_path / f"{step.long_side}.jpg", step)
        assert (made.width, made.height) == (640, 480)


def test_shrunk_to_the_long_side_of_the_step(tmp_path: Path) -> None:
    source = write_photo(tmp_path / "tall.jpg", (1200, 1600))
    made = prepare_photo(source, tmp_path / "out.jpg", Step(800, 68))
    assert (made.width, made.height) == (600, 800)


def test_png_with_alpha_becomes_a_jpeg_on_white(tmp_path: Path) -> None:
    image = photo_like((800, 600)).convert("RGBA")
    image.paste((0, 0, 0, 0), (0, 0, 400, 600))  # left half fully transparent
    source = tmp_path / "scan.png"
    image.save(source)

    made = prepare_photo(source, tmp_path / "scan.jpg", Step(2048, 85))

    assert (made.width, made.height) == (800, 600)
    with Image.open(tmp_path / "scan.jpg") as out:
        assert out.format == "JPEG" and out.mode == "RGB"
        assert min(out.getpixel((200, 300))) > 245  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "convert"),
    [
        ("photo.gif", lambda im: im.convert("P")),
        ("photo.bmp", lambda im: im),
        ("photo.tif", lambda im: im),
        ("photo.webp", lambda im: im),
        ("grey.jpg", lambda im: im.convert("L")),
        ("print.jpg", lambda im: im.convert("CMYK")),
    ],
)
def test_other_formats_and_modes_become_rgb_jpeg(
    tmp_path: Path, name: str, convert: Callable[[Image.Image], Image.Image]
) -> None:
    source = tmp_path / name
    convert(photo_like((900, 600))).save(source)
    made = prepare_photo(source, tmp_path / "out.jpg", Step(600, 80))
    assert (made.width, made.height) == (600, 400)
    with Image.open(tmp_path / "out.jpg") as out:
        assert out.format == "JPEG" and out.mode == "RGB"


def test_sixteen_bit_grey_keeps_its_tones(tmp_path: Path) -> None:
    source = tmp_path / "xray.png"
    Image.new("I;16", (300, 200), 32768).save(source)
    prepare_photo(source, tmp_path / "out.jpg", Step(640, 85))
    with Image.open(tmp_path / "out.jpg") as out:
        assert 120 <= out.convert("L").getpixel((150, 100)) <= 135  # type: ignore[operator]


# --- sources that cannot be used -------------------------------------------------------------


def bad_sources(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (source, the problem it must be reported as)."""
    folder.mkdir(parents=True, exist_ok=True)
    good = write_photo(folder / "good.jpg", (800, 600)).read_bytes()
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (folder / "garbage.jpg").write_bytes(random.Random(3).randbytes(50_000))
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "folder.jpg").mkdir()
    return {
        "truncated": (folder / "truncated.jpg", "corrupt_image"),
        "garbage": (folder / "garbage.jpg", "corrupt_image"),
        "empty": (folder / "empty.jpg", "empty"),
        "missing": (folder / "gone.jpg", "not_found"),
        "folder": (folder / "folder.jpg", "unreadable"),
    }


@pytest.mark.parametrize("kind", ["truncated", "garbage", "empty", "missing", "folder"])
def test_an_unusable_source_is_an_evidence_error_and_the_target_stays(
    tmp_path: Path, kind: str
) -> None:
    source, problem = bad_sources(tmp_path / "src")[kind]
    target = tmp_path / "out" / "photo.jpg"
    target.parent.mkdir()
    target.write_bytes(b"earlier")

    with pytest.raises(EvidenceError) as caught:
        prepare_photo(source, target, Step(1024, 74))

    assert caught.value.problem == problem and caught.value.path == source
    assert files_in(target.parent) == ["photo.jpg"] and target.read_bytes() == b"earlier"


def test_a_decompression_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "huge.png"
    Image.new("RGB", (1000, 1000), "white").save(source)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 300_000)  # Pillow itself refuses above 2x
    with pytest.raises(EvidenceError) as caught:
        prepare_photo(source, tmp_path / "a.jpg", Step(640, 60))
    assert caught.value.problem == "image_too_large"

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 600_000)  # Pillow only warns: we refuse
    with pytest.raises(EvidenceError) as caught:
        prepare_photo(source, tmp_path / "b.jpg", Step(640, 60))
    assert caught.value.problem == "image_too_large"
    assert files_in(tmp_path) == ["huge.png"]


@pytest.mark.parametrize("workers", [1, 2])
def test_one_bad_photo_fails_the_call_and_leaves_nothing(tmp_path: Path, workers: int) -> None:
    bad, _ = bad_sources(tmp_path / "src")["truncated"]
    good = [write_photo(tmp_path / "src" / f"ok{n}.jpg", (800, 600), seed=n) for n in range(4)]
    before = {p: sha256_of(p) for p in good}
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("not ours")

    with pytest.raises(EvidenceError) as caught:
        fit_photos(named([*good[:2], bad, *good[2:]]), 10**9, work, workers=workers)

    assert caught.value.path == bad and caught.value.problem == "corrupt_image"
    assert files_in(work) == ["notes.txt"]
    assert {p: sha256_of(p) for p in good} == before
    result = fit_photos(named(good), 10**9, work, workers=workers)
    assert [p.name for p in result.photos] == ["ok0.jpg", "ok1.jpg", "ok2.jpg", "ok3.jpg"]


# --- the budget --------------------------------------------------------------------------


def test_step_zero_when_everything_fits(tmp_path: Path, photo_set: list[Path]) -> None:
    result = fit_photos(named(photo_set), 10**9, tmp_path / "w", ladder=SMALL_LADDER, workers=1)
    assert result.step == SMALL_LADDER[0] and result.fits
    assert_result_is_on_disk(result, tmp_path / "w", SMALL_LADDER[0])


def assert_result_is_on_disk(result: FitResult, work: Path, step: Step) -> None:
    assert files_in(work) == sorted(p.name for p in result.photos)  # nothing else left
    assert result.total_bytes == sum(p.size for p in result.photos)
    for photo in result.photos:
        assert photo.path == work / photo.name and photo.size == photo.path.stat().st_size
        with Image.open(photo.path) as out:
            assert out.format == "JPEG" and out.size == (photo.width, photo.height)
        assert max(photo.width, photo.height) <= step.long_side


@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("slack", ["exact", "between"])
def test_the_best_step_that_fits_is_chosen(
    tmp_path: Path, photo_set: list[Path], set_totals: list[int], k: int, slack: str
) -> None:
    """The budget is set from the real totals at each step: exactly the total at step k, or
    just under the total of the step before; both must give step k, no lower."""
    budget = set_totals[k] if slack == "exact" else set_totals[k - 1] - 1
    assert best_step(set_totals, budget) == k

    result = fit_photos(named(photo_set), budget, tmp_path / "w", ladder=SMALL_LADDER, workers=1)

    assert result.step == SMALL_LADDER[k] and result.fits
    assert result.total_bytes == set_totals[k] <= budget
    assert_result_is_on_disk(result, tmp_path / "w", SMALL_LADDER[k])


def test_the_best_step_with_few_photos_on_the_default_ladder(tmp_path: Path) -> None:
    photos = [write_photo(tmp_path / "src" / f"{n}.jpg", seed=n) for n in range(3)]
    at_1280, at_1024 = (total_at(photos, k, tmp_path / f"t{k}", LADDER) for k in (2, 3))
    budget = (at_1280 + at_1024) // 2
    result = fit_photos(named(photos), budget, tmp_path / "w", workers=1)
    assert result.step == LADDER[3] and result.fits and result.total_bytes == at_1024
    assert all(max(p.width, p.height) == 1024 for p in result.photos)


def test_an_impossible_budget_gives_the_last_step_unfitted(
    tmp_path: Path, photo_set: list[Path], set_totals: list[int]
) -> None:
    result = fit_photos(
        named(photo_set), set_totals[-1] - 1, tmp_path / "w", ladder=SMALL_LADDER, workers=1
    )
    assert result.step == SMALL_LADDER[-1] and not result.fits
    assert result.total_bytes == set_totals[-1]
    assert_result_is_on_disk(result, tmp_path / "w", SMALL_LADDER[-1])


def test_two_workers_make_the_same_files_as_one(tmp_path: Path, photo_set: list[Path]) -> None:
    budget = 150_000
    one = fit_photos(named(photo_set), budget, tmp_path / "one", ladder=SMALL_LADDER, workers=1)
    two = fit_photos(named(photo_set), budget, tmp_path / "two", ladder=SMALL_LADDER, workers=2)
    assert one.step == two.step and one.step != SMALL_LADDER[0]
    assert one.total_bytes == two.total_bytes
    assert [(p.name, p.size, p.width, p.height) for p in one.photos] == [
        (p.name, p.size, p.width, p.height) for p in two.photos
    ]
    assert [sha256_of(p.path) for p in one.photos] == [sha256_of(p.path) for p in two.photos]


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_rises_to_its_total_on_the_calling_thread(
    tmp_path: Path, photo_set: list[Path], workers: int
) -> None:
    calls: list[tuple[int, int, int]] = []

    def progress(done: int, total: int) -> None:
        calls.append((done, total, threading.get_ident()))

    fit_photos(
        named(photo_set),
        150_000,
        tmp_path / "w",
        ladder=SMALL_LADDER,
        workers=workers,
        progress=progress,
    )

    assert len(calls) >= len(photo_set)
    totals = {total for _, total, _ in calls}
    assert len(totals) == 1
    done = [d for d, _, _ in calls]
    assert done == sorted(done) and done[-1] == totals.pop()
    assert {thread for _, _, thread in calls} == {threading.get_ident()}


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("after", [2, 14])  # in the first pass; in a later one
def test_cancel_part_way_leaves_no_file(
    tmp_path: Path, photo_set: list[Path], workers: int, after: int
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("not ours")
    calls = 0

    def progress(done: int, total: int) -> None:
        nonlocal calls
        calls += 1

    with pytest.raises(CancelledError):
        fit_photos(
            named(photo_set),
            150_000,
            work,
            ladder=SMALL_LADDER,
            workers=workers,
            progress=progress,
            cancelled=lambda: calls >= after,
        )

    assert files_in(work) == ["notes.txt"]
    assert calls >= after


def test_a_work_folder_it_made_is_removed_when_cancelled(
    tmp_path: Path, photo_set: list[Path]
) -> None:
    with pytest.raises(CancelledError):
        fit_photos(named(photo_set), 10**9, tmp_path / "new", workers=1, cancelled=lambda: True)
    assert files_in(tmp_path) == []


# --- the disk ----------------------------------------------------------------------------


def test_a_full_disk_is_a_storage_error_and_leaves_no_part(tiny_disk: Path, tmp_path: Path) -> None:
    source = write_photo(tmp_path / "IMG_0001.jpg")
    filler = fill_up(tiny_disk, leave=20_000)
    target = tiny_disk / "photo.jpg"

    with pytest.raises(StorageError) as caught:
        prepare_photo(source, target, Step(1600, 82))

    assert caught.value.problem == "disk_full"
    assert files_in(tiny_disk) == [filler.name]


@pytest.mark.parametrize("workers", [1, 2])
def test_fit_photos_on_a_full_disk_leaves_nothing(
    tiny_disk: Path, photo_set: list[Path], workers: int
) -> None:
    filler = fill_up(tiny_disk, leave=100_000)
    work = tiny_disk / "work"

    with pytest.raises(StorageError) as caught:
        fit_photos(named(photo_set), 10**9, work, ladder=SMALL_LADDER, workers=workers)

    assert caught.value.problem == "disk_full"
    assert files_in(tiny_disk) == [filler.name]


# --- estimate, arguments, processes ------------------------------------------------------------


def test_the_estimate_is_near_the_real_size(tmp_path: Path) -> None:
    source = write_photo(tmp_path / "IMG_0001.jpg", (3200, 2400))
    for step in LADDER:
        made = prepare_photo(source, tmp_path / "out.jpg", step)
        estimate = estimate_photo_bytes(3200, 2400, step)
        assert made.size / 2 < estimate < made.size * 2, step


def test_the_estimate_falls_step_by_step_and_never_enlarges() -> None:
    big = [estimate_photo_bytes(4000, 3000, step) for step in LADDER]
    assert big == sorted(big, reverse=True) and len(set(big)) == len(big)
    assert estimate_photo_bytes(4000, 3000, Step(2048, 85)) > 400_000
    small = [estimate_photo_bytes(640, 480, Step(side, 85)) for side in (2048, 1024, 640)]
    assert len(set(small)) == 1


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    photo = tmp_path / "a.jpg"
    with pytest.raises(ValueError):
        fit_photos([(photo, "a.jpg")], 1, tmp_path, ladder=[Step(640, 60), Step(800, 60)])
    with pytest.raises(ValueError):
        fit_photos([(photo, "a.jpg"), (photo, "a.jpg")], 1, tmp_path)
    with pytest.raises(ValueError):
        fit_photos([(photo, "../a.jpg")], 1, tmp_path)
    with pytest.raises(ValueError):
        Step(800, 0)
    assert fit_photos([], 0, tmp_path) == FitResult(LADDER[0], True, (), 0)


def test_the_worker_is_importable_by_name_for_spawned_processes(tmp_path: Path) -> None:
    """Windows starts workers with spawn: the function is found again by its module path."""
    assert pickle.loads(pickle.dumps(_worker_make_jpeg)) is _worker_make_jpeg
    assert _worker_make_jpeg.__module__ == "core.photo_budget"
    source = write_photo(tmp_path / "a.jpg", (800, 600))
    status, _, width, height = _worker_make_jpeg(str(source), None, 640, 70, True)
    assert (status, width, height) == ("ok", 640, 480)
    assert _worker_make_jpeg(str(tmp_path / "gone.jpg"), None, 640, 70, True) == (
        "error",
        "evidence",
        str(tmp_path / "gone.jpg"),
        "not_found",
        "",
    )


def test_workers_run_below_normal_priority(tmp_path: Path) -> None:
    """The spawned workers lower their own priority so the GUI keeps the CPU it needs."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from core import photo_budget

    with ProcessPoolExecutor(
        1, mp_context=multiprocessing.get_context("spawn"), initializer=photo_budget._yield_cpu
    ) as pool:
        worker_nice = pool.submit(os.nice, 0).result()
    assert worker_nice >= os.nice(0) + 10 or worker_nice == 19
