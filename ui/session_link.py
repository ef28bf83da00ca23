"""The console's side of one session: the viewer connection to the hub's relay, on the worker.

The websocket, the sans-I/O ``remote.protocol.Connection`` and the decoder's ``Framebuffer``
all live on the worker's asyncio loop. Each ``FrameUpdate`` is decoded there (simplejpeg and
Pillow release the GIL); only the changed rectangles are copied out and handed to the GUI as
``Tile``s through a queued signal. The GUI composes them and calls ``ack(seq)``, which is
when the ``FrameAck`` goes out, so the assist's flow control follows what is on screen.
Input, chat, clipboard and monitor choice go the other way through ``send()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from remote.codec.decoder import DecodeError, Framebuffer
from remote.protocol import messages as p
from remote.protocol.connection import Connection, ErrorEvent
from ui.screen_view import tiles_from_framebuffer
from ui.worker import Worker

log = logging.getLogger(__name__)

PING_INTERVAL_S = 2.0
STATS_INTERVAL_S = 1.0

BYE_TEXTS: dict[p.ByeReason, str] = {
    p.ByeReason.NORMAL: "The session ended.",
    p.ByeReason.ENDED_BY_CUSTOMER: "The customer ended the session.",
    p.ByeReason.ENDED_BY_AGENT: "You ended the session.",
    p.ByeReason.PEER_LOST: "The customer's connection was lost.",
    p.ByeReason.REFUSED: "The hub refused to join this session.",
    p.ByeReason.SHUTDOWN: "The hub is shutting down.",
    p.ByeReason.STALLED: "The connection stalled.",
    p.ByeReason.TIMEOUT: "The connection timed out.",
}


def monitor_name(index: int, monitor: p.Monitor) -> str:
    primary = " ★" if monitor.primary else ""
    return f"Monitor {index + 1}{primary} · {monitor.width}×{monitor.height}"


class SessionLink(QObject):
    """A live session's viewer connection; all network and decoding work on the worker.

    Signals:
        admitted(str): the session id the relay admitted this viewer into.
        layout_changed(int, int, list, int): width, height, monitor names, chosen index.
        frame_ready(int, list): a frame's seq and its decoded ``Tile``s.
        consent_changed(str): ``none``, ``view`` or ``control``.
        chat_received(str, str): sender and text.
        clipboard_received(str): text the customer copied.
        cursor_moved(int, int): the customer's pointer position.
        peer_changed(str, bool): a party's role and whether it is connected.
        quality(float, float, object): frames per second, KB/s, round trip in ms or None.
        closed(str): why the connection ended (a sentence for the banner).
    """

    admitted = Signal(str)
    layout_changed = Signal(int, int, list, int)
    frame_ready = Signal(int, list)
    consent_changed = Signal(str)
    chat_received = Signal(str, str)
    clipboard_received = Signal(str)
    cursor_moved = Signal(int, int)
    peer_changed = Signal(str, bool)
    quality = Signal(float, float, object)
    closed = Signal(str)

    def __init__(self, worker: Worker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._task: asyncio.Future[None] | None = None
        self._ws: ClientConnection | None = None
        self._conn: Connection | None = None
        self._fb: Framebuffer | None = None
        self._outbox: asyncio.Queue[bytes] | None = None
        self._frames = 0
        self._bytes = 0
        self._rtt_ms: float | None = None
        self._ping_sent: dict[int, float] = {}
        self._nonces = itertools.count(1)
        self.live = False
        self.consent = "waiting"
        self.ended_reason = ""
        self._handlers: dict[type, Callable[[Any], None]] = {
            p.Hello: self._on_hello,
            p.Admitted: self._on_admitted,
            p.Consent: self._on_consent,
            p.ScreenLayout: self._on_layout,
            p.FrameUpdate: self._on_frame,
            p.CursorPos: lambda msg: self.cursor_moved.emit(msg.x, msg.y),
            p.ChatLine: lambda msg: self.chat_received.emit(msg.sender, msg.text),
            p.ClipboardText: lambda msg: self.clipboard_received.emit(msg.text),
            p.PeerStatus: lambda msg: self.peer_changed.emit(str(msg.role), msg.connected),
            p.Ping: lambda msg: self._send_now(p.Pong(msg.nonce)),
            p.Pong: self._on_pong,
            p.Bye: self._on_bye,
            p.Error: lambda msg: log.warning("relay error %s: %s", msg.code, msg.text),
            ErrorEvent: lambda ev: log.warning("protocol error %s: %s", ev.code, ev.text),
        }

    # --- GUI-thread API ---------------------------------------------------------------------

    def open(self, url: str, token: str) -> None:
        """Join the session at ``url`` with the viewer ``token`` from ``Accepted``."""
        self.close()
        self.live = True
        self.consent = "waiting"
        self.ended_reason = ""
        self._task = self._worker.submit(self._run(url, token))

    def close(self) -> None:
        """Leave the session (Bye to the relay) without waiting for the worker."""
        if self._task is not None and not self._task.done():
            self._worker.call_soon(self._leave)
        self._task = None
        self.live = False

    def send(self, msg: Any) -> None:
        """Queue a protocol message (input, chat, clipboard, monitor choice) for the relay."""
        if self.live:
            self._worker.call_soon(self._send_now, msg)

    def pointer(self, x: int, y: int, buttons: int) -> None:
        if self.consent == "control":
            self.send(p.PointerEvent(x, y, buttons))

    def key(self, keysym: int, down: bool) -> None:
        if self.consent == "control":
            self.send(p.KeyEvent(keysym, down))

    def ack(self, seq: int) -> None:
        self.send(p.FrameAck(seq))

    # --- worker side --------------------------------------------------------------------------

    async def _run(self, url: str, token: str) -> None:
        reason = "The connection to the session closed."
        conn = Connection(p.Role.VIEWER, software="tandem-console")
        self._conn = conn
        self._outbox = asyncio.Queue()
        self._token = token
        try:
            async with connect(url, max_size=None, proxy=None, compression=None,
                               open_timeout=10) as ws:
                self._ws = ws
                conn.start()
                self._flush()
                writer = asyncio.create_task(self._write(ws))
                ticker = asyncio.create_task(self._tick())
                try:
                    async for data in ws:
                        if isinstance(data, str):
                            data = data.encode()
                        self._bytes += len(data)
                        for event in conn.feed(data):
                            handler = self._handlers.get(type(event))
                            if handler is not None:
                                handler(event)
                        self._flush()
                        if conn.close_expected():
                            break
                finally:
                    ticker.cancel()
                    await asyncio.sleep(0)
                    self._flush()
                    with contextlib.suppress(asyncio.TimeoutError, ConnectionClosed):
                        await asyncio.wait_for(self._outbox.join(), 1.0)
                    writer.cancel()
            if conn.bye_received is not None:
                bye = conn.bye_received
                reason = bye.text or BYE_TEXTS.get(bye.reason, reason)
                self.ended_reason = bye.reason.name.lower()
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            reason = f"Could not join the session: {exc}"
        except ConnectionClosed:
            reason = "The session's connection was lost."
        finally:
            self._ws = None
            self._conn = None
            self._fb = None
        self.closed.emit(reason)

    async def _write(self, ws: ClientConnection) -> None:
        assert self._outbox is not None
        while True:
            data = await self._outbox.get()
            try:
                await ws.send(data)
            except ConnectionClosed:
                return
            finally:
                self._outbox.task_done()

    async def _tick(self) -> None:
        last = time.monotonic()
        next_ping = 0.0
        while True:
            await asyncio.sleep(STATS_INTERVAL_S)
            now = time.monotonic()
            elapsed = max(now - last, 1e-6)
            self.quality.emit(self._frames / elapsed, self._bytes / 1024 / elapsed, self._rtt_ms)
            self._frames = self._bytes = 0
            last = now
            if now >= next_ping and self._conn is not None and self._conn.session_id:
                nonce = next(self._nonces)
                self._ping_sent = {nonce: now}
                self._send_now(p.Ping(nonce))
                next_ping = now + PING_INTERVAL_S

    def _flush(self) -> None:
        if self._conn is None or self._outbox is None:
            return
        for data in self._conn.data_to_send():
            self._outbox.put_nowait(data)

    def _send_now(self, msg: Any) -> None:
        conn = self._conn
        if conn is None or conn.close_expected():
            return
        try:
            conn.send(msg)
        except Exception as exc:  # not allowed in this state: drop, do not crash the loop
            log.info("not sending %s: %s", type(msg).__name__, exc)
            return
        self._flush()

    def _leave(self) -> None:
        conn = self._conn
        if conn is not None and not conn.close_expected():
            conn.close(p.ByeReason.ENDED_BY_AGENT, "")
            self._flush()
        if self._ws is not None:
            ws = self._ws
            asyncio.get_running_loop().call_later(0.5, lambda: asyncio.ensure_future(ws.close()))

    def _on_hello(self, msg: p.Hello) -> None:
        self._send_now(p.ViewerJoin(self._token))

    def _on_admitted(self, msg: p.Admitted) -> None:
        self.admitted.emit(msg.session_id)

    def _on_consent(self, msg: p.Consent) -> None:
        self.consent = str(msg.level)
        self.consent_changed.emit(self.consent)

    def _on_layout(self, msg: p.ScreenLayout) -> None:
        try:
            self._fb = Framebuffer(msg.width, msg.height)
        except DecodeError as exc:
            log.warning("bad screen layout: %s", exc)
            self._fb = None
            return
        names = [monitor_name(i, mon) for i, mon in enumerate(msg.monitors)]
        self.layout_changed.emit(msg.width, msg.height, names, msg.index)

    def _on_frame(self, msg: p.FrameUpdate) -> None:
        fb = self._fb
        if fb is None:
            self._send_now(p.FrameAck(msg.seq))
            return
        try:
            dirty = fb.apply(msg.rects)
        except DecodeError as exc:
            log.warning("frame %d: %s", msg.seq, exc)
            dirty = [(0, 0, fb.width, fb.height)]
        self._frames += 1
        self.frame_ready.emit(msg.seq, tiles_from_framebuffer(fb.pixels, dirty))

    def _on_pong(self, msg: p.Pong) -> None:
        sent = self._ping_sent.pop(msg.nonce, None)
        if sent is not None:
            self._rtt_ms = (time.monotonic() - sent) * 1000

    def _on_bye(self, msg: p.Bye) -> None:
        self.ended_reason = msg.reason.name.lower()
