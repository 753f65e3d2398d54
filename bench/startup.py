"""Start-up benchmark: process start → main window shown, with the demo data, against a bare
PySide6 QMainWindow measured in the same run; resident memory at idle.

    .venv/bin/python bench/startup.py [--runs 7]

Each run is a fresh process (cold Python, warm OS file cache). The child reports the wall
clock when the window is first exposed; the parent took the clock just before starting it."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine  # bench/common.py: run as `python bench/<name>.py`

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow


mode, data_dir = sys.argv[1], sys.argv[2]
app = QApplication.instance() or QApplication(["bench"])

def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

class Watcher(QObject):
    shown_at = None
    def eventFilter(self, obj, event):
        if (self.shown_at is None and event.type() == QEvent.Type.Expose
                and obj.isWindowType() and obj.isExposed()):
            self.shown_at = time.time()
            QTimer.singleShot(1500, finish)  # idle for a moment, then read memory
        return False

watcher = Watcher()
app.installEventFilter(watcher)

def finish():
    print("RESULT " + json.dumps({{"shown_at": watcher.shown_at, "rss_mb": rss_mb()}}), flush=True)
    app.quit()

if mode == "bare":
    window = QMainWindow()
    window.resize(1280, 800)
    window.show()
    app.exec()
else:
    import main
    main.main(["--data-dir", data_dir])
"""


def run_child(mode: str, data_dir: Path) -> dict[str, float]:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    code = CHILD.format(root=str(ROOT))
    started = time.time()
    result = subprocess.run(
        [sys.executable, "-c", code, mode, str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            data = json.loads(line.removeprefix("RESULT "))
            return {"seconds": data["shown_at"] - started, "rss_mb": data["rss_mb"]}
    raise RuntimeError(f"{mode} run failed:\n{result.stdout}\n{result.stderr}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tochka-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        subprocess.run(
            [sys.executable, "main.py", "--data-dir", str(data_dir), "demo"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        run_child("app", data_dir)  # first start: warms the file cache, makes thumbnails dir
        bare, app = [], []
        for _ in range(args.runs):
            bare.append(run_child("bare", data_dir))
            app.append(run_child("app", data_dir))
    bare_s = statistics.median(r["seconds"] for r in bare)
    app_s = statistics.median(r["seconds"] for r in app)
    app_rss = statistics.median(r["rss_mb"] for r in app)
    bare_rss = statistics.median(r["rss_mb"] for r in bare)
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d')}, runs: {args.runs} each, medians")
    print(f"bare QMainWindow: {bare_s:.3f} s, RSS {bare_rss:.0f} MB")
    print(f"application with demo data: {app_s:.3f} s, RSS at idle {app_rss:.0f} MB")
    print(f"ratio: {app_s / bare_s:.2f}x (target ≤ 1.5x), absolute target ≤ 1.0 s, RSS ≤ 150 MB")
    print("all app runs (s): " + ", ".join(f"{r['seconds']:.3f}" for r in app))
    return 0


if __name__ == "__main__":
    sys.exit(main())
