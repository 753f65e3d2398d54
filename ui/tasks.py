"""The one way ui/ runs work off the GUI thread.

run() hands a core function to a thread pool and delivers its result or its exception back on
the GUI thread. Database writes go through a pool of one thread, so they happen one at a time
and in the order they were asked for. Cancelling sets a flag the function polls; nothing is
ever terminated. Workers never touch widgets."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

_SUCCESS, _FAILURE, _PROGRESS = "success", "failure", "progress"


@dataclass
class Task:
    id: int
    on_success: Callable[[Any], None] | None = None
    on_failure: Callable[[BaseException], None] | None = None
    on_progress: Callable[[int, int], None] | None = None
    cancel_flag: threading.Event = field(default_factory=threading.Event)
    done: bool = False

    def cancel(self) -> None:
        self.cancel_flag.set()

    def cancelled(self) -> bool:
        return self.cancel_flag.is_set()


class _Relay(QObject):
    delivered = Signal(int, str, object)


class _Job(QRunnable):
    def __init__(self, task: Task, fn: Callable[[Task], Any], relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._task = task
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn(self._task)
        except BaseException as exc:  # delivered to the GUI thread, never swallowed
            self._relay.delivered.emit(self._task.id, _FAILURE, exc)
        else:
            self._relay.delivered.emit(self._task.id, _SUCCESS, result)


class TaskRunner(QObject):
    task_failed_unhandled = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(2, QThreadPool.globalInstance().maxThreadCount()))
        self._writer = QThreadPool(self)
        self._writer.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.delivered.connect(self._on_delivered)
        self._tasks: dict[int, Task] = {}
        self._ids = itertools.count(1)

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        writes: bool = False,
        with_progress: bool = False,
    ) -> Task:
        """Run fn(*args) off the GUI thread. With with_progress, fn also gets progress= and
        cancelled= keyword arguments (the core convention for long work)."""
        task = Task(next(self._ids), on_success, on_failure, on_progress)
        self._tasks[task.id] = task
        relay = self._relay

        def call(t: Task) -> Any:
            if not with_progress:
                return fn(*args)

            def progress(done: int, total: int) -> None:
                relay.delivered.emit(t.id, _PROGRESS, (done, total))

            return fn(*args, progress=progress, cancelled=t.cancelled)

        (self._writer if writes else self._pool).start(_Job(task, call, relay))
        return task

    def write(self, fn: Callable[..., Any], *args: Any, **callbacks: Any) -> Task:
        return self.run(fn, *args, writes=True, **callbacks)

    def wait_for_writes(self, msecs: int = -1) -> bool:
        """Block until every queued write is done (used when the window closes)."""
        return self._writer.waitForDone(msecs)

    def cancel_all(self) -> None:
        """Ask every running or queued task to stop at its next check (work is kept whole)."""
        for task in self._tasks.values():
            task.cancel()

    def wait_for_all(self, msecs: int = -1) -> bool:
        return self._writer.waitForDone(msecs) and self._pool.waitForDone(msecs)

    def pending(self) -> int:
        return len(self._tasks)

    @Slot(int, str, object)
    def _on_delivered(self, task_id: int, kind: str, payload: object) -> None:
        task = self._tasks.get(task_id)
        if task is None:
            return
        if kind == _PROGRESS:
            if task.on_progress is not None:
                done, total = payload  # type: ignore[misc]
                task.on_progress(done, total)
            return
        del self._tasks[task_id]
        task.done = True
        if kind == _SUCCESS:
            if task.on_success is not None:
                task.on_success(payload)
        elif task.on_failure is not None:
            task.on_failure(payload)  # type: ignore[arg-type]
        else:
            self.task_failed_unhandled.emit(payload)
