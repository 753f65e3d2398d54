"""Views benchmark: GUI-thread time of switching to each page of the main window and of
filtering its table, with 2 000 equipment units and at least 5 000 history entries.

    .venv/bin/python bench/views.py [--runs 5] [--repeats 5] [--data-dir DIR] [--no-profile]

The data folder is the demo center (`main.py demo --photos 4`) grown through core's use cases:
units added with registers.add_unit until there are 2 000 (spread over positions and rooms, a few
without a room or an inventory number, so there are discrepancies), then real edits
(update_position, update_unit, update_item) until the history holds at least 5 000 rows.

Each run is a fresh process (QT_QPA_PLATFORM=offscreen). It opens the center, builds and shows
the main window, then measures, with time.perf_counter() (wall) and time.thread_time() (CPU of
the GUI thread) around the action and the app.processEvents() calls (four) that handle what it
posted — layout and painting included:
  first  — the first switch to the page (register pages are built then; Сводка and Чек-лист are
           built with the window, which opens on Сводка: that one is measured last);
  warm   — a later switch to it, coming from another page;
  filter — a realistic query set in the page's filter box;
  clear  — the filter box emptied again.
First switch: one sample per process; warm, filter, clear: --repeats samples per process.
Figures over the target (100 ms) are marked; steps over it are then profiled once (cProfile in
a fresh child) unless --no-profile. The exit status is 0 when targets are missed: it measures."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import machine  # bench/common.py: run as `python bench/<name>.py`

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 100.0
UNITS_TOTAL = 2000
HISTORY_MIN = 5000

# page number (ui.main_window.PAGE_*), name, realistic query (None: the page has no filter box)
PAGES: list[tuple[int, str, str | None]] = [
    (0, "Сводка", None),
    (1, "Чек-лист", "приказ"),
    (2, "Оборудование", "лаборатор"),
    (3, "Помещения", "кабинет"),
    (4, "Фирменный стиль", "табличк"),
    (5, "Дорожная карта", "отчёт"),
    (6, "Показатели", "обучающихся"),
]
OPS = ("first", "warm", "filter", "clear")


# --- the data folder -----------------------------------------------------------------------
def build_data(data_dir: Path) -> str:
    """The demo center, then units and edits through core until the target sizes."""
    subprocess.run(
        [sys.executable, "main.py", "--data-dir", str(data_dir), "demo", "--photos", "4"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    sys.path.insert(0, str(ROOT))
    from core.model import ItemStatus, UnitStatus
    from main import open_center

    center = open_center(data_dir)
    registers, checklist = center.registers, center.checklist
    rnd = random.Random(2000)
    rooms = registers.rooms()
    views = registers.positions()

    # the plan grows to the size of the register (a big school, or several buildings)
    scale = UNITS_TOTAL / sum(v.planned for v in views)
    planned = {v.position.code: max(1, round(v.planned * scale)) for v in views}
    for code, amount in planned.items():
        registers.update_position(code, planned=amount)

    # units, weighted by the plan; about 6 % without a room, 5 % in use without inventory number
    codes = list(planned)
    weights = [planned[c] for c in codes]
    section_room = {"физика": 0, "химия": 1, "биология": 1}
    existing = len(registers.units())
    position_edits = len(planned)
    for n in range(existing, UNITS_TOTAL):
        code = rnd.choices(codes, weights)[0]
        room = rooms[section_room.get(registers.position(code).section, rnd.choice([2, 3]))]
        status = rnd.choices(
            [UnitStatus.IN_USE, UnitStatus.INSTALLED, UnitStatus.STORED, UnitStatus.FAULTY],
            [60, 25, 12, 3],
        )[0]
        no_inventory = status is UnitStatus.IN_USE and rnd.random() < 0.05
        registers.add_unit(
            code,
            serial_number=f"SN{2028_000000 + n}",
            inventory_number="" if no_inventory else f"1013{n:06d}",
            room_id=None if rnd.random() < 0.06 else room.id,
            status=status,
        )

    # deliveries arrive in rounds: quantities, supplier, contract, acts change over time
    suppliers = ["ООО «Школьный мир»", "ООО «Научные развлечения»", "АО «Просвещение-Снаб»"]
    counts = {v.position.code: v.units for v in registers.positions()}
    today = checklist.today()
    for round_no, share in enumerate((0.4, 0.6, 0.8, 0.95, 1.0)):
        for n, code in enumerate(codes):
            delivered = round(counts[code] * share)
            registers.update_position(
                code,
                delivered=delivered,
                installed=max(0, delivered - (n + round_no) % 3),
                in_use=max(0, delivered - (n + round_no) % 3 - n % 2),
                supplier=suppliers[(n + round_no) % len(suppliers)],
                contract_number=f"0122300012428{round_no:02d}{n:03d}",
                delivery_date=today - dt.timedelta(days=60 - 10 * round_no),
                act_number=f"{n + 1}-{round_no + 1}/П",
            )
            position_edits += 1

    # units move between rooms, get inventory numbers, change status
    units = registers.units()
    forward = {
        UnitStatus.STORED: UnitStatus.INSTALLED,
        UnitStatus.INSTALLED: UnitStatus.IN_USE,
        UnitStatus.IN_USE: UnitStatus.FAULTY,
        UnitStatus.FAULTY: UnitStatus.IN_USE,
    }
    unit_edits = 0

    def edit_unit(unit_id: int) -> None:
        nonlocal unit_edits
        unit = next(u for u in registers.units() if u.id == unit_id)
        kind = rnd.random()
        if kind < 0.4 and unit.room_id is not None:
            others = [r.id for r in rooms if r.id != unit.room_id]
            registers.update_unit(unit.id, room_id=rnd.choice(others))
        elif kind < 0.7:
            registers.update_unit(unit.id, inventory_number=f"2024{rnd.randint(0, 10**6):06d}")
        elif unit.status in forward:
            registers.update_unit(unit.id, status=forward[unit.status])
        else:
            registers.update_unit(unit.id, serial_number=unit.serial_number + "-R")
        unit_edits += 1

    for unit in rnd.sample(units, k=600):
        edit_unit(unit.id)

    # the checklist keeps being worked on: responsible people, comments, statuses
    people = ["Ким А. В.", "Петрова А. И.", "Сидоров П. Н.", "Ли О. С.", "Иванова С. П."]
    items = checklist.template.items()
    for n in range(300):
        item = items[rnd.randrange(len(items))]
        state = checklist.state(item.code)
        if n % 3 == 0:
            checklist.update_item(
                item.code, responsible=rnd.choice([p for p in people if p != state.responsible])
            )
        elif n % 3 == 1:
            checklist.update_item(item.code, comment=f"Уточнено {n}: {rnd.choice(people)}")
        elif state.status is ItemStatus.IN_PROGRESS:
            checklist.update_item(item.code, status=ItemStatus.DONE)
        else:
            checklist.update_item(item.code, status=ItemStatus.IN_PROGRESS)

    # top up with unit edits until the history is large enough
    while history_rows(data_dir) < HISTORY_MIN:
        for unit in rnd.sample(units, k=100):
            edit_unit(unit.id)
    checklist.store.close()  # type: ignore[attr-defined]
    return (
        f"through core: {UNITS_TOTAL - existing} add_unit, {position_edits} update_position, "
        f"{unit_edits} update_unit, 300 update_item"
    )


def database(data_dir: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from core.paths import DataLayout

    return DataLayout(data_dir).database


def count(data_dir: Path, sql: str) -> int:
    with sqlite3.connect(database(data_dir)) as conn:
        return int(conn.execute(sql).fetchone()[0])


def history_rows(data_dir: Path) -> int:
    return count(data_dir, "SELECT count(*) FROM history")


def data_size(data_dir: Path) -> dict[str, int]:
    sys.path.insert(0, str(ROOT))
    from main import open_center

    center = open_center(data_dir)
    size = {
        "units": count(data_dir, "SELECT count(*) FROM equipment_unit"),
        "history": history_rows(data_dir),
        "rooms": count(data_dir, "SELECT count(*) FROM room"),
        "units_without_room": count(
            data_dir, "SELECT count(*) FROM equipment_unit WHERE room_id IS NULL"
        ),
        "discrepancies": len(center.registers.discrepancies()),
        "positions": len(center.registers.template.equipment),
        "items": len(center.checklist.template.items()),
        "evidence": count(data_dir, "SELECT count(*) FROM evidence"),
    }
    center.checklist.store.close()  # type: ignore[attr-defined]
    return size


# --- the child: one fresh GUI process ------------------------------------------------------
def child(data_dir: Path, repeats: int, profile_step: str | None) -> int:
    sys.path.insert(0, str(ROOT))
    import cProfile
    import io
    import pstats
    import re

    from PySide6.QtWidgets import QLineEdit, QTableView, QTreeView

    from main import open_center
    from ui.app import build_main_window, make_application

    app = make_application(["bench"])
    center = open_center(data_dir)
    window = build_main_window(center, data_dir)
    window.show()

    def drain() -> None:
        for _ in range(4):
            app.processEvents()

    def idle(seconds: float = 0.05) -> None:
        """Let deferred work (timers, worker results) land outside the measured windows."""
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.005)
        drain()

    profile_out: list[str] = []

    def timed(page: int, op: str, action: Callable[[], Any]) -> tuple[float, float]:
        profiler = None
        if profile_step == f"{page}:{op}":
            profiler = cProfile.Profile()
            profiler.enable()
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        action()
        drain()
        wall, cpu = time.perf_counter() - wall0, time.thread_time() - cpu0
        if profiler is not None:
            profiler.disable()
            # the application's own functions by cumulative time, then everything by own time
            ours = f"{re.escape(str(ROOT))}/(core|ui|storage|main)"
            for key, restrictions in (("cumulative", (ours, 18)), ("tottime", (14,))):
                text = io.StringIO()
                stats = pstats.Stats(profiler, stream=text)
                stats.sort_stats(key).print_stats(*restrictions)
                profile_out.append(text.getvalue().split("\n\n", 1)[-1].strip())
        idle()
        return wall * 1000, cpu * 1000

    def filter_box(page: int) -> QLineEdit:
        if page == 1:
            return window.checklist_view.search
        widget: Any = window.page(page)
        table = {2: "positions", 3: "rooms"}.get(page, "table")
        return getattr(widget, table).filter  # type: ignore[no-any-return]

    def rows_shown(page: int) -> list[int]:
        widget = window.pages.widget(page)
        views = widget.findChildren(QTreeView) + widget.findChildren(QTableView)
        return sorted((v.model().rowCount() for v in views), reverse=True)

    idle(0.3)
    results: dict[str, list[list[float]]] = {}

    def record(page: int, op: str, sample: tuple[float, float]) -> None:
        results.setdefault(f"{page}:{op}", []).append(list(sample))

    # first switches: the window opens on Сводка, so the others first, Сводка last
    order = [p for p, _, _ in PAGES if p != 0] + [0]
    for page in order:
        record(page, "first", timed(page, "first", lambda p=page: window.nav.setCurrentRow(p)))
    sizes = {str(page): rows_shown(page) for page, _, _ in PAGES}

    for _ in range(repeats):
        for page, _, query in PAGES:
            elsewhere = 1 if page == 0 else 0
            window.nav.setCurrentRow(elsewhere)
            idle()
            record(page, "warm", timed(page, "warm", lambda p=page: window.nav.setCurrentRow(p)))
            if query is None:
                continue
            box = filter_box(page)
            record(page, "filter", timed(page, "filter", lambda b=box, q=query: b.setText(q)))
            record(page, "clear", timed(page, "clear", lambda b=box: b.setText("")))

    print("RESULT " + json.dumps({"samples": results, "rows": sizes}), flush=True)
    for text in profile_out:
        print(text, flush=True)
    return 0


def run_child(
    data_dir: Path, config_dir: Path, repeats: int, profile_step: str | None = None
) -> tuple[dict[str, Any], str]:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        XDG_CONFIG_HOME=str(config_dir),  # no saved window geometry of the user's own
    )
    args = [sys.executable, str(Path(__file__).resolve()), "--child", str(data_dir)]
    args += ["--repeats", str(repeats)]
    if profile_step:
        args += ["--profile-step", profile_step]
    result = subprocess.run(
        args, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600, check=False
    )
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            rest = result.stdout.split(line, 1)[1]
            return json.loads(line.removeprefix("RESULT ")), rest
    raise RuntimeError(f"child failed:\n{result.stdout}\n{result.stderr}")


# --- the report ----------------------------------------------------------------------------


def fmt(ms: float) -> str:
    return f"**{ms:.0f}**" if ms > TARGET_MS else f"{ms:.0f}" if ms >= 10 else f"{ms:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="fresh processes (5)")
    parser.add_argument("--repeats", type=int, default=5, help="warm/filter samples per process")
    parser.add_argument("--data-dir", help="build the data here (reused if it already exists)")
    parser.add_argument("--no-profile", action="store_true", help="do not profile slow steps")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--profile-step", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(Path(args.child), args.repeats, args.profile_step)

    with tempfile.TemporaryDirectory(prefix="tochka-bench-views-") as tmp:
        data_dir = Path(args.data_dir) if args.data_dir else Path(tmp) / "data"
        config_dir = Path(tmp) / "config"
        if not database(data_dir).exists():
            started = time.perf_counter()
            print(f"building the data folder in {data_dir}…", flush=True)
            done = build_data(data_dir)
            print(f"built in {time.perf_counter() - started:.0f} s, {done}", flush=True)
        size = data_size(data_dir)
        run_child(data_dir, config_dir, 1)  # warms the OS file cache and the thumbnails dir
        samples: dict[str, list[list[float]]] = {}
        rows: dict[str, list[int]] = {}
        for _ in range(args.runs):
            result, _ = run_child(data_dir, config_dir, args.repeats)
            rows = result["rows"]
            for key, values in result["samples"].items():
                samples.setdefault(key, []).extend(values)

        print(f"machine: {machine()}")
        print(
            f"date: {time.strftime('%Y-%m-%d')}, {args.runs} fresh processes, QT_QPA_PLATFORM="
            f"{os.environ.get('QT_QPA_PLATFORM', 'offscreen')}"
        )
        print(
            f"data: {size['units']} units ({size['units_without_room']} without a room) of "
            f"{size['positions']} positions in {size['rooms']} rooms, {size['discrepancies']} "
            f"discrepancies, {size['history']} history rows, {size['items']} checklist items, "
            f"{size['evidence']} files"
        )
        print(f"target: every figure < {TARGET_MS:.0f} ms of GUI-thread time; over it in **bold**")
        print()
        print("| page | operation | n | wall median | wall max | CPU median | CPU max |")
        print("|---|---|---|---|---|---|---|")
        slow: list[str] = []
        for page, name, _ in PAGES:
            for op in OPS:
                values = samples.get(f"{page}:{op}")
                if not values:
                    continue
                wall = [v[0] for v in values]
                cpu = [v[1] for v in values]
                print(
                    f"| {name} | {op} | {len(values)} | {fmt(statistics.median(wall))} | "
                    f"{fmt(max(wall))} | {fmt(statistics.median(cpu))} | {fmt(max(cpu))} |"
                )
                if max(wall) > TARGET_MS or max(cpu) > TARGET_MS:
                    slow.append(f"{page}:{op}")
        print()
        print("rows in the tables and trees of each page after its first switch, largest first:")
        for page, name, _ in PAGES:
            print(f"  {name}: {rows.get(str(page))}")
        if slow and not args.no_profile:
            names = {str(p): n for p, n, _ in PAGES}
            for step in slow:
                page, op = step.split(":")
                _, text = run_child(data_dir, config_dir, 1, step)
                print(f"\n=== profile of {names[page]} / {op} (one sample, cProfile) ===")
                print(text)
        print(
            "\nverdict: "
            + ("all figures under target" if not slow else "over target: " + ", ".join(slow))
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
