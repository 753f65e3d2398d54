"""Evidence photos shrunk so that a report package fits its size budget.

Each original is decoded once (a JPEG at a reduced DCT scale), turned upright, resized, and
saved as a JPEG whose EXIF keeps only the capture date. fit_photos looks for the best step of a
ladder (long side, JPEG quality) at which all photos together fit the budget: a first pass
makes every photo at the first step, and lower steps are re-encoded from those results, which
are small and quick to read.

The work runs in worker processes started with "spawn" on every system: Windows has nothing
else, and on Linux forking a Qt application that runs threads is unsafe. So the worker function
lives at the top of this module, takes paths and numbers, and returns plain tuples; no image and
no exception object crosses a process boundary. A frozen (PyInstaller) application must call
multiprocessing.freeze_support() first thing in main."""

from __future__ import annotations

import io
import multiprocessing
import os
import shutil
import struct
import uuid
import warnings
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import CancelledError, EvidenceError, StorageError
from core.files import DISK_FULL

if TYPE_CHECKING:
    from PIL import Image as PILImage

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Step:
    """One rung of the ladder: the longest side in pixels and the JPEG quality (1..100)."""

    long_side: int
    quality: int

    def __post_init__(self) -> None:
        if self.long_side < 1 or not 1 <= self.quality <= 100:
            raise ValueError(f"bad photo step {self.long_side} px, quality {self.quality}")


# Best first. The last step is the smallest a photo may become; a caller that allows less (or
# wants more) passes its own ladder, e.g. LADDER[:4] to stop at 1024 px.
# The top step is 2000 px, not 2048: a 12-megapixel 4000×3000 JPEG then decodes at the 1/2 DCT
# scale (2000×1500) instead of in full — about 4× less memory and decoding time per worker.
LADDER: tuple[Step, ...] = (
    Step(2000, 85),
    Step(1600, 82),
    Step(1280, 78),
    Step(1024, 74),
    Step(800, 68),
    Step(640, 60),
)


@dataclass(frozen=True)
class PreparedPhoto:
    size: int  # bytes of the JPEG written
    width: int
    height: int


@dataclass(frozen=True)
class FittedPhoto:
    name: str
    path: Path
    size: int
    width: int
    height: int


@dataclass(frozen=True)
class FitResult:
    step: Step
    fits: bool  # False: even the last step is over budget; the caller splits the package
    photos: tuple[FittedPhoto, ...]  # in the order they were given
    total_bytes: int


# --- one photo ---------------------------------------------------------------------------

EXIF_IFD = 0x8769
ORIENTATION = 0x0112
# Kept from the original: the capture date and its time zone, nothing else (no GPS, maker
# notes, serial numbers, thumbnail). Orientation is applied to the pixels, so it is not kept.
KEPT_MAIN_TAGS = (0x0132,)  # DateTime
KEPT_EXIF_TAGS = (0x9003, 0x9010, 0x9011)  # DateTimeOriginal, OffsetTime, OffsetTimeOriginal
# Bicubic, as Image.thumbnail: a 12 MP photo shrinks to 2000 px in about half the time
# Lanczos takes (0.12 s against 0.26 s here), and the first pass is mostly that resize.
# reducing_gap first shrinks huge non-JPEG images (a JPEG is already reduced by its DCT scale)
# by whole factors with a box filter, which is fast and invisible.
REDUCING_GAP = 3.0


def prepare_photo(source: Path, target: Path, step: Step) -> PreparedPhoto:
    """Write source as an upright JPEG no larger than step.long_side (never enlarged) at
    step.quality, keeping only the capture date from its EXIF.

    Raises EvidenceError (not_found, empty, unreadable, corrupt_image, image_too_large) for a
    source that cannot be used, StorageError (disk_full, io_error) when target cannot be
    written; target is then left as it was."""
    return _make_jpeg(Path(source), Path(target), step, original=True)


def _make_jpeg(source: Path, target: Path | None, step: Step, *, original: bool) -> PreparedPhoto:
    """target None: only measure. original False: source is a first-pass result of ours, so a
    failure to read it is a storage fault, not the user's photo."""
    image, exif, icc = _load(source, step.long_side, original)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=step.quality, optimize=False, exif=exif, icc_profile=icc)
    data = buffer.getvalue()
    if target is not None:
        _write_atomically(target, data)
    return PreparedPhoto(len(data), image.width, image.height)


def _load(source: Path, long_side: int, original: bool) -> tuple[PILImage.Image, bytes, bytes]:
    """The upright RGB image at its output size, the EXIF to write and the ICC profile."""
    from PIL import Image, UnidentifiedImageError

    def failed(problem: str, detail: str = "") -> Exception:
        if original:
            return EvidenceError(source, problem, detail)
        return StorageError(source, "io_error", f"{problem} {detail}".strip())

    try:
        with warnings.catch_warnings():
            # between MAX_IMAGE_PIXELS and twice that Pillow only warns; checked below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(source)
    except FileNotFoundError:
        raise failed("not_found") from None
    except Image.DecompressionBombError:
        raise failed("image_too_large") from None
    except UnidentifiedImageError:
        raise failed("empty" if _is_empty(source) else "corrupt_image") from None
    except OSError as exc:
        raise failed("unreadable", exc.strerror or str(exc)) from None
    except (SyntaxError, ValueError, EOFError) as exc:
        raise failed("corrupt_image", str(exc)) from None
    with opened:
        try:
            orientation, exif = _kept_exif(opened)
            icc = opened.info.get("icc_profile") or b""
            size = _fitted_size(opened.size, long_side)
            # a JPEG decodes at the smallest DCT scale (1/2, 1/4, 1/8) still at least `size`
            opened.draft("RGB", size)
            limit = Image.MAX_IMAGE_PIXELS
            if limit is not None and opened.width * opened.height > limit:
                raise failed("image_too_large", f"{opened.width}x{opened.height}")
            opened.load()
            if icc and opened.mode not in ("RGB", "RGBA", "RGBX", "P", "PA"):
                icc = b""  # a CMYK or grey profile would be wrong on the RGB result
            image = _as_rgb(opened)
            if image.size != size:
                image = image.resize(size, Image.Resampling.BICUBIC, reducing_gap=REDUCING_GAP)
            if orientation is not None:
                image = image.transpose(orientation)
        except (EvidenceError, StorageError):
            raise
        except Image.DecompressionBombError:
            raise failed("image_too_large") from None
        except OSError as exc:
            if exc.errno is not None:  # the medium failed, not the content
                raise failed("unreadable", exc.strerror or str(exc)) from None
            raise failed("corrupt_image", str(exc)) from None  # truncated, bad data
        except (SyntaxError, ValueError, EOFError, IndexError, struct.error) as exc:
            raise failed("corrupt_image", str(exc)) from None
    image.info = {}  # no comment or other text carried over from the original
    return image, exif, icc


def _is_empty(source: Path) -> bool:
    try:
        return source.stat().st_size == 0
    except OSError:
        return False


def _fitted_size(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """size scaled so that its longer side is long_side; never enlarged."""
    width, height = size
    longest = max(width, height)
    if longest <= long_side:
        return width, height
    return max(1, round(width * long_side / longest)), max(1, round(height * long_side / longest))


def _kept_exif(image: PILImage.Image) -> tuple[PILImage.Transpose | None, bytes]:
    """How to turn the image upright (the table of ImageOps.exif_transpose, applied here to the
    small image rather than the full-size one), and the EXIF block with the date only."""
    from PIL import Image

    try:
        source = image.getexif()
        orientation = source.get(ORIENTATION)
        kept = Image.Exif()
        for tag in KEPT_MAIN_TAGS:
            if _is_date_text(source.get(tag)):
                kept[tag] = source[tag]
        exif_ifd = source.get_ifd(EXIF_IFD)
        for tag in KEPT_EXIF_TAGS:
            if _is_date_text(exif_ifd.get(tag)):
                kept.get_ifd(EXIF_IFD)[tag] = exif_ifd[tag]
        exif = kept.tobytes() if len(kept) or kept.get_ifd(EXIF_IFD) else b""
    except Exception:  # a damaged EXIF block must not cost the photo itself
        return None, b""
    transpose = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }
    return transpose.get(orientation) if isinstance(orientation, int) else None, exif


def _is_date_text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 40


def _as_rgb(image: PILImage.Image) -> PILImage.Image:
    """RGB; transparency flattened on white, 16-bit grey scaled down rather than clipped."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode.startswith("I;16") or image.mode == "I":
        image = image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    return image if image.mode == "RGB" else image.convert("RGB")


def _write_atomically(target: Path, data: bytes) -> None:
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as fh:
            fh.write(data)
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise _storage_error(target, exc) from None


def _storage_error(path: Path, exc: OSError) -> StorageError:
    if exc.errno in DISK_FULL:
        return StorageError(path, "disk_full")
    return StorageError(path, "io_error", exc.strerror or str(exc))


# --- estimate ----------------------------------------------------------------------------

# Bytes per pixel of a JPEG at a given quality (4:2:0, no optimize), measured with Pillow 13 /
# libjpeg-turbo: the mean of the five real photos shipped with scikit-image 0.26 (astronaut,
# motorcycle_left, coffee, chelsea, rocket; 0.2-0.4 MP each). Cross-check on synthetic 12 MP
# photo-like images (colour fields, texture at four scales, mild noise; 3.8 MB at quality 92)
# run through prepare_photo at each default step: the real size was 7 % under this estimate at
# 2048 px, 6-30 % over it at 1600-1024 px and 35 % over at 800-640 px (a photo shrunk further
# packs more detail into each pixel). Phone photos vary about twofold with their content.
BYTES_PER_PIXEL = {
    50: 0.104,
    60: 0.118,
    68: 0.136,
    74: 0.154,
    78: 0.170,
    82: 0.189,
    85: 0.212,
    90: 0.266,
    95: 0.383,
}
JPEG_OVERHEAD = 700  # headers, Huffman and quantisation tables, the date-only EXIF


def estimate_photo_bytes(width: int, height: int, step: Step) -> int:
    """About how many bytes a width x height photo takes at step (for showing the user the
    package size before it is made; fit_photos measures the real sizes)."""
    out_width, out_height = _fitted_size((max(width, 1), max(height, 1)), step.long_side)
    return JPEG_OVERHEAD + round(out_width * out_height * _bytes_per_pixel(step.quality))


def _bytes_per_pixel(quality: int) -> float:
    qualities = sorted(BYTES_PER_PIXEL)
    if quality <= qualities[0]:
        return BYTES_PER_PIXEL[qualities[0]] * quality / qualities[0]
    for low, high in zip(qualities, qualities[1:], strict=False):
        if quality <= high:
            share = (quality - low) / (high - low)
            return BYTES_PER_PIXEL[low] + share * (BYTES_PER_PIXEL[high] - BYTES_PER_PIXEL[low])
    return BYTES_PER_PIXEL[qualities[-1]]


# --- worker ------------------------------------------------------------------------------

# What a worker returns: ("ok", size, width, height) or ("error", kind, path, problem, detail).
Outcome = tuple[Any, ...]


def _yield_cpu() -> None:
    """Photo workers run below normal priority: on a two-core school PC the window (and
    everything else) stays responsive while both cores shrink photos."""
    try:
        if os.name == "nt":
            import ctypes

            below_normal = 0x4000
            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), below_normal)
        else:
            os.nice(10)
    except (OSError, AttributeError):
        pass  # not allowed here: normal priority is fine


def _worker_make_jpeg(
    source: str, target: str | None, long_side: int, quality: int, original: bool
) -> Outcome:
    """Run in a worker process (or inline). Plain arguments and a plain tuple back: our
    exceptions do not survive pickling, and nothing here may rely on the parent's globals."""
    try:
        made = _make_jpeg(
            Path(source),
            None if target is None else Path(target),
            Step(long_side, quality),
            original=original,
        )
    except EvidenceError as exc:
        return ("error", "evidence", str(exc.path), exc.problem, exc.detail)
    except StorageError as exc:
        return ("error", "storage", str(exc.path), exc.problem, exc.detail)
    return ("ok", made.size, made.width, made.height)


def _raise_for(outcome: Outcome) -> PreparedPhoto:
    if outcome[0] == "ok":
        return PreparedPhoto(outcome[1], outcome[2], outcome[3])
    _, kind, path, problem, detail = outcome
    if kind == "evidence":
        raise EvidenceError(path, problem, detail)
    raise StorageError(path, problem, detail)


class _InlineExecutor(Executor):
    """workers=1: the same code path, run in the calling thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


# --- many photos -------------------------------------------------------------------------

SAMPLE_SIZE = 8  # photos re-encoded at every step to estimate where the budget is met
FIRST_PASS_WEIGHT = 3  # progress units of decoding an original, against 1 for a re-encode
PROGRESS_UNITS = FIRST_PASS_WEIGHT + 2


@dataclass(frozen=True)
class _Job:
    index: int  # of the photo
    k: int  # of the step
    source: Path
    target: Path | None  # None: only measure


def fit_photos(
    photos: Sequence[tuple[Path, str]],
    budget: int,
    work_dir: Path,
    *,
    ladder: Sequence[Step] = LADDER,
    workers: int | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> FitResult:
    """Make each (source, name) photo as work_dir/name at the best (earliest) step of ladder at
    which their sizes add up to at most budget bytes; when none does, at the last step with
    fits=False.

    workers: processes (default: two, or one on a single core); 1 runs everything in the
    calling thread. progress(done, total) and cancelled() are called from the calling thread,
    between photos. Raises CancelledError, EvidenceError for a photo that cannot be read,
    StorageError (disk_full, io_error). On any failure no file of this call is left in
    work_dir; files already there are not touched unless they have an output's name."""
    steps = tuple(ladder)
    if not steps:
        raise ValueError("empty photo ladder")
    for better, worse in zip(steps, steps[1:], strict=False):
        if worse.long_side > better.long_side or worse.quality > better.quality:
            raise ValueError(f"photo ladder not from best to smallest: {better} before {worse}")
    names = [name for _, name in photos]
    for name in names:
        if not name or Path(name).name != name or name in (".", ".."):
            raise ValueError(f"not a plain file name: {name!r}")
    if len(set(names)) != len(names):
        raise ValueError("two photos with the same output name")
    if not photos:
        return FitResult(steps[0], budget >= 0, (), 0)
    count = workers if workers is not None else min(2, os.cpu_count() or 1)
    count = max(1, min(count, len(photos)))

    created = not work_dir.exists()
    staging = work_dir / f".photo-budget-{uuid.uuid4().hex[:12]}"
    try:
        staging.mkdir(parents=True)
    except OSError as exc:
        raise _storage_error(work_dir, exc) from None
    executor: Executor
    if count == 1:
        executor = _InlineExecutor()
    else:
        executor = ProcessPoolExecutor(
            count, mp_context=multiprocessing.get_context("spawn"), initializer=_yield_cpu
        )
    moved: list[Path] = []
    try:
        search = _Search(
            [Path(source) for source, _ in photos],
            budget,
            staging,
            steps,
            executor,
            window=2 * count,
            progress=progress,
            cancelled=cancelled,
        )
        chosen, made = search.run()
        fitted = []
        for index, name in enumerate(names):
            final = work_dir / name
            try:
                os.replace(search.output(chosen, index), final)
            except OSError as exc:
                raise _storage_error(final, exc) from None
            moved.append(final)
            fitted.append(FittedPhoto(name, final, *_dims(made[index])))
        total = sum(photo.size for photo in fitted)
        if progress is not None:
            progress(search.progress_total, search.progress_total)
        return FitResult(steps[chosen], total <= budget, tuple(fitted), total)
    except BaseException:
        executor.shutdown(wait=True, cancel_futures=True)  # no worker writes after cleaning
        for path in moved:
            path.unlink(missing_ok=True)
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            try:
                work_dir.rmdir()  # only if empty: after a failure we made it for nothing
            except OSError:
                pass


def _dims(made: PreparedPhoto) -> tuple[int, int, int]:
    return made.size, made.width, made.height


class _Search:
    """The passes of fit_photos over a shared executor, with their bookkeeping."""

    def __init__(
        self,
        sources: list[Path],
        budget: int,
        staging: Path,
        steps: tuple[Step, ...],
        executor: Executor,
        *,
        window: int,
        progress: Progress | None,
        cancelled: Callable[[], bool] | None,
    ) -> None:
        self.sources = sources
        self.budget = budget
        self.staging = staging
        self.steps = steps
        self.executor = executor
        self.window = window
        self.progress = progress
        self.cancelled = cancelled
        self.progress_total = PROGRESS_UNITS * len(sources)
        self.progress_done = 0

    def output(self, step: int, index: int) -> Path:
        return self.staging / str(step) / f"{index}.jpg"

    def run(self) -> tuple[int, list[PreparedPhoto]]:
        """The index of the chosen step and its photos (written under staging)."""
        last = len(self.steps) - 1
        first = self._pass(0, stop_over=None)
        assert first is not None
        if last == 0 or sum(p.size for p in first) <= self.budget:
            return 0, first
        # Steps known to fit (with their photos) and known not to fit. Sizes fall step by step,
        # so the answer is the step that fits right below one that does not.
        fitting: dict[int, list[PreparedPhoto]] = {}
        too_big = {0}
        estimates = self._estimates(first)
        if len(self.sources) <= SAMPLE_SIZE:  # the sample was every photo: exact totals
            too_big.update(k for k, total in estimates.items() if total > self.budget)
        k = next((k for k in range(1, last + 1) if estimates[k] <= self.budget), last)
        while True:
            made = self._pass(k, stop_over=None if k == last else self.budget)
            if made is not None and sum(p.size for p in made) <= self.budget:
                fitting[k] = made
                if k + 1 in fitting:
                    self._discard(k + 1)
                if k - 1 in too_big:
                    return k, made
                k -= 1
            else:
                too_big.add(k)
                if k + 1 in fitting:
                    self._discard(k)
                    return k + 1, fitting[k + 1]
                if k == last:
                    assert made is not None
                    return k, made
                self._discard(k)
                k += 1

    def _discard(self, k: int) -> None:
        """The files of a pass that will not be used: the disk may be a small USB stick."""
        shutil.rmtree(self.staging / str(k), ignore_errors=True)

    def _estimates(self, first: list[PreparedPhoto]) -> dict[int, int]:
        """Totals at each later step, from a sample re-encoded at every step: bytes fall with
        pixel count and quality in much the same proportion across the photos of one set."""
        count = len(self.sources)
        # spread over the range of sizes; every photo when there are no more than SAMPLE_SIZE
        by_size = sorted(range(count), key=lambda i: first[i].size)
        taken = min(count, SAMPLE_SIZE)
        sample = sorted(by_size[(2 * j + 1) * count // (2 * taken)] for j in range(taken))
        jobs = [
            _Job(i, k, self.output(0, i), None) for k in range(1, len(self.steps)) for i in sample
        ]
        sizes: dict[tuple[int, int], int] = {}
        with closing(self._run(jobs)) as results:
            for job, made in results:
                sizes[(job.k, job.index)] = made.size
        sample_first = sum(first[i].size for i in sample)
        total_first = sum(p.size for p in first)
        return {
            k: total_first * sum(sizes[(k, i)] for i in sample) // max(sample_first, 1)
            for k in range(1, len(self.steps))
        }

    def _pass(self, k: int, *, stop_over: int | None) -> list[PreparedPhoto] | None:
        """Every photo at step k (step 0 from the originals, the others from the step 0
        results); None when stopped because the total went over stop_over."""
        count = len(self.sources)
        if k == 0:
            jobs = [_Job(i, 0, self.sources[i], self.output(0, i)) for i in range(count)]
            start, span = 0, FIRST_PASS_WEIGHT * count
        else:
            jobs = [_Job(i, k, self.output(0, i), self.output(k, i)) for i in range(count)]
            # each later pass moves half of the rest: there may be one, two or a few
            start = self.progress_done
            span = (self.progress_total - start) // 2
        made: dict[int, PreparedPhoto] = {}
        total = 0
        with closing(self._run(jobs)) as results:
            for job, photo in results:
                made[job.index] = photo
                total += photo.size
                self._report(start + span * len(made) // count)
                if stop_over is not None and total > stop_over:
                    return None
        self._report(start + span)
        return [made[i] for i in range(count)]

    def _run(self, jobs: list[_Job]) -> Generator[tuple[_Job, PreparedPhoto], None, None]:
        """Results as they come, at most `window` jobs in flight so memory stays flat. When the
        consumer stops early, the jobs in flight are waited for and dropped."""
        queue = iter(jobs)
        pending: dict[Future[Outcome], _Job] = {}
        try:
            while True:
                while len(pending) < self.window:
                    job = next(queue, None)
                    if job is None:
                        break
                    self._check_cancelled()
                    step = self.steps[job.k]
                    future = self.executor.submit(
                        _worker_make_jpeg,
                        str(job.source),
                        None if job.target is None else str(job.target),
                        step.long_side,
                        step.quality,
                        job.k == 0,  # only the first pass reads the originals
                    )
                    pending[future] = job
                if not pending:
                    return
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    job = pending.pop(future)
                    yield job, _raise_for(future.result())
                self._check_cancelled()
        finally:
            for future in pending:
                future.cancel()
            wait(pending)

    def _report(self, done: int) -> None:
        self.progress_done = max(self.progress_done, done)
        if self.progress is not None:
            self.progress(self.progress_done, self.progress_total)

    def _check_cancelled(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise CancelledError("package")
