"""Turn successive screen frames into the rectangles that bring a viewer up to date.

Pipeline per frame (the shape of TigerVNC's EncodeManager, sized for numpy):

1. **Dirty tiles.** The screen is cut into ``tile`` x ``tile`` tiles; a tile is dirty when
   any pixel differs from the last frame sent (exact compare of 32-bit pixels). Callers
   that know where the screen changed (X DAMAGE) pass ``hints`` so only those tiles are
   compared; without hints the whole frame is compared.
2. **Scroll and move.** When a tall block of dirty tiles is the previous content moved up
   or down (scrolling), or a block moved in two dimensions (a dragged window), one COPY
   rectangle moves it on the viewer and only the newly exposed pixels are sent.
3. **Classify** each dirty tile from cheap statistics: one colour -> SOLID; many equal
   neighbouring pixels (text, UI) -> lossless WebP; otherwise (photo, video) -> JPEG
   at the current ``quality``.
4. **Merge** runs of tiles of one class into rectangles, crop small ones to the exact
   changed pixels, and encode them (large JPEG areas in parallel strips; simplejpeg and
   Pillow release the GIL).
5. **Refresh.** Tiles last sent as JPEG are remembered; once they have not changed for
   ``settle_s`` they are re-sent losslessly (``refresh()``), within a byte budget chosen
   by the sender's flow control, so the viewer ends with the exact pixels.

The encoder keeps its own copy of the screen as last sent (``_prev``), which is also the
model of what the viewer will show once lossy tiles are refreshed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from remote.codec import formats
from remote.protocol.encodings import EncodedRect

Rect = tuple[int, int, int, int]

#: Share of equal horizontal neighbours above which a tile is text/UI (lossless).
LOSSLESS_EQ_RATIO = 0.45
#: Rects up to this many pixels are cropped to the exact changed area.
CROP_MAX_AREA = 256 * 256
#: Rects up to this many pixels also try ZLIB and keep whichever is smaller.
TINY_AREA = 48 * 48
#: JPEG rects larger than this are encoded as parallel horizontal strips.
STRIP_MIN_AREA = 512 * 256
#: Scroll detection only for dirty blocks at least this tall (pixels).
SCROLL_MIN_HEIGHT = 128
#: How far (pixels) beyond the changed area a moved window is looked for.
MOVE_REACH = 160
#: Move detection only when the changed area is at most this share of the screen.
MOVE_MAX_SHARE = 0.4


class TileClass(IntEnum):
    CLEAN = 0
    SOLID = 1
    LOSSLESS = 2
    LOSSY = 3


@dataclass(frozen=True, slots=True)
class EncodeStats:
    """What the last ``encode``/``refresh`` call did (for flow control and benchmarks)."""

    dirty_tiles: int
    rects: int
    bytes: int
    lossy_tiles: int
    copy_rects: int
    seconds: float


_EXECUTOR: Executor | None = None


def _executor() -> Executor:
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2)),
                                       thread_name_prefix="tandem-encode")
    return _EXECUTOR


class ScreenEncoder:
    """Encode frames of one fixed-size screen into ``EncodedRect`` lists.

    ``frame`` arguments are (height, width, 4) uint8 arrays in B, G, R, X order (an mss
    grab viewed through numpy); the encoder never keeps a reference to them.
    """

    def __init__(self, width: int, height: int, *, tile: int = 64, quality: int = 70,
                 settle_s: float = 0.3, detect_scroll: bool = True,
                 parallel: bool = True) -> None:
        if width <= 0 or height <= 0:
            raise ValueError(f"screen size {width}x{height}")
        self.width = width
        self.height = height
        self.tile = tile
        self.quality = quality
        self.settle_s = settle_s
        self.detect_scroll = detect_scroll
        self.parallel = parallel
        self.nty = -(-height // tile)
        self.ntx = -(-width // tile)
        self._xs = np.arange(0, width, tile)
        self._prev = np.zeros((height, width, 4), np.uint8)
        self._prev32 = self._prev.view(np.uint32).reshape(height, width)
        self._lossy = np.zeros((self.nty, self.ntx), bool)
        self._changed_at = np.zeros((self.nty, self.ntx), float)
        self._lossy_streak = np.zeros((self.nty, self.ntx), np.int32)
        self._frames = 0
        self._has_frame = False
        self.last_stats = EncodeStats(0, 0, 0, 0, 0, 0.0)

    # -- public API -------------------------------------------------------------------

    def reset(self) -> None:
        """Forget what the viewer has: the next ``encode`` sends the whole screen."""
        self._has_frame = False
        self._lossy[:] = False

    @property
    def has_model(self) -> bool:
        """True once a frame was encoded since the last ``reset``."""
        return self._has_frame

    def model(self) -> np.ndarray:
        """A copy of the screen as the viewer will have it after refreshes."""
        return self._prev.copy()

    @property
    def pending_refresh(self) -> int:
        """Number of tiles the viewer holds lossily (waiting for a lossless refresh)."""
        return int(self._lossy.sum())

    def next_refresh_at(self) -> float | None:
        """Monotonic time at which the earliest lossy tile settles, or None."""
        if not self._lossy.any():
            return None
        return float(self._changed_at[self._lossy].min()) + self.settle_s

    def encode(self, frame: np.ndarray, hints: Iterable[Rect] | None = None,
               now: float | None = None, adopt: bool = False) -> list[EncodedRect]:
        """Rectangles that turn the previous frame into ``frame`` (empty if unchanged).

        ``adopt``: ``frame`` is a fresh, writable buffer the caller will not touch again;
        the encoder keeps it as its model instead of copying the changed tiles (saves an
        8 MB copy per full-screen change). ``model()`` gives the caller a copy back.
        """
        started = time.perf_counter()
        now = time.monotonic() if now is None else now
        if frame.shape != (self.height, self.width, 4):
            raise ValueError(f"frame shape {frame.shape}, encoder is {self.width}x{self.height}")
        frame = np.ascontiguousarray(frame)  # a no-op for an mss grab
        cur32 = frame.view(np.uint32).reshape(self.height, self.width)
        if not self._has_frame:
            candidates = np.ones((self.nty, self.ntx), bool)
            dirty = candidates
            self._has_frame = True
            self._prev32[:] = ~cur32  # make every tile differ from the model
        else:
            candidates = self._candidates(hints)
            dirty = self._dirty_tiles(cur32, candidates)
        classes = self._classify(cur32, dirty)
        copies: list[EncodedRect] = []
        n_dirty = int(dirty.sum())
        # Scrolled content is text or UI: skip the search when most of the change is video.
        if self.detect_scroll and candidates is not dirty and n_dirty >= 6 \
                and (classes == TileClass.LOSSY).sum() < n_dirty // 2:
            copies = self._detect_scroll(cur32, dirty) or self._detect_move(cur32, dirty)
            if copies:
                dirty = self._dirty_tiles(cur32, dirty)
                classes = self._classify(cur32, dirty)
        lossy_now = classes == TileClass.LOSSY
        self._lossy_streak = np.where(lossy_now, self._lossy_streak + 1,
                                      np.where(dirty, 0, self._lossy_streak))
        rects = self._merge(classes, cur32)
        out = copies + self._encode_rects(frame, cur32, rects)
        if adopt and frame.flags.writeable:
            self._prev = frame
            self._prev32 = cur32
            self._changed_at[dirty] = now
            self._lossy[dirty] = classes[dirty] == TileClass.LOSSY
        else:
            self._commit(cur32, dirty, classes, now)
        self.last_stats = EncodeStats(
            dirty_tiles=int(dirty.sum()), rects=len(out), bytes=sum(len(r.data) for r in out),
            lossy_tiles=int((classes == TileClass.LOSSY).sum()), copy_rects=len(copies),
            seconds=time.perf_counter() - started)
        return out

    def refresh(self, budget_bytes: int, now: float | None = None, force: bool = False,
                max_seconds: float = 0.02) -> list[EncodedRect]:
        """Lossless re-sends of settled lossy tiles, up to about ``budget_bytes``.

        Stops after about ``max_seconds`` of encoding so a refresh never delays the next
        interactive update by much. At least one rectangle is sent when any tile is due, so
        progress never stalls. ``force`` ignores ``settle_s``.
        """
        started = time.perf_counter()
        now = time.monotonic() if now is None else now
        due = self._lossy if force else self._lossy & (now - self._changed_at >= self.settle_s)
        out: list[EncodedRect] = []
        spent = 0
        for ty in np.flatnonzero(due.any(axis=1)):
            for tx0, tx1 in _runs(due[ty]):
                x, y = int(tx0) * self.tile, int(ty) * self.tile
                w = min(int(tx1) * self.tile, self.width) - x
                h = min(y + self.tile, self.height) - y
                rect = formats.webp(x, y, self._prev[y:y + h, x:x + w])
                out.append(rect)
                spent += len(rect.data)
                self._lossy[ty, tx0:tx1] = False
                if spent >= budget_bytes or time.perf_counter() - started > max_seconds:
                    break
            if spent >= budget_bytes or time.perf_counter() - started > max_seconds:
                break
        self.last_stats = EncodeStats(0, len(out), spent, 0, 0, time.perf_counter() - started)
        return out

    # -- dirty tiles ------------------------------------------------------------------

    def candidate_tiles(self, hints: Iterable[Rect] | None) -> np.ndarray:
        """The (rows, cols) boolean tile mask that ``hints`` touch (all tiles for None)."""
        return self._candidates(hints)

    def _candidates(self, hints: Iterable[Rect] | None) -> np.ndarray:
        if hints is None:
            return np.ones((self.nty, self.ntx), bool)
        mask = np.zeros((self.nty, self.ntx), bool)
        t = self.tile
        for x, y, w, h in hints:
            x0, y0 = max(x, 0), max(y, 0)
            x1, y1 = min(x + w, self.width), min(y + h, self.height)
            if x1 > x0 and y1 > y0:
                mask[y0 // t:(y1 - 1) // t + 1, x0 // t:(x1 - 1) // t + 1] = True
        return mask

    def _dirty_tiles(self, cur32: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Exact compare of candidate tiles against the model; one numpy pass per band."""
        dirty = np.zeros_like(candidates)
        t = self.tile
        for ty in np.flatnonzero(candidates.any(axis=1)):
            cols = np.flatnonzero(candidates[ty])
            tx0, tx1 = int(cols[0]), int(cols[-1]) + 1
            y0, y1 = int(ty) * t, min((int(ty) + 1) * t, self.height)
            x0, x1 = tx0 * t, min(tx1 * t, self.width)
            starts = self._xs[tx0:tx1] - x0
            # Every 8th row first: a video or a redrawn window shows up there at 1/8 of the
            # cost; only tiles that look unchanged get the full compare.
            sampled = (cur32[y0:y1:8, x0:x1] != self._prev32[y0:y1:8, x0:x1]).any(axis=0)
            row = np.logical_or.reduceat(sampled, starts) & candidates[ty, tx0:tx1]
            rest = candidates[ty, tx0:tx1] & ~row
            if rest.any():
                cols = np.flatnonzero(rest)
                ra, rb = tx0 + int(cols[0]), tx0 + int(cols[-1]) + 1
                xa, xb = ra * t, min(rb * t, self.width)
                changed_cols = (cur32[y0:y1, xa:xb] != self._prev32[y0:y1, xa:xb]).any(axis=0)
                row[ra - tx0:rb - tx0] |= np.logical_or.reduceat(
                    changed_cols, self._xs[ra:rb] - xa) & rest[ra - tx0:rb - tx0]
            dirty[ty, tx0:tx1] = row
        return dirty

    # -- scroll -----------------------------------------------------------------------

    def _detect_scroll(self, cur32: np.ndarray, dirty: np.ndarray) -> list[EncodedRect]:
        """Find one vertical move of the previous content inside the dirty block.

        Rows are hashed over the changed column span; the vertical offset most rows agree
        on is verified exactly, and the longest run of matching rows becomes a COPY, which
        is also applied to the model so the remaining diff only sees the new lines.
        """
        rows_any = dirty.any(axis=1)
        t = self.tile
        best: tuple[int, int, int, int, int, int] | None = None  # area, x0, x1, ya, yb, dy
        for ty0, ty1 in _runs(rows_any):
            y0, y1 = int(ty0) * t, min(int(ty1) * t, self.height)
            if y1 - y0 < SCROLL_MIN_HEIGHT:
                continue
            cols = np.flatnonzero(dirty[ty0:ty1].any(axis=0))
            xa, xb = int(cols[0]) * t, min((int(cols[-1]) + 1) * t, self.width)
            # Changed columns from every 4th row: cheap, and exact enough to trim borders.
            cur = cur32[y0:y1:4, xa:xb]
            prev = self._prev32[y0:y1:4, xa:xb]
            changed = np.flatnonzero((cur != prev).any(axis=0))
            if changed.size == 0:
                continue
            x0, x1 = xa + int(changed[0]), xa + int(changed[-1]) + 1
            found = self._scroll_in(cur32, x0, x1, y0, y1)
            if found is not None:
                ya, yb, dy = found
                area = (x1 - x0) * (yb - ya)
                if best is None or area > best[0]:
                    best = (area, x0, x1, ya, yb, dy)
        if best is None:
            return []
        _, x0, x1, ya, yb, dy = best
        return [self._apply_copy(x0, ya, x1 - x0, yb - ya, x0, ya + dy)]

    def _apply_copy(self, x: int, y: int, w: int, h: int, sx: int, sy: int) -> EncodedRect:
        """A COPY rect, applied to the model exactly as the viewer will apply it."""
        self._prev32[y:y + h, x:x + w] = self._prev32[sy:sy + h, sx:sx + w]  # overlap-safe
        t = self.tile
        # Lossy tiles stay lossy wherever lossy content may have moved to.
        if self._lossy[sy // t:(sy + h - 1) // t + 1, sx // t:(sx + w - 1) // t + 1].any():
            self._lossy[y // t:(y + h - 1) // t + 1, x // t:(x + w - 1) // t + 1] = True
        return formats.copy(x, y, w, h, sx, sy)

    def _detect_move(self, cur32: np.ndarray, dirty: np.ndarray) -> list[EncodedRect]:
        """Find one block of the previous screen moved in two dimensions (a dragged window).

        A few distinctive 24-pixel runs of the changed area are looked up in the previous
        screen near the change (``bytes.find`` over one copy of that region); the offset
        most of them agree on is verified pixel by pixel, and the largest fully equal
        rectangle becomes a COPY.
        """
        t = self.tile
        rows = np.flatnonzero(dirty.any(axis=1))
        cols = np.flatnonzero(dirty.any(axis=0))
        bx0, bx1 = int(cols[0]) * t, min((int(cols[-1]) + 1) * t, self.width)
        by0, by1 = int(rows[0]) * t, min((int(rows[-1]) + 1) * t, self.height)
        if (bx1 - bx0) * (by1 - by0) > MOVE_MAX_SHARE * self.width * self.height:
            return []  # a change this big is a new picture, not a window being dragged
        reach = MOVE_REACH
        sx0, sx1 = max(bx0 - reach, 0), min(bx1 + reach, self.width)
        sy0, sy1 = max(by0 - reach, 0), min(by1 + reach, self.height)
        haystack = self._prev32[sy0:sy1, sx0:sx1].tobytes()  # one contiguous copy
        region_w = sx1 - sx0
        run = 24
        votes: dict[tuple[int, int], int] = {}
        needles = 0
        for y in np.linspace(by0, by1 - 1, 12).astype(int).tolist():
            line = cur32[y, bx0:bx1]
            changed = np.flatnonzero(line != self._prev32[y, bx0:bx1])
            if changed.size < run:
                continue
            x = bx0 + int(changed[changed.size // 2]) - run // 2
            x = min(max(x, bx0), bx1 - run)
            needle = cur32[y, x:x + run]
            if (needle == needle[0]).all():  # a flat run matches anywhere
                continue
            needles += 1
            if needles > 4 and not votes:
                return []  # nothing of the old screen is near: give up early
            data = needle.tobytes()
            at = haystack.find(data)
            found = 0
            while at >= 0 and found < 4:
                if at % 4 == 0:
                    ry, rx = divmod(at // 4, region_w)
                    if rx + run <= region_w:
                        key = (sx0 + rx - x, sy0 + ry - y)
                        votes[key] = votes.get(key, 0) + 1
                        found += 1
                at = haystack.find(data, at + 1)
            if votes and max(votes.values()) >= 3:
                break  # three runs agree: enough to try it
        if not votes:
            return []
        (dx, dy), count = max(votes.items(), key=lambda kv: kv[1])
        if count < 3 or (dx, dy) == (0, 0):
            return []
        # Destination box where the source box (shifted by dx, dy) stays on screen.
        x0, x1 = max(bx0, -dx), min(bx1, self.width - dx)
        y0, y1 = max(by0, -dy), min(by1, self.height - dy)
        if x1 - x0 < t or y1 - y0 < t:
            return []
        eq = cur32[y0:y1, x0:x1] == self._prev32[y0 + dy:y1 + dy, x0 + dx:x1 + dx]
        col_runs = _runs(eq.mean(axis=0) >= 0.5)
        if not col_runs:
            return []
        c0, c1 = max(col_runs, key=lambda r: r[1] - r[0])
        row_runs = _runs(eq[:, c0:c1].all(axis=1))
        if not row_runs:
            return []
        r0, r1 = max(row_runs, key=lambda r: r[1] - r[0])
        if (c1 - c0) < t or (r1 - r0) < t:
            return []
        return [self._apply_copy(x0 + c0, y0 + r0, c1 - c0, r1 - r0, x0 + c0 + dx,
                                 y0 + r0 + dy)]

    def _scroll_in(self, cur32: np.ndarray, x0: int, x1: int, y0: int,
                   y1: int) -> tuple[int, int, int] | None:
        step = max(1, (x1 - x0) // 64)
        weights = _row_weights(len(range(x0, x1, step)))
        cur_sig = cur32[y0:y1, x0:x1:step].astype(np.uint64) @ weights
        prev_sig = self._prev32[y0:y1, x0:x1:step].astype(np.uint64) @ weights
        values, first, counts = np.unique(prev_sig, return_index=True, return_counts=True)
        unique_rows = {int(v): int(i) for v, i, c in zip(values, first, counts, strict=True)
                       if c == 1}
        votes: dict[int, int] = {}
        for y, sig in enumerate(cur_sig.tolist()):
            src = unique_rows.get(sig)
            if src is not None and src != y:
                votes[src - y] = votes.get(src - y, 0) + 1
        if not votes:
            return None
        dy, count = max(votes.items(), key=lambda kv: kv[1])
        if count < 8:
            return None
        # Rows ya..yb of the new frame equal rows ya+dy..yb+dy of the model.
        ya, yb = (y0, y1 - dy) if dy > 0 else (y0 - dy, y1)
        match = (cur32[ya:yb, x0:x1] == self._prev32[ya + dy:yb + dy, x0:x1]).all(axis=1)
        runs = _runs(match)
        if not runs:
            return None
        r0, r1 = max(runs, key=lambda r: r[1] - r[0])
        if r1 - r0 < SCROLL_MIN_HEIGHT // 2:
            return None
        return ya + int(r0), ya + int(r1), dy

    # -- classify, merge, encode --------------------------------------------------------

    def _classify(self, cur32: np.ndarray, dirty: np.ndarray) -> np.ndarray:
        """SOLID / LOSSLESS / LOSSY per dirty tile, from every 4th row's neighbour equality.

        A LOSSLESS tile between LOSSY ones (a smooth patch inside a video) joins them, so
        the video goes out as a few large JPEG rectangles instead of a patchwork.
        """
        classes = np.zeros(dirty.shape, np.uint8)
        t = self.tile
        self._frames += 1
        recheck = self._frames % 8 == 0
        for ty in np.flatnonzero(dirty.any(axis=1)):
            cols = np.flatnonzero(dirty[ty])
            tx0, tx1 = int(cols[0]), int(cols[-1]) + 1
            if not recheck and (self._lossy_streak[ty, cols] >= 3).all():
                # Video keeps being video: skip the statistics, re-check every 8th frame.
                classes[ty, cols] = TileClass.LOSSY
                continue
            y0, y1 = int(ty) * t, min((int(ty) + 1) * t, self.height)
            x0, x1 = tx0 * t, min(tx1 * t, self.width)
            band = cur32[y0:y1:4, x0:x1]
            starts = self._xs[tx0:tx1] - x0
            eq_cols = np.count_nonzero(band[:, 1:] == band[:, :-1], axis=0)
            eq = np.add.reduceat(np.append(eq_cols, 0), starts)
            widths = np.diff(np.append(starts, x1 - x0))
            ratio = eq / ((widths - 1).clip(min=1) * band.shape[0])
            row = np.where(ratio >= LOSSLESS_EQ_RATIO, TileClass.LOSSLESS, TileClass.LOSSY)
            for i in np.flatnonzero(ratio >= 0.99):
                tx = tx0 + int(i)
                tile = cur32[y0:y1, tx * t:min((tx + 1) * t, self.width)]
                if int(tile.min()) == int(tile.max()):
                    row[i] = TileClass.SOLID
            row = np.where(dirty[ty, tx0:tx1], row, TileClass.CLEAN)
            lossy = row == TileClass.LOSSY
            if lossy.sum() >= 2:
                left = np.concatenate(([True], lossy[:-1]))
                right = np.concatenate((lossy[1:], [True]))
                row = np.where((row == TileClass.LOSSLESS) & left & right, TileClass.LOSSY, row)
            classes[ty, tx0:tx1] = row
        return classes

    def _merge(self, classes: np.ndarray, cur32: np.ndarray) -> list[tuple[Rect, int, int]]:
        """Merge tiles into (rect, class, colour) runs: horizontally, then equal spans down."""
        t = self.tile
        open_rects: dict[tuple[int, int, int, int], list[int]] = {}  # key -> [ty0, ty1]
        done: list[tuple[Rect, int, int]] = []
        for ty in range(self.nty):
            row = classes[ty]
            keys: set[tuple[int, int, int, int]] = set()
            if row.any():
                y = ty * t
                tx = 0
                while tx < self.ntx:
                    cls = int(row[tx])
                    if cls == TileClass.CLEAN:
                        tx += 1
                        continue
                    colour = int(cur32[y, tx * t]) if cls == TileClass.SOLID else -1
                    end = tx + 1
                    while end < self.ntx and row[end] == cls and (
                            cls != TileClass.SOLID or int(cur32[y, end * t]) == colour):
                        end += 1
                    keys.add((tx, end, cls, colour))
                    tx = end
            for key in list(open_rects):
                if key in keys and open_rects[key][1] == ty:
                    open_rects[key][1] = ty + 1
                    keys.discard(key)
                else:
                    done.append(self._tile_rect(key, open_rects.pop(key)))
            for key in keys:
                open_rects[key] = [ty, ty + 1]
        done.extend(self._tile_rect(key, span) for key, span in open_rects.items())
        return done

    def _tile_rect(self, key: tuple[int, int, int, int],
                   span: list[int]) -> tuple[Rect, int, int]:
        tx0, tx1, cls, colour = key
        t = self.tile
        x, y = tx0 * t, span[0] * t
        w = min(tx1 * t, self.width) - x
        h = min(span[1] * t, self.height) - y
        return (x, y, w, h), cls, colour

    def _crop(self, cur32: np.ndarray, rect: Rect) -> Rect:
        x, y, w, h = rect
        if w * h > CROP_MAX_AREA:
            return rect
        diff = cur32[y:y + h, x:x + w] != self._prev32[y:y + h, x:x + w]
        rows = np.flatnonzero(diff.any(axis=1))
        cols = np.flatnonzero(diff.any(axis=0))
        if rows.size == 0:
            return rect
        return (x + int(cols[0]), y + int(rows[0]), int(cols[-1] - cols[0]) + 1,
                int(rows[-1] - rows[0]) + 1)

    def _encode_rects(self, frame: np.ndarray, cur32: np.ndarray,
                      rects: Sequence[tuple[Rect, int, int]]) -> list[EncodedRect]:
        jobs: list[tuple[int, Rect, int]] = []
        for rect, cls, _ in rects:
            if cls == TileClass.SOLID:
                jobs.append((cls, rect, 0))
                continue
            if cls == TileClass.LOSSLESS:
                rect = self._crop(cur32, rect)
            jobs.extend((cls, strip, 0) for strip in self._strips(rect, cls))
        quality = self.quality
        if self.parallel and len(jobs) > 1 and sum(r[2] * r[3] for _, r, _ in jobs) > 128 * 128:
            return list(_executor().map(lambda j: _encode_one(frame, j[0], j[1], quality), jobs))
        return [_encode_one(frame, cls, rect, quality) for cls, rect, _ in jobs]

    def _strips(self, rect: Rect, cls: int) -> list[Rect]:
        x, y, w, h = rect
        if cls != TileClass.LOSSY or w * h < STRIP_MIN_AREA or not self.parallel:
            return [rect]
        parts = 2 if w * h < 4 * STRIP_MIN_AREA else 4
        step = max(self.tile, -(-h // parts) // 16 * 16)
        return [(x, sy, w, min(step, y + h - sy)) for sy in range(y, y + h, step)]

    def _commit(self, cur32: np.ndarray, dirty: np.ndarray, classes: np.ndarray,
                now: float) -> None:
        t = self.tile
        for ty in np.flatnonzero(dirty.any(axis=1)):
            for tx0, tx1 in _runs(dirty[ty]):
                y0, y1 = int(ty) * t, min((int(ty) + 1) * t, self.height)
                x0, x1 = int(tx0) * t, min(int(tx1) * t, self.width)
                self._prev32[y0:y1, x0:x1] = cur32[y0:y1, x0:x1]
        self._changed_at[dirty] = now
        self._lossy[dirty] = classes[dirty] == TileClass.LOSSY


def _encode_one(frame: np.ndarray, cls: int, rect: Rect, quality: int) -> EncodedRect:
    x, y, w, h = rect
    block = frame[y:y + h, x:x + w]
    if cls == TileClass.SOLID:
        return formats.solid(x, y, block)
    if cls == TileClass.LOSSY:
        return formats.jpeg(x, y, block, quality)
    encoded = formats.webp(x, y, block)
    if w * h <= TINY_AREA:
        packed = formats.zlib_raw(x, y, block, 6)
        if len(packed.data) < len(encoded.data):
            return packed
    return encoded


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs of a 1-d boolean array."""
    padded = np.concatenate(([False], mask.astype(bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


_WEIGHTS: dict[int, np.ndarray] = {}


def _row_weights(n: int) -> np.ndarray:
    """Fixed odd 64-bit multipliers for a cheap row hash (wrapping arithmetic)."""
    weights = _WEIGHTS.get(n)
    if weights is None:
        rng = np.random.default_rng(0x7A4DE3)
        weights = rng.integers(1, 2**62, size=n, dtype=np.uint64) | np.uint64(1)
        _WEIGHTS[n] = weights
    return weights
