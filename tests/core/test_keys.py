"""The school key over its life: created with a date, rotated (the old public half kept, the old
secret destroyed), safe at every step of a rotation that is cut short, and the keys of many
schools read from a registry the region keeps. Interoperates with the minisign command."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import minisign  # type: ignore[import-untyped]
import pytest

import core.keys as keys
from core.errors import KeyFileError, StorageError
from core.keys import (
    export_public_key,
    format_key_id,
    key_fingerprint,
    key_history,
    known_public_keys,
    load_key_registry,
    load_or_create_key,
    load_public_key,
    parse_public_key,
    public_key_base64,
    read_key_registry,
    rotate_key,
)
from core.paths import DataLayout
from tests.conftest import fill_up

TODAY = dt.date.today()
PASSPHRASE = "пароль директора"


def key_id(public: Any) -> str:
    return format_key_id(bytes(public._keynum_pk.key_id))


def cli() -> str:
    path = shutil.which("minisign")
    if path is None:
        pytest.fail("the minisign command is missing: `make test` installs it (TEST_DEBS)")
    return path


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


# --- creation date and history ------------------------------------------------------------


def test_a_new_key_records_the_day_it_was_made(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path / "d")
    key = load_or_create_key(layout)
    pub_text = (layout.root / "keys" / "school.pub").read_text()
    assert pub_text.startswith(f"untrusted comment: minisign public key {key.key_id} created ")
    (record,) = key_history(layout)
    assert record.key_id == key.key_id and record.current
    assert record.created == TODAY and record.retired is None
    assert known_public_keys(layout) == {key.key_id: key.public}
    # the exported file stays the plain standard one
    out = tmp_path / "school.pub"
    assert export_public_key(layout, out) == key.key_id
    assert out.read_text() == (
        f"untrusted comment: minisign public key {key.key_id}\n{public_key_base64(key.public)}\n"
    )


def test_a_key_made_before_dates_were_kept_takes_its_file_date(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path / "d")
    key = load_or_create_key(layout)
    pub = layout.root / "keys" / "school.pub"
    pub.write_text(keys.public_key_text(key.public))  # as older versions wrote it
    (record,) = key_history(layout)
    assert record.created == dt.date.fromtimestamp(pub.stat().st_mtime)


# --- rotation --------------------------------------------------------------------------------


def test_rotation_keeps_the_old_public_key_and_destroys_the_old_secret(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path / "d")
    folder = layout.root / "keys"
    old = load_or_create_key(layout, PASSPHRASE)
    old_secret_bytes = (folder / "school.key").read_bytes()
    # a hard link outside keys/ sees the very blocks of the file: they must be overwritten
    witness = tmp_path / "witness"
    witness.hardlink_to(folder / "school.key")
    message = b"tagmanifest of a package signed before the rotation"
    signature = old.secret.sign(message, prehash=True, trusted_comment="package=1")

    new = rotate_key(layout, PASSPHRASE)

    assert new.key_id != old.key_id
    assert load_or_create_key(layout, PASSPHRASE).key_id == new.key_id
    assert b"encrypted" in (folder / "school.key").read_bytes()
    assert witness.read_bytes() != old_secret_bytes
    assert len(witness.read_bytes()) == len(old_secret_bytes)
    old_line = old_secret_bytes.splitlines()[1]
    assert not any(old_line in p.read_bytes() for p in files_under(folder))
    assert sorted(p.relative_to(folder).as_posix() for p in files_under(folder)) == [
        f"retired/{old.key_id}.pub",
        "school.key",
        "school.pub",
    ]
    retired_file = folder / "retired" / f"{old.key_id}.pub"
    comment = retired_file.read_text().splitlines()[0]
    assert f"retired {TODAY.isoformat()}" in comment and f"created {TODAY.isoformat()}" in comment

    known = known_public_keys(layout)
    assert set(known) == {old.key_id, new.key_id}
    known[old.key_id].verify(message, signature)  # earlier packages stay verifiable
    history = key_history(layout)
    assert [(r.key_id, r.current, r.retired) for r in history] == [
        (new.key_id, True, None),
        (old.key_id, False, TODAY),
    ]
    assert history[0].created == TODAY

    # the retired file is a standard minisign public key file
    signed = tmp_path / "signed.txt"
    signed.write_bytes(message)
    (tmp_path / "signed.txt.minisig").write_bytes(bytes(signature) + b"\n")
    checked = subprocess.run(
        [cli(), "-Vm", str(signed), "-p", str(retired_file)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_rotation_needs_no_old_passphrase_and_may_set_none(tmp_path: Path) -> None:
    """A forgotten passphrase is a reason to rotate: the new key is usable at once."""
    layout = DataLayout(tmp_path / "d")
    old = load_or_create_key(layout, PASSPHRASE)
    new = rotate_key(layout)
    assert load_or_create_key(layout).key_id == new.key_id
    assert set(known_public_keys(layout)) == {old.key_id, new.key_id}


def test_rotating_without_a_key_makes_the_first_one(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path / "d")
    key = rotate_key(layout)
    assert [r.key_id for r in key_history(layout)] == [key.key_id]
    assert not (layout.root / "keys" / "retired").exists()


def test_three_keys_in_a_row(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path / "d")
    first = load_or_create_key(layout)
    second = rotate_key(layout, today=TODAY + dt.timedelta(days=10))
    third = rotate_key(layout, today=TODAY + dt.timedelta(days=20))
    history = key_history(layout)
    assert [r.key_id for r in history] == [third.key_id, second.key_id, first.key_id]
    assert [r.retired for r in history] == [
        None,
        TODAY + dt.timedelta(days=20),
        TODAY + dt.timedelta(days=10),
    ]
    assert history[1].created == TODAY + dt.timedelta(days=10)
    assert set(known_public_keys(layout)) == {first.key_id, second.key_id, third.key_id}


class Crash(BaseException):
    """The process dies here: no except clause of the code under test catches it."""


def crash_at(monkeypatch: pytest.MonkeyPatch, step: int) -> Callable[[], int]:
    """Every file operation of a rotation counts as a step; step `step` never happens."""
    count = 0

    def counting(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal count
            count += 1
            if count == step:
                raise Crash(step)
            return original(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(keys, "write_atomically", counting(keys.write_atomically))
    monkeypatch.setattr(keys, "_shred", counting(keys._shred))
    monkeypatch.setattr(keys, "_replace", counting(keys._replace))
    return lambda: count


@pytest.mark.parametrize("passphrase", [None, PASSPHRASE])
def test_a_rotation_cut_short_at_any_step_leaves_a_usable_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passphrase: str | None
) -> None:
    step = 1
    while True:
        layout = DataLayout(tmp_path / f"d{step}")
        old = load_or_create_key(layout, passphrase)
        with monkeypatch.context() as patch:
            crash_at(patch, step)
            try:
                rotate_key(layout, passphrase)
                finished = True
            except Crash:
                finished = False
        # the next start of the program: whichever key is current works and is known
        key = load_or_create_key(layout, passphrase)
        known = known_public_keys(layout)
        assert key.key_id in known and old.key_id in known, step
        assert key_id(load_public_key(layout.root / "keys" / "school.pub")) == key.key_id
        history = key_history(layout)
        assert [r.key_id for r in history if r.current] == [key.key_id]
        if key.key_id != old.key_id:
            assert [r.key_id for r in history if not r.current] == [old.key_id]
        names = {p.name for p in files_under(layout.root / "keys")}
        assert names <= {"school.key", "school.pub", f"{old.key_id}.pub"}, (step, names)
        if finished:
            assert key.key_id != old.key_id
            break
        step += 1
    assert step > 4  # every step of the rotation was cut once


def test_a_full_disk_during_rotation_keeps_the_old_key(tiny_disk: Path) -> None:
    layout = DataLayout(tiny_disk / "d")
    old = load_or_create_key(layout)
    fill_up(tiny_disk)
    with pytest.raises(StorageError) as caught:
        rotate_key(layout)
    assert caught.value.problem == "disk_full"
    assert load_or_create_key(layout).key_id == old.key_id
    names = {p.name for p in files_under(layout.root / "keys")}
    assert names <= {"school.key", "school.pub", f"{old.key_id}.pub"}


# --- fingerprint -----------------------------------------------------------------------------


def test_fingerprint_is_the_grouped_sha256_of_the_decoded_key_line(tmp_path: Path) -> None:
    key = load_or_create_key(DataLayout(tmp_path / "d"))
    line = public_key_base64(key.public)
    fingerprint = key_fingerprint(key.public)
    groups = fingerprint.split(" ")
    assert len(groups) == 16 and all(len(g) == 4 for g in groups)
    assert fingerprint == fingerprint.upper()
    import base64

    expected = hashlib.sha256(base64.b64decode(line)).hexdigest().upper()
    assert fingerprint.replace(" ", "") == expected
    # as the region recomputes it with standard tools
    shell = subprocess.run(
        ["sh", "-c", f"printf '%s' '{line}' | base64 -d | sha256sum"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shell.stdout.split()[0].upper() == expected


# --- parsing keys and the registry -----------------------------------------------------------


@pytest.fixture
def three_keys() -> list[Any]:
    return [minisign.KeyPair.generate().public_key for _ in range(3)]


def test_parse_public_key_takes_a_block_a_line_or_a_wrapped_line(three_keys: list[Any]) -> None:
    public = three_keys[0]
    line = public_key_base64(public)
    block = keys.public_key_text(public)
    for text in (
        line,
        f"  {line}  \n",
        block,
        block.replace("\n", "\r\n"),
        f"\n{line[:30]}\n{line[30:]}\n",  # copied from the key card, wrapped
    ):
        assert parse_public_key(text) == public, text
    for bad in ("", "RW", "untrusted comment: x\n", line[:-4], "hello " + line, line + line):
        with pytest.raises(KeyFileError) as caught:
            parse_public_key(bad)
        assert caught.value.problem == "unreadable"


def test_registry_file_with_comments_blocks_and_lines(
    tmp_path: Path, three_keys: list[Any]
) -> None:
    a, b, c = three_keys
    registry = tmp_path / "ключи-школ.txt"
    registry.write_text(
        "# Реестр ключей школ Амурского района\n"
        "\n"
        "# МБОУ СОШ № 2 п. Эльбан\n"
        f"{keys.public_key_text(a)}"
        "# МБОУ СОШ № 1 г. Амурска\n"
        f"{public_key_base64(b)}\n"
        f"{public_key_base64(b)}\n"  # the same key twice is harmless
        "\n"
        f"   {public_key_base64(c)}   \n",
        encoding="utf-8",
    )
    assert load_key_registry(registry) == {key_id(a): a, key_id(b): b, key_id(c): c}
    entries = read_key_registry(registry)
    assert [(e.key_id, e.label, e.line) for e in entries] == [
        (key_id(a), "МБОУ СОШ № 2 п. Эльбан", 5),
        (key_id(b), "МБОУ СОШ № 1 г. Амурска", 7),
        (key_id(b), "МБОУ СОШ № 1 г. Амурска", 8),
        (key_id(c), "", 10),
    ]
    assert all(e.source == registry for e in entries)


def test_registry_folder_of_pub_files(tmp_path: Path, three_keys: list[Any]) -> None:
    folder = tmp_path / "keys"
    folder.mkdir()
    a, b, _ = three_keys
    (folder / "elban.pub").write_text(keys.public_key_text(a))
    (folder / "amursk.pub").write_text(public_key_base64(b) + "\n")
    (folder / "README.txt").write_text("not a key")  # not a .pub: not read
    subprocess.run(
        [cli(), "-G", "-W", "-p", str(folder / "cli.pub"), "-s", str(tmp_path / "cli.key")],
        check=True,
        capture_output=True,
    )
    made_by_cli = load_public_key(folder / "cli.pub")
    assert load_key_registry(folder) == {
        key_id(a): a,
        key_id(b): b,
        key_id(made_by_cli): made_by_cli,
    }


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("# школа\nRWnot-a-key\n", 2),
        ("untrusted comment: minisign public key\n\n# comment instead of the key\n", 3),
        ("untrusted comment: minisign public key\n", 1),
        ("{good}\nкакой-то текст\n", 2),
    ],
)
def test_registry_names_the_file_and_line_it_cannot_read(
    tmp_path: Path, three_keys: list[Any], content: str, line: int
) -> None:
    registry = tmp_path / "registry.txt"
    registry.write_text(content.replace("{good}", public_key_base64(three_keys[0])))
    with pytest.raises(KeyFileError) as caught:
        load_key_registry(registry)
    assert caught.value.problem == "unreadable"
    assert caught.value.path == registry
    assert caught.value.detail.startswith(f"line {line}:")


def test_registry_refusals(tmp_path: Path, three_keys: list[Any]) -> None:
    def problem(path: Path) -> tuple[str, Path]:
        with pytest.raises(KeyFileError) as caught:
            load_key_registry(path)
        return caught.value.problem, caught.value.path

    assert problem(tmp_path / "missing.txt") == ("unreadable", tmp_path / "missing.txt")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert problem(binary) == ("unreadable", binary)
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n")
    assert problem(empty) == ("no_keys", empty)
    folder = tmp_path / "folder"
    folder.mkdir()
    assert problem(folder) == ("no_keys", folder)
    (folder / "good.pub").write_text(keys.public_key_text(three_keys[0]))
    (folder / "bad.pub").write_text("untrusted comment: x\nRWxxxx\n")
    assert problem(folder) == ("unreadable", folder / "bad.pub")
    # one key id with two different keys: someone made one up
    forged = minisign.PublicKey.from_base64(public_key_base64(three_keys[1]))
    object.__setattr__(forged._keynum_pk, "key_id", bytes(three_keys[0]._keynum_pk.key_id))
    clash = tmp_path / "clash.txt"
    clash.write_text(public_key_base64(three_keys[0]) + "\n" + forged.to_base64().decode() + "\n")
    with pytest.raises(KeyFileError) as caught:
        load_key_registry(clash)
    assert caught.value.problem == "conflicting_key" and caught.value.detail.startswith("line 2:")
