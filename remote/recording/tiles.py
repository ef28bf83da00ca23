"""Virtual keyframes: which records currently paint each part of the screen.

The writer never decodes pixels. It only reads each rectangle's geometry and keeps, for
every 16x16 cell of the screen, the offsets of the records whose pixels are still visible
there (newest first, at most ``DEPTH``), with a 256-bit mask of the pixels each still
shows: a rectangle covering the cell resets its stack; a partial one goes on top and
removes the entries whose pixels it hides entirely (a blinking cursor or typing stays a
short stack). A COPY rectangle reads pixels that earlier records painted at
its source, so those records are "pinned" to the source area until the next composite
keyframe. A virtual keyframe stores this map; a player replays only the pinned records
and, of the others, only the rectangles over cells they still own.

When a stack overflows or too many records are pinned, the map cannot stand alone
(``complete`` is False) until the writer adds a composite keyframe, which replaces every
entry it covers.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from remote.protocol.encodings import EncodedRect, Encoding

CELL = 16
DEPTH = 6
PIN_CAP = 4096
#: A COPY moves pixels about this many times faster than a rectangle decodes (replay cost).
COPY_COST_DIVISOR = 10
#: Pixel coverage of one cell as a 256-bit integer (bit 16*row + col).
ALL = (1 << (CELL * CELL)) - 1
_ROW_REPEAT = [[sum(1 << (CELL * i) for i in range(a, b)) for b in range(CELL + 1)]
               for a in range(CELL + 1)]


def _mask(x0: int, y0: int, x1: int, y1: int) -> int:
    """Bits of the cell-local pixels [x0, x1) x [y0, y1), clipped to the cell."""
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, CELL), min(y1, CELL)
    if x1 <= x0 or y1 <= y0:
        return 0
    return (((1 << (x1 - x0)) - 1) << x0) * _ROW_REPEAT[y0][y1]

VK_HEAD = struct.Struct(">QHHHBBIIii")  # ... cursor x, y (-1: unknown)
PIN = struct.Struct(">IHHHH")
Region = tuple[int, int, int, int]


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


class TileTracker:
    """Cell ownership for one recording, fed with each frame record's rectangles."""

    def __init__(self) -> None:
        self.layout_offset = -1
        self.width = 0
        self.height = 0
        self.owners = np.full((0, 0, DEPTH), -1, dtype=np.int64)
        self.masks = np.zeros((0, 0, DEPTH), dtype=object)
        self.pinned: dict[int, list[Region]] = {}
        self._pin_count = 0
        self.overflow_at = -1
        self.positions: dict[int, int] = {}  # composite keyframe offset -> as_of
        self.areas: dict[int, int] = {}  # frame record offset -> replay cost in pixels
        self.cursor: tuple[int, int] = (-1, -1)  # last known pointer position

    @property
    def ready(self) -> bool:
        return self.layout_offset >= 0

    @property
    def complete(self) -> bool:
        return self.ready and self.overflow_at < 0

    def layout(self, offset: int, width: int, height: int) -> None:
        """A new screen layout: the screen starts black, nothing paints it yet."""
        self.layout_offset = offset
        self.width, self.height = width, height
        shape = (_ceil_div(height, CELL), _ceil_div(width, CELL), DEPTH)
        self.owners = np.full(shape, -1, dtype=np.int64)
        self.masks = np.zeros(shape, dtype=object)  # visible pixels of each stack entry
        self.pinned.clear()
        self._pin_count = 0
        self.overflow_at = -1
        self.areas.clear()

    def paint(self, offset: int, rects: Iterable[EncodedRect]) -> None:
        """Record that the frame record at ``offset`` painted ``rects`` (geometry only)."""
        if not self.ready:
            return
        area = 0
        for rect in rects:
            if rect.w <= 0 or rect.h <= 0 or rect.x < 0 or rect.y < 0 \
                    or rect.x + rect.w > self.width or rect.y + rect.h > self.height:
                continue  # the decoder rejects it too; it paints nothing
            if rect.encoding is Encoding.COPY and len(rect.data) == 4:
                sx, sy = struct.unpack(">HH", rect.data)
                self._pin_source(offset, (sx, sy, rect.w, rect.h))
                area += rect.w * rect.h // COPY_COST_DIVISOR
            else:
                area += rect.w * rect.h
            self._cover(offset, rect.x, rect.y, rect.w, rect.h)
        self.areas[offset] = area

    def _pin_source(self, offset: int, src: Region) -> None:
        sx, sy, w, h = src
        if sx + w > self.width or sy + h > self.height:
            return
        cells = self.owners[sy // CELL:_ceil_div(sy + h, CELL), sx // CELL:_ceil_div(sx + w, CELL)]
        for owner in np.unique(cells[cells >= 0]).tolist():
            self.pinned.setdefault(owner, []).append(src)
            self._pin_count += 1
        if self._pin_count > PIN_CAP:
            self.overflow_at = offset

    def _cover(self, offset: int, x: int, y: int, w: int, h: int) -> None:
        rows, cols = self.owners.shape[:2]
        tx0, ty0 = x // CELL, y // CELL
        tx1, ty1 = _ceil_div(x + w, CELL), _ceil_div(y + h, CELL)
        fx0, fy0 = _ceil_div(x, CELL), _ceil_div(y, CELL)
        fx1 = cols if x + w >= self.width else (x + w) // CELL
        fy1 = rows if y + h >= self.height else (y + h) // CELL
        if fx1 > fx0 and fy1 > fy0:
            self.owners[fy0:fy1, fx0:fx1, 0] = offset
            self.owners[fy0:fy1, fx0:fx1, 1:] = -1
            self.masks[fy0:fy1, fx0:fx1, 0] = ALL
        for r in range(ty0, ty1):
            inner_row = fy0 <= r < fy1
            for c in range(tx0, tx1):
                if inner_row and fx0 <= c < fx1:
                    continue
                self._cover_part(offset, r, c, x, y, w, h)

    def _cover_part(self, offset: int, r: int, c: int, x: int, y: int, w: int, h: int) -> None:
        """A rectangle covers part of cell (r, c): drop stack entries it hides entirely."""
        cx, cy = c * CELL, r * CELL
        painted = _mask(x - cx, y - cy, x + w - cx, y + h - cy)
        outside = ALL & ~_mask(0, 0, self.width - cx, self.height - cy)
        stack = [(offset, painted)]
        covered = painted | outside
        for o, m in zip(self.owners[r, c].tolist(), self.masks[r, c].tolist(), strict=True):
            if o < 0:
                break
            if o == offset:
                stack[0] = (offset, painted | m)
                covered |= m
                continue
            visible = m & ~covered
            if visible:
                stack.append((o, visible))
                covered |= visible
        if len(stack) > DEPTH:
            self.overflow_at = offset
            stack = stack[:DEPTH]
        for i in range(DEPTH):
            o, m = stack[i] if i < len(stack) else (-1, 0)
            self.owners[r, c, i] = o
            self.masks[r, c, i] = m

    def composite(self, offset: int, as_of: int) -> None:
        """A composite keyframe at ``offset`` shows the screen after record ``as_of``."""
        self.positions[offset] = as_of
        if as_of < self.layout_offset:
            return  # the screen was re-laid out since; the keyframe paints nothing now
        old = (self.owners >= 0) & (self.owners <= as_of)
        older = np.zeros_like(old)
        older[..., 1:] = old[..., :-1]
        first = old & ~older
        self.owners[first] = offset
        self.masks[first] = ALL
        self.owners[old & older] = -1
        self.masks[old & older] = 0
        for o in [o for o in self.areas if o <= as_of]:
            del self.areas[o]
        # Pins up to as_of become pins of the keyframe over the same areas: a later COPY
        # still reads them, and the keyframe holds their pixels as of as_of.
        regions: set[Region] = set()
        for o in [o for o in self.pinned if o <= as_of]:
            stale = self.pinned.pop(o)
            self._pin_count -= len(stale)
            regions.update(stale)
        if regions:
            self.pinned.setdefault(offset, []).extend(sorted(regions))
            self._pin_count += len(regions)
        if self.overflow_at <= as_of:
            self.overflow_at = -1

    def replay_cost(self) -> tuple[float, int]:
        """What a player decodes to rebuild the screen from a virtual keyframe now:
        (frame-record pixels in screens, number of records).

        Big rectangles that still own a few cells are decoded whole, and every record costs
        a parse; when either grows, a composite keyframe makes seeking cheap again.
        """
        if not self.ready:
            return 0.0, 0
        owners = set(np.unique(self.owners[self.owners >= 0]).tolist()) | set(self.pinned)
        pixels = sum(self.areas.get(o, 0) for o in owners)
        return pixels / (self.width * self.height), len(owners)

    def snapshot(self) -> bytes:
        """The virtual keyframe payload for the current state."""
        used = self.owners[self.owners >= 0]
        entries = np.union1d(np.unique(used), np.fromiter(self.pinned, dtype=np.int64))
        positions = np.array([self.positions.get(int(o), int(o)) for o in entries], dtype=">u8")
        idx = np.full(self.owners.shape, -1, dtype=">i4")
        mask = self.owners >= 0
        idx[mask] = np.searchsorted(entries, self.owners[mask])
        pins = b"".join(PIN.pack(int(np.searchsorted(entries, o)), *r)
                        for o, regions in self.pinned.items() for r in regions)
        body = entries.astype(">u8").tobytes() + positions.tobytes() + idx.tobytes() + pins
        head = VK_HEAD.pack(self.layout_offset, self.width, self.height, CELL, DEPTH,
                            int(self.complete), len(entries), self._pin_count, *self.cursor)
        return head + zlib.compress(body, 1)


@dataclass(frozen=True, slots=True)
class VirtualKeyframe:
    """A parsed virtual keyframe: what to replay, in which order, over which cells."""

    layout_offset: int
    width: int
    height: int
    cell: int
    complete: bool
    entries: np.ndarray  # record offsets, ascending
    positions: np.ndarray  # replay position of each entry
    owners: np.ndarray  # (rows, cols, depth) entry index or -1
    pins: list[tuple[int, Region]]
    cursor: tuple[int, int] | None = None

    @classmethod
    def unpack(cls, data: bytes | memoryview) -> VirtualKeyframe:
        from remote.recording.format import FormatError

        if len(data) < VK_HEAD.size:
            raise FormatError("virtual keyframe too short")
        layout, w, h, cell, depth, complete, n, n_pins, cx, cy = VK_HEAD.unpack_from(data, 0)
        try:
            body = zlib.decompress(memoryview(data)[VK_HEAD.size:])
        except zlib.error as exc:
            raise FormatError(f"virtual keyframe is corrupt: {exc}") from exc
        rows, cols = _ceil_div(h, max(cell, 1)), _ceil_div(w, max(cell, 1))
        sizes = (n * 8, n * 8, rows * cols * depth * 4, n_pins * PIN.size)
        if cell == 0 or sum(sizes) != len(body):
            raise FormatError("virtual keyframe has the wrong size")
        pos = 0
        arrays = []
        for size, dtype in zip(sizes[:3], (">u8", ">u8", ">i4"), strict=True):
            arrays.append(np.frombuffer(body, dtype=dtype, count=size // np.dtype(dtype).itemsize,
                                        offset=pos))
            pos += size
        pins = [(i, (x, y, pw, ph)) for i, x, y, pw, ph in PIN.iter_unpack(body[pos:])]
        owners = arrays[2].astype(np.int32).reshape(rows, cols, depth)
        return cls(layout, w, h, cell, bool(complete), arrays[0].astype(np.int64),
                   arrays[1].astype(np.int64), owners, pins,
                   (cx, cy) if cx >= 0 and cy >= 0 else None)

    def replay_order(self) -> list[int]:
        """Entry indices sorted by replay position."""
        return np.argsort(self.positions, kind="stable").tolist()

    def cells_of(self) -> dict[int, np.ndarray]:
        """For each entry index, the (row, col) cells it still owns, as an (n, 2) array."""
        rows, cols, depth = self.owners.shape
        flat = self.owners.reshape(-1)
        where = np.nonzero(flat >= 0)[0]
        owner = flat[where]
        cell_index = where // depth
        order = np.argsort(owner, kind="stable")
        owner, cell_index = owner[order], cell_index[order]
        splits = np.nonzero(np.diff(owner))[0] + 1
        result: dict[int, np.ndarray] = {}
        for group_owner, group_cells in zip(np.split(owner, splits), np.split(cell_index, splits),
                                            strict=True):
            if len(group_owner):
                result[int(group_owner[0])] = np.stack(
                    (group_cells // cols, group_cells % cols), axis=1)
        return result
