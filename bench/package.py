"""Package benchmark: a demo center with N photos of 12 megapixels (4000×3000 JPEG) made into a
signed report package within the 20 MB budget, through the real GUI task runner in an offscreen
Qt application, as the «Отчёт в регион» page does it.

Measured per N: wall time, peak resident memory of the application process and of the photo
workers (each a separate process), the longest time the GUI thread's event loop was blocked
(a 10 ms heartbeat timer), the parts and how photos were shrunk; then `verify` of the package
made (median of three runs, each in a fresh process).

    .venv/bin/python bench/package.py [--photos 50 200] [--cache /var/tmp/tochka-bench-package]

Targets (issue «Signed report package»): 200 photos ≤ 60 s on 2 cores using both; peak RSS
≤ 300 MB and flat in N (50 and 200 within 10 %); GUI never blocked > 100 ms; verify of a 20 MB
package < 2 s. The photo sets are kept in --cache between runs (about 1 GB for 200)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import machine  # bench/common.py: run as `python bench/<name>.py`

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def prepare(data: Path, photos: int) -> None:
    """The demo center (no demo photos) plus `photos` distinct 12 MP photos on checklist items."""
    import core.demo
    from core.demo import fill_demo, make_demo_photo
    from main import open_center

    if (data / "ready").exists():
        return
    shutil.rmtree(data, ignore_errors=True)
    center = open_center(data)
    checklist = center.checklist
    fill_demo(checklist, checklist.today(), photos=0, registers=center.registers)
    core.demo.PHOTO_SIZE = (4000, 3000)
    source = data.parent / "photos"  # shared: the 50 are the first of the 200
    source.mkdir(exist_ok=True)
    codes = [item.code for item in checklist.template.items()]
    taken = dt.datetime(2027, 6, 1, 10, 0)
    for n in range(photos):
        path = source / f"IMG_{n:04d}.jpg"
        if not path.exists():
            make_demo_photo(path, 1000 + n, f"Фото {n + 1}", taken + dt.timedelta(minutes=n))
        checklist.attach(codes[n % len(codes)], [path])
        print(f"\r  prepared {n + 1}/{photos}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    checklist.store.close()  # type: ignore[attr-defined]
    (data / "ready").write_text("ok")


def child_export(data: Path) -> None:
    """Make the package through ui.tasks.TaskRunner with a progress dialog; print figures."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    from core.outbox import Outbox
    from core.paths import DataLayout
    from main import open_center
    from ui.progress import progress_dialog
    from ui.tasks import TaskRunner

    app = QApplication([])
    window = QWidget()
    window.resize(800, 600)
    window.show()
    center = open_center(data)
    assert center.outbox_store is not None
    outbox = Outbox(center, center.outbox_store, DataLayout(data))
    runner = TaskRunner()
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]
    gaps: list[int] = []
    result: dict[str, object] = {}

    def beat() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(beat)
    heartbeat.start()
    started = time.perf_counter()

    def done(package: object) -> None:
        result["seconds"] = time.perf_counter() - started
        result["package"] = package
        app.quit()

    def failed(exc: BaseException) -> None:
        result["error"] = repr(exc)
        app.quit()

    phases: dict[str, float] = {}

    def on_progress(done_: int, total: int) -> None:
        # core.package reports 150/1000 when the PDF and workbook are made, 800 after photos
        for mark, name in ((150, "documents"), (800, "photos")):
            if done_ >= mark and name not in phases:
                phases[name] = time.perf_counter() - started

    def make(progress: object = None, cancelled: object = None) -> object:
        max_size = int(os.environ.get("BENCH_MAX_SIZE", "20000000"))
        return outbox.make("2027-Q2", max_size=max_size, progress=progress, cancelled=cancelled)  # type: ignore[arg-type]

    sampler = TreeSampler()
    sampler.start()
    task = runner.run(
        make, with_progress=True, on_success=done, on_failure=failed, on_progress=on_progress
    )
    dialog = progress_dialog(window, "Формируется пакет…", task)
    app.exec()
    heartbeat.stop()
    dialog.close()
    if "error" in result:
        raise SystemExit(result["error"])
    package = result["package"]
    sampler.stop()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": result["seconds"],
                "max_gap_ms": max(gaps) - 10 if gaps else None,
                "rss_app_mb": own,
                "rss_tree_mb": sampler.peak_total / 1024,
                "rss_worker_mb": sampler.peak_child / 1024,
                "phases": phases,
                "parts": [str(p) for p in outbox.files(package)],  # type: ignore[arg-type]
                "sizes": [part.size for part in package.parts],  # type: ignore[attr-defined]
                "photo_step": package.photo_step,  # type: ignore[attr-defined]
            }
        )
    )


class TreeSampler:
    """Peak resident memory of this process plus its child processes (the photo workers),
    read from /proc every 50 ms: ru_maxrss of a child started by fork+exec would report the
    parent's size at the fork, not the worker's own."""

    def __init__(self) -> None:
        import threading

        self.peak_total = 0  # KiB, the sum over the tree at one moment
        self.peak_child = 0  # KiB, the largest single worker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.05):
            children = [rss for pid, ppid, rss in _processes() if ppid == me]
            total = _rss_of(me) + sum(children)
            self.peak_total = max(self.peak_total, total)
            self.peak_child = max([self.peak_child, *children])


def _rss_of(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _processes() -> list[tuple[int, int, int]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        found.append((int(entry.name), ppid, _rss_of(int(entry.name))))
    return found


def child_verify(parts: list[str]) -> None:
    from core.keys import known_public_keys
    from core.package_verify import verify_package
    from core.paths import DataLayout

    data = Path(parts[0]).parents[2]
    keys = known_public_keys(DataLayout(data))
    started = time.perf_counter()
    result = verify_package([Path(p) for p in parts], keys)
    seconds = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"verify failed: {result.failures}")
    print(json.dumps({"seconds": seconds}))


def run_child(*args: str) -> dict[str, object]:
    process = subprocess.run(
        [sys.executable, __file__, *args], cwd=ROOT, capture_output=True, text=True
    )
    if process.returncode != 0:
        raise RuntimeError(process.stderr)
    result: dict[str, object] = json.loads(process.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--cache", default="/var/tmp/tochka-bench-package")
    parser.add_argument("--child", choices=["export", "verify"])
    parser.add_argument("rest", nargs="*")
    parser.add_argument(
        "--max-size",
        type=int,
        default=20_000_000,
        help="limit per file; 150000000 keeps every photo at the top step (memory per N alone)",
    )
    args = parser.parse_args()
    if args.child is None:
        os.environ["BENCH_MAX_SIZE"] = str(args.max_size)  # the children inherit it
    if args.child == "export":
        child_export(Path(args.rest[0]))
        return 0
    if args.child == "verify":
        child_verify(args.rest)
        return 0
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d')}, limit per file {args.max_size / 1e6:g} MB")
    rows = []
    for photos in args.photos:
        prepared = Path(args.cache) / f"data-{photos}"
        prepare(prepared, photos)
        # every measured run starts cold (no thumbnails, an empty outbox) on a copy: the
        # evidence hard-linked (it is read-only), the database copied
        data = Path(args.cache) / f"run-{photos}"
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(
            prepared,
            data,
            ignore=shutil.ignore_patterns("cache", "outbox"),
            copy_function=lambda src, dst: (
                os.link(src, dst) if "/evidence/" in src else shutil.copy2(src, dst)
            ),
        )
        figures = run_child("--child", "export", str(data))
        parts = [str(p) for p in figures["parts"]]  # type: ignore[attr-defined]
        verify = statistics.median(
            float(run_child("--child", "verify", *parts)["seconds"])
            for _ in range(3)  # type: ignore[arg-type]
        )
        rows.append((photos, figures, verify))
        shutil.rmtree(data, ignore_errors=True)
    print(
        "| photos 12 MP | wall, s | of it: PDF+XLSX / photos / bag+ZIP, s | peak RSS app, MB | "
        "peak RSS app + workers, MB | largest worker, MB | GUI max block, ms | parts (MB) | "
        "photos shrunk to | verify, s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for photos, f, verify in rows:
        sizes = ", ".join(f"{s / 1e6:.1f}" for s in f["sizes"])  # type: ignore[attr-defined]
        ph = f["phases"]
        docs = ph.get("documents", 0.0)  # type: ignore[attr-defined]
        pics = ph.get("photos", docs)  # type: ignore[attr-defined]
        split = f"{docs:.1f} / {pics - docs:.1f} / {f['seconds'] - pics:.1f}"  # type: ignore[operator]
        print(
            f"| {photos} | {f['seconds']:.1f} | {split} | {f['rss_app_mb']:.0f} "
            f"| {f['rss_tree_mb']:.0f} | {f['rss_worker_mb']:.0f} "
            f"| {f['max_gap_ms']} | {sizes} | {f['photo_step'] or '—'} | {verify:.2f} |"
        )
    size, seconds = verify_full_package(Path(args.cache))
    print(
        f"\nverify of a package of {size / 1e6:.1f} MB (median of 3, fresh process): "
        f"{seconds:.2f} s"
    )
    return 0


def verify_full_package(cache: Path) -> tuple[int, float]:
    """A package filled close to the 20 MB limit (scanned documents are never shrunk), then
    `verify` of it in a fresh process."""
    from core.outbox import Outbox
    from core.paths import DataLayout
    from main import open_center

    data = cache / "run-verify"
    shutil.rmtree(data, ignore_errors=True)
    center = open_center(data)
    from core.demo import fill_demo

    checklist = center.checklist
    fill_demo(checklist, checklist.today(), photos=4, registers=center.registers)
    codes = [item.code for item in checklist.template.items()]
    for n in range(4):
        scan = cache / f"scan-{n}.pdf"
        scan.write_bytes(b"%PDF-1.4\n" + os.urandom(4_400_000))
        checklist.attach(codes[20 + n], [scan])
    assert center.outbox_store is not None
    package = Outbox(center, center.outbox_store, DataLayout(data)).make("2027-Q2")
    parts = [str(data / "outbox" / package.package_id / p.file_name) for p in package.parts]
    seconds = statistics.median(
        float(run_child("--child", "verify", *parts)["seconds"])  # type: ignore[arg-type]
        for _ in range(3)
    )
    checklist.store.close()  # type: ignore[attr-defined]
    shutil.rmtree(data, ignore_errors=True)
    return package.size, seconds


if __name__ == "__main__":
    sys.exit(main())
