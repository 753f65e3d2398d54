"""Runs Python code inside a frozen bundle, with the bundle's own interpreter and modules, to
check from outside what the application would see (keyring backends, Qt plugins and
translations, package metadata) without adding a debug switch to the application.

    python packaging/bundle_exec.py dist/tochka-readiness/tochka-readiness 'print(1)'
    python packaging/bundle_exec.py BUNDLE --probe      # the packaging checks below

How: a PyInstaller program that calls multiprocessing.freeze_support() (main.py does, for the
photo workers) becomes a multiprocessing "spawn" child when started as
`PROGRAM --multiprocessing-fork pipe_handle=N`; it then reads a pickled process object from
that pipe and runs its target. Here the target is the builtin exec() and the argument is the
code. Exit status: 0 when the code ran, 1 on an exception (its traceback on stderr), or the
code's own SystemExit status. POSIX only (the Windows spawn child takes a handle, not a pipe
fd); Windows builds are checked with `tochka-readiness-cli --self-test`."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import pickle
import subprocess
import sys
from multiprocessing import context, process

# What the packaging needs to hold in the bundle; each line prints "ok ..." or raises.
PROBE = r"""
import os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
assert getattr(sys, "frozen", False), "not running frozen"

import keyring
from importlib.metadata import entry_points
from core.credentials import keyring_available
names = sorted(e.name for e in entry_points(group="keyring.backends"))
assert "SecretService" in names and "Windows" in names, names
from keyring.backends import SecretService  # the Linux backend imports (jeepney, secretstorage)
backend = keyring.get_keyring()
print("ok keyring backend:", type(backend).__module__ + "." + type(backend).__name__,
      "usable:", keyring_available())

from importlib import metadata
for name in ("PySide6-Essentials", "SQLAlchemy", "alembic", "reportlab", "keyring", "bagit"):
    print("ok metadata", name, metadata.version(name))

import jsonschema, json
from importlib import resources
schema = json.loads((resources.files("resources") / "schemas" / "report.schema.json").read_text())
jsonschema.validators.validator_for(schema).check_schema(schema)
print("ok jsonschema meta-schema", schema.get("$schema", "?"))

from storage.db import MIGRATIONS_DIR
revisions = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py"))
assert (MIGRATIONS_DIR / "env.py").is_file() and revisions, MIGRATIONS_DIR
print("ok migrations", len(revisions), "revisions in", MIGRATIONS_DIR)

from PySide6.QtCore import QLibraryInfo
from PySide6.QtGui import QImageReader
from ui.app import make_application
from ui.about import app_icon
app = make_application(["probe"])
translations = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
assert os.path.isfile(os.path.join(translations, "qtbase_ru.qm")), translations
from PySide6.QtWidgets import QDialogButtonBox
box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
cancel = box.button(QDialogButtonBox.StandardButton.Cancel).text()
assert cancel.replace("&", "") == "Отмена", cancel
print("ok qtbase_ru loaded: Cancel ->", cancel)
formats = {bytes(f).decode() for f in QImageReader.supportedImageFormats()}
assert {"jpeg", "svg", "png"} <= formats, formats
print("ok image formats", " ".join(sorted(formats)))
icon = app_icon()
assert not icon.isNull() and not icon.pixmap(32, 32).toImage().isNull(), "icon"
print("ok icon renders at 32 px")
print("ok platform", app.platformName(), "font", app.font().family())
"""


def run_in_bundle(executable: str, code: str, timeout: float = 120) -> int:
    read_fd, write_fd = os.pipe()
    target = multiprocessing.get_context("spawn").Process(
        target=exec, args=(code, {"__name__": "probe"})
    )
    preparation = {
        "name": "bundle-exec",
        "authkey": bytes(process.current_process().authkey),
        "sys_argv": [executable],
        "dir": os.getcwd(),
        "start_method": "spawn",
        "log_to_stderr": False,
    }
    child = subprocess.Popen(
        [executable, "--multiprocessing-fork", f"pipe_handle={read_fd}"],
        pass_fds=(read_fd,),
        close_fds=True,
    )
    os.close(read_fd)
    # the process object pickles its authkey only while a "spawning popen" is set
    context.set_spawning_popen(object())
    try:
        with os.fdopen(write_fd, "wb") as pipe:
            pickle.dump(preparation, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(target, pipe, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        context.set_spawning_popen(None)
    return child.wait(timeout=timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("executable", help="the bundle's program")
    parser.add_argument("code", nargs="?", help="Python code to run inside it")
    parser.add_argument("--probe", action="store_true", help="run the packaging checks")
    args = parser.parse_args(argv)
    if sys.platform.startswith("win"):
        parser.error("POSIX only: on Windows run tochka-readiness-cli --self-test")
    code = PROBE if args.probe else args.code
    if not code:
        parser.error("give code or --probe")
    multiprocessing.set_start_method("spawn", force=True)
    return run_in_bundle(os.path.abspath(args.executable), code)


if __name__ == "__main__":
    sys.exit(main())
