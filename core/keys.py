"""The school's signing key: an Ed25519 pair in minisign format, made on first need in the data
folder (keys/school.key readable by the user only, keys/school.pub). The secret key may be
protected by a passphrase (minisign's scrypt encryption), so the standard tool reads it too.

A key can be replaced (rotate_key): the old public half stays in keys/retired/<KEYID>.pub so that
earlier packages remain verifiable; the old secret half is overwritten and removed. The day a
key was made and the day it was retired are written in the untrusted comment of its .pub file,
which the minisign command ignores. The region keeps the keys of many schools in a registry
(load_key_registry; docs/receipt-format.md, «Реестр ключей»)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import minisign  # type: ignore[import-untyped]

from core.errors import KeyFileError, StorageError
from core.files import fsync_dir, write_atomically
from core.paths import DataLayout

SECRET_KEY_NAME = "school.key"
PUBLIC_KEY_NAME = "school.pub"
# A rotation writes the new pair under these names first; the secret one existing in full is
# the point of no return, and every entry point of this module finishes such a rotation.
NEXT_SECRET_NAME = "school.next.key"
NEXT_PUBLIC_NAME = "school.next.pub"
RETIRED_DIR = "retired"
COMMENT_PREFIX = "untrusted comment:"
# A registry or a key file is a few kilobytes per school; a larger file is not one.
MAX_KEY_FILE_BYTES = 16 << 20

_CREATED = re.compile(r"\bcreated (\d{4}-\d{2}-\d{2})\b")
_RETIRED = re.compile(r"\bretired (\d{4}-\d{2}-\d{2})\b")


def keys_dir(layout: DataLayout) -> Path:
    return layout.root / "keys"


def format_key_id(raw: bytes) -> str:
    """The key id as `minisign` prints it: the 8 bytes read as a little-endian number, in hex."""
    return raw[::-1].hex().upper()


def key_id_of(public: minisign.PublicKey) -> str:
    return format_key_id(bytes(public._keynum_pk.key_id))


@dataclass(frozen=True)
class SchoolKey:
    """An unlocked key pair. Keep it only as long as signing takes."""

    secret: minisign.SecretKey
    public: minisign.PublicKey
    path: Path  # the secret key file

    @property
    def key_id(self) -> str:
        return format_key_id(bytes(self.public._keynum_pk.key_id))

    def public_key_text(self) -> str:
        return public_key_text(self.public)


@dataclass(frozen=True)
class KeyRecord:
    """One key the school has signed with, for the key history in the GUI."""

    key_id: str
    public: minisign.PublicKey
    created: dt.date | None  # None: the file and its date are both gone
    retired: dt.date | None  # None while it is the current key
    current: bool


@dataclass(frozen=True)
class RegistryEntry:
    """One key of a registry, with the comment that names its school ("" when none)."""

    key_id: str
    public: minisign.PublicKey
    label: str
    source: Path
    line: int  # 1-based, of the base64 line


def public_key_text(public: minisign.PublicKey) -> str:
    """The standard minisign .pub file: an untrusted comment line and the base64 key."""
    key_id = format_key_id(bytes(public._keynum_pk.key_id))
    return f"untrusted comment: minisign public key {key_id}\n{public_key_base64(public)}\n"


def public_key_base64(public: minisign.PublicKey) -> str:
    """The one line `minisign -P` takes."""
    encoded: bytes = public.to_base64()
    return encoded.decode("ascii")


def key_fingerprint(public: minisign.PublicKey) -> str:
    """SHA-256 of the decoded key line (2 bytes "Ed", 8 bytes key id, 32 bytes key) in groups of
    four hex digits: what the director reads out on the phone. The region recomputes it with
    `printf '%s' 'RW…' | base64 -d | sha256sum`."""
    digest = hashlib.sha256(base64.b64decode(public.to_base64())).hexdigest().upper()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def load_public_key(path: Path) -> minisign.PublicKey:
    """A minisign .pub file, or a file holding just the base64 line."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(path, "unreadable", str(exc)) from exc
    try:
        line = text.splitlines()[-1].strip() if text else ""
        return minisign.PublicKey.from_base64(line)
    except (minisign.Error, ValueError, IndexError) as exc:
        raise KeyFileError(path, "unreadable", str(exc)) from exc


def parse_public_key(text: str, source: Path | str = "public key") -> minisign.PublicKey:
    """One public key as a person pastes it: a whole .pub file (comment line and key line) or
    the bare `RW…` line, with stray spaces or line breaks inside the key (copied from a wrapped
    line of the key card). source names it in a KeyFileError."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if lines and lines[0].lower().startswith(COMMENT_PREFIX):
        lines = lines[1:]
    joined = "".join("".join(lines).split())
    if not joined:
        raise KeyFileError(source, "unreadable", "no key")
    try:
        return _decode_public_key(joined)
    except ValueError as exc:
        raise KeyFileError(source, "unreadable", str(exc)) from exc


def _decode_public_key(line: str) -> minisign.PublicKey:
    try:
        return minisign.PublicKey.from_base64(line)
    except (minisign.Error, binascii.Error) as exc:
        raise ValueError(f"not a minisign public key ({exc})") from exc


# --- the school's own key ----------------------------------------------------------------------


def load_or_create_key(layout: DataLayout, passphrase: str | None = None) -> SchoolKey:
    """The school key, made on first need. A passphrase given when the key is made encrypts the
    secret key file; an encrypted key needs the same passphrase every time after."""
    folder = keys_dir(layout)
    _finish_rotation(folder)
    secret_path = folder / SECRET_KEY_NAME
    if not secret_path.exists():
        _create_key(folder, passphrase, dt.date.today())
    return _unlock(secret_path, passphrase)


def _unlock(secret_path: Path, passphrase: str | None) -> SchoolKey:
    try:
        secret = minisign.SecretKey.from_file(secret_path)
    except (OSError, minisign.Error, ValueError) as exc:
        raise KeyFileError(secret_path, "unreadable", str(exc)) from exc
    decrypt_secret(secret, secret_path, passphrase)
    return SchoolKey(secret=secret, public=secret.get_public_key(), path=secret_path)


def decrypt_secret(secret: minisign.SecretKey, source: Path, passphrase: str | None) -> None:
    """Decrypt a passphrase-protected minisign secret key in place (nothing to do for a plain
    one). Raises KeyFileError passphrase_needed / wrong_passphrase naming source."""
    if not secret.is_encrypted():
        return
    if not passphrase:
        raise KeyFileError(source, "passphrase_needed")
    try:
        secret.decrypt(passphrase)
    except minisign.Error as exc:
        raise KeyFileError(source, "wrong_passphrase") from exc


def export_public_key(layout: DataLayout, out: Path, passphrase: str | None = None) -> str:
    """Write the public key in minisign .pub format to out; returns the key id."""
    folder = keys_dir(layout)
    _finish_rotation(folder)
    pub_path = folder / PUBLIC_KEY_NAME
    if pub_path.exists():
        public = load_public_key(pub_path)
    else:
        public = load_or_create_key(layout, passphrase).public
    write_atomically(out, public_key_text(public).encode("ascii"), mode=0o644)
    return format_key_id(bytes(public._keynum_pk.key_id))


def rotate_key(
    layout: DataLayout, passphrase: str | None = None, *, today: dt.date | None = None
) -> SchoolKey:
    """Replace the school key with a new pair (encrypted with passphrase when one is given; the
    old passphrase is not needed: a forgotten one is a reason to rotate). The old public key is
    kept as keys/retired/<KEYID>.pub with the day it was retired; the old secret key is
    overwritten and removed, so it never signs again.

    Order, so that a crash at any point leaves a usable key with its public half: (1) the old
    public key into retired/, (2) the new pair as school.next.pub, then school.next.key — from
    here on the rotation is finished by whoever opens the keys next, (3) the old secret
    overwritten and removed, (4) the new pair renamed into place. Raises StorageError
    ("disk_full"...) with the old key still current when (1) or (2) fails."""
    today = today or dt.date.today()
    folder = keys_dir(layout)
    _finish_rotation(folder)
    secret_path = folder / SECRET_KEY_NAME
    if not secret_path.exists():
        return load_or_create_key(layout, passphrase)
    old_public, old_created = _current_public(folder)
    pair = minisign.KeyPair.generate()
    unlocked = minisign.SecretKey.from_bytes(bytes(pair.secret_key))
    if passphrase:
        pair.secret_key.encrypt(passphrase)
    if old_public is not None:
        retired_path = folder / RETIRED_DIR / f"{key_id_of(old_public)}.pub"
        text = _pub_file_text(old_public, old_created, retired=today)
        write_atomically(retired_path, text.encode("ascii"), 0o644)
    next_public = folder / NEXT_PUBLIC_NAME
    try:
        text = _pub_file_text(pair.public_key, today)
        write_atomically(next_public, text.encode("ascii"), 0o644)
        write_atomically(folder / NEXT_SECRET_NAME, bytes(pair.secret_key) + b"\n", 0o600)
    except StorageError:
        next_public.unlink(missing_ok=True)  # before the point of no return: the old key stays
        raise
    _finish_rotation(folder)
    return SchoolKey(secret=unlocked, public=pair.public_key, path=secret_path)


def _finish_rotation(folder: Path) -> None:
    """Complete a rotation cut short (see rotate_key), or drop one that never reached its point
    of no return. Needs no passphrase: the files are only moved, never decrypted."""
    next_secret = folder / NEXT_SECRET_NAME
    next_public = folder / NEXT_PUBLIC_NAME
    secret_path = folder / SECRET_KEY_NAME
    public_path = folder / PUBLIC_KEY_NAME
    if not next_secret.exists():
        if next_public.exists():
            next_public.unlink()
        return
    if next_public.exists():
        # retired/ already holds the old public key unless rotate_key was cut short before
        # that; written again here it is the same key, only its retired date may be later
        old_public, old_created = _current_public(folder)
        new_id = key_id_of(load_public_key(next_public))
        if old_public is not None and key_id_of(old_public) != new_id:
            retired_path = folder / RETIRED_DIR / f"{key_id_of(old_public)}.pub"
            if not retired_path.exists():
                text = _pub_file_text(old_public, old_created, retired=dt.date.today())
                write_atomically(retired_path, text.encode("ascii"), 0o644)
    if secret_path.exists() and secret_path.read_bytes() != next_secret.read_bytes():
        _shred(secret_path)
    if next_public.exists():
        _replace(next_public, public_path)
    _replace(next_secret, secret_path)
    fsync_dir(folder)


def _current_public(folder: Path) -> tuple[minisign.PublicKey | None, dt.date | None]:
    """The current public key and the day it was made, from school.pub; from the secret key
    itself when that file is lost and the secret is not encrypted."""
    public_path = folder / PUBLIC_KEY_NAME
    if public_path.exists():
        try:
            return load_public_key(public_path), _pub_dates(public_path)[0]
        except KeyFileError:
            pass
    try:
        secret = minisign.SecretKey.from_file(folder / SECRET_KEY_NAME)
        if not secret.is_encrypted():
            return secret.get_public_key(), None
    except (OSError, minisign.Error, ValueError):
        pass
    return None, None


def _pub_file_text(
    public: minisign.PublicKey, created: dt.date | None, retired: dt.date | None = None
) -> str:
    """A standard .pub file whose untrusted comment also carries the key's dates."""
    comment = f"minisign public key {key_id_of(public)}"
    if created is not None:
        comment += f" created {created.isoformat()}"
    if retired is not None:
        comment += f" retired {retired.isoformat()}"
    return f"untrusted comment: {comment}\n{public_key_base64(public)}\n"


def _pub_dates(path: Path) -> tuple[dt.date | None, dt.date | None]:
    """(created, retired) from the comment of a .pub file; created falls back to the file's
    date for keys made before dates were written."""
    try:
        first = path.read_text(encoding="ascii").splitlines()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        first = ""

    def found(pattern: re.Pattern[str]) -> dt.date | None:
        match = pattern.search(first) if first.startswith(COMMENT_PREFIX) else None
        try:
            return dt.date.fromisoformat(match.group(1)) if match else None
        except ValueError:
            return None

    created = found(_CREATED)
    if created is None:
        try:
            created = dt.date.fromtimestamp(path.stat().st_mtime)
        except OSError:
            created = None
    return created, found(_RETIRED)


def known_public_keys(layout: DataLayout) -> dict[str, minisign.PublicKey]:
    """Every public key this school has signed with, current and retired, by key id."""
    return {record.key_id: record.public for record in key_history(layout)}


def key_history(layout: DataLayout) -> list[KeyRecord]:
    """The current key first, then the retired ones, the most recently retired first. A file
    in retired/ that cannot be read is left out (the history is for showing)."""
    folder = keys_dir(layout)
    _finish_rotation(folder)
    records: list[KeyRecord] = []
    current, created = _current_public(folder)
    if current is not None:
        records.append(KeyRecord(key_id_of(current), current, created, None, current=True))
    retired_dir = folder / RETIRED_DIR
    retired: list[KeyRecord] = []
    if retired_dir.is_dir():
        for path in sorted(retired_dir.glob("*.pub")):
            try:
                public = load_public_key(path)
            except KeyFileError:
                continue
            if current is not None and key_id_of(public) == key_id_of(current):
                continue  # a rotation cut short before its point of no return
            made, gone = _pub_dates(path)
            retired.append(KeyRecord(key_id_of(public), public, made, gone, current=False))
    retired.sort(key=lambda r: (r.retired or dt.date.min, r.created or dt.date.min), reverse=True)
    return records + retired


def _create_key(folder: Path, passphrase: str | None, today: dt.date) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    pair = minisign.KeyPair.generate()
    if passphrase:
        pair.secret_key.encrypt(passphrase)
    # the public file first: a crash between the two leaves no secret without its public half
    text = _pub_file_text(pair.public_key, today)
    write_atomically(folder / PUBLIC_KEY_NAME, text.encode("ascii"), 0o644)
    write_atomically(folder / SECRET_KEY_NAME, bytes(pair.secret_key) + b"\n", 0o600)


# --- the region's registry of school keys -------------------------------------------------------


def load_key_registry(path: Path) -> dict[str, minisign.PublicKey]:
    """The keys of a registry (a folder of .pub files, or one text file of several keys) by key
    id. Raises KeyFileError(file, "unreadable", "line N: ..."), "no_keys" for a registry
    without a key, "conflicting_key" for one key id given with two different keys."""
    keys: dict[str, minisign.PublicKey] = {}
    for entry in read_key_registry(path):
        known = keys.setdefault(entry.key_id, entry.public)
        if known != entry.public:
            raise KeyFileError(
                entry.source, "conflicting_key", f"line {entry.line}: {entry.key_id}"
            )
    return keys


def read_key_registry(path: Path) -> list[RegistryEntry]:
    """Every key of a registry with the comment naming its school, in file and line order.

    The text format: each key is a minisign .pub block (an `untrusted comment:` line, then the
    key line) or a bare `RW…` key line; a line starting with `#` is a comment that names the
    school of the keys below it, up to the next blank line. A folder: every *.pub file in it
    (not in subfolders), each in the same format."""
    if path.is_dir():
        files = sorted(p for p in path.glob("*.pub") if not p.name.startswith("."))
        entries = [entry for file in files for entry in _read_registry_file(file)]
    else:
        entries = _read_registry_file(path)
    if not entries:
        raise KeyFileError(path, "no_keys")
    return entries


def _read_registry_file(path: Path) -> list[RegistryEntry]:
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise KeyFileError(path, "unreadable", exc.strerror or str(exc)) from exc
    if len(data) > MAX_KEY_FILE_BYTES:
        raise KeyFileError(path, "unreadable", "too big")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KeyFileError(path, "unreadable", f"not UTF-8 text (byte {exc.start})") from exc
    entries: list[RegistryEntry] = []
    label = ""
    pending_comment = 0  # the line of an untrusted comment still waiting for its key line
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            label = ""  # a comment names the keys below it, up to a blank line
            continue
        if pending_comment and (line.startswith("#") or line.lower().startswith(COMMENT_PREFIX)):
            raise KeyFileError(path, "unreadable", f"line {number}: a key line was expected")
        if line.startswith("#"):
            label = line.lstrip("#").strip()
            continue
        if line.lower().startswith(COMMENT_PREFIX):
            pending_comment = number
            continue
        try:
            public = _decode_public_key(line)
        except ValueError as exc:
            raise KeyFileError(path, "unreadable", f"line {number}: {exc}") from exc
        entries.append(RegistryEntry(key_id_of(public), public, label, path, number))
        pending_comment = 0
    if pending_comment:
        raise KeyFileError(
            path, "unreadable", f"line {pending_comment}: the key line after it is missing"
        )
    return entries


# --- files ----------------------------------------------------------------------------------------


def _replace(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except OSError as exc:
        raise StorageError(target, "io_error", str(exc)) from exc


def _shred(path: Path) -> None:
    """Overwrite a secret key file in place with random bytes, sync, then remove it. (On an SSD
    or a copy-on-write file system the old blocks may survive; the passphrase still guards an
    encrypted key.)"""
    try:
        size = path.stat().st_size
        with path.open("r+b") as stream:
            stream.write(os.urandom(size))
            stream.flush()
            os.fsync(stream.fileno())
        path.unlink()
    except OSError as exc:
        raise StorageError(path, "io_error", str(exc)) from exc
