"""File-system pieces every writer in core/ shares: the SHA-256 of a file, a small file written
atomically, a directory synced after a rename, and an OSError turned into the StorageError
that ui/messages.py words."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

from core.errors import StorageError

DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def storage_problem(exc: OSError) -> str:
    """disk_full, read_only or io_error."""
    if exc.errno in DISK_FULL:
        return "disk_full"
    if exc.errno in READ_ONLY:
        return "read_only"
    return "io_error"


def storage_error(path: Path, exc: OSError) -> StorageError:
    problem = storage_problem(exc)
    detail = "" if problem == "disk_full" else exc.strerror or str(exc)
    return StorageError(path, problem, detail)


def fsync_dir(folder: Path) -> None:
    """Make a rename in folder survive a power cut. Not possible on every system (Windows
    cannot open a directory): then the rename itself is all there is."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """data to path through a temporary file beside it (mode set before any byte is written, so
    a secret is never readable by others), synced, then renamed over path. On failure path is
    untouched and no temporary file is left. Raises StorageError (disk_full, io_error)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    try:
        if hasattr(os, "fchmod"):  # not on Windows before Python 3.13: the profile's ACL rules
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise _write_error(path, exc) from exc


def _write_error(path: Path, exc: OSError) -> StorageError:
    if exc.errno in DISK_FULL:
        return StorageError(path, "disk_full")
    return StorageError(path, "io_error", str(exc))
