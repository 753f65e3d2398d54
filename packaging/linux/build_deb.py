"""The Debian package (and a plain .tar.xz of the same folder) from the PyInstaller bundle.

    .venv/bin/python packaging/linux/build_deb.py [--bundle dist/tochka-readiness] [--out dist]
                                                  [--maintainer "Имя <адрес>"] [--tarball]

Lays out
    /opt/tochka-readiness/                      the bundle as PyInstaller made it
    /usr/bin/tochka-readiness                   symlink to /opt/tochka-readiness/tochka-readiness
    /usr/share/applications/tochka-readiness.desktop
    /usr/share/icons/hicolor/{16x16..256x256,scalable}/apps/tochka-readiness.{png,svg}
    /usr/share/doc/tochka-readiness/copyright
and writes DEBIAN/control whose Depends come from the bundle itself: every library a bundled
ELF file needs that is not in the bundle must be in SONAME_PACKAGES below (the build stops
otherwise), and libc6 (>= X.Y) is the highest GLIBC_X.Y symbol version any file needs.
Builds with `dpkg-deb --root-owner-group -Zxz`, so no fakeroot is needed."""

from __future__ import annotations

import argparse
import hashlib
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))

from glibc_report import format_version, walk_elves  # noqa: E402

APP = "tochka-readiness"
DEFAULT_MAINTAINER = "Tochka Rosta readiness maintainers <tochka-readiness@example.invalid>"
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)

# System library (as a bundled file names it in DT_NEEDED) → the Debian package that has it.
# Names valid from Debian 10 / Ubuntu 20.04 on; on Debian 13 / Ubuntu 24.04 the "t64"
# packages (libglib2.0-0t64, ...) provide the old names.
SONAME_PACKAGES = {
    "libc.so.6": "libc6",
    "libm.so.6": "libc6",
    "libdl.so.2": "libc6",
    "libpthread.so.0": "libc6",
    "librt.so.1": "libc6",
    "libutil.so.1": "libc6",
    "ld-linux-x86-64.so.2": "libc6",
    "libstdc++.so.6": "libstdc++6",
    "libgcc_s.so.1": "libgcc-s1 | libgcc1",
    "libz.so.1": "zlib1g",
    "libbz2.so.1.0": "libbz2-1.0",
    "libexpat.so.1": "libexpat1",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libgio-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}

DESCRIPTION = """\
Точка роста — готовность центра / centre readiness checklist
 Настольная программа для директора школы: чек-лист готовности центра
 «Точка роста» (документы, кадры, ремонт, оборудование, помещения, фирменный
 стиль), фото и документы как подтверждение, сроки и просрочки, отчёты в PDF и
 Excel, подписанные пакеты отчёта для регионального оператора. Работает без
 интернета; данные хранятся в папке пользователя.
 .
 A desktop application for rural school directors: the readiness checklist of
 a «Tochka Rosta» centre with photo and document evidence, deadlines, PDF and
 XLSX reports and signed report packages for the regional operator. Works
 offline; the data stays in the user's folder."""

COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: tochka-readiness

Files: *
Comment: The application «Точка роста — готовность центра» and the libraries bundled with it
 in /opt/tochka-readiness/_internal: Python (PSF License), Qt 6 and PySide6 (LGPL-3.0; the Qt
 libraries are separate files in _internal/PySide6/Qt/lib and can be replaced), SQLAlchemy,
 Alembic, Pillow, reportlab, openpyxl, PyYAML, jsonschema, keyring, bagit, py-minisign and
 cryptography, each under its own licence.

Files: opt/tochka-readiness/_internal/resources/fonts/*
Copyright: 2009 ParaType Ltd.
License: ParaType Free Font License
 See /opt/tochka-readiness/_internal/resources/fonts/LICENSE-ParaType.txt
"""


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def system_needs(bundle: Path) -> tuple[dict[str, list[str]], tuple[int, ...] | None]:
    """Libraries needed from the system (name → files needing it), highest GLIBC needed."""
    bundled = {p.name for p in bundle.rglob("*")}
    needs: dict[str, list[str]] = {}
    highest: tuple[int, ...] | None = None
    for elf in walk_elves(bundle):
        top = elf.highest("GLIBC")
        if top and (highest is None or top > highest):
            highest = top
        for name in elf.needed:
            if name not in bundled:
                needs.setdefault(name, []).append(str(elf.path.relative_to(bundle)))
    return needs, highest


def depends(bundle: Path) -> str:
    needs, glibc = system_needs(bundle)
    unknown = sorted(name for name in needs if name not in SONAME_PACKAGES)
    if unknown:
        lines = [f"  {name} (needed by {needs[name][0]})" for name in unknown]
        raise SystemExit(
            "The bundle needs system libraries with no Debian package in SONAME_PACKAGES "
            "(packaging/linux/build_deb.py):\n" + "\n".join(lines)
        )
    packages = sorted({SONAME_PACKAGES[name] for name in needs} - {"libc6"})
    libc = (
        f"libc6 (>= {format_version('GLIBC', glibc).removeprefix('GLIBC_')})" if glibc else "libc6"
    )
    return ", ".join([libc, *packages])


def stage(bundle: Path, staging: Path) -> None:
    if staging.exists():
        shutil.rmtree(staging)
    opt = staging / "opt" / APP
    shutil.copytree(bundle, opt, symlinks=True)
    (staging / "usr" / "bin").mkdir(parents=True)
    (staging / "usr" / "bin" / APP).symlink_to(f"/opt/{APP}/{APP}")
    applications = staging / "usr" / "share" / "applications"
    applications.mkdir(parents=True)
    shutil.copy(HERE / f"{APP}.desktop", applications / f"{APP}.desktop")
    icons = staging / "usr" / "share" / "icons" / "hicolor"
    for size in PNG_SIZES:
        target = icons / f"{size}x{size}" / "apps"
        target.mkdir(parents=True)
        shutil.copy(ROOT / "packaging" / "icons" / f"tochka-{size}.png", target / f"{APP}.png")
    (icons / "scalable" / "apps").mkdir(parents=True)
    shutil.copy(
        ROOT / "resources" / "icons" / "tochka.svg", icons / "scalable" / "apps" / f"{APP}.svg"
    )
    doc = staging / "usr" / "share" / "doc" / APP
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(COPYRIGHT, encoding="utf-8")
    for path in staging.rglob("*"):  # whatever the umask was: 755 folders, 644 data files
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        else:
            path.chmod(0o755 if os.access(path, os.X_OK) else 0o644)


def installed_size_kib(staging: Path) -> int:
    total = 0
    for path in staging.rglob("*"):
        if path.is_symlink() or path.is_dir():
            total += 1024
        else:
            total += (path.stat().st_size + 1023) // 1024 * 1024
    return total // 1024


def write_control(staging: Path, version: str, maintainer: str, bundle: Path) -> str:
    control_dir = staging / "DEBIAN"
    control_dir.mkdir()
    deps = depends(bundle)
    control = (
        f"Package: {APP}\n"
        f"Version: {version}\n"
        "Section: education\n"
        "Priority: optional\n"
        "Architecture: amd64\n"
        f"Maintainer: {maintainer}\n"
        f"Installed-Size: {installed_size_kib(staging)}\n"
        f"Depends: {deps}\n"
        "Suggests: gnome-keyring | kwalletmanager\n"
        f"Description: {DESCRIPTION}\n"
    )
    (control_dir / "control").write_text(control, encoding="utf-8")
    sums = []
    for path in sorted(staging.rglob("*")):
        if path.is_file() and not path.is_symlink() and "DEBIAN" not in path.parts:
            digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
            sums.append(f"{digest}  {path.relative_to(staging)}\n")
    (control_dir / "md5sums").write_text("".join(sums), encoding="utf-8")
    for script in ("postinst", "postrm"):
        shutil.copy(HERE / script, control_dir / script)
        (control_dir / script).chmod(0o755)
    (control_dir / "control").chmod(0o644)
    (control_dir / "md5sums").chmod(0o644)
    return control


def build_deb(staging: Path, out: Path) -> None:
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(staging), str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def build_tarball(bundle: Path, out: Path) -> None:
    """The bundle folder alone, for systems without dpkg (ALT, RED OS): unpack and run."""
    with lzma.open(out, "wb", preset=6) as xz, tarfile.open(fileobj=xz, mode="w") as tar:
        tar.add(bundle, arcname=bundle.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / APP)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--staging", type=Path, default=ROOT / "build" / "deb" / "root")
    parser.add_argument(
        "--maintainer", default=os.environ.get("DEB_MAINTAINER") or DEFAULT_MAINTAINER
    )
    parser.add_argument("--tarball", action="store_true", help="also a .tar.xz of the bundle")
    args = parser.parse_args(argv)
    bundle = args.bundle.resolve()
    if not (bundle / APP).is_file():
        raise SystemExit(f"no bundle at {bundle}: run pyinstaller packaging/tochka.spec first")
    version = project_version()
    stage(bundle, args.staging)
    control = write_control(args.staging, version, args.maintainer, bundle)
    args.out.mkdir(parents=True, exist_ok=True)
    deb = args.out / f"{APP}_{version}_amd64.deb"
    build_deb(args.staging, deb)
    print(control, end="")
    print(f"{deb}: {deb.stat().st_size / 1e6:.1f} MB")
    if args.tarball:
        tarball = args.out / f"{APP}-{version}-linux-x86_64.tar.xz"
        build_tarball(bundle, tarball)
        print(f"{tarball}: {tarball.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
