"""Bundle benchmark: size of the PyInstaller folder unpacked and of the .deb, and start-up of the
bundled program to its main window, cold and warm, under Xvfb with the demo center.

    .venv/bin/python bench/bundle.py [--runs 5] [--bundle dist/tochka-readiness]

Start-up is measured from outside, as bench/startup.py's idea but without code inside the
program: the clock is read just before exec, and again when the X server reports the window
titled «Точка роста — готовность центра» mapped (MapNotify on the root window, through
packaging/xvfb_tools.py) — the moment the window appears, before its first paint. Cold: the
OS file cache is dropped before each run (`sync; echo 3 > /proc/sys/vm/drop_caches`, root
only; otherwise the cold column says "n/a"). Warm: the same right after a previous start.
For comparison the same is measured for the program run from source (`.venv/bin/python
main.py`). Resident memory is read 1.5 s after the window appeared. Medians of --runs fresh
processes; prints a markdown table with the machine and the date.

Targets (issue «Installable application»): ≤ 150 MB unpacked, ≤ 60 MB .deb, cold start to the
main window ≤ 1.5 s."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

from common import machine  # noqa: E402  (bench/common.py)
from xvfb_tools import Display, xvfb  # noqa: E402

APP = "tochka-readiness"
TITLE = "Точка роста — готовность центра"
DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def du_bytes(folder: Path) -> int:
    """Disk usage as `du -s` counts it (blocks), which is what an installed folder costs."""
    total = 0
    for path in folder.rglob("*"):
        if not path.is_symlink():
            total += path.stat().st_blocks * 512
    return total + folder.stat().st_blocks * 512


def can_drop_caches() -> bool:
    return os.geteuid() == 0 and os.access(DROP_CACHES, os.W_OK)


def drop_caches() -> None:
    os.sync()
    DROP_CACHES.write_text("3\n")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def start_once(
    command: list[str], display: Display, env: dict[str, str], cold: bool
) -> tuple[float, float]:
    """Seconds from exec to the main window mapped, and RSS 1.5 s later."""
    if cold:
        drop_caches()
    display.watch_maps()
    started = time.time()
    app = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        shown = display.wait_mapped(TITLE, timeout=120)
        if shown is None:
            raise RuntimeError(f"no window from {command[0]}: {app.stderr.read().decode()[-500:]}")
        time.sleep(1.5)
        memory = rss_mb(app.pid)
        return shown[0] - started, memory
    finally:
        app.terminate()
        try:
            app.wait(timeout=10)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()


def measure(
    command: list[str], display_name: str, env: dict[str, str], runs: int, cold: bool
) -> tuple[list[float], list[float]]:
    display = Display(display_name)
    try:
        start_once(command, display, env, cold=False)  # settings, thumbnails: as on a 2nd start
        seconds, memory = [], []
        for _ in range(runs):
            took, rss = start_once(command, display, env, cold)
            seconds.append(took)
            memory.append(rss)
        return seconds, memory
    finally:
        display.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / APP)
    parser.add_argument("--deb", type=Path, help="the .deb (default: the newest in dist/)")
    parser.add_argument("--no-source", action="store_true", help="skip the from-source rows")
    args = parser.parse_args()
    program = args.bundle / APP
    if not program.is_file():
        print(f"no bundle at {args.bundle}: run make package first", file=sys.stderr)
        return 2
    deb = args.deb or max(
        (ROOT / "dist").glob(f"{APP}_*_amd64.deb"), key=os.path.getmtime, default=None
    )
    cold_possible = can_drop_caches()
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="tochka-bench-bundle-") as tmp:
        home = Path(tmp)
        data = home / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TOCHKA_", "QT_"))}
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / "share"),
            XDG_CACHE_HOME=str(home / ".cache"),
            TOCHKA_LOG_DIR=str(home / "logs"),
        )
        subprocess.run(
            [str(program), "--data-dir", str(data), "demo"],
            env=env,
            check=True,
            capture_output=True,
        )
        commands = {"bundle": [str(program), "--data-dir", str(data)]}
        if not args.no_source:
            python = ROOT / ".venv" / "bin" / "python"
            commands["from source"] = [str(python), str(ROOT / "main.py"), "--data-dir", str(data)]
        with xvfb() as display_name:
            env["DISPLAY"] = display_name
            for label, command in commands.items():
                for cold in (True, False):
                    if cold and not cold_possible:
                        rows.append((label, "cold", "n/a (needs root)", ""))
                        continue
                    seconds, memory = measure(command, display_name, env, args.runs, cold)
                    rows.append(
                        (
                            label,
                            "cold" if cold else "warm",
                            f"{statistics.median(seconds):.2f} s "
                            f"({', '.join(f'{s:.2f}' for s in seconds)})",
                            f"{statistics.median(memory):.0f} MB",
                        )
                    )
    unpacked = du_bytes(args.bundle) / 1e6
    print(f"### {dt.date.today().isoformat()} — {machine()}")
    print()
    where = args.bundle.relative_to(ROOT) if args.bundle.is_relative_to(ROOT) else args.bundle
    files = sum(1 for p in args.bundle.rglob("*") if p.is_file())
    deb_text = f".deb **{deb.stat().st_size / 1e6:.1f} MB** (`{deb.name}`)" if deb else "no .deb"
    print(f"Bundle `{where}`: **{unpacked:.0f} MB** unpacked (du), {files} files; {deb_text}.")
    print()
    print(f"Start to main window under Xvfb, demo center, median of {args.runs} runs:")
    print()
    print("| program | cache | start → window (median; runs) | RSS after 1.5 s |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
