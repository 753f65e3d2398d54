"""What every benchmark prints first: the machine it ran on."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine() -> str:
    """CPU, cores, distribution, kernel, Python and glibc — for the BENCHMARKS.md headings."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    distro = platform.system()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                distro = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {distro}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, glibc {platform.libc_ver()[1] or '—'}"
    )
