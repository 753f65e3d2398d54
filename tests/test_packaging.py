"""The packaging files, checked without building anything (the build itself is
`make package-test`): the spec bundles every resource folder and the migrations and keeps the
right Qt parts, the Inno Setup script installs per user in Russian and leaves the user's data
alone, the .desktop file is valid, the icon renders, the ELF reader finds glibc versions."""

from __future__ import annotations

import ast
import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "tochka.spec"
ISS = PACKAGING / "windows" / "tochka.iss"
BUILD_PS1 = PACKAGING / "windows" / "build.ps1"
DESKTOP = PACKAGING / "linux" / "tochka-readiness.desktop"
SVG = ROOT / "resources" / "icons" / "tochka.svg"

sys.path.insert(0, str(PACKAGING))


def spec_namespace(is_windows: bool = False) -> dict[str, object]:
    """The spec's constants and its keep() filter as they are on Linux or on Windows, without
    running PyInstaller."""
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    wanted = {"RESOURCE_DIRS", "MIGRATION_FILES", "KEEP_PLUGINS", "DROP_QT_LIBS"}
    wanted |= {"KEEP_TRANSLATIONS", "_plugin_name", "keep"}
    body = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names = {t.id for t in node.targets if isinstance(t, ast.Name)}
            if names & wanted:
                body.append(node)
        elif isinstance(node, ast.FunctionDef) and node.name in wanted:
            body.append(node)
    namespace: dict[str, object] = {"IS_WINDOWS": is_windows}
    exec(compile(ast.Module(body=body, type_ignores=[]), str(SPEC), "exec"), namespace)
    return namespace


def test_spec_bundles_every_resource_folder_and_the_migrations() -> None:
    spec = spec_namespace()
    folders = {
        p.name for p in (ROOT / "resources").iterdir() if p.is_dir() and p.name != "__pycache__"
    }
    assert folders <= set(spec["RESOURCE_DIRS"])  # type: ignore[arg-type]
    migrations = set(spec["MIGRATION_FILES"])  # type: ignore[arg-type]
    assert {"env.py", "script.py.mako", "versions/*.py"} <= migrations
    assert list((ROOT / "storage" / "migrations" / "versions").glob("*.py"))
    text = SPEC.read_text(encoding="utf-8")
    for hidden in ("alembic.op", "alembic.context", "sqlalchemy.dialects.sqlite", "keyring"):
        assert f'"{hidden}' in text, hidden
    assert '"aiosmtpd"' in text  # test-only, excluded


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/Qt/translations/qtbase_ru.qm", True),
        ("PySide6/Qt/translations/qt_ru.qm", True),
        ("PySide6/Qt/translations/qtbase_de.qm", False),
        ("PySide6/Qt/translations/qtdeclarative_ru.qm", False),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland-egl.so", False),
        ("PySide6/Qt/plugins/imageformats/libqjpeg.so", True),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", True),
        ("PySide6/Qt/plugins/imageformats/libqpdf.so", False),
        ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", True),
        ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", False),
        ("PySide6/Qt/plugins/tls/libqopensslbackend.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", True),
        ("PySide6/Qt/lib/libQt6Svg.so.6", True),
        ("PySide6/Qt/lib/libQt6XcbQpa.so.6", True),
        ("PySide6/Qt/lib/libQt6Network.so.6", False),
        ("PySide6/Qt/lib/libQt6Quick.so.6", False),
        ("PySide6/Qt/lib/libQt6Pdf.so.6", False),
        ("PySide6/Qt/lib/libQt6OpenGL.so.6", False),
        # not Qt: always kept
        ("resources/fonts/PTSans-Regular.ttf", True),
        ("storage/migrations/env.py", True),
    ],
)
def test_spec_keeps_only_the_qt_parts_the_ui_uses(dest: str, kept: bool) -> None:
    keep = spec_namespace(is_windows=False)["keep"]
    assert keep(dest) is kept  # type: ignore[operator]


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/plugins/platforms/qwindows.dll", True),
        ("PySide6/plugins/platforms/qoffscreen.dll", True),
        ("PySide6/plugins/platforms/qminimal.dll", False),
        ("PySide6/plugins/styles/qmodernwindowsstyle.dll", True),
        ("PySide6/plugins/imageformats/qjpeg.dll", True),
        ("PySide6/plugins/imageformats/qtiff.dll", False),
        ("PySide6/translations/qtbase_ru.qm", True),
        ("PySide6/translations/qtbase_en.qm", False),
        ("PySide6/opengl32sw.dll", False),
        ("PySide6/Qt6Network.dll", False),
        ("PySide6/Qt6Widgets.dll", True),
        ("PySide6/Qt6OpenGL.dll", True),  # not checked that nothing needs it: kept
        ("resources/templates/tochka-rosta-2024-khv.yaml", True),
    ],
)
def test_spec_keeps_the_windows_parts(dest: str, kept: bool) -> None:
    keep = spec_namespace(is_windows=True)["keep"]
    assert keep(dest) is kept  # type: ignore[operator]


def iss_sections() -> dict[str, list[str]]:
    text = ISS.read_text(encoding="utf-8-sig")
    sections: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if re.fullmatch(r"\[[A-Za-z]+\]", stripped):
            current = stripped[1:-1]
            sections.setdefault(current, [])
        elif stripped and not stripped.startswith(";"):
            sections.setdefault(current, []).append(stripped)
    return sections


def test_installer_is_per_user_russian_and_keeps_the_users_data() -> None:
    raw = ISS.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "ISCC reads a script without BOM as ANSI"
    sections = iss_sections()
    setup = sections["Setup"]
    assert "PrivilegesRequired=lowest" in setup
    assert any(line.startswith("DefaultDirName={localappdata}\\Programs\\") for line in setup)
    assert any(re.fullmatch(r"AppId=\{\{[0-9A-F-]{36}\}", line) for line in setup)
    assert any("AppVersion={#AppVersion}" == line for line in setup)
    assert any("compiler:Languages\\Russian.isl" in line for line in sections["Languages"])
    assert any("desktopicon" in line and "unchecked" in line for line in sections["Tasks"])
    for name in ("UninstallDelete", "InstallDelete", "Code"):
        for line in sections.get(name, []):
            if "Delete" in line or name != "Code":
                assert "{userappdata}" not in line and "{localappdata}" not in line, line
    assert "{userappdata}\\{#AppShortName}" in "\n".join(sections["Code"])  # said, not deleted
    assert "DelTree" not in raw.decode("utf-8-sig")


def test_windows_build_script_uses_the_locks_and_passes_the_version() -> None:
    text = BUILD_PS1.read_text(encoding="ascii")  # ASCII: PowerShell 5.1 reads ANSI
    assert "--require-hashes" in text and "requirements-dev.lock" in text
    assert "packaging\\tochka.spec" in text
    assert "/DAppVersion=$Version" in text
    assert "--self-test" in text


def test_desktop_file_is_valid() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator:
        result = subprocess.run([validator, str(DESKTOP)], capture_output=True, text=True)
        complaints = [
            line
            for line in (result.stdout + result.stderr).splitlines()
            if ": hint: " not in line  # advice only: two main categories are on purpose
        ]
        assert result.returncode == 0 and complaints == [], complaints
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DESKTOP, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Точка роста — готовность центра"
    assert entry["Exec"] == "tochka-readiness"
    assert entry["Icon"] == "tochka-readiness"
    assert entry["Terminal"] == "false"
    assert entry["Categories"] == "Office;Education;"
    assert re.search("[а-я]", entry["Comment"])


def test_icon_svg_renders_at_16_and_256_px(qapp: object) -> None:
    import xml.etree.ElementTree as ET

    from make_icons import render

    root = ET.parse(SVG).getroot()
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 256 256"
    for size in (16, 256):
        image = render(size)
        assert image.width() == size  # type: ignore[attr-defined]
        pixels = {
            image.pixel(x, y)  # type: ignore[attr-defined]
            for x in range(0, size, max(1, size // 16))
            for y in range(0, size, max(1, size // 16))
        }
        assert len(pixels) > 4, f"{size} px looks blank"
        centre = image.pixelColor(size // 2, size // 2)  # type: ignore[attr-defined]
        assert centre.alpha() == 255


def test_generated_icons_are_present_and_match_the_svg(qapp: object) -> None:
    from make_icons import ICO_SIZES, OUT, PNG_SIZES, ico_sizes, render
    from PySide6.QtGui import QImage

    assert sorted(ico_sizes((OUT / "tochka.ico").read_bytes())) == sorted(ICO_SIZES)
    for size in PNG_SIZES:
        assert (OUT / f"tochka-{size}.png").is_file()
    stored = QImage(str(OUT / "tochka-32.png")).convertToFormat(QImage.Format.Format_ARGB32)
    fresh = render(32).convertToFormat(QImage.Format.Format_ARGB32)  # type: ignore[attr-defined]
    differing = sum(
        1
        for x in range(32)
        for y in range(32)
        if abs(stored.pixelColor(x, y).green() - fresh.pixelColor(x, y).green()) > 24
    )
    assert differing < 32, "run packaging/make_icons.py after changing the SVG"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF files are Linux's")
def test_glibc_report_reads_a_real_elf(tmp_path: Path) -> None:
    from glibc_report import read_elf, report

    python = Path(sys.executable).resolve()
    elf = read_elf(python)
    if not elf.version_needs:  # a statically linked interpreter: take its libpython
        candidates = sorted(Path(sys.base_prefix, "lib").glob("libpython3*.so*"))
        assert candidates, "no dynamically linked ELF to read"
        python = candidates[0]
        elf = read_elf(python)
    assert "libc.so.6" in elf.version_needs
    highest = elf.highest("GLIBC")
    assert highest is not None and highest >= (2, 2)
    assert any(elf.symbols.values())  # symbols are mapped to their versions

    (tmp_path / "bundle" / "lib").mkdir(parents=True)
    shutil.copy(python, tmp_path / "bundle" / "lib" / python.name)
    (tmp_path / "bundle" / "data.txt").write_text("not an ELF")
    result = report(tmp_path / "bundle")
    assert result["elf_files"] == 1
    assert result["GLIBC"]["highest"].startswith("GLIBC_2.")  # type: ignore[index]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF files are Linux's")
def test_deb_depends_come_from_the_bundle(tmp_path: Path) -> None:
    sys.path.insert(0, str(PACKAGING / "linux"))
    from build_deb import SONAME_PACKAGES, depends
    from glibc_report import read_elf

    python = Path(sys.executable).resolve()
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shutil.copy(python, bundle / "program")
    libpython = [name for name in read_elf(python).needed if name.startswith("libpython")]
    if libpython:  # neither bundled nor a known system package: the build must stop
        with pytest.raises(SystemExit, match="libpython"):
            depends(bundle)
        (bundle / libpython[0]).write_bytes(b"stands in for the bundled libpython")
    line = depends(bundle)
    assert line.startswith("libc6 (>= 2.")
    for xcb in ("libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxkbcommon-x11.so.0"):
        assert xcb in SONAME_PACKAGES
