"""Python's cyclic garbage collector, run on the GUI thread only.

A PySide object caught in a reference cycle is destroyed by whichever thread happens to
run the collection. When that is a worker thread (the embedded hub's executor, the
asyncio worker), ``QObject::~QObject`` takes Qt's internal mutex and then waits for the
GIL, while the GUI thread holds the GIL and waits for that mutex: a deadlock, seen in the
test suite with the hub's SLA check collecting a widget of an earlier window. So automatic
collection is switched off and a GUI-thread timer collects instead, generation by
generation with the interpreter's own thresholds (the pattern calibre uses).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class GuiThreadGarbageCollector(QObject):
    """Disables automatic GC and collects from a GUI-thread timer every ``interval_ms``."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.on_timeout)
        self.timer.start()

    def on_timeout(self) -> None:
        self.collect_due()

    def collect_due(self) -> int | None:
        """Collect the oldest generation whose count passed its threshold; None if none."""
        counts = gc.get_count()
        generation = None
        for gen in range(3):
            if counts[gen] > self.threshold[gen]:
                generation = gen
            else:
                break
        if generation is None:
            return None
        gc.collect(generation)
        return generation

    def stop(self) -> None:
        """Back to automatic collection (on shutdown, when Qt objects are gone)."""
        self.timer.stop()
        gc.enable()
