"""Cyclic garbage is collected on the GUI thread only (see ui/gc_guard.py for the deadlock)."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject

from ui.gc_guard import GuiThreadGarbageCollector


class Cyclic(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_cycles_are_freed_by_the_gui_thread_timer(qtbot, qapp) -> None:
    collector = GuiThreadGarbageCollector(qapp, interval_ms=10)
    try:
        assert not gc.isenabled()
        collected_on: list[str] = []
        probe = Cyclic()
        ref = weakref.ref(probe)
        weakref.finalize(probe, lambda: collected_on.append(threading.current_thread().name))
        del probe
        # Allocations in another thread no longer trigger a collection there.
        worker = threading.Thread(target=lambda: [[] for _ in range(50_000)], name="worker")
        worker.start()
        worker.join()
        assert ref() is not None
        alive = [[] for _ in range(collector.threshold[0] + 10)]  # past the first threshold
        qtbot.waitUntil(lambda: ref() is None, timeout=5000)
        del alive
        assert collected_on == [threading.main_thread().name]
    finally:
        collector.stop()
    assert gc.isenabled()
