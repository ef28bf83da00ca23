"""Append records to a recording cheaply and safely.

``append`` only hashes and buffers (called from the hub's asyncio loop; never blocks on
disk). A background thread ``write()``s the buffer and ``fsync``s every ``flush_interval``
seconds, so a killed hub loses at most that much, and adds a composite keyframe when the
virtual keyframes can no longer stand alone. The file is locked (``flock``) while the
writer lives, so repair never touches a recording that is still being written.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from remote.protocol.encodings import EncodedRect
from remote.recording.format import (
    MAX_T_MS,
    RECORD_HEAD,
    TRAILER,
    TRAILER_MAGIC,
    AnchorKind,
    Footer,
    IndexEntry,
    Keyframe,
    RecordType,
    chain_hash,
    chain_seed,
    json_payload,
    pack_header,
)
from remote.recording.frames import RECTS_V1
from remote.recording.tiles import TileTracker

log = logging.getLogger(__name__)

#: Frame payload formats a reader knows how to turn into rectangles.
FRAME_FORMAT_RECTS = RECTS_V1


@dataclass(frozen=True, slots=True)
class WriterSettings:
    """Thresholds that trade file size and writer work against seek time."""

    flush_interval_s: float = 1.0
    vkey_interval_ms: int = 5_000
    vkey_bytes: int = 1_000_000
    composite_min_interval_ms: int = 20_000
    #: Ask for a composite keyframe when rebuilding the screen from the virtual keyframe
    #: would decode more than this many screens' worth of frame-record pixels.
    composite_cost_screens: float = 0.25
    #: ... or more than this many records.
    composite_cost_records: int = 60
    #: Records waiting for the disk beyond this (disk full, stalled storage) make appends
    #: fail instead of growing the hub's memory without bound.
    max_buffered_bytes: int = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class WriterSummary:
    """What the database stores about a closed recording."""

    path: Path
    size_bytes: int
    record_count: int
    chain_head: str
    duration_ms: int


def lock_file(fd: int) -> None:
    """Take the writer lock or raise ``RecordingLocked``."""
    from remote.recording.format import RecordingLocked

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise RecordingLocked("the recording is locked by a live writer") from None


class RecordingBacklog(OSError):
    """The disk is not taking the records (full or stalled); the recording stops growing."""


class ChainAppender:
    """The chained-record state shared by the writer and repair: head, count, offset."""

    def __init__(self, head: bytes, size: int, count: int, last_t: int) -> None:
        self.head = head
        self.size = size
        self.count = count
        self.last_t = last_t
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.limit = 2**62

    def add(self, rtype: RecordType, t_ms: int, payload: bytes) -> int:
        if self.buffered + len(payload) > self.limit:
            raise RecordingBacklog(f"{self.buffered} bytes of records are still waiting for "
                                   "the disk; not recording more")
        t = min(max(int(t_ms), self.last_t), MAX_T_MS)
        head = RECORD_HEAD.pack(len(payload), rtype, t)
        digest = chain_hash(self.head, head, payload)
        offset = self.size
        self.chunks += (head, payload, digest)
        self.size += len(head) + len(payload) + len(digest)
        self.buffered += len(head) + len(payload) + len(digest)
        self.head, self.count, self.last_t = digest, self.count + 1, t
        return offset

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data

    def written(self, size: int) -> None:
        self.buffered -= size


def finish(chain: ChainAppender, anchors: list[IndexEntry], end: dict[str, Any],
           rtype: RecordType = RecordType.END) -> None:
    """Append END (or RECOVERED), INDEX, FOOTER and the trailer to ``chain``'s buffer."""
    chain.add(rtype, chain.last_t, json_payload(end))
    index_offset = chain.add(RecordType.INDEX, chain.last_t,
                             b"".join(a.pack() for a in anchors))
    footer = Footer(index_offset, chain.count, chain.last_t, len(anchors))
    footer_offset = chain.add(RecordType.FOOTER, chain.last_t, footer.pack())
    chain.chunks.append(TRAILER.pack(footer_offset, TRAILER_MAGIC))
    chain.size += TRAILER.size


class RecordingWriter:
    """Writes one recording file. Thread-safe; ``append*`` never touch the disk."""

    def __init__(self, path: Path | str, meta: dict[str, Any] | None = None, *,
                 frame_format: str = FRAME_FORMAT_RECTS,
                 settings: WriterSettings | None = None,
                 frame_rects: Callable[[bytes], list[EncodedRect]] | None = None,
                 background: bool = True) -> None:
        self.path = Path(path)
        self.settings = settings or WriterSettings()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        lock_file(self._fd)
        header_meta = dict(meta or {})
        header_meta["frame_format"] = frame_format
        header = pack_header(header_meta)
        self._chain = ChainAppender(chain_seed(header), len(header), 0, 0)
        self._chain.limit = self.settings.max_buffered_bytes
        # The header goes out at once (one small write, no fsync): a writer killed in its
        # first second still leaves a file that repair can close.
        os.write(self._fd, header)
        self._frame_rects = frame_rects
        self._lock = threading.Lock()
        self._io_lock = threading.Lock()
        self._tiles = TileTracker()
        self._anchors: list[IndexEntry] = []
        self._last_vkey_t = 0
        self._last_vkey_size = 0
        self._dirty_since_vkey = False
        self._want_composite = False
        self._big_paint = 2**62
        self._last_composite_t = -self.settings.composite_min_interval_ms
        self._flushed = len(header)
        self._closed = False
        self._summary: WriterSummary | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(target=self._run, name=f"recording {self.path.name}",
                                            daemon=True)
            self._thread.start()

    # ---- appending (any thread, cheap) ----------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def anchors(self) -> list[IndexEntry]:
        with self._lock:
            return list(self._anchors)

    def append(self, rtype: RecordType, t_ms: int, payload: bytes) -> int:
        with self._lock:
            self._check_open()
            return self._chain.add(rtype, t_ms, payload)

    def append_json(self, rtype: RecordType, t_ms: int, obj: dict[str, Any]) -> int:
        if rtype in (RecordType.CURSOR_POS, RecordType.POINTER):
            rest = {k: v for k, v in obj.items() if k not in ("x", "y")}
            return self.append_cursor(rtype, t_ms, int(obj["x"]), int(obj["y"]), **rest)
        return self.append(rtype, t_ms, json_payload(obj))

    def append_cursor(self, rtype: RecordType, t_ms: int, x: int, y: int, **extra: Any) -> int:
        """A pointer position (CURSOR_POS from the customer, POINTER from the agent); the
        last one is kept in virtual keyframes so a seek shows the pointer at once."""
        with self._lock:
            self._check_open()
            self._tiles.cursor = (x, y)
            return self._chain.add(rtype, t_ms, json_payload({"x": x, "y": y, **extra}))

    def append_layout(self, t_ms: int, width: int, height: int, **extra: Any) -> int:
        with self._lock:
            self._check_open()
            offset = self._chain.add(RecordType.LAYOUT, t_ms,
                                     json_payload({"width": width, "height": height, **extra}))
            self._tiles.layout(offset, width, height)
            self._big_paint = int(width * height * self.settings.composite_cost_screens)
            self._dirty_since_vkey = True
            return offset

    def append_frame(self, t_ms: int, payload: bytes,
                     rects: Iterable[EncodedRect] | None = None) -> int:
        """Store a frame record as given; ``rects`` (geometry only) feeds the tile map.

        Without ``rects`` the writer parses ``payload`` with ``frame_rects`` (only the
        rectangle headers are needed, never pixels).
        """
        if rects is None:
            if self._frame_rects is None:
                raise ValueError("append_frame needs rects or a frame_rects parser")
            rects = self._frame_rects(payload)
        with self._lock:
            self._check_open()
            offset = self._chain.add(RecordType.FRAME, t_ms, payload)
            self._tiles.paint(offset, rects)
            if self._tiles.areas.get(offset, 0) >= self._big_paint:
                self._want_composite = True  # e.g. the first full frame, a window switch
            self._dirty_since_vkey = True
            self._maybe_vkey()
            return offset

    def _maybe_vkey(self) -> None:
        chain, s = self._chain, self.settings
        if not (self._tiles.complete and self._dirty_since_vkey):
            return
        if chain.last_t - self._last_vkey_t < s.vkey_interval_ms \
                and chain.size - self._last_vkey_size < s.vkey_bytes:
            return
        offset = chain.add(RecordType.VKEY, chain.last_t, self._tiles.snapshot())
        self._anchors.append(IndexEntry(chain.last_t, AnchorKind.VKEY, offset, offset, chain.head))
        self._last_vkey_t, self._last_vkey_size = chain.last_t, chain.size
        self._dirty_since_vkey = False
        screens, records = self._tiles.replay_cost()
        self._want_composite = screens > s.composite_cost_screens \
            or records > s.composite_cost_records

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("recording is closed")

    # ---- background: write, fsync, composite keyframes ------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(self.settings.flush_interval_s):
            try:
                self.maintain()
            except Exception:  # keep recording; the next flush retries
                log.exception("recording %s: background write failed", self.path)

    def maintain(self) -> None:
        """The background thread's duty each second: write + fsync, composite if needed.

        Writers made with ``background=False`` (benchmarks and tools that feed a session
        faster than real time) call this once per simulated second.
        """
        self.flush()
        self._maybe_composite()

    def flush(self, sync: bool = True) -> None:
        """Write the buffered records and (by default) fsync. Safe from any thread.

        On a write error the unwritten bytes stay buffered for the next attempt."""
        with self._io_lock:
            if self._fd < 0:
                return  # closed
            with self._lock:
                data = self._chain.take()
            view = memoryview(data)
            try:
                while view:
                    os.lseek(self._fd, self._flushed, os.SEEK_SET)
                    written = os.write(self._fd, view)
                    view = view[written:]
                    self._flushed += written
                    with self._lock:
                        self._chain.written(written)
            finally:
                if view:
                    with self._lock:
                        self._chain.chunks.insert(0, bytes(view))
            if sync and data:
                os.fsync(self._fd)

    def _maybe_composite(self, force: bool = False) -> bool:
        with self._lock:
            if self._closed or not self._tiles.ready:
                return False
            needed = not self._tiles.complete or self._want_composite
            if not force and (not needed or self._chain.last_t - self._last_composite_t
                              < self.settings.composite_min_interval_ms):
                return False
            anchors = list(self._anchors)
        self.flush(sync=False)
        with self._lock:
            end = self._flushed
        keyframe = build_composite(self.path, end, anchors)
        return keyframe is not None and self.add_keyframe(keyframe)

    def add_keyframe(self, keyframe: Keyframe) -> bool:
        """Append a composite keyframe built from the file (records may have followed)."""
        with self._lock:
            if self._closed:
                return False
            offset = self._chain.add(RecordType.KEYFRAME, keyframe.t_ms, keyframe.pack())
            self._tiles.composite(offset, keyframe.as_of)
            self._anchors.append(IndexEntry(keyframe.t_ms, AnchorKind.KEYFRAME, offset,
                                            keyframe.as_of, self._chain.head))
            self._last_composite_t = self._chain.last_t
            self._dirty_since_vkey = True
            self._want_composite = False
            return True

    def add_composite_now(self) -> bool:
        """Produce a composite keyframe now (tests, tools). True if one was added."""
        return self._maybe_composite(force=True)

    # ---- closing ----------------------------------------------------------------------------

    def close(self, reason: str = "ended", **details: Any) -> WriterSummary:
        """Append END, the index and the footer; flush, fsync, unlock. Idempotent.

        Does not wait for the background thread (it may be building a composite keyframe,
        which is then dropped), so closing on the relay's loop costs one write and fsync.
        """
        if self._summary is not None:
            return self._summary
        self._stop.set()
        with self._lock:
            self._closed = True
            chain = self._chain
            chain.limit = 2**62  # the closing records always go in
            finish(chain, self._anchors, {"reason": reason, "duration_ms": chain.last_t,
                                          **details})
        self.flush()
        with self._io_lock:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1
        self._summary = WriterSummary(self.path, self._flushed, chain.count, chain.head.hex(),
                                      chain.last_t)
        return self._summary

    @property
    def record_count(self) -> int:
        return self._chain.count

    @property
    def chain_head(self) -> str:
        return self._chain.head.hex()

    @property
    def size_bytes(self) -> int:
        return self._chain.size


def build_composite(path: Path, end: int, anchors: list[IndexEntry]) -> Keyframe | None:
    """Decode the screen after the last record before ``end`` and encode it losslessly."""
    from remote.recording.reader import RecordingReader

    try:
        with RecordingReader(path, limit=end, anchors=anchors) as reader:
            state = reader.state_at_end()
    except Exception:
        log.exception("recording %s: composite keyframe failed", path)
        return None
    if state is None:
        return None
    as_of, as_of_t, fb = state
    return Keyframe.from_pixels(as_of, as_of_t, fb.pixels)

