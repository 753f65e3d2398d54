"""A virtual X display for checking the bundled program as a person would see it: start Xvfb,
wait until a window with a given title is mapped (the moment it appears on screen), take a
screenshot of the whole screen as PNG.

Talks to the X server through libX11 with ctypes (libX11 is on every machine that runs the
program, and Xvfb needs it), so no xdotool, xwininfo or ImageMagick is needed. Used by
`make package-test` (packaging/package_test.py) and `make bench-bundle` (bench/bundle.py)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUBSTRUCTURE_NOTIFY_MASK = 1 << 19
MAP_NOTIFY = 19
Z_PIXMAP = 2
ALL_PLANES = 0xFFFFFFFF


class _XMapEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("event", ctypes.c_ulong),
        ("window", ctypes.c_ulong),
        ("override_redirect", ctypes.c_int),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("type", ctypes.c_int), ("xmap", _XMapEvent), ("pad", ctypes.c_long * 24)]


class _XImage(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("xoffset", ctypes.c_int),
        ("format", ctypes.c_int),
        ("data", ctypes.c_void_p),
        ("byte_order", ctypes.c_int),
        ("bitmap_unit", ctypes.c_int),
        ("bitmap_bit_order", ctypes.c_int),
        ("bitmap_pad", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("bytes_per_line", ctypes.c_int),
        ("bits_per_pixel", ctypes.c_int),
        ("red_mask", ctypes.c_ulong),
        ("green_mask", ctypes.c_ulong),
        ("blue_mask", ctypes.c_ulong),
    ]


def _xlib() -> ctypes.CDLL:
    name = ctypes.util.find_library("X11") or "libX11.so.6"
    lib = ctypes.CDLL(name)
    lib.XOpenDisplay.restype = ctypes.c_void_p
    lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    lib.XDefaultRootWindow.restype = ctypes.c_ulong
    lib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    lib.XSelectInput.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_long]
    lib.XConnectionNumber.argtypes = [ctypes.c_void_p]
    lib.XPending.argtypes = [ctypes.c_void_p]
    lib.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.POINTER(_XEvent)]
    lib.XFlush.argtypes = [ctypes.c_void_p]
    lib.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    lib.XInternAtom.restype = ctypes.c_ulong
    lib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.XGetWindowProperty.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_ulong,
        ctypes.c_long,
        ctypes.c_long,
        ctypes.c_int,
        ctypes.c_ulong,
        ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.c_int),
        ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.c_void_p),
    ]
    lib.XFree.argtypes = [ctypes.c_void_p]
    lib.XGetImage.restype = ctypes.POINTER(_XImage)
    lib.XGetImage.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_ulong,
        ctypes.c_int,
    ]
    lib.XDisplayWidth.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.XSetErrorHandler.argtypes = [ctypes.c_void_p]
    return lib


# a window can vanish between its MapNotify and our reading its title: ignore such errors
_ERROR_HANDLER_TYPE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_ignore_errors = _ERROR_HANDLER_TYPE(lambda _display, _event: 0)


class Display:
    """One connection to an X server."""

    def __init__(self, name: str) -> None:
        self.lib = _xlib()
        self.lib.XSetErrorHandler(ctypes.cast(_ignore_errors, ctypes.c_void_p))
        self.handle = self.lib.XOpenDisplay(name.encode())
        if not self.handle:
            raise RuntimeError(f"cannot open X display {name}")
        self.root = self.lib.XDefaultRootWindow(self.handle)

    def close(self) -> None:
        if self.handle:
            self.lib.XCloseDisplay(self.handle)
            self.handle = None

    def title(self, window: int) -> str:
        lib = self.lib
        for prop, kind in ((b"_NET_WM_NAME", b"UTF8_STRING"), (b"WM_NAME", b"STRING")):
            atom = lib.XInternAtom(self.handle, prop, 0)
            wanted = lib.XInternAtom(self.handle, kind, 0)
            actual_type = ctypes.c_ulong()
            actual_format = ctypes.c_int()
            count = ctypes.c_ulong()
            after = ctypes.c_ulong()
            data = ctypes.c_void_p()
            status = lib.XGetWindowProperty(
                self.handle, window, atom, 0, 1024, 0, wanted,
                ctypes.byref(actual_type), ctypes.byref(actual_format), ctypes.byref(count),
                ctypes.byref(after), ctypes.byref(data),
            )  # fmt: skip
            if status == 0 and data.value:
                raw = ctypes.string_at(data.value, count.value)
                lib.XFree(data)
                if raw:
                    return raw.decode("utf-8", "replace")
        return ""

    def watch_maps(self) -> None:
        """From now on, report every window mapped on the screen (call before starting the
        program, so that no map is missed)."""
        self.lib.XSelectInput(self.handle, self.root, SUBSTRUCTURE_NOTIFY_MASK)
        self.lib.XSync(self.handle, 0)

    def wait_mapped(self, title_part: str, timeout: float) -> tuple[float, str] | None:
        """Wall-clock time (time.time()) when a window whose title contains title_part was
        mapped, and its title; None on timeout."""
        lib = self.lib
        fd = lib.XConnectionNumber(self.handle)
        deadline = time.monotonic() + timeout
        event = _XEvent()
        pending: list[int] = []  # mapped before their title was readable
        while time.monotonic() < deadline:
            if not lib.XPending(self.handle):
                select.select([fd], [], [], min(0.05, max(0.0, deadline - time.monotonic())))
                for window in list(pending):
                    title = self.title(window)
                    if title_part in title:
                        return time.time(), title
                continue
            lib.XNextEvent(self.handle, ctypes.byref(event))
            if event.type == MAP_NOTIFY:
                at = time.time()
                title = self.title(event.xmap.window)
                if title_part in title:
                    return at, title
                pending.append(event.xmap.window)
        return None

    def screenshot(self, out: Path) -> tuple[int, int]:
        from PIL import Image

        lib = self.lib
        width = lib.XDisplayWidth(self.handle, 0)
        height = lib.XDisplayHeight(self.handle, 0)
        image = lib.XGetImage(self.handle, self.root, 0, 0, width, height, ALL_PLANES, Z_PIXMAP)
        if not image:
            raise RuntimeError("XGetImage failed")
        xi = image.contents
        if xi.bits_per_pixel != 32:
            raise RuntimeError(f"screen depth {xi.bits_per_pixel} bpp: use -screen 0 WxHx24")
        raw = ctypes.string_at(xi.data, xi.bytes_per_line * xi.height)
        picture = Image.frombuffer(
            "RGB", (xi.width, xi.height), raw, "raw", "BGRX", xi.bytes_per_line, 1
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        picture.save(out)
        return xi.width, xi.height


@contextmanager
def xvfb(size: str = "1280x800", depth: int = 24) -> Iterator[str]:
    """A fresh Xvfb server; yields its DISPLAY name (":N")."""
    binary = shutil.which("Xvfb")
    if binary is None:
        raise RuntimeError("Xvfb is not installed (Debian: apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        [binary, "-displayfd", str(write_fd), "-screen", "0", f"{size}x{depth}", "-nolisten",
         "tcp", "-noreset"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 20)
        number = os.read(read_fd, 64).decode().strip() if ready else ""
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        os.close(read_fd)
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
