"""Thumbnails of photo evidence: EXIF orientation applied, cached on disk by content hash.
Called off the GUI thread; never touches the original file."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

THUMBNAIL_SIZE = 320


def thumbnail_path(cache_dir: Path, sha256: str, size: int = THUMBNAIL_SIZE) -> Path:
    return cache_dir / sha256[:2] / f"{sha256}-{size}.jpg"


def make_thumbnail(source: Path, cache_dir: Path, sha256: str, size: int = THUMBNAIL_SIZE) -> Path:
    """Return the cached thumbnail of source, making it first if needed."""
    target = thumbnail_path(cache_dir, sha256, size)
    if target.exists():
        return target
    from PIL import Image, ImageOps

    with Image.open(source) as img:
        img.draft("RGB", (size * 2, size * 2))  # JPEG decodes at a fraction of full size
        oriented = ImageOps.exif_transpose(img)
        oriented.thumbnail((size, size), Image.Resampling.LANCZOS)
        if oriented.mode in ("RGBA", "LA", "P"):
            rgba = oriented.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            oriented = flat
        elif oriented.mode != "RGB":
            oriented = oriented.convert("RGB")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{uuid.uuid4().hex}.tmp")
        try:
            oriented.save(tmp, "JPEG", quality=85)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return target
