"""The outbox: report packages made and kept in the data folder until they reach the region.

A package is made in a hidden «.building-…» folder, renamed into outbox/<package id>/ only when
every part is complete and synced, and only then recorded in the database. A process killed at
any moment leaves either nothing recorded (and the leftovers are swept at the next start) or a
complete package: never a half package shown as ready. A package once made never changes;
a corrected report is a new package with the next number, superseding the earlier one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import os
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import PackageError, StorageError
from core.files import fsync_dir, sha256_of, storage_error
from core.model import EvidenceKind, OutboxPackage, PackagePart
from core.package import (
    DEFAULT_MAX_SIZE,
    PackageRequest,
    build_package,
    normalize_period,
    period_as_of,
)
from core.paths import DataLayout
from core.registers import Center
from core.store import OutboxStore

Progress = Callable[[int, int], None]
BUILDING_PREFIX = ".building-"


@dataclass(frozen=True)
class SizeEstimate:
    """What the user sees before making a package: about how big, and what weighs most."""

    total: int  # bytes, before any shrinking of photos
    photos: int
    photo_count: int
    documents: int
    document_count: int
    heaviest: tuple[tuple[str, int], ...]  # (what, bytes), biggest first
    max_size: int

    @property
    def needs_shrinking(self) -> bool:
        return self.total > self.max_size


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Outbox:
    def __init__(self, center: Center, store: OutboxStore, layout: DataLayout) -> None:
        self.center = center
        self.store = store
        self.layout = layout
        self.folder = layout.root / "outbox"

    # --- reading ---------------------------------------------------------------------------
    def packages(self) -> list[OutboxPackage]:
        return self.store.packages()

    def get(self, package_id: str) -> OutboxPackage:
        for package in self.store.packages():
            if package.package_id == package_id or package.package_id.startswith(package_id):
                return package
        raise PackageError("unknown_package", package_id)

    def files(self, package: OutboxPackage) -> list[Path]:
        folder = self.folder / package.package_id
        return [folder / part.file_name for part in package.parts]

    def superseded_ids(self) -> set[str]:
        return {p.supersedes for p in self.store.packages() if p.supersedes}

    # --- recovery --------------------------------------------------------------------------
    def recover(self) -> list[str]:
        """Sweep what a killed process left: building folders, and complete folders that never
        reached the database. Returns the names removed."""
        if not self.folder.is_dir():
            return []
        lock = OutboxLock(self.folder)
        if not lock.acquire():
            return []  # another window or command is making a package right now
        try:
            known = {p.package_id for p in self.store.packages()}
            removed = []
            for entry in self.folder.iterdir():
                if entry.is_dir() and (
                    entry.name.startswith(BUILDING_PREFIX) or entry.name not in known
                ):
                    shutil.rmtree(entry, ignore_errors=True)
                    removed.append(entry.name)
            return removed
        finally:
            lock.release()

    # --- making ----------------------------------------------------------------------------
    def next_request(self, period: str, max_size: int = DEFAULT_MAX_SIZE) -> PackageRequest:
        period = normalize_period(period)
        packages = self.store.packages()  # newest first
        same = [p for p in packages if p.period == period]
        latest_same = max(same, key=lambda p: p.sequence, default=None)
        return PackageRequest(
            period=period,
            sequence=(latest_same.sequence + 1) if latest_same else 1,
            supersedes=latest_same.package_id if latest_same else None,
            audit_since=packages[0].created_at if packages else None,
            max_size=max_size,
            as_of=period_as_of(period),
        )

    def make(
        self,
        period: str,
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        passphrase: str | None = None,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
        workers: int | None = None,
    ) -> OutboxPackage:
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = OutboxLock(self.folder)
        if not lock.acquire():
            raise PackageError("busy")
        try:
            return self._make(period, max_size, passphrase, progress, cancelled, workers)
        finally:
            lock.release()

    def _make(
        self,
        period: str,
        max_size: int,
        passphrase: str | None,
        progress: Progress | None,
        cancelled: Callable[[], bool] | None,
        workers: int | None,
    ) -> OutboxPackage:
        request = self.next_request(period, max_size)
        building = self.folder / f"{BUILDING_PREFIX}{uuid.uuid4().hex}"
        building.mkdir()
        try:
            built = build_package(
                self.center,
                self.layout,
                building,
                request,
                passphrase=passphrase,
                progress=progress,
                cancelled=cancelled,
                workers=workers,
            )
            final = self.folder / built.package_id
            os.replace(building, final)
            fsync_dir(self.folder)
        except BaseException as exc:
            shutil.rmtree(building, ignore_errors=True)
            if isinstance(exc, OSError):
                raise _storage_error(Path(exc.filename or self.folder), exc) from exc
            raise
        package = OutboxPackage(
            package_id=built.package_id,
            period=built.period,
            sequence=built.sequence,
            supersedes=built.supersedes,
            created_at=built.created_at,
            key_id=built.key_id,
            photo_step=built.photo_step,
            parts=tuple(PackagePart(p.number, p.path.name, p.size, p.sha256) for p in built.parts),
        )
        try:
            return self.store.add_package(package)
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise

    def estimate(self, max_size: int = DEFAULT_MAX_SIZE) -> SizeEstimate:
        """Evidence as stored, each file once; the report PDF and workbook add little."""
        seen: dict[str, tuple[str, int, EvidenceKind]] = {}
        for evidence in self.center.checklist.store.all_evidence():
            if evidence.sha256 not in seen:
                label = f"{evidence.original_name} ({evidence.item_code})"
                seen[evidence.sha256] = (label, evidence.size, evidence.kind)
        photos = [
            (label, size) for label, size, kind in seen.values() if kind is EvidenceKind.PHOTO
        ]
        documents = [
            (label, size) for label, size, kind in seen.values() if kind is not EvidenceKind.PHOTO
        ]
        heaviest = sorted((*photos, *documents), key=lambda x: -x[1])[:5]
        photo_bytes = sum(s for _, s in photos)
        document_bytes = sum(s for _, s in documents)
        return SizeEstimate(
            total=photo_bytes + document_bytes + 300 * 1024 + 20 * 1024 * len(photos),
            photos=photo_bytes,
            photo_count=len(photos),
            documents=document_bytes,
            document_count=len(documents),
            heaviest=tuple(heaviest),
            max_size=max_size,
        )

    # --- to a folder or a removable drive ----------------------------------------------------
    def write_to(
        self,
        package: OutboxPackage,
        folder: Path,
        *,
        known_keys: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[Path]:
        """Copy every part to folder (temporary name, fsync, rename), read it back and verify
        it. A removed or full drive raises StorageError; the package stays in the outbox."""
        from core.keys import known_public_keys
        from core.package_verify import verify_package

        sources = self.files(package)
        self._check_sources(package, sources)
        if not folder.is_dir():
            raise StorageError(folder, "folder_missing")
        written = []
        for index, (part, source) in enumerate(zip(package.parts, sources, strict=True)):
            written.append(_copy_atomically(source, folder / part.file_name))
            if progress:
                progress(index + 1, len(sources) + 1)
        for part, path in zip(package.parts, written, strict=True):
            try:
                readback = sha256_of(path)
            except OSError as exc:
                raise _storage_error(path, exc) from exc
            if readback != part.sha256:
                raise StorageError(path, "readback_mismatch")
        keys = known_keys if known_keys is not None else known_public_keys(self.layout)
        result = verify_package(written, keys)
        if not result.ok:
            raise PackageError(
                "verify_failed", "; ".join(f"{f.check} {f.file}" for f in result.failures[:5])
            )
        if progress:
            progress(len(sources) + 1, len(sources) + 1)
        self.store.save_package(
            dataclasses.replace(package, written_at=_now(), written_to=str(folder))
        )
        return written

    def _check_sources(self, package: OutboxPackage, sources: Sequence[Path]) -> None:
        for part, source in zip(package.parts, sources, strict=True):
            if not source.is_file():
                raise PackageError("outbox_file_missing", part.file_name)
            if sha256_of(source) != part.sha256:
                raise PackageError("outbox_file_changed", part.file_name)

    # --- e-mail -----------------------------------------------------------------------------
    def send(
        self,
        package: OutboxPackage,
        settings: Any,
        password: str | None,
        *,
        ssl_context: Any = None,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> OutboxPackage:
        """Mail every part not yet accepted by the server, recording each one as soon as the
        server takes it: after a crash or a dropped connection only the rest goes again."""
        from core.errors import MailError
        from core.mail import build_messages, send_messages

        sources = self.files(package)
        self._check_sources(package, sources)
        profile = self.center.checklist.profile()
        school = profile.school_short_name if profile else ""
        subject = (
            f"Отчёт центра «Точка роста»: {school}, {package.period}, пакет № {package.sequence}"
        )
        messages = build_messages(
            sources,
            package_id=package.package_id,
            subject=subject,
            body=mail_body(package, school),
            sender=settings.sender,
            recipients=settings.recipients,
        )
        by_id = {m["Message-ID"]: n for n, m in enumerate(messages, start=1)}
        done = {
            m["Message-ID"]
            for m, part in zip(messages, package.parts, strict=True)
            if part.mailed_at
        }
        current = [package]

        def on_sent(message_id: str) -> None:
            number = by_id[message_id]
            latest = current[0]
            parts = tuple(
                dataclasses.replace(p, mailed_at=_now()) if p.number == number else p
                for p in latest.parts
            )
            current[0] = dataclasses.replace(latest, parts=parts)
            self.store.save_package(current[0])

        try:
            send_messages(
                settings,
                password,
                messages,
                already_sent=done,
                on_sent=on_sent,
                ssl_context=ssl_context,
                progress=progress,
                cancelled=cancelled,
            )
        except MailError as exc:
            failed = dataclasses.replace(
                current[0],
                send_attempts=current[0].send_attempts + 1,
                last_error=f"{exc.problem}: {exc.detail}".strip(": "),
            )
            self.store.save_package(failed)
            raise
        sent = dataclasses.replace(
            current[0],
            sent_at=_now(),
            sent_to=", ".join(settings.recipients),
            send_queued=False,
            next_attempt_at=None,
            last_error="",
        )
        self.store.save_package(sent)
        return sent

    def queue_send(self, package: OutboxPackage, queued: bool = True) -> OutboxPackage:
        """«Отправить, когда появится сеть»: the GUI tries it now and then, with back-off."""
        changed = dataclasses.replace(
            package, send_queued=queued, next_attempt_at=_now() if queued else None
        )
        self.store.save_package(changed)
        return changed

    def schedule_retry(self, package: OutboxPackage, delay_seconds: float) -> OutboxPackage:
        changed = dataclasses.replace(
            package, next_attempt_at=_now() + dt.timedelta(seconds=delay_seconds)
        )
        self.store.save_package(changed)
        return changed

    def due_for_sending(self, now: dt.datetime | None = None) -> list[OutboxPackage]:
        now = now or _now()
        return [
            p
            for p in self.store.packages()
            if p.send_queued
            and p.sent_at is None
            and (p.next_attempt_at is None or p.next_attempt_at <= now)
        ]

    # --- receipts ---------------------------------------------------------------------------
    def import_receipt(self, path: Path, trusted: Mapping[str, Any]) -> OutboxPackage:
        """A signed receipt of the regional operator: checked against the trusted keys and the
        exact part files we made; marks the package «подтверждён» (or «отклонён»)."""
        from core.errors import ReceiptError
        from core.receipts import read_receipt, receipt_matches

        receipt = read_receipt(path, trusted)
        try:
            package = self.get(receipt.package_id)
        except PackageError as exc:
            raise ReceiptError(path, "unknown_package", receipt.package_id) from exc
        problems = receipt_matches(receipt, package.package_id, [p.sha256 for p in package.parts])
        if problems:
            raise ReceiptError(path, "mismatch", "; ".join(problems))
        changed = dataclasses.replace(
            package,
            receipt_at=receipt.received_at,
            receipt_status=receipt.status,
            receipt_comment=receipt.comment,
        )
        self.store.save_package(changed)
        return changed


class OutboxLock:
    """One package is made at a time per data folder, and leftovers are swept only when nobody
    is making one: an exclusive lock on outbox/.lock, released by the system if the process
    dies (flock on POSIX, msvcrt.locking on Windows)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / ".lock"
        self._stream: Any = None

    def acquire(self) -> bool:
        stream = open(self.path, "a+b")  # held open while locked
        try:
            if os.name == "nt":
                import msvcrt

                stream.seek(0)
                msvcrt.locking(stream.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            else:
                import fcntl

                fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            stream.close()
            return False
        self._stream = stream
        return True

    def release(self) -> None:
        if self._stream is None:
            return
        try:
            if os.name == "nt":
                import msvcrt

                self._stream.seek(0)
                msvcrt.locking(self._stream.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
            else:
                import fcntl

                fcntl.flock(self._stream.fileno(), fcntl.LOCK_UN)
        finally:
            self._stream.close()
            self._stream = None


def mail_body(package: OutboxPackage, school: str) -> str:
    from core.wording import format_datetime, format_size

    lines = [
        "Здравствуйте!",
        "",
        f"Направляем отчёт центра «Точка роста» ({school}) за период {package.period}.",
        f"Пакет № {package.sequence} от {format_datetime(package.created_at)}, "
        f"идентификатор {package.package_id}.",
    ]
    if package.supersedes:
        lines.append(f"Пакет заменяет ранее направленный пакет {package.supersedes}.")
    lines.append(f"Частей: {len(package.parts)}, общий размер {format_size(package.size)}.")
    lines += ["", "Контрольные суммы SHA-256:"]
    lines += [f"  {p.file_name}: {p.sha256}" for p in package.parts]
    lines += [
        "",
        "Пакет подписан ключом школы " + package.key_id + ". Проверить его можно программой",
        "«Готовность центра „Точка роста“» или командой minisign по карточке ключа.",
        "",
        "Письмо сформировано программой автоматически.",
    ]
    return "\n".join(lines) + "\n"


def _copy_atomically(source: Path, target: Path) -> Path:
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        with source.open("rb") as reader, temp.open("xb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
            writer.flush()
            os.fsync(writer.fileno())
        os.replace(temp, target)
    except OSError as exc:
        try:
            temp.unlink(missing_ok=True)
        except OSError:
            pass  # the drive is gone: nothing to clean
        raise _storage_error(target, exc) from exc
    fsync_dir(target.parent)
    return target


def _storage_error(path: Path, exc: OSError) -> StorageError:
    """As core.files.storage_error, and a drive that went away (a stick pulled out)."""
    if exc.errno in (errno.ENOENT, errno.ENODEV, errno.EIO, errno.ENXIO):
        return StorageError(path, "device_gone", exc.strerror or "")
    return storage_error(path, exc)
