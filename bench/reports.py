"""Report benchmark: the readiness report (PDF) for the demo center with many photos — wall time
and peak resident memory of the whole `main.py print report` process, for 100 and 300 photos
(memory must not grow with the number of photos), first with a cold thumbnail cache, then warm.

    .venv/bin/python bench/reports.py [--photos 100 300]

Targets (issue «Printed checklists and reports»): ≤ 20 s and ≤ 300 MB peak RSS for 300 photos."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine  # bench/common.py: run as `python bench/<name>.py`

ROOT = Path(__file__).resolve().parent.parent


def run_measured(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(process.stderr.read().decode() if process.stderr else "failed")
    return elapsed, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, nargs="+", default=[100, 300])
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d')}")
    print("| photos | cache | wall, s | peak RSS, MB | pages | PDF size, MB |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="tochka-bench-reports-") as tmp:
        for photos in args.photos:
            data = Path(tmp) / f"data-{photos}"
            subprocess.run(
                [
                    sys.executable,
                    "main.py",
                    "--data-dir",
                    str(data),
                    "demo",
                    "--photos",
                    str(photos),
                ],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            for cache in ("cold", "warm"):
                out = Path(tmp) / f"report-{photos}-{cache}.pdf"
                seconds, rss = run_measured(
                    ["--data-dir", str(data), "print", "report", "--out", str(out)]
                )
                pages = _pages(out)
                size = out.stat().st_size / 1024 / 1024
                over = " **over**" if seconds > 20 or rss > 300 else ""
                print(
                    f"| {photos} | {cache} | {seconds:.1f} | {rss:.0f} | {pages} | "
                    f"{size:.1f} |{over}"
                )
    return 0


def _pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


if __name__ == "__main__":
    sys.exit(main())
