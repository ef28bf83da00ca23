"""The console's one worker thread: a stock asyncio loop for the hub client and frame decoding.

The GUI thread only paints and handles widgets (docs/console.md). Everything that waits on the
network or decodes pixels runs as a coroutine on this loop; results come back to widgets
through queued Qt signals. ``PySide6.QtAsyncio`` cannot open websockets and qasync stalls the GUI
while decoding (findings.md section 2), hence a plain thread with a plain loop, as Electrum's
``create_and_start_event_loop`` does.

``run_op`` is the one helper for UI-triggered operations, after Anki's ``CollectionOp``: run a
coroutine on the worker, then call ``on_success`` or ``on_failure`` on the GUI thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)

T = TypeVar("T")


class Worker:
    """Owns one daemon thread running ``asyncio`` forever until ``stop()``.

    ``submit(coro)`` hands a coroutine to the loop from any thread and returns a
    ``concurrent.futures.Future``; ``call_soon(fn)`` runs a plain callable there.
    """

    def __init__(self, name: str = "tandem-worker") -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._stopped = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stopped

    def start(self) -> Worker:
        self._thread.start()
        self._ready.wait()
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._ready.set)
        try:
            self._loop.run_forever()
        finally:
            self._drain()
            self._loop.close()

    def _drain(self) -> None:
        """Cancel what is still pending so that nothing logs 'Task was destroyed'."""
        pending = [t for t in asyncio.all_tasks(self._loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self._stopped:
            coro.close()
            raise RuntimeError("worker is stopped")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        if not self._stopped:
            self._loop.call_soon_threadsafe(fn, *args)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop (pending tasks are cancelled) and join the thread."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)


class _OpRelay(QObject):
    """Carries a finished future back to the GUI thread (a queued signal, never a direct call).

    Signals:
        finished(object): the ``concurrent.futures.Future`` that completed.
    """

    finished = Signal(object)


class OpRunner(QObject):
    """Runs UI-triggered coroutines on the worker and reports back on the GUI thread.

    Signals:
        op_failed(str, str): an operation's title and its error message, for the status bar.
    """

    op_failed = Signal(str, str)

    def __init__(self, worker: Worker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._relay = _OpRelay(self)
        self._callbacks: dict[int, tuple[str, Callable[[Any], None] | None,
                                         Callable[[BaseException], None] | None]] = {}
        self._relay.finished.connect(self.on_future_finished, Qt.ConnectionType.QueuedConnection)

    def run(
        self,
        title: str,
        coro: Coroutine[Any, Any, T],
        on_success: Callable[[T], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
    ) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the worker; exactly one callback runs later on the GUI thread.

        Without ``on_failure`` the error is reported through ``op_failed``.
        """
        future = self._worker.submit(coro)
        self._callbacks[id(future)] = (title, on_success, on_failure)
        future.add_done_callback(self._relay.finished.emit)
        return future

    @Slot(object)
    def on_future_finished(self, future: concurrent.futures.Future[Any]) -> None:
        title, on_success, on_failure = self._callbacks.pop(id(future), ("", None, None))
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            if on_success is not None:
                on_success(future.result())
            return
        if on_failure is not None:
            on_failure(error)
        else:
            log.warning("%s failed: %s", title, error)
            self.op_failed.emit(title, str(error) or type(error).__name__)
