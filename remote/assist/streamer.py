"""The capture thread: watch, grab, encode, and hand screen messages to the network side.

Runs in its own thread because grabbing and encoding take milliseconds per frame while
numpy, simplejpeg and Pillow release the GIL, so the asyncio loop and the UI stay live.
Pixels only leave while the customer's consent allows viewing (checked here before every
frame and again by the session before sending). Frames respect the flow-control window:
while it is full, changes accumulate and the next frame carries the newest screen.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from remote.assist.consent import ConsentGate
from remote.assist.flow import FlowControl
from remote.protocol import messages as m

log = logging.getLogger(__name__)

Rect = tuple[int, int, int, int]
#: A prefetched full grab older than this (the ack window was full) is not sent.
PREFETCH_MAX_AGE_S = 0.05
#: Pointer poll interval once the pointer has been still for a while.
IDLE_POINTER_INTERVAL_S = 0.12
#: Largest FrameUpdate payload we build; bigger updates are split (the wire limit is 8 MiB).
MAX_FRAME_BYTES = 4 * 1024 * 1024


class ScreenStreamer:
    """Streams one monitor of one display while ``gate`` allows viewing."""

    def __init__(self, gate: ConsentGate, flow: FlowControl, send: Callable[[Any], None], *,
                 monitor: int = 0, display: str | None = None, max_fps: float = 60.0,
                 pointer_interval_s: float = 0.03,
                 on_error: Callable[[Exception], None] | None = None,
                 pipeline: bool = True) -> None:
        self.gate = gate
        self.flow = flow
        self._send = send
        self._monitor_index = monitor
        self._display = display
        self.min_interval_s = 1.0 / max_fps
        self.pointer_interval_s = pointer_interval_s
        self._stop = threading.Event()
        self._full = threading.Event()
        self._full.set()
        self._new_layout = True
        self._thread: threading.Thread | None = None
        self._watcher: Any = None
        self._ready = threading.Event()
        self.error: Exception | None = None
        self._on_error = on_error
        self.pipeline = pipeline
        self.monitor: Any = None
        self.last_encode_s = 0.0
        self.timing = _Timing(flow)

    # -- control (any thread) ---------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tandem-capture", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def request_full(self) -> None:
        """Send the whole screen again (viewer joined, RefreshRequest, consent re-granted)."""
        self._full.set()
        self.wake()

    def select_monitor(self, index: int) -> None:
        self._monitor_index = index
        self._new_layout = True
        self.request_full()

    def wake(self) -> None:
        watcher = self._watcher
        if watcher is not None:
            watcher.wake()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    # -- the thread -------------------------------------------------------------------

    def _run(self) -> None:
        _tune_malloc()
        try:
            self._loop()
        except Exception as exc:  # reported to the session, which tells the customer
            log.exception("screen capture stopped")
            self.error = exc
            if self._on_error is not None:
                self._on_error(exc)
        finally:
            self._ready.set()

    def _new_grabber(self) -> Any:
        from remote.capture.screen import ScreenGrabber

        return ScreenGrabber(0, self._display)

    def _open(self) -> tuple[Any, Any]:
        grabber = self._new_grabber()
        try:
            from remote.capture.x11 import X11ChangeWatcher, X11Unavailable

            try:
                watcher: Any = X11ChangeWatcher(self._display)
            except X11Unavailable as exc:
                raise ImportError(str(exc)) from exc
        except ImportError as exc:
            from remote.capture.changes import PollingWatcher

            log.info("no change notifications (%s); polling the screen", exc)
            watcher = PollingWatcher()
        return grabber, watcher

    def _loop(self) -> None:
        from remote.codec.encoder import ScreenEncoder

        grabber, watcher = self._open()
        self._watcher = watcher
        self._ready.set()
        encoder: ScreenEncoder | None = None
        frame: Any = None
        # While the whole screen keeps changing (video), the next full grab runs on a
        # helper thread while this one encodes: the X server's copy overlaps our JPEG work.
        grab_pool = ThreadPoolExecutor(1, thread_name_prefix="tandem-grab")
        prefetch: Future[Any] | None = None
        prefetched_at = 0.0
        pending: list[Rect] | None = []  # None: compare everything
        last_frame = 0.0
        trimmed = True
        last_pointer: tuple[int, int] | None = None
        last_pointer_check = 0.0
        last_motion = 0.0
        cursor_serial: int | None = None
        try:
            while not self._stop.is_set():
                if not self.gate.allows_view:
                    watcher.wait(0.25)
                    watcher.take()
                    self._full.set()
                    cursor_serial = None
                    last_pointer = None
                    continue
                if self._new_layout or encoder is None:
                    self._new_layout = False
                    _drop(prefetch)
                    prefetch = None
                    if grabber is None:
                        grabber = self._new_grabber()
                    self.monitor = grabber.select(self._monitor_index) \
                        if self._monitor_index < len(grabber.monitors()) else grabber.select(0)
                    mon = self.monitor
                    encoder = ScreenEncoder(mon.width, mon.height, quality=self.flow.quality)
                    frame = None
                    self._emit(m.ScreenLayout(
                        tuple(m.Monitor(i.x, i.y, i.width, i.height, i.primary, i.name[:200])
                              for i in grabber.monitors()), mon.index, mon.width, mon.height))
                    self._full.set()
                now = time.monotonic()
                if not trimmed and now - last_frame > 1.0:
                    # Quiet for a second: drop the working frame (rebuilt from the encoder's
                    # model on the next change) and hand freed memory back to the OS.
                    trimmed = True
                    frame = None
                    _drop(prefetch)
                    prefetch = None
                    if grabber is not None:  # its 8 MB shared-memory segment too
                        grabber.close()
                        grabber = None
                    _release_free_memory()
                # Poll the pointer quickly while it moves, slowly once it has been still
                # for 2 s (an idle session then wakes ~8 times a second).
                poll = self.pointer_interval_s if now - last_motion < 2.0 \
                    else IDLE_POINTER_INTERVAL_S
                timeout = poll
                due = encoder.next_refresh_at()
                if due is not None:
                    timeout = min(timeout, max(due - now, 0.0))
                can_send = self.flow.can_send()
                if can_send and (pending or pending is None or self._full.is_set()):
                    timeout = min(timeout, max(last_frame + self.min_interval_s - now, 0.0))
                if timeout > 0:
                    watcher.wait(timeout)
                changes = watcher.take()
                if pending is not None:
                    pending = None if changes.rects is None else pending + changes.rects
                now = time.monotonic()
                mon = self.monitor
                if changes.cursor_changed or cursor_serial is None:
                    cursor_serial = self._send_cursor_shape(watcher)
                if now - last_pointer_check >= poll or changes.rects:
                    last_pointer_check = now
                    px, py = watcher.pointer()
                    pos = (px - mon.x, py - mon.y)
                    if pos != last_pointer:
                        last_pointer = pos
                        last_motion = now
                        self._emit(m.CursorPos(*pos))
                if not self.flow.can_send():
                    continue
                full = self._full.is_set()
                if now - last_frame < self.min_interval_s and not full:
                    continue
                encoder.quality = self.flow.quality
                if full:
                    self._full.clear()
                    encoder.reset()
                    pending = None
                    _drop(prefetch)
                    prefetch = None
                if prefetch is not None:
                    t0 = time.perf_counter()
                    shot = prefetch.result()
                    prefetch = None
                    if time.monotonic() - prefetched_at <= PREFETCH_MAX_AGE_S:
                        # The prefetched grab covers every change taken before it started;
                        # it is compared in full (no hints), so nothing can be missed.
                        if self.pipeline and (pending is None or _needs_full(encoder, pending,
                                                                              mon)):
                            prefetch, prefetched_at = grab_pool.submit(grabber.grab), \
                                time.monotonic()
                            pending = []
                        t1 = time.perf_counter()
                        rects = encoder.encode(shot, None, now, adopt=True)
                        frame = shot = None  # the encoder owns it now; keep no other reference
                        if rects:
                            self.timing.add(t1 - t0, time.perf_counter() - t1, now)
                            self._emit_frame(rects, False)
                            last_frame = now
                            trimmed = False
                        continue
                    pending = None  # too old (the window was full): grab afresh, compare all
                if pending is None or pending:
                    hints = None if pending is None else _to_monitor(pending, mon)
                    t0 = time.perf_counter()
                    if grabber is None:  # released while idle: reopening takes < 1 ms
                        grabber = self._new_grabber()
                        grabber.select(mon.index)
                    grabbed, adopt = self._grab_into(grabber, frame, encoder, hints)
                    if adopt and self.pipeline and not full:
                        prefetch, prefetched_at = grab_pool.submit(grabber.grab), \
                            time.monotonic()
                    t1 = time.perf_counter()
                    rects = encoder.encode(grabbed, hints, now, adopt=adopt)
                    frame = None if adopt else grabbed
                    grabbed = None  # an adopted buffer belongs to the encoder alone
                    pending = []
                    if rects:
                        self.last_encode_s = encoder.last_stats.seconds
                        self.timing.add(t1 - t0, time.perf_counter() - t1, now)
                        self._emit_frame(rects, full)
                        last_frame = now
                        trimmed = False
                    continue
                due = encoder.next_refresh_at()
                if due is not None and due <= now:
                    rects = encoder.refresh(self.flow.refresh_budget(), now)
                    if rects:
                        self._emit_frame(rects, False)
                        last_frame = now
        finally:
            _drop(prefetch)
            grab_pool.shutdown(wait=True)
            self._watcher = None
            watcher.close()
            if grabber is not None:
                grabber.close()

    def _grab_into(self, grabber: Any, frame: Any, encoder: Any,
                   hints: list[Rect] | None) -> tuple[Any, bool]:
        """The current screen and whether it is a fresh full grab.

        Small changes patch the hinted tile bands into ``frame`` (a copy of the encoder's
        model when the last full grab was handed to the encoder); big ones grab the whole
        monitor, and that buffer is handed to the encoder as its new model (``adopt``), so a
        full-screen change costs no 8 MB copy.
        """
        height, width = encoder.height, encoder.width
        if hints is not None and encoder.has_model and not _needs_full(encoder, hints):
            mask = encoder.candidate_tiles(hints)
            bands = [int(r) for r in mask.any(axis=1).nonzero()[0]]
            if frame is None:  # the last full grab became the encoder's model
                frame = encoder.model()
            t = encoder.tile
            for ty in bands:
                cols = mask[ty].nonzero()[0]
                x0, x1 = int(cols[0]) * t, min((int(cols[-1]) + 1) * t, width)
                y0, y1 = ty * t, min((ty + 1) * t, height)
                frame[y0:y1, x0:x1] = grabber.grab_area(x0, y0, x1 - x0, y1 - y0)
            return frame, False
        return grabber.grab(), True

    def _emit_frame(self, rects: list[Any], full: bool) -> None:
        chunk: list[Any] = []
        size = 0
        chunks: list[tuple[list[Any], int]] = []
        for rect in rects:
            if chunk and size + len(rect.data) > MAX_FRAME_BYTES:
                chunks.append((chunk, size))
                chunk, size = [], 0
            chunk.append(rect)
            size += len(rect.data)
        chunks.append((chunk, size))
        for part, part_size in chunks:
            seq = self.flow.next_seq(part_size)
            self._emit(m.FrameUpdate(seq, tuple(part), full and len(chunks) == 1))

    def _send_cursor_shape(self, watcher: Any) -> int | None:
        image = watcher.cursor_image()
        if image is None:
            return -1
        w, h = min(image.width, m.MAX_CURSOR_SIDE), min(image.height, m.MAX_CURSOR_SIDE)
        if (w, h) != (image.width, image.height):
            return image.serial  # an absurd cursor: keep the previous one
        self._emit(m.CursorShape(min(image.hot_x, max(w - 1, 0)), min(image.hot_y, max(h - 1, 0)),
                                 w, h, image.pixels))
        return image.serial

    def _emit(self, msg: Any) -> None:
        if self.gate.allows_view:
            self._send(msg)


class _Timing:
    """Per-frame grab and encode times, logged at DEBUG every 5 s (for tuning)."""

    def __init__(self, flow: FlowControl) -> None:
        self.flow = flow
        self.reset(time.monotonic())

    def reset(self, now: float) -> None:
        self.since, self.frames, self.grab_s, self.encode_s = now, 0, 0.0, 0.0

    def add(self, grab_s: float, encode_s: float, now: float) -> None:
        self.frames += 1
        self.grab_s += grab_s
        self.encode_s += encode_s
        if now - self.since >= 5.0 and log.isEnabledFor(logging.DEBUG):
            flow = self.flow.snapshot()
            log.debug("%.1f fps, grab %.1f ms, encode %.1f ms, rtt %.0f ms, %.0f kbit/s, q%d",
                      self.frames / (now - self.since), self.grab_s / self.frames * 1000,
                      self.encode_s / self.frames * 1000, flow.rtt_ms, flow.throughput_kbps,
                      flow.quality)
            self.reset(now)


def _needs_full(encoder: Any, rects: list[Rect], mon: Any = None) -> bool:
    """True when the changes touch so much of the screen that one full grab is cheaper."""
    hints = rects if mon is None else _to_monitor(rects, mon)
    mask = encoder.candidate_tiles(hints)
    bands = int(mask.any(axis=1).sum())
    return bands > 6 or mask.sum() * encoder.tile ** 2 >= 0.4 * encoder.width * encoder.height


def _drop(prefetch: Future[Any] | None) -> None:
    """Wait for an outstanding prefetch and forget it (the grabber is free again)."""
    if prefetch is not None:
        try:
            prefetch.result()
        except Exception:  # the next synchronous grab reports the problem
            pass


def _tune_malloc() -> None:
    """glibc: hand big buffers (8 MB screen grabs) straight back to the OS and keep few
    per-thread arenas, so the resident size tracks what is in use (about 25 MB less)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD: fixed, no dynamic growth
        libc.mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def _release_free_memory() -> None:
    """Hand memory freed after a burst of large frames back to the OS (glibc keeps it)."""
    import gc

    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _to_monitor(rects: list[Rect], mon: Any) -> list[Rect]:
    """Desktop-coordinate rects -> the chosen monitor's coordinates."""
    return [(x - mon.x, y - mon.y, w, h) for x, y, w, h in rects]
