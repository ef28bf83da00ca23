"""The replay's decoding side: opens a recording and produces frames on a worker thread.

The GUI thread never decodes (findings.md section 3): ``ReplayEngine`` lives on its own
``QThread`` and answers requests (open, seek, advance) with queued signals carrying a
``QImage`` copy of the screen and plain data about the recording.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from remote.recording.format import RecordType
from remote.recording.reader import Playback, RecordingReader, TimelineEvent

log = logging.getLogger(__name__)

#: Activity farther apart than this is an idle stretch that "skip idle" jumps over.
IDLE_GAP_MS = 3000


@dataclass(frozen=True, slots=True)
class ReplayInfo:
    """What the player needs to lay out its controls (sent once per open)."""

    path: str
    duration_ms: int
    complete: bool
    events: tuple[TimelineEvent, ...]
    activity_ms: tuple[int, ...]  # times of screen changes and events, ascending
    meta: dict

    def idle_skip_target(self, t_ms: int, lead_ms: int = 300) -> int | None:
        """If ``t_ms`` is inside an idle stretch, where playback should jump to."""
        i = bisect.bisect_right(self.activity_ms, t_ms)
        if i >= len(self.activity_ms):
            return None
        nxt = self.activity_ms[i]
        prev = self.activity_ms[i - 1] if i else 0
        if nxt - prev > IDLE_GAP_MS and nxt - t_ms > lead_ms:
            return nxt - lead_ms
        return None


def framebuffer_image(pixels) -> QImage:  # noqa: ANN001 - numpy array
    """A QImage copy of a BGRX numpy framebuffer (Format_RGB32 is BGRX on little-endian)."""
    h, w = pixels.shape[:2]
    return QImage(pixels.data, w, h, pixels.strides[0], QImage.Format.Format_RGB32).copy()


class ReplayEngine(QObject):
    """Owns the reader and the play head; lives on a worker thread.

    Signals:
        opened(ReplayInfo): a recording was opened.
        shown(int, object, object): the play head is at t_ms; a QImage when the picture
            changed (or after a seek), else None; the pointer (x, y) or None.
        failed(str): the file could not be opened or read.
    """

    opened = Signal(object)
    shown = Signal(int, object, object)
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._reader: RecordingReader | None = None
        self._playback: Playback | None = None

    @Slot(str)
    def open(self, path: str) -> None:
        self.close()
        try:
            reader = RecordingReader(Path(path))
            events = tuple(reader.events())
            activity = sorted({rec.t_ms for rec in reader.records()
                               if rec.type in (RecordType.FRAME, RecordType.LAYOUT)}
                              | {e.t_ms for e in events})
        except Exception as exc:  # a corrupt file must not kill the worker thread
            log.warning("replay: cannot open %s: %s", path, exc)
            self.failed.emit(f"Cannot open the recording: {exc}")
            return
        self._reader, self._playback = reader, reader.playback()
        self.opened.emit(ReplayInfo(path, reader.duration_ms, reader.complete, events,
                                    tuple(activity), dict(reader.meta)))

    @Slot(int)
    def seek(self, t_ms: int) -> None:
        if self._playback is None:
            return
        try:
            self._playback.seek(t_ms)
        except Exception as exc:
            self.failed.emit(f"Cannot show {t_ms / 1000:.1f} s: {exc}")
            return
        self._emit(t_ms, True)

    @Slot(int)
    def advance(self, t_ms: int) -> None:
        if self._playback is None:
            return
        try:
            changed = self._playback.advance(t_ms)
        except Exception as exc:
            self.failed.emit(f"Playback stopped at {t_ms / 1000:.1f} s: {exc}")
            return
        self._emit(t_ms, changed)

    def _emit(self, t_ms: int, changed: bool) -> None:
        fb = self._playback.framebuffer if self._playback else None
        image = framebuffer_image(fb.pixels) if (changed and fb is not None) else None
        self.shown.emit(t_ms, image, self._playback.cursor if self._playback else None)

    @Slot()
    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        self._reader = self._playback = None
