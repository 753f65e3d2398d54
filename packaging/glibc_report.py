"""Which glibc (and libstdc++) a bundle needs: walks every ELF file under a folder, reads the
symbol versions each one needs from its .gnu.version_r (GLIBC_2.x, GLIBCXX_3.4.x, ...) and
prints the highest ones with the files and symbols that need them.

    python packaging/glibc_report.py dist/tochka-readiness [--top 15] [--json]

Pure Python (no objdump, no pyelftools), so it runs on any machine, also on Windows against a
copied folder. The ELF reading here is also used by tochka.spec (which libraries a kept
binary needs) and by the tests."""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
PT_LOAD, PT_DYNAMIC = 1, 2
DT_NULL, DT_NEEDED, DT_STRTAB, DT_SONAME, DT_RPATH, DT_RUNPATH = 0, 1, 5, 14, 15, 29
DT_STRSZ = 10
DT_VERNEED, DT_VERNEEDNUM = 0x6FFFFFFE, 0x6FFFFFFF
SHT_DYNSYM, SHT_GNU_VERSYM = 11, 0x6FFFFFFF
VERSION_RE = re.compile(r"^([A-Z][A-Z_]*?)_(\d+(?:\.\d+)*)$")


@dataclass
class ElfInfo:
    path: Path
    soname: str = ""
    needed: list[str] = field(default_factory=list)
    runpath: list[str] = field(default_factory=list)
    # library file name → the version names needed from it, e.g. {"libc.so.6": {"GLIBC_2.34"}}
    version_needs: dict[str, set[str]] = field(default_factory=dict)
    # version name → some of the symbols that need it (when the symbol table is readable)
    symbols: dict[str, list[str]] = field(default_factory=dict)

    def highest(self, prefix: str = "GLIBC") -> tuple[int, ...] | None:
        found = [parse_version(v, prefix) for needs in self.version_needs.values() for v in needs]
        versions = [v for v in found if v is not None]
        return max(versions) if versions else None


def parse_version(name: str, prefix: str = "GLIBC") -> tuple[int, ...] | None:
    """GLIBC_2.34 → (2, 34) when the prefix matches; GLIBC_PRIVATE and others → None."""
    match = VERSION_RE.match(name)
    if not match or match.group(1) != prefix:
        return None
    return tuple(int(part) for part in match.group(2).split("."))


def format_version(prefix: str, version: tuple[int, ...] | None) -> str:
    return f"{prefix}_{'.'.join(map(str, version))}" if version else "—"


class _Reader:
    def __init__(self, data: bytes) -> None:
        if data[:4] != ELF_MAGIC:
            raise ValueError("not an ELF file")
        self.data = data
        self.is64 = data[4] == 2
        self.endian = "<" if data[5] == 1 else ">"

    def unpack(self, fmt: str, offset: int) -> tuple[int, ...]:
        return struct.unpack_from(self.endian + fmt, self.data, offset)

    def cstring(self, offset: int) -> str:
        end = self.data.index(b"\0", offset)
        return self.data[offset:end].decode("utf-8", "replace")


def read_elf(path: str | os.PathLike[str]) -> ElfInfo:
    """The dynamic-linking facts of one ELF file; ValueError when it is not one."""
    with open(path, "rb") as fh:
        data = fh.read()
    r = _Reader(data)
    info = ElfInfo(Path(path))
    if r.is64:
        e_phoff, e_shoff = r.unpack("QQ", 0x20)
        e_phentsize, e_phnum, e_shentsize, e_shnum = r.unpack("HHHH", 0x36)
        ph_fmt, ph_fields = "IIQQQQQQ", ("type", "flags", "offset", "vaddr", "paddr", "filesz")
    else:
        e_phoff, e_shoff = r.unpack("II", 0x1C)
        e_phentsize, e_phnum, e_shentsize, e_shnum = r.unpack("HHHH", 0x2A)
        ph_fmt, ph_fields = "IIIIIIII", ("type", "offset", "vaddr", "paddr", "filesz")

    loads: list[tuple[int, int, int]] = []  # (vaddr, filesz, offset)
    dynamic: tuple[int, int] | None = None  # (offset, size)
    for i in range(e_phnum):
        values = r.unpack(ph_fmt, e_phoff + i * e_phentsize)
        ph = dict(zip(ph_fields, values, strict=False))
        if ph["type"] == PT_LOAD:
            loads.append((ph["vaddr"], ph["filesz"], ph["offset"]))
        elif ph["type"] == PT_DYNAMIC:
            dynamic = (ph["offset"], ph["filesz"])
    if dynamic is None:
        return info  # static executable or object file: needs nothing at run time

    def to_offset(vaddr: int) -> int:
        for start, size, offset in loads:
            if start <= vaddr < start + size:
                return vaddr - start + offset
        return vaddr  # some linkers store file offsets already

    entries: list[tuple[int, int]] = []
    dyn_fmt, dyn_size = ("qQ", 16) if r.is64 else ("iI", 8)
    for pos in range(dynamic[0], dynamic[0] + dynamic[1], dyn_size):
        tag, value = r.unpack(dyn_fmt, pos)
        if tag == DT_NULL:
            break
        entries.append((tag, value))
    tags = dict(entries)
    if DT_STRTAB not in tags:
        return info
    strtab = to_offset(tags[DT_STRTAB])
    for tag, value in entries:
        if tag == DT_NEEDED:
            info.needed.append(r.cstring(strtab + value))
        elif tag == DT_SONAME:
            info.soname = r.cstring(strtab + value)
        elif tag in (DT_RPATH, DT_RUNPATH):
            info.runpath += r.cstring(strtab + value).split(":")

    index_to_version: dict[int, str] = {}
    if DT_VERNEED in tags:
        offset = to_offset(tags[DT_VERNEED])
        for _ in range(tags.get(DT_VERNEEDNUM, 0)):
            _version, count, file_off, aux, next_off = r.unpack("HHIII", offset)
            library = r.cstring(strtab + file_off)
            names = info.version_needs.setdefault(library, set())
            aux_off = offset + aux
            for _ in range(count):
                _hash, _flags, other, name_off, aux_next = r.unpack("IHHII", aux_off)
                name = r.cstring(strtab + name_off)
                names.add(name)
                index_to_version[other] = name
                if not aux_next:
                    break
                aux_off += aux_next
            if not next_off:
                break
            offset += next_off
    _read_symbols(r, e_shoff, e_shentsize, e_shnum, index_to_version, info)
    return info


def _read_symbols(
    r: _Reader,
    e_shoff: int,
    e_shentsize: int,
    e_shnum: int,
    index_to_version: dict[int, str],
    info: ElfInfo,
) -> None:
    """Undefined dynamic symbols by the version they need (needs the section headers, which a
    normal strip keeps)."""
    if not index_to_version or not e_shoff or not e_shnum:
        return
    sh_fmt = "IIQQQQIIQQ" if r.is64 else "IIIIIIIIII"
    sections = []
    for i in range(e_shnum):
        try:
            sections.append(r.unpack(sh_fmt, e_shoff + i * e_shentsize))
        except struct.error:
            return
    dynsym = next((s for s in sections if s[1] == SHT_DYNSYM), None)
    versym = next((s for s in sections if s[1] == SHT_GNU_VERSYM), None)
    if dynsym is None or versym is None:
        return
    # (name, type, flags, addr, offset, size, link, info, addralign, entsize)
    sym_off, sym_size, sym_link, sym_entsize = dynsym[4], dynsym[5], dynsym[6], dynsym[9]
    if not sym_entsize or sym_link >= len(sections):
        return
    str_off = sections[sym_link][4]
    ver_off = versym[4]
    for i in range(sym_size // sym_entsize):
        base = sym_off + i * sym_entsize
        if r.is64:
            name_off, _info, _other, shndx = r.unpack("IBBH", base)
        else:
            name_off, _value, _size, _info, _other, shndx = r.unpack("IIIBBH", base)
        if shndx != 0:  # defined here, not needed from elsewhere
            continue
        (index,) = r.unpack("H", ver_off + i * 2)
        version = index_to_version.get(index & 0x7FFF)
        if version:
            info.symbols.setdefault(version, []).append(r.cstring(str_off + name_off))


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == ELF_MAGIC
    except OSError:
        return False


def walk_elves(root: Path) -> Iterator[ElfInfo]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and is_elf(path):
            try:
                yield read_elf(path)
            except (ValueError, struct.error, IndexError):
                continue


@dataclass(frozen=True)
class Offender:
    path: str
    version: tuple[int, ...]
    symbols: tuple[str, ...]


def offenders(elves: list[ElfInfo], prefix: str = "GLIBC") -> list[Offender]:
    """Files sorted by the highest <prefix>_x.y they need, highest first."""
    found = []
    for elf in elves:
        top = elf.highest(prefix)
        if top is None:
            continue
        name = format_version(prefix, top)
        found.append(Offender(str(elf.path), top, tuple(sorted(set(elf.symbols.get(name, []))))))
    return sorted(found, key=lambda o: (o.version, o.path), reverse=True)


def report(root: Path, top: int = 15) -> dict[str, object]:
    elves = list(walk_elves(root))
    result: dict[str, object] = {"root": str(root), "elf_files": len(elves)}
    for prefix in ("GLIBC", "GLIBCXX", "CXXABI"):
        worst = offenders(elves, prefix)
        result[prefix] = {
            "highest": format_version(prefix, worst[0].version) if worst else None,
            "files": [
                {
                    "path": os.path.relpath(o.path, root),
                    "needs": format_version(prefix, o.version),
                    "symbols": list(o.symbols[:8]),
                }
                for o in worst[:top]
            ],
        }
    # how many files need each GLIBC version at most: what an older system would break
    histogram: dict[str, int] = {}
    for o in offenders(elves, "GLIBC"):
        key = format_version("GLIBC", o.version)
        histogram[key] = histogram.get(key, 0) + 1
    result["GLIBC_histogram"] = dict(
        sorted(histogram.items(), key=lambda kv: parse_version(kv[0]) or (), reverse=True)
    )
    return result


def print_report(data: dict[str, object]) -> None:
    print(f"{data['elf_files']} ELF files under {data['root']}")
    for prefix in ("GLIBC", "GLIBCXX", "CXXABI"):
        section = data[prefix]
        assert isinstance(section, dict)
        print(f"\nhighest {prefix} needed: {section['highest']}")
        for row in section["files"]:
            shown = row["symbols"][:4]
            symbols = ", ".join(s if len(s) <= 40 else s[:39] + "…" for s in shown)
            if len(row["symbols"]) > len(shown):
                symbols += ", …"
            print(f"  {row['needs']:<16} {row['path']}" + (f"  ({symbols})" if symbols else ""))
    print("\nfiles by the highest GLIBC they need:")
    histogram = data["GLIBC_histogram"]
    assert isinstance(histogram, dict)
    for version, count in histogram.items():
        print(f"  {version:<12} {count}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="bundle folder (or one ELF file)")
    parser.add_argument("--top", type=int, default=15, help="files shown per version kind")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    if args.root.is_file():
        elf = read_elf(args.root)
        for library, names in sorted(elf.version_needs.items()):
            print(f"{library}: {' '.join(sorted(names))}")
        return 0
    data = report(args.root, args.top)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print_report(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
