"""The SMTP password in the system keyring (Windows Credential Manager, macOS Keychain, Secret
Service), when a usable one exists; otherwise the caller asks for the password each time.

keyring is imported inside the functions: finding its backend can take a moment (D-Bus on
Linux), and start-up must stay light. A keyring backend may fail in its own ways (D-Bus,
Windows API errors, a locked collection), so every call here answers with a value instead of
raising."""

from __future__ import annotations

SERVICE = "tochka-readiness-smtp"


def keyring_available() -> bool:
    """Whether a real keyring is at hand: not keyring's fail or null backend, not a chainer
    with nothing to chain, not a backend with priority below 1 (keyring's own advice: such a
    backend is not recommended, e.g. a plain-text file). Never raises."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring | null.Keyring):
            return False
        if isinstance(backend, chainer.ChainerBackend):
            return any(_recommended(chained) for chained in backend.backends)
        return _recommended(backend)
    except Exception:  # a broken backend discovery means no keyring, not a crash
        return False


def _recommended(backend: object) -> bool:
    priority = getattr(backend, "priority", 0)
    return isinstance(priority, int | float) and priority >= 1


def save_password(service_user: str, password: str) -> bool:
    """Keep the password; False when there is no usable keyring or it refused."""
    if not keyring_available():
        return False
    try:
        import keyring

        keyring.set_password(SERVICE, service_user, password)
    except Exception:  # any backend failure: the caller asks for the password next time
        return False
    return True


def load_password(service_user: str) -> str | None:
    """The kept password, or None (none kept, no usable keyring, or it failed)."""
    if not keyring_available():
        return None
    try:
        import keyring

        return keyring.get_password(SERVICE, service_user)
    except Exception:  # any backend failure reads as "not kept"
        return None


def forget_password(service_user: str) -> bool:
    """Remove the kept password. True when the keyring no longer holds it (also when it never
    did); False when there is no usable keyring or it failed to delete."""
    if not keyring_available():
        return False
    try:
        import keyring
        from keyring.errors import PasswordDeleteError

        try:
            keyring.delete_password(SERVICE, service_user)
        except PasswordDeleteError:  # nothing was kept
            pass
    except Exception:  # any other backend failure: still kept, as far as we know
        return False
    return True
