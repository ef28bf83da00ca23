"""The worker thread, the op helper, and the PySide6 refcount regression (findings.md 1)."""

from __future__ import annotations

import asyncio
import sys
import threading

import pytest
from PySide6.QtCore import QObject, Signal

from ui.worker import OpRunner, Worker


class _Emitter(QObject):
    fired = Signal(object)


def test_signal_emit_does_not_leak_true(qtbot) -> None:
    """PySide6 6.12.0 drops a reference to True per emit; 10 000 emits must not lower it."""
    emitter = _Emitter()
    received: list[object] = []
    emitter.fired.connect(received.append)
    before = sys.getrefcount(True)
    for i in range(10_000):
        emitter.fired.emit(i)
    after = sys.getrefcount(True)
    assert len(received) == 10_000
    assert after >= before - 10, f"refcount of True fell from {before} to {after}"


def test_submit_runs_on_the_worker_thread(worker: Worker) -> None:
    async def where() -> str:
        await asyncio.sleep(0)
        return threading.current_thread().name

    assert worker.submit(where()).result(timeout=5) == "tandem-worker"


def test_op_success_is_delivered_on_the_gui_thread(qtbot, worker: Worker) -> None:
    runner = OpRunner(worker)
    seen: list[tuple[int, str]] = []

    async def compute() -> int:
        return 6 * 7

    with qtbot.waitCallback(timeout=5000) as done:
        runner.run("compute", compute(),
                   on_success=lambda v: (seen.append((v, threading.current_thread().name)),
                                         done(v)))
    assert seen == [(42, threading.main_thread().name)]


def test_op_failure_without_handler_reports_through_op_failed(qtbot, worker: Worker) -> None:
    runner = OpRunner(worker)

    async def fail() -> None:
        raise ValueError("wrong password")

    with qtbot.waitSignal(runner.op_failed, timeout=5000) as blocker:
        runner.run("Sign in", fail())
    assert blocker.args == ["Sign in", "wrong password"]


def test_stop_cancels_pending_tasks(worker: Worker) -> None:
    started = threading.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    future = worker.submit(forever())
    assert started.wait(5)
    worker.stop()
    assert future.cancelled() or future.done()
    with pytest.raises(RuntimeError):
        worker.submit(forever())
