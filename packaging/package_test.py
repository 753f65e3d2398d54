"""`make package-test`: the built bundle and .deb, checked as an installed program would be.

    .venv/bin/python packaging/package_test.py [--bundle dist/tochka-readiness] [--deb FILE]
                                               [--screenshot screenshots/bundle-main-window.png]

1. every library a bundled ELF file needs is in the bundle or on this system;
2. `tochka-readiness --self-test` (offscreen) exits 0: migrations, template, fonts and PDF,
   XLSX, photo workers in spawned processes, signed package;
3. inside the bundle's own interpreter (packaging/bundle_exec.py --probe): keyring backends,
   package metadata, jsonschema, migrations on disk, qtbase_ru loaded, image formats, icon;
4. `tochka-readiness --data-dir D demo`, then the window under Xvfb for five seconds: it must
   appear (title «Точка роста — готовность центра») and still run; a screenshot is saved;
5. the .deb: `dpkg-deb --info/--contents` hold what they should, its payload unpacked
   elsewhere passes --self-test too, its .desktop file validates;
6. the glibc report of the bundle.
Exits non-zero on the first failure, saying which."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from glibc_report import print_report, report, walk_elves  # noqa: E402
from xvfb_tools import Display, xvfb  # noqa: E402

APP = "tochka-readiness"
TITLE = "Точка роста — готовность центра"
GUI_SECONDS = 5.0


class Failed(Exception):
    pass


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """A throwaway home, so settings, logs and keyrings of this machine are not touched."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOCHKA_", "QT_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        TOCHKA_LOG_DIR=str(home / "logs"),
    )
    env.update(extra)
    return env


def run(cmd: list[str], env: dict[str, str], timeout: float = 300) -> str:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    print(output.rstrip())
    if result.returncode != 0:
        raise Failed(f"{' '.join(cmd)} exited {result.returncode}")
    return output


def system_libraries() -> set[str]:
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines()[1:] if line.strip()}


def check_libraries(bundle: Path) -> None:
    bundled = {p.name for p in bundle.rglob("*")}
    system = system_libraries()
    missing: dict[str, str] = {}
    for elf in walk_elves(bundle):
        for name in elf.needed:
            if name not in bundled and name not in system:
                missing.setdefault(name, str(elf.path.relative_to(bundle)))
    for name, user in sorted(missing.items()):
        print(f"  missing {name} (needed by {user})")
    if missing:
        raise Failed("libraries missing: install the .deb's Depends (make sysdeps-run)")
    print(f"  all libraries found ({len(bundled)} files in the bundle)")


KEYRING_ROUND_TRIP = """
import keyring
from core.credentials import forget_password, keyring_available, load_password, save_password
print("  backend:", type(keyring.get_keyring()).__module__)
assert keyring_available(), "no usable keyring"
assert save_password("school@example.ru", "пароль-123"), "not saved"
assert load_password("school@example.ru") == "пароль-123", "not read back"
assert forget_password("school@example.ru") and load_password("school@example.ru") is None
print("  saved, read back and removed a password through Secret Service")
"""


def check_keyring(program: Path, home: Path) -> None:
    """The SMTP password through the Secret Service backend (gnome-keyring on a private D-Bus
    session), when those programs are installed; keyring finds backends by entry points,
    which a frozen program may lose."""
    needed = ("dbus-run-session", "gnome-keyring-daemon")
    if not all(shutil.which(name) for name in needed):
        print("  skipped: apt-get install gnome-keyring dbus-daemon to check this too")
        return
    runtime = home / "run"
    runtime.mkdir(parents=True, mode=0o700)
    env = isolated_env(home, XDG_RUNTIME_DIR=str(runtime))
    script = (
        'eval "$(printf test | gnome-keyring-daemon --unlock --components=secrets)" && '
        'exec "$0" "$1" "$2" "$3"'
    )
    run(
        ["dbus-run-session", "--", "sh", "-c", script, sys.executable,
         str(HERE / "bundle_exec.py"), str(program), KEYRING_ROUND_TRIP],
        env,
        timeout=120,
    )  # fmt: skip


def check_gui(program: Path, home: Path, screenshot: Path) -> None:
    data = home / "data"
    run([str(program), "--data-dir", str(data), "demo", "--photos", "6"], isolated_env(home))
    with xvfb() as display_name:
        display = Display(display_name)
        try:
            display.watch_maps()
            env = isolated_env(home, DISPLAY=display_name)
            started = time.time()
            with open(home / "gui.log", "w+", encoding="utf-8") as log:
                app = subprocess.Popen(
                    [str(program), "--data-dir", str(data)], env=env, stdout=log, stderr=log
                )
                try:
                    shown = display.wait_mapped(TITLE, timeout=60)
                    if shown is None:
                        raise Failed("the main window did not appear within 60 s")
                    print(f"  window «{shown[1]}» shown {shown[0] - started:.2f} s after start")
                    time.sleep(max(0.0, started + GUI_SECONDS - time.time()))
                    if app.poll() is not None:
                        raise Failed(f"the program exited with {app.returncode} while shown")
                    size = display.screenshot(screenshot)
                    print(f"  screenshot {size[0]}×{size[1]}: {screenshot}")
                finally:
                    app.terminate()
                    try:
                        app.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        app.kill()
                        app.wait()
                log.seek(0)
                messages = log.read().strip()
            if messages:
                print("  the program said:\n    " + messages.replace("\n", "\n    "))
        finally:
            display.close()


def check_deb(deb: Path, work: Path) -> None:
    info = subprocess.run(["dpkg-deb", "--info", str(deb)], capture_output=True, text=True)
    contents = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True)
    if info.returncode or contents.returncode:
        raise Failed(f"dpkg-deb cannot read {deb}")
    for field in ("Package: tochka-readiness", "Architecture: amd64", "Depends: libc6 (>= ",
                  "libxcb-cursor0", "postinst", "postrm"):  # fmt: skip
        if field not in info.stdout:
            raise Failed(f"dpkg-deb --info: no «{field}»")
    for path in (
        f"./opt/{APP}/{APP}",
        f"./opt/{APP}/_internal/storage/migrations/env.py",
        f"./opt/{APP}/_internal/resources/fonts/LICENSE-ParaType.txt",
        f"./opt/{APP}/_internal/PySide6/Qt/translations/qtbase_ru.qm",
        f"./opt/{APP}/_internal/PySide6/Qt/plugins/platforms/libqxcb.so",
        f"./usr/bin/{APP} -> /opt/{APP}/{APP}",
        f"./usr/share/applications/{APP}.desktop",
        f"./usr/share/icons/hicolor/256x256/apps/{APP}.png",
        f"./usr/share/icons/hicolor/scalable/apps/{APP}.svg",
    ):
        if path not in contents.stdout:
            raise Failed(f"dpkg-deb --contents: no {path}")
    print(f"  {deb.name}: {deb.stat().st_size / 1e6:.1f} MB, control and contents as expected")
    unpacked = work / "deb"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    desktop = unpacked / "usr" / "share" / "applications" / f"{APP}.desktop"
    validator = shutil.which("desktop-file-validate")
    if validator:
        result = subprocess.run([validator, str(desktop)], capture_output=True, text=True)
        lines = (result.stdout + result.stderr).strip().splitlines()
        # a hint is advice (two main categories, Office and Education, are on purpose)
        complaints = [line for line in lines if ": hint: " not in line]
        if result.returncode or complaints:
            raise Failed("desktop-file-validate: " + "\n".join(complaints))
        hints = f" ({len(lines)} hint: {'; '.join(lines)})" if lines else ""
        print(f"  desktop-file-validate: no errors or warnings{hints}")
    home = work / "deb-home"
    run(
        [str(unpacked / "opt" / APP / APP), "--self-test"],
        isolated_env(home, QT_QPA_PLATFORM="offscreen"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / APP)
    parser.add_argument("--deb", type=Path, help="the .deb (default: the newest in dist/)")
    parser.add_argument(
        "--screenshot", type=Path, default=ROOT / "screenshots" / "bundle-main-window.png"
    )
    args = parser.parse_args(argv)
    program = args.bundle / APP
    if not program.is_file():
        print(f"no bundle at {args.bundle}: run make package first", file=sys.stderr)
        return 2
    deb = args.deb or max(
        (ROOT / "dist").glob(f"{APP}_*_amd64.deb"), key=os.path.getmtime, default=None
    )
    try:
        with tempfile.TemporaryDirectory(prefix="tochka-package-test-") as tmp:
            work = Path(tmp)
            step("libraries")
            check_libraries(args.bundle)
            step("self-test (offscreen)")
            run(
                [str(program), "--self-test"],
                isolated_env(work / "h1", QT_QPA_PLATFORM="offscreen"),
            )
            step("inside the bundle: keyring, metadata, Qt translations and plugins")
            run(
                [sys.executable, str(HERE / "bundle_exec.py"), str(program), "--probe"],
                isolated_env(work / "h2"),
            )
            step("the SMTP password in the system keyring")
            check_keyring(program, work / "h4")
            step("the window under Xvfb")
            check_gui(program, work / "h3", args.screenshot)
            if deb is None:
                raise Failed("no .deb in dist/: run make package")
            step(f"the Debian package {deb.name}")
            check_deb(deb, work)
            step("glibc")
            print_report(report(args.bundle, top=5))
    except Failed as exc:
        print(f"\nPACKAGE TEST FAILED: {exc}", file=sys.stderr)
        return 1
    print("\npackage test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
