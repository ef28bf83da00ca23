"""The console's side of one session: a thin Qt adapter over ``remote.viewer.ViewerClient``.

The client (websocket, sans-I/O ``Connection``, the decoder's ``Framebuffer``, pings and
stats) runs on the console's worker loop, exactly as ``tandem-view`` runs it. It calls this
adapter's listener there for every event: for each applied frame only the changed rectangles
are copied out of the framebuffer and handed to the GUI as ``Tile``s through a queued signal.
The GUI composes them and calls ``ack(seq)``; the client was made with ``ack_frames=False``,
so that is when the ``FrameAck`` goes out and the assist's flow control follows what is on
screen. Input, chat, clipboard and monitor choice go the other way through ``send()``.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

from remote.protocol import messages as p
from remote.viewer.client import Closed, FrameApplied, Quality, ViewerClient, ViewerError
from ui.screen_view import tiles_from_framebuffer
from ui.worker import Worker

log = logging.getLogger(__name__)

STATS_INTERVAL_S = 1.0
PING_INTERVAL_S = 2.0

CLOSED_TEXT = "The connection to the session closed."
LOST_TEXT = "The session's connection was lost."
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


def closed_text(closed: Closed) -> str:
    """The banner's sentence for how the viewer connection ended."""
    if closed.bye is not None:
        return closed.bye.text or BYE_TEXTS.get(closed.bye.reason, CLOSED_TEXT)
    if closed.reason is None or closed.reason is p.ByeReason.PEER_LOST:
        return LOST_TEXT
    return CLOSED_TEXT


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
        self._client: ViewerClient | None = None
        self._joining: concurrent.futures.Future[bool] | None = None
        self.live = False
        self.consent = "waiting"
        self.ended_reason = ""
        self._handlers: dict[type, Callable[[ViewerClient, Any], None]] = {
            FrameApplied: self._on_frame,
            p.ScreenLayout: self._on_layout,
            p.Consent: self._on_consent,
            p.CursorPos: lambda _c, msg: self.cursor_moved.emit(msg.x, msg.y),
            p.ChatLine: lambda _c, msg: self.chat_received.emit(msg.sender, msg.text),
            p.ClipboardText: lambda _c, msg: self.clipboard_received.emit(msg.text),
            p.PeerStatus: lambda _c, msg: self.peer_changed.emit(str(msg.role), msg.connected),
            Quality: lambda _c, q: self.quality.emit(q.fps, q.kbps, q.rtt_ms),
            Closed: self._on_closed,
        }

    # --- GUI-thread API ---------------------------------------------------------------------

    def open(self, url: str, token: str) -> None:
        """Join the session at ``url`` with the viewer ``token`` from ``Accepted``."""
        self.close()
        self.live = True
        self.consent = "waiting"
        self.ended_reason = ""
        try:
            # Same host as the hub URL, which HubClient only accepts as wss:// or loopback.
            client = ViewerClient(url, token, software="tandem-console",
                                  auto_resume=False, ack_frames=False,
                                  ping_interval_s=PING_INTERVAL_S,
                                  stats_interval_s=STATS_INTERVAL_S)
        except ValueError as exc:  # not a websocket URL; reported like any failed join
            self._worker.call_soon(self.closed.emit, f"Could not join the session: {exc}")
            return
        client.listener = functools.partial(self._on_event, client)
        self._client = client
        self._joining = self._worker.submit(self._join(client))

    def close(self) -> None:
        """Leave the session (Bye to the relay) without waiting for the worker."""
        client, self._client = self._client, None
        joining, self._joining = self._joining, None
        self.live = False
        never_joined = (joining is not None and joining.done() and not joining.cancelled()
                        and joining.exception() is None and not joining.result())
        if client is not None and not never_joined and self._worker.running:
            self._worker.submit(client.close(end_session=True))

    def send(self, msg: Any) -> None:
        """Queue a protocol message (input, chat, clipboard, monitor choice) for the relay."""
        self._submit(lambda client: client.send(msg))

    def pointer(self, x: int, y: int, buttons: int) -> None:
        if self.consent == "control":
            self.send(p.PointerEvent(x, y, buttons))

    def key(self, keysym: int, down: bool) -> None:
        if self.consent == "control":
            self.send(p.KeyEvent(keysym, down))

    def ack(self, seq: int) -> None:
        """The GUI composed frame ``seq``: now the FrameAck goes out."""
        self._submit(lambda client: client.ack(seq))

    def _submit(self, make: Callable[[ViewerClient], Coroutine[Any, Any, None]]) -> None:
        client = self._client
        if client is not None and self.live and self._worker.running:
            self._worker.submit(make(client))

    # --- worker side --------------------------------------------------------------------------

    async def _join(self, client: ViewerClient) -> bool:
        """Connect; False (and ``closed`` emitted) when the session could not be joined."""
        try:
            admitted = await client.connect()
        except ViewerError as exc:
            if client is not self._client:
                return False  # replaced or closed by the GUI meanwhile: nothing to report
            if client.closed is not None:
                return False  # closed while joining; the listener already reported it
            if exc.bye is not None:
                self._on_closed(client, Closed(exc.bye.reason, str(exc), exc.bye))
            else:
                self.closed.emit(f"Could not join the session: {exc}")
            return False
        self.admitted.emit(admitted.session_id)
        return True

    def _on_event(self, client: ViewerClient, event: Any) -> None:
        if client is not self._client:
            return  # a connection this link has left (closed or replaced by open())
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(client, event)

    def _on_consent(self, client: ViewerClient, msg: p.Consent) -> None:
        self.consent = str(msg.level)
        self.consent_changed.emit(self.consent)

    def _on_layout(self, client: ViewerClient, msg: p.ScreenLayout) -> None:
        if client.framebuffer is None:
            return  # unusable size: the client logged it and paints nothing
        names = [monitor_name(i, mon) for i, mon in enumerate(msg.monitors)]
        self.layout_changed.emit(msg.width, msg.height, names, msg.index)

    def _on_frame(self, client: ViewerClient, event: FrameApplied) -> None:
        fb = client.framebuffer
        if fb is not None:  # copy now: the next frame is applied only after this returns
            self.frame_ready.emit(event.seq, tiles_from_framebuffer(fb.pixels, event.dirty))

    def _on_closed(self, client: ViewerClient, event: Closed) -> None:
        if event.bye is not None:
            self.ended_reason = event.bye.reason.name.lower()
        self.closed.emit(closed_text(event))
