"""The school's signing key: an Ed25519 pair in minisign format, made on first need in the data
folder (keys/school.key readable by the user only, keys/school.pub). The secret key may be
protected by a passphrase (minisign's scrypt encryption), so the standard tool reads it too."""

from __future__ import annotations

import errno
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import minisign  # type: ignore[import-untyped]

from core.errors import KeyFileError, StorageError
from core.paths import DataLayout

SECRET_KEY_NAME = "school.key"
PUBLIC_KEY_NAME = "school.pub"


def keys_dir(layout: DataLayout) -> Path:
    return layout.root / "keys"


def format_key_id(raw: bytes) -> str:
    """The key id as `minisign` prints it: the 8 bytes read as a little-endian number, in hex."""
    return raw[::-1].hex().upper()


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


def public_key_text(public: minisign.PublicKey) -> str:
    """The standard minisign .pub file: an untrusted comment line and the base64 key."""
    key_id = format_key_id(bytes(public._keynum_pk.key_id))
    return f"untrusted comment: minisign public key {key_id}\n{public_key_base64(public)}\n"


def public_key_base64(public: minisign.PublicKey) -> str:
    """The one line `minisign -P` takes."""
    encoded: bytes = public.to_base64()
    return encoded.decode("ascii")


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


def load_or_create_key(layout: DataLayout, passphrase: str | None = None) -> SchoolKey:
    """The school key, made on first need. A passphrase given when the key is made encrypts the
    secret key file; an encrypted key needs the same passphrase every time after."""
    folder = keys_dir(layout)
    secret_path = folder / SECRET_KEY_NAME
    if not secret_path.exists():
        _create_key(folder, passphrase)
    try:
        secret = minisign.SecretKey.from_file(secret_path)
    except (OSError, minisign.Error, ValueError) as exc:
        raise KeyFileError(secret_path, "unreadable", str(exc)) from exc
    if secret.is_encrypted():
        if not passphrase:
            raise KeyFileError(secret_path, "passphrase_needed")
        try:
            secret.decrypt(passphrase)
        except minisign.Error as exc:
            raise KeyFileError(secret_path, "wrong_passphrase") from exc
    return SchoolKey(secret=secret, public=secret.get_public_key(), path=secret_path)


def export_public_key(layout: DataLayout, out: Path, passphrase: str | None = None) -> str:
    """Write the public key in minisign .pub format to out; returns the key id."""
    pub_path = keys_dir(layout) / PUBLIC_KEY_NAME
    if pub_path.exists():
        public = load_public_key(pub_path)
    else:
        public = load_or_create_key(layout, passphrase).public
    _write_atomically(out, public_key_text(public).encode("ascii"), mode=0o644)
    return format_key_id(bytes(public._keynum_pk.key_id))


def _create_key(folder: Path, passphrase: str | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    pair = minisign.KeyPair.generate()
    if passphrase:
        pair.secret_key.encrypt(passphrase)
    # the public file first: a crash between the two leaves no secret without its public half
    _write_atomically(folder / PUBLIC_KEY_NAME, public_key_text(pair.public_key).encode(), 0o644)
    _write_atomically(folder / SECRET_KEY_NAME, bytes(pair.secret_key) + b"\n", 0o600)


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)  # before any byte is written: a secret is never world-readable
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageError(path, "disk_full") from exc
        raise StorageError(path, "io_error", str(exc)) from exc
