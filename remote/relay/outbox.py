"""Per-connection bounded send queue: a slow peer never blocks the sender of a message.

The relay ``put``s without waiting; one task per connection sends. Screen updates and pointer
motion coalesce with the queued tail (the newest state wins, never a queue of stale frames);
control messages are never dropped. A peer whose queue overflows ``max_bytes``, or whose
socket accepts nothing for ``stall_timeout_s``, is closed with ``Error(STALLED)``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from remote.protocol import messages as m
from remote.protocol.codec import FRAME_HEADER, RECT_HEADER, encode
from remote.protocol.connection import ProtocolUsageError
from remote.protocol.encodings import EncodedRect, Encoding
from remote.protocol.messages import ByeReason, ErrorCode
from remote.transport import MessageSocket

log = logging.getLogger(__name__)

FRAME_OVERHEAD = 1 + FRAME_HEADER.size
#: A merged FrameUpdate with more rectangles than this means the peer is hopelessly behind.
MAX_MERGED_RECTS = 1024

Item = tuple[Any, bytes | None]  # (message, its bytes; None until encoded at send time)


def _contains(outer: EncodedRect, inner: EncodedRect) -> bool:
    return (outer.x <= inner.x and outer.y <= inner.y and inner.x + inner.w <= outer.x + outer.w
            and inner.y + inner.h <= outer.y + outer.h)


def _copy_source_overlaps(copy: EncodedRect, r: EncodedRect) -> bool:
    sx = int.from_bytes(copy.data[0:2], "big")
    sy = int.from_bytes(copy.data[2:4], "big")
    return sx < r.x + r.w and r.x < sx + copy.w and sy < r.y + r.h and r.y < sy + copy.h


def merge_frames(old: m.FrameUpdate, new: m.FrameUpdate) -> m.FrameUpdate:
    """One FrameUpdate that paints what ``old`` then ``new`` paint, with ``new``'s seq.

    A rect of ``old`` is dropped when a later non-COPY rect of ``new`` covers it entirely and
    no COPY in between (later in ``old``, or in ``new`` before the covering rect) reads from
    it. Pixels are never decoded.
    """
    if new.full:
        return new
    kept = []
    old_copies = [(i, c) for i, c in enumerate(old.rects) if c.encoding is Encoding.COPY]
    for i, r in enumerate(old.rects):
        covered = False
        if not any(j > i and _copy_source_overlaps(c, r) for j, c in old_copies):
            for later in new.rects:
                if later.encoding is Encoding.COPY:
                    if _copy_source_overlaps(later, r):
                        break  # a COPY reads r's pixels before anything covers them
                    continue
                if _contains(later, r):
                    covered = True
                    break
        if not covered:
            kept.append(r)
    return m.FrameUpdate(new.seq, tuple(kept) + new.rects, full=old.full)


def _merge_frame_items(tail: Item, new: Item) -> Item | None:
    merged = merge_frames(tail[0], new[0])
    if len(merged.rects) > MAX_MERGED_RECTS:
        return None
    return merged, None  # encoded only if it is still the newest when its turn comes


def _size(item: Item) -> int:
    msg, raw = item
    if raw is not None:
        return len(raw)
    return FRAME_OVERHEAD + sum(RECT_HEADER.size + len(r.data) for r in msg.rects)


def _replace_same_kind(tail: Item, new: Item) -> Item | None:
    return new


def _merge_pointer(tail: Item, new: Item) -> Item | None:
    # Motion with the same buttons held replaces the queued motion; button changes never merge.
    return new if tail[0].buttons == new[0].buttons else None


_COALESCE: dict[type, Callable[[Item, Item], Item | None]] = {
    m.FrameUpdate: _merge_frame_items,
    m.CursorPos: _replace_same_kind,
    m.PointerEvent: _merge_pointer,
}


class Stalled(Exception):
    pass


class Outbox:
    """The queue and sender task of one relay connection."""

    def __init__(self, sock: MessageSocket, *, max_bytes: int, stall_timeout_s: float,
                 name: str = "") -> None:
        self.sock = sock
        self.max_bytes = max_bytes
        self.stall_timeout_s = stall_timeout_s
        self.name = name or sock.peer
        self._items: deque[Item] = deque()
        self._bytes = 0
        self._wake = asyncio.Event()
        self._finish: tuple[ByeReason, str] | None = None
        self._stalled = False
        self.merged = 0  # how many messages were merged into a queued one (stats)
        self.done = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=f"outbox {self.name}")

    @property
    def queued_bytes(self) -> int:
        return self._bytes

    @property
    def closing(self) -> bool:
        return self._finish is not None or self._stalled or self.sock.closed

    def put(self, msg: Any, raw: bytes | None = None) -> None:
        """Queue ``msg`` for sending; never waits. Ignored once the outbox is closing."""
        if self.closing:
            return
        item: Item = (msg, raw if raw is not None else encode(msg))
        merge = _COALESCE.get(type(msg))
        if merge is not None and self._items and type(self._items[-1][0]) is type(msg):
            merged = merge(self._items[-1], item)
            if merged is not None:
                self._bytes -= _size(self._items.pop())
                item = merged
                self.merged += 1
        self._items.append(item)
        self._bytes += _size(item)
        if self._bytes > self.max_bytes:
            self._stall(f"{self._bytes} bytes queued for a peer that does not read")
        self._wake.set()

    def finish(self, reason: ByeReason = ByeReason.NORMAL, text: str = "") -> None:
        """Send what is queued, then Bye, then close the socket."""
        if self._finish is None:
            self._finish = (reason, text)
            self._wake.set()

    async def wait_closed(self) -> None:
        await self.done.wait()

    def cancel(self) -> None:
        self._task.cancel()

    def _stall(self, text: str) -> None:
        if not self._stalled:
            log.warning("closing stalled peer %s: %s", self.name, text)
            self._stalled = True
            self._items.clear()
            self._bytes = 0
            self._wake.set()

    async def _run(self) -> None:
        try:
            await self._send_loop()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("outbox of %s failed", self.name)
        finally:
            self.done.set()

    async def _send_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._items and not self._stalled:
                item = self._items.popleft()
                self._bytes -= _size(item)
                msg, raw = item
                try:
                    await asyncio.wait_for(self.sock.send(msg, raw), self.stall_timeout_s)
                except TimeoutError:
                    self._stall(f"nothing sent for {self.stall_timeout_s} s")
                except ProtocolUsageError:
                    if self.sock.closed:
                        return  # the connection closed under us (peer error or Bye)
                    log.exception("dropped a %s the protocol forbids now", type(msg).__name__)
            if self._stalled:
                await self._close_stalled()
                return
            if self._finish is not None:
                reason, text = self._finish
                try:
                    await asyncio.wait_for(self.sock.close(reason, text), self.stall_timeout_s)
                except TimeoutError:
                    self.sock.ws.transport.abort()
                return
            if self.sock.closed:
                return

    async def _close_stalled(self) -> None:
        self.sock.conn.fail(ErrorCode.STALLED, "stopped reading; closed so the session goes on")
        self.sock.conn.events_received()
        try:
            await asyncio.wait_for(self.sock.flush(), 1.0)
        except Exception:  # TimeoutError included: the peer is not reading, abort below
            pass
        transport = getattr(self.sock.ws, "transport", None)
        if transport is not None:
            transport.abort()
