"""Read a recording: its records, its timeline events, and the screen at any moment.

A cleanly closed file is opened through its trailer, footer and index (no scan). A file
without footer (still being written, or left by a killed writer) is scanned once, record
by record, up to the last record whose length and chain hash are whole: that is what the
player shows. ``seek(t)`` starts from the nearest anchor (virtual or composite keyframe)
before ``t`` and decodes only what that anchor names plus the records after it.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from remote.codec.decoder import DecodeError, Framebuffer
from remote.protocol.encodings import EncodedRect, Encoding
from remote.recording.format import (
    HASH_SIZE,
    MAX_PAYLOAD,
    RECORD_HEAD,
    TRAILER,
    TRAILER_MAGIC,
    AnchorKind,
    Footer,
    FormatError,
    IndexEntry,
    Keyframe,
    RecordType,
    chain_hash,
    chain_seed,
    unpack_header,
)
from remote.recording.frames import frame_parser
from remote.recording.tiles import VirtualKeyframe

log = logging.getLogger(__name__)

_RECORD_TYPES = {int(t) for t in RecordType}


@dataclass(frozen=True, slots=True)
class RecordInfo:
    offset: int
    type: RecordType
    t_ms: int
    length: int

    @property
    def end(self) -> int:
        return self.offset + RECORD_HEAD.size + self.length + HASH_SIZE

    @property
    def payload_offset(self) -> int:
        return self.offset + RECORD_HEAD.size


@dataclass(frozen=True, slots=True)
class ScanResult:
    """How far a file's records are whole: used by open, verify and repair."""

    records: int
    end: int  # offset after the last whole record
    chain_head: bytes
    last_t_ms: int
    anchors: list[IndexEntry]
    last: RecordInfo | None
    problem: str | None  # why the scan stopped before the end of the file, if it did
    problem_offset: int | None
    altered: bool  # a whole record whose hash does not match (not just a torn tail)


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One mark on the replay timeline."""

    t_ms: int
    kind: str  # start, layout, consent, control, chat, click, keys, event, recovered, end
    text: str
    data: dict[str, Any]


class RecordingReader:
    """Random access to one recording file (read-only, no lock)."""

    def __init__(self, path: Path | str, *, limit: int | None = None,
                 anchors: list[IndexEntry] | None = None) -> None:
        self.path = Path(path)
        self._file = open(self.path, "rb")  # noqa: SIM115 - closed in close()
        size = os.fstat(self._file.fileno()).st_size
        self.size = size if limit is None else min(size, limit)
        if self.size == 0:
            self._file.close()
            raise FormatError("empty file: not a Tandem recording")
        self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        self.data = memoryview(self._map)[:self.size]
        try:
            self.meta, self.header_end = unpack_header(self.data)
            self._parse = frame_parser(str(self.meta.get("frame_format", "")))
            self.footer: Footer | None = None
            self.complete = False
            if anchors is not None:
                self.anchors = sorted(anchors, key=lambda a: a.position)
                self.records_end = self.size
                self.record_count = -1
                self.chain_head = b""
                self.duration_ms = 0
                self.scan_problem: str | None = None
            else:
                self._open_index()
        except BaseException:
            self.close()
            raise

    # ---- opening ----------------------------------------------------------------------------

    def _open_index(self) -> None:
        footer_info = self._read_trailer()
        if footer_info is not None:
            footer_rec, footer = footer_info
            index_rec = self.record_at(footer.index_offset)
            if index_rec.type is not RecordType.INDEX:
                raise FormatError("footer does not point to an index")
            self.anchors = sorted(IndexEntry.unpack_many(self.payload(index_rec)),
                                  key=lambda a: a.position)
            self.footer, self.complete = footer, True
            self.records_end = footer_rec.end
            self.record_count = footer.record_count + 1
            self.chain_head = bytes(self.data[footer_rec.end - HASH_SIZE:footer_rec.end])
            self.duration_ms = footer.duration_ms
            self.scan_problem = None
            return
        scan = scan_records(self.data, self.header_end, check_hashes=True)
        self.anchors = sorted(scan.anchors, key=lambda a: a.position)
        self.records_end = scan.end
        self.record_count = scan.records
        self.chain_head = scan.chain_head
        self.duration_ms = scan.last_t_ms
        self.scan_problem = scan.problem

    def _read_trailer(self) -> tuple[RecordInfo, Footer] | None:
        if self.size < self.header_end + TRAILER.size:
            return None
        footer_offset, magic = TRAILER.unpack_from(self.data, self.size - TRAILER.size)
        if magic != TRAILER_MAGIC or not self.header_end <= footer_offset < self.size:
            return None
        try:
            rec = self.record_at(footer_offset)
        except FormatError:
            return None
        if rec.type is not RecordType.FOOTER or rec.end != self.size - TRAILER.size:
            return None
        return rec, Footer.unpack(self.payload(rec))

    def close(self) -> None:
        if getattr(self, "data", None) is not None:
            self.data.release()
            self.data = None  # type: ignore[assignment]
        if getattr(self, "_map", None) is not None:
            self._map.close()
            self._map = None  # type: ignore[assignment]
        self._file.close()

    def __enter__(self) -> RecordingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- records ----------------------------------------------------------------------------

    def record_at(self, offset: int) -> RecordInfo:
        if offset < self.header_end or offset + RECORD_HEAD.size > self.size:
            raise FormatError(f"no record at offset {offset}")
        length, rtype, t_ms = RECORD_HEAD.unpack_from(self.data, offset)
        if rtype not in _RECORD_TYPES or length > MAX_PAYLOAD \
                or offset + RECORD_HEAD.size + length + HASH_SIZE > self.size:
            raise FormatError(f"corrupt record at offset {offset}")
        return RecordInfo(offset, RecordType(rtype), t_ms, length)

    def payload(self, rec: RecordInfo) -> memoryview:
        return self.data[rec.payload_offset:rec.payload_offset + rec.length]

    def json(self, rec: RecordInfo) -> dict[str, Any]:
        try:
            obj = json.loads(bytes(self.payload(rec)))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FormatError(f"record at {rec.offset} is not JSON") from exc
        return obj if isinstance(obj, dict) else {}

    def records(self, start: int | None = None) -> Iterator[RecordInfo]:
        offset = self.header_end if start is None else start
        while offset < self.records_end:
            rec = self.record_at(offset)
            yield rec
            offset = rec.end

    def rects(self, rec: RecordInfo) -> list[EncodedRect]:
        """The rectangles of a frame record; a corrupt one yields none (logged)."""
        try:
            if rec.type is RecordType.FRAME:
                return self._parse(bytes(self.payload(rec)))
        except FormatError as exc:
            log.warning("recording %s: record at %d skipped: %s", self.path, rec.offset, exc)
        return []

    # ---- timeline -------------------------------------------------------------------------------

    def events(self, key_burst_gap_ms: int = 1500) -> list[TimelineEvent]:
        """Timeline marks: consent, control, chat, clicks, key bursts, start/end, recovery."""
        builder = _EventBuilder(key_burst_gap_ms)
        for rec in self.records():
            if rec.type in builder.handled:
                try:
                    builder.add(rec, self.json(rec))
                except FormatError as exc:
                    log.warning("recording %s: %s", self.path, exc)
        return builder.finish()

    # ---- seeking ---------------------------------------------------------------------------

    def anchor_before(self, t_ms: int) -> IndexEntry | None:
        best = None
        for anchor in self.anchors:
            if anchor.t_ms <= t_ms and (best is None or anchor.position > best.position):
                best = anchor
        return best

    def playback(self) -> Playback:
        return Playback(self)

    def seek(self, t_ms: int) -> Framebuffer | None:
        """The screen as it was at ``t_ms`` (None before the first screen layout)."""
        pb = Playback(self)
        pb.seek(t_ms)
        return pb.framebuffer

    def state_at_end(self) -> tuple[int, int, Framebuffer] | None:
        """(offset and time of the last record, screen after it), for composite keyframes."""
        pb = Playback(self)
        pb.seek(2**32)
        if pb.framebuffer is None or pb.last_offset < 0:
            return None
        return pb.last_offset, self.record_at(pb.last_offset).t_ms, pb.framebuffer


class Playback:
    """A play head over a recording: seek anywhere, then advance in time."""

    def __init__(self, reader: RecordingReader) -> None:
        self.reader = reader
        self.framebuffer: Framebuffer | None = None
        self.next_offset = reader.header_end
        self.last_offset = -1
        self.t_ms = 0
        self.resized = False
        self.cursor: tuple[int, int] | None = None  # pointer position, when known

    def seek(self, t_ms: int) -> None:
        """Put the play head at ``t_ms``; reuses the current state when it is on the way."""
        anchor = self.reader.anchor_before(t_ms)
        start = anchor.position if anchor else -1
        if not (self.t_ms <= t_ms and self.last_offset >= start and self.last_offset >= 0):
            self._load_anchor(anchor)
        self.advance(t_ms)

    def _load_anchor(self, anchor: IndexEntry | None) -> None:
        reader = self.reader
        self.framebuffer, self.resized = None, True
        self.last_offset, self.t_ms = -1, 0
        self.cursor = None
        self.next_offset = reader.header_end
        if anchor is None:
            return
        rec = reader.record_at(anchor.offset)
        if anchor.kind is AnchorKind.KEYFRAME:
            keyframe = Keyframe.unpack(reader.payload(rec))
            self.framebuffer = blank_framebuffer(keyframe.width, keyframe.height)
            self._bands_step(keyframe, range(len(keyframe.bands))).paint(self)
            as_of = reader.record_at(keyframe.as_of)
            self.last_offset, self.next_offset, self.t_ms = as_of.offset, as_of.end, as_of.t_ms
        else:
            vk = VirtualKeyframe.unpack(reader.payload(rec))
            self._load_vkey(vk)
            self.cursor = vk.cursor
            self.last_offset, self.next_offset, self.t_ms = rec.offset, rec.end, rec.t_ms

    def _load_vkey(self, vk: VirtualKeyframe) -> None:
        """Rebuild the screen from a virtual keyframe: decode everything it names in
        parallel, then paint in replay order."""
        reader = self.reader
        self.framebuffer = blank_framebuffer(vk.width, vk.height)
        cells = vk.cells_of()
        pins: dict[int, list[tuple[int, int, int, int]]] = {}
        for i, region in vk.pins:
            pins.setdefault(i, []).append(region)
        steps: list[_Step] = []
        for i in vk.replay_order():
            rec = reader.record_at(int(vk.entries[i]))
            owned = cells.get(i)
            regions = pins.get(i, [])
            if rec.type is RecordType.KEYFRAME:
                steps.append(self._keyframe_step(rec, vk, owned, regions))
            else:
                steps.append(self._rects_step([r for r in reader.rects(rec)
                                               if _needed(r, owned, regions, vk.cell)]))
        for step in steps:
            step.paint(self)

    def _keyframe_step(self, rec: RecordInfo, vk: VirtualKeyframe,
                       owned: np.ndarray | None, pins: list[tuple[int, int, int, int]]
                       ) -> _Step:
        """Inflate only the bands of a composite keyframe that the map still needs."""
        try:
            keyframe = Keyframe.unpack(self.reader.payload(rec))
        except FormatError as exc:
            log.warning("recording %s: keyframe at %d skipped: %s", self.reader.path,
                        rec.offset, exc)
            return _Step()
        if (keyframe.width, keyframe.height) != (vk.width, vk.height):
            return _Step()
        rows: set[int] = set()
        if owned is not None and len(owned):
            for cell_row in np.unique(owned[:, 0]).tolist():
                y0 = cell_row * vk.cell
                rows.update(range(y0 // keyframe.band_rows,
                                  -(-min(y0 + vk.cell, vk.height) // keyframe.band_rows)))
        for _x, y, _w, h in pins:
            rows.update(range(y // keyframe.band_rows, -(-(y + h) // keyframe.band_rows)))
        return self._bands_step(keyframe, [i for i in sorted(rows) if i < len(keyframe.bands)])

    def _bands_step(self, keyframe: Keyframe, indices: Iterable[int]) -> _Step:
        pool = _pool()
        return _Step([((0, y0, keyframe.width, y1 - y0), pool.submit(keyframe.decode_band, i))
                      for i in indices for y0, y1 in [keyframe.band_span(i)]])

    def _rects_step(self, rects: list[EncodedRect]) -> _Step:
        pool = _pool()
        return _Step([(rect, pool.submit(_decode_rect, rect)) if rect.encoding in _DECODED
                      else (rect, None) for rect in rects])

    def advance(self, t_ms: int) -> bool:
        """Apply every record up to ``t_ms``; True if the picture changed (the pointer
        position is in ``cursor``)."""
        reader = self.reader
        changed = False
        offset = self.next_offset
        while offset < reader.records_end:
            rec = reader.record_at(offset)
            if rec.t_ms > t_ms:
                break
            if rec.type is RecordType.LAYOUT:
                info = reader.json(rec)
                self.framebuffer = blank_framebuffer(int(info["width"]), int(info["height"]))
                self.resized = changed = True
            elif rec.type is RecordType.FRAME and self.framebuffer is not None:
                self._apply(reader.rects(rec))
                changed = True
            elif rec.type in (RecordType.CURSOR_POS, RecordType.POINTER):
                info = reader.json(rec)
                self.cursor = (int(info.get("x", 0)), int(info.get("y", 0)))
            self.last_offset = offset
            offset = rec.end
        self.next_offset = offset
        self.t_ms = max(self.t_ms, t_ms)
        return changed

    def _apply(self, rects: list[EncodedRect]) -> None:
        self._rects_step(rects).paint(self)


#: Encodings decoded on the pool into a scratch buffer (SOLID and COPY are applied in place).
_DECODED = frozenset({Encoding.JPEG, Encoding.WEBP, Encoding.PNG, Encoding.ZLIB})


def _decode_rect(rect: EncodedRect) -> np.ndarray:
    """Decode one rectangle on its own (pool thread): an (h, w, 4) BGRX array."""
    scratch = Framebuffer(rect.w, rect.h)
    scratch.apply((EncodedRect(0, 0, rect.w, rect.h, rect.encoding, rect.data),))
    return scratch.pixels


class _Step:
    """One entry of a replay: areas with their decoded pixels (futures), or rectangles to
    apply in place (SOLID, COPY), painted in order."""

    def __init__(self, parts: list[tuple[Any, Future[np.ndarray] | None]] | None = None) -> None:
        self.parts = parts or []

    def paint(self, playback: Playback) -> None:
        fb = playback.framebuffer
        assert fb is not None
        for area, future in self.parts:
            try:
                if future is None:
                    fb.apply((area,))
                    continue
                pixels = future.result()
                x, y, w, h = (area.x, area.y, area.w, area.h) if isinstance(
                    area, EncodedRect) else area
                if x < 0 or y < 0 or x + w > fb.width or y + h > fb.height:
                    raise DecodeError(f"rect {w}x{h}+{x}+{y} outside the "
                                      f"{fb.width}x{fb.height} screen")
                fb.pixels[y:y + h, x:x + w] = pixels
            except (DecodeError, FormatError) as exc:
                log.warning("recording %s: bad rectangle skipped: %s", playback.reader.path,
                            exc)


_BLANKS: dict[tuple[int, int], np.ndarray] = {}
_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2)),
                                   thread_name_prefix="recording-inflate")
    return _POOL


def blank_framebuffer(width: int, height: int) -> Framebuffer:
    """A black framebuffer; copies a cached blank (Framebuffer's own fill is slow at 1080p)."""
    blank = _BLANKS.get((width, height))
    if blank is None:
        if len(_BLANKS) > 4:
            _BLANKS.clear()
        blank = _BLANKS[(width, height)] = Framebuffer(width, height).pixels
    fb = Framebuffer(1, 1)
    fb.pixels = blank.copy()
    return fb


def _needed(rect: EncodedRect, owned: np.ndarray | None, pins: list[tuple[int, int, int, int]],
            cell: int) -> bool:
    for px, py, pw, ph in pins:
        if rect.x < px + pw and px < rect.x + rect.w and rect.y < py + ph and py < rect.y + rect.h:
            return True
    if owned is None or not len(owned):
        return False
    r0, r1 = rect.y // cell, -(-(rect.y + rect.h) // cell)
    c0, c1 = rect.x // cell, -(-(rect.x + rect.w) // cell)
    rows, cols = owned[:, 0], owned[:, 1]
    return bool(np.any((rows >= r0) & (rows < r1) & (cols >= c0) & (cols < c1)))


def scan_records(data: memoryview, start: int, *, check_hashes: bool) -> ScanResult:
    """Walk records from ``start`` while they are whole (and, optionally, hash-chained)."""
    head = chain_seed(bytes(data[:start]))
    offset, count, last_t = start, 0, 0
    anchors: list[IndexEntry] = []
    last: RecordInfo | None = None
    problem: str | None = None
    altered = False
    size = len(data)
    while offset < size:
        if offset + RECORD_HEAD.size + HASH_SIZE > size:
            problem = "torn record at the end of the file"
            break
        length, rtype, t_ms = RECORD_HEAD.unpack_from(data, offset)
        end = offset + RECORD_HEAD.size + length + HASH_SIZE
        if end > size or length > MAX_PAYLOAD:
            problem = "torn record at the end of the file" if rtype in _RECORD_TYPES \
                else "corrupt record header"
            altered = rtype not in _RECORD_TYPES
            break
        if rtype not in _RECORD_TYPES:
            problem, altered = f"unknown record type {rtype}", True
            break
        stored = bytes(data[end - HASH_SIZE:end])
        if check_hashes:
            digest = chain_hash(head, bytes(data[offset:offset + RECORD_HEAD.size]),
                                data[offset + RECORD_HEAD.size:end - HASH_SIZE])
            if digest != stored:
                problem, altered = "hash mismatch: record altered", True
                break
        head = stored
        rec = RecordInfo(offset, RecordType(rtype), t_ms, length)
        anchor = _anchor_of(data, rec, head)
        if anchor is not None:
            anchors.append(anchor)
        last, count, last_t = rec, count + 1, t_ms
        offset = end
        if rtype == RecordType.FOOTER:
            break
    return ScanResult(count, offset, head, last_t, anchors, last, problem,
                      offset if problem else None, altered)


def _anchor_of(data: memoryview, rec: RecordInfo, head: bytes) -> IndexEntry | None:
    payload = data[rec.payload_offset:rec.payload_offset + rec.length]
    try:
        if rec.type is RecordType.VKEY:
            return IndexEntry(rec.t_ms, AnchorKind.VKEY, rec.offset, rec.offset, head)
        if rec.type is RecordType.KEYFRAME:
            keyframe = Keyframe.unpack(payload)
            return IndexEntry(keyframe.t_ms, AnchorKind.KEYFRAME, rec.offset, keyframe.as_of, head)
    except FormatError:
        return None
    return None


class _EventBuilder:
    """Folds JSON records into timeline events (clicks from button presses, key bursts)."""

    def __init__(self, gap_ms: int) -> None:
        self.gap_ms = gap_ms
        self.events: list[TimelineEvent] = []
        self._buttons = 0
        self._burst: list[int] = []
        self._burst_end = 0
        self._handlers = {
            RecordType.START: self._start,
            RecordType.LAYOUT: self._layout,
            RecordType.CONSENT: self._consent,
            RecordType.CONTROL: self._control,
            RecordType.CHAT: self._chat,
            RecordType.POINTER: self._pointer,
            RecordType.KEY: self._key,
            RecordType.EVENT: self._event,
            RecordType.RECOVERED: self._recovered,
            RecordType.END: self._end,
        }
        self.handled = frozenset(self._handlers)

    def add(self, rec: RecordInfo, obj: dict[str, Any]) -> None:
        handler = self._handlers.get(rec.type)
        if handler is not None:
            handler(rec.t_ms, obj)

    def _mark(self, t_ms: int, kind: str, text: str, data: dict[str, Any]) -> None:
        if kind != "keys":
            self._close_burst()
        self.events.append(TimelineEvent(t_ms, kind, text, data))

    def _start(self, t: int, obj: dict[str, Any]) -> None:
        self._mark(t, "start", "Session started", obj)

    def _layout(self, t: int, obj: dict[str, Any]) -> None:
        self._mark(t, "layout", f"Screen {obj.get('width')}x{obj.get('height')}", obj)

    def _consent(self, t: int, obj: dict[str, Any]) -> None:
        self._mark(t, "consent", f"Consent: {obj.get('level', '?')}", obj)

    def _control(self, t: int, obj: dict[str, Any]) -> None:
        self._mark(t, "control", "Control on" if obj.get("on") else "Control off", obj)

    def _chat(self, t: int, obj: dict[str, Any]) -> None:
        self._mark(t, "chat", f"{obj.get('sender', '?')}: {obj.get('text', '')}", obj)

    def _pointer(self, t: int, obj: dict[str, Any]) -> None:
        buttons = int(obj.get("buttons", 0))
        pressed = buttons & ~self._buttons
        self._buttons = buttons
        if pressed:
            self._mark(t, "click", f"Click at {obj.get('x')},{obj.get('y')}", obj)

    def _key(self, t: int, obj: dict[str, Any]) -> None:
        if not obj.get("down"):
            return
        if self._burst and t - self._burst[-1] > self.gap_ms:
            self._close_burst()
        self._burst.append(t)

    def _close_burst(self) -> None:
        """Key presses less than ``gap_ms`` apart make one "typed N keys" mark. A burst is
        closed before any other mark is added, so marks stay in time order."""
        if self._burst:
            start, n = self._burst[0], len(self._burst)
            self._burst_end = self._burst[-1]
            self._burst = []
            self.events.append(TimelineEvent(start, "keys", f"Typed {n} key{'s' * (n != 1)}",
                                             {"count": n, "end_ms": self._burst_end}))

    def _event(self, t: int, obj: dict[str, Any]) -> None:
        self._mark(t, "event", str(obj.get("text") or obj.get("kind", "event")), obj)

    def _recovered(self, t: int, obj: dict[str, Any]) -> None:
        self._mark(t, "recovered", "Recording recovered after a crash", obj)

    def _end(self, t: int, obj: dict[str, Any]) -> None:
        self._mark(t, "end", f"Session ended ({obj.get('reason', '?')})", obj)

    def finish(self) -> list[TimelineEvent]:
        self._close_burst()
        return self.events
