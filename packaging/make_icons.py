"""Renders resources/icons/tochka.svg into the PNG sizes of the Linux hicolor theme and the
Windows .ico (packaging/icons/), each size drawn from the SVG itself rather than scaled down
from a big bitmap, so that 16 px stays crisp.

    .venv/bin/python packaging/make_icons.py [--out packaging/icons] [--check]

Uses Qt's own SVG renderer (QtSvg is part of PySide6-Essentials), the same one that draws the
window icon at run time. The .ico is written here (no Pillow): BMP entries up to 64 px, which
every Windows tool reads, PNG entries for 128 and 256 px (Windows Vista and later)."""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "tochka.svg"
OUT = ROOT / "packaging" / "icons"
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
ICO_PNG_FROM = 128  # entries this big and bigger are stored as PNG inside the .ico


def _app() -> object:
    """The running Qt application (the tests' QApplication), else a headless one for this
    script: a QGuiApplication made first would leave no room for a QApplication later."""
    from PySide6.QtCore import QCoreApplication

    existing = QCoreApplication.instance()
    if existing is not None:
        return existing
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication(["make_icons"])


def render(size: int, svg: Path = SVG) -> object:
    """The icon as a premultiplied-ARGB QImage of size × size."""
    _app()
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG for QtSvg")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: object) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):  # type: ignore[attr-defined]
        raise RuntimeError("PNG encoding failed")
    buffer.close()
    return bytes(data.data())


def bmp_entry(image: object) -> bytes:
    """An ICO bitmap entry: BITMAPINFOHEADER, 32-bit BGRA rows bottom-up, then the 1-bit AND
    mask (all zero: the alpha channel decides)."""
    from PySide6.QtGui import QImage

    argb = image.convertToFormat(QImage.Format.Format_ARGB32)  # type: ignore[attr-defined]
    size = argb.width()
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    row_bytes = size * 4
    raw = bytes(argb.constBits())
    stride = argb.bytesPerLine()
    # Format_ARGB32 is 0xAARRGGBB in native (little-endian) order, i.e. B, G, R, A bytes
    pixels = b"".join(raw[y * stride : y * stride + row_bytes] for y in reversed(range(size)))
    mask_stride = ((size + 31) // 32) * 4
    return header + pixels + bytes(mask_stride * size)


def ico_bytes(images: dict[int, object]) -> bytes:
    entries = []
    for size in sorted(images):
        image = images[size]
        payload = png_bytes(image) if size >= ICO_PNG_FROM else bmp_entry(image)
        entries.append((size, payload))
    offset = 6 + 16 * len(entries)
    directory = b""
    blobs = b""
    for size, payload in entries:
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(payload), offset)
        offset += len(payload)
        blobs += payload
    return struct.pack("<HHH", 0, 1, len(entries)) + directory + blobs


def ico_sizes(data: bytes) -> list[int]:
    """The sizes listed in an .ico file's directory (used by the tests)."""
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    if reserved != 0 or kind != 1:
        raise ValueError("not an .ico file")
    sizes = []
    for i in range(count):
        width = data[6 + 16 * i]
        sizes.append(width or 256)
    return sizes


def build(out: Path = OUT) -> dict[str, bytes]:
    """All files: name → content."""
    files: dict[str, bytes] = {}
    images = {size: render(size) for size in sorted(set(PNG_SIZES) | set(ICO_SIZES))}
    for size in PNG_SIZES:
        files[f"tochka-{size}.png"] = png_bytes(images[size])
    files["tochka.ico"] = ico_bytes({size: images[size] for size in ICO_SIZES})
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--check", action="store_true", help="only say whether the files in --out are present"
    )
    args = parser.parse_args(argv)
    files = build(args.out)
    if args.check:
        missing = [name for name in files if not (args.out / name).is_file()]
        if missing:
            print("missing: " + ", ".join(missing), file=sys.stderr)
            return 1
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (args.out / name).write_bytes(content)
    print(f"{len(files)} files written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
