"""The headless viewer: joins a session through the relay and keeps a decoded framebuffer.

``ViewerClient`` speaks the protocol as ``Role.VIEWER``: it applies every FrameUpdate to
ASSIST's ``Framebuffer`` and acks it afterwards (the assist's flow-control window depends on
that), keeps the consent level, layout and cursor, sends input, chat and clipboard, measures
round trips with Ping/Pong, and resumes the session after a network drop. Events come out of
``events()`` (an async iterator) or, for an embedder such as the console's ``SessionLink``, go
to a ``listener`` called on the loop as they happen; ``wait_until`` waits for a state.
``tandem-view``, the benchmark and the console all join sessions through it.

For a viewer that paints somewhere else (the console composes on the GUI thread),
``ack_frames=False`` leaves the FrameAck to the caller: ``await ack(seq)`` once the frame is on
screen, so the assist's flow control follows what the agent sees (findings.md section 3, like
Guacamole's sync). The listener sees each ``FrameApplied`` before the next frame is applied,
so it can copy the ``dirty`` rectangles out of ``framebuffer`` consistently.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from remote.codec.decoder import DecodeError as RectDecodeError
from remote.codec.decoder import Framebuffer
from remote.protocol import messages as m
from remote.protocol.codec import DEFAULT_MAX_MESSAGE_BYTES
from remote.protocol.connection import ProtocolUsageError
from remote.protocol.messages import ByeReason, ConsentLevel, Role
from remote.transport import MessageSocket, PeerClosed, ProtocolFailure, TransportError, connect

log = logging.getLogger(__name__)

#: Frames whose encoded size is above this are decoded on a worker thread (the decoders
#: release the GIL), so the event loop keeps answering pings and input meanwhile.
THREAD_DECODE_BYTES = 64 * 1024
RESUME_DELAYS_S = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 5.0, 5.0, 5.0)


@dataclass(frozen=True, slots=True)
class FrameApplied:
    """A FrameUpdate was applied to ``ViewerClient.framebuffer``; ``dirty`` are its areas."""

    seq: int
    dirty: tuple[tuple[int, int, int, int], ...]
    nbytes: int


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The connection dropped; the client tries to resume the session."""

    text: str


@dataclass(frozen=True, slots=True)
class Resumed:
    session_id: str


@dataclass(frozen=True, slots=True)
class Closed:
    """The session is over for this viewer (Bye, refusal, or resume gave up).

    ``bye``: the relay's Bye when it said one (its own ``text`` may be empty); a close by this
    viewer has ``reason`` NORMAL or ENDED_BY_AGENT and no ``bye``; a lost connection has
    ``reason`` None (or PEER_LOST once resuming gave up).
    """

    reason: ByeReason | None
    text: str
    bye: m.Bye | None = None


@dataclass(frozen=True, slots=True)
class Quality:
    """Every ``stats_interval_s``: frames per second and KB/s since the last one, and the
    latest round trip in ms (None before the first Pong)."""

    fps: float
    kbps: float
    rtt_ms: float | None


class ViewerError(Exception):
    """Joining failed: a refused code or token, a version mismatch, no connection.

    ``bye`` is the relay's Bye when it refused (e.g. REFUSED with its sentence)."""

    def __init__(self, text: str, bye: m.Bye | None = None) -> None:
        super().__init__(text)
        self.bye = bye


class Stats:
    """Frame rate, throughput and round trip, overall and over the last ``window_s``."""

    def __init__(self, window_s: float = 2.0, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.clock = clock
        self.window_s = window_s
        self.started = clock()
        self.frames = 0
        self.bytes = 0
        self.first_frame_at: float | None = None
        self._recent: deque[tuple[float, int]] = deque()  # (when, frame bytes)
        self.rtts_ms: deque[float] = deque(maxlen=100)

    def frame(self, nbytes: int) -> None:
        now = self.clock()
        if self.first_frame_at is None:
            self.first_frame_at = now
        self.frames += 1
        self.bytes += nbytes
        self._recent.append((now, nbytes))
        self._trim(now)

    def other(self, nbytes: int) -> None:
        self.bytes += nbytes

    def _trim(self, now: float) -> None:
        while self._recent and self._recent[0][0] < now - self.window_s:
            self._recent.popleft()

    def as_dict(self) -> dict[str, Any]:
        now = self.clock()
        self._trim(now)
        elapsed = max(now - self.started, 1e-9)
        rtts = sorted(self.rtts_ms)
        return {
            "elapsed_s": round(elapsed, 3),
            "frames": self.frames,
            "bytes": self.bytes,
            "fps": round(self.frames / elapsed, 2),
            "kbps": round(self.bytes / 1024 / elapsed, 2),
            "recent_fps": round(len(self._recent) / self.window_s, 2),
            "recent_kbps": round(sum(n for _, n in self._recent) / 1024 / self.window_s, 2),
            "rtt_ms": round(rtts[len(rtts) // 2], 2) if rtts else None,
            "rtt_samples": len(rtts),
        }


class ViewerClient:
    """One viewer connection to a session (see module docstring).

    ``url``: the relay's viewer endpoint (``ws://host:port/viewer``; a bare ``ws://host:port``
    gets ``/viewer`` appended). ``token``: the hub's viewer token or a session code.
    ``software``: the name in Hello. ``ack_frames``: ack each frame once applied (False: the
    caller acks with ``ack(seq)``). ``listener``: called on the loop with every event instead
    of queueing it for ``events()`` (it also gets CursorPos). ``stats_interval_s``: emit a
    ``Quality`` event that often.
    """

    def __init__(self, url: str, token: str, *, ssl_context: ssl.SSLContext | None = None,
                 allow_insecure: bool = False,
                 max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
                 auto_resume: bool = True, ping_interval_s: float | None = 2.0,
                 event_queue: int = 1024, software: str = "tandem-view",
                 ack_frames: bool = True, listener: Callable[[Any], None] | None = None,
                 stats_interval_s: float | None = None) -> None:
        self.url = viewer_url(url)
        self.token = token
        self.software = software
        self.ack_frames = ack_frames
        self.listener = listener
        self.stats_interval_s = stats_interval_s
        self.ssl_context = ssl_context
        self.allow_insecure = allow_insecure
        self.max_message_bytes = max_message_bytes
        self.auto_resume = auto_resume
        self.ping_interval_s = ping_interval_s
        self.framebuffer: Framebuffer | None = None
        self.layout: m.ScreenLayout | None = None
        self.consent = ConsentLevel.NONE
        self.cursor_shape: m.CursorShape | None = None
        self.cursor_pos: m.CursorPos | None = None
        self.assist_connected = False
        self.session_id: str | None = None
        self.agent_name = ""
        self.last_seq = 0
        self.frames_applied = 0
        self.closed: Closed | None = None
        self.stats = Stats()
        self._sock: MessageSocket | None = None
        self._resume_token: str | None = None
        self._events: asyncio.Queue[Any] = asyncio.Queue(event_queue)
        self._changed = asyncio.Condition()
        self._pongs: dict[int, asyncio.Future[float]] = {}
        self._nonces = itertools.count(1)
        self._tasks: list[asyncio.Task[Any]] = []
        self._closing = False
        self._close_reason = ByeReason.NORMAL
        self._handlers: dict[type, Callable[[Any, int], Any]] = {
            m.FrameUpdate: self._on_frame,
            m.ScreenLayout: self._on_layout,
            m.Consent: self._on_consent,
            m.CursorShape: self._on_cursor_shape,
            m.CursorPos: self._on_cursor_pos,
            m.PeerStatus: self._on_peer_status,
            m.Pong: self._on_pong,
        }

    # --- life ----------------------------------------------------------------------------

    async def connect(self) -> m.Admitted:
        """Say Hello, present the token, and start receiving. Raises ``ViewerError``."""
        admitted = await self._join(m.ViewerJoin(self.token))
        if self._closing:  # close() was called while joining: leave right away
            await self.close(self._close_reason is ByeReason.ENDED_BY_AGENT)
            raise ViewerError("closed while joining")
        self._tasks.append(asyncio.create_task(self._run(), name="viewer receive"))
        if self.ping_interval_s:
            self._tasks.append(asyncio.create_task(self._ping_loop(), name="viewer ping"))
        if self.stats_interval_s:
            self._tasks.append(asyncio.create_task(self._quality_loop(), name="viewer quality"))
        return admitted

    async def __aenter__(self) -> ViewerClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self, end_session: bool = False, text: str = "") -> None:
        """Leave (``end_session``: end the whole session for everyone, as the agent)."""
        self._closing = True
        reason = ByeReason.ENDED_BY_AGENT if end_session else ByeReason.NORMAL
        self._close_reason = reason
        if self._sock is not None and not self._sock.closed:
            with contextlib.suppress(Exception):
                await self._sock.close(reason, text)
        await self._stop_tasks()
        if self.closed is None:
            self._set_closed(Closed(reason, "closed by the viewer"))

    async def _stop_tasks(self) -> None:
        """Cancel the background tasks (all but the calling one) and wait for them."""
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        self._tasks = [task for task in self._tasks if task is current]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def events(self) -> AsyncIterator[Any]:
        """Session events until the session is over: messages (Consent, ScreenLayout,
        ChatLine, ClipboardText, PeerStatus, CursorShape, ...), ``FrameApplied``,
        ``Disconnected``, ``Resumed``, and finally ``Closed``."""
        while True:
            event = await self._events.get()
            yield event
            if isinstance(event, Closed):
                return

    async def wait_until(self, predicate: Callable[[ViewerClient], bool],
                         timeout: float | None = None) -> None:
        """Wait until ``predicate(self)`` holds (checked after every change)."""

        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: predicate(self) or self.closed is not None)
            if not predicate(self):
                raise ViewerError(f"session closed: {self.closed.text if self.closed else ''}")

        await asyncio.wait_for(wait(), timeout)

    async def wait_frame(self, after_seq: int | None = None, timeout: float | None = None
                         ) -> None:
        """Wait until a frame newer than ``after_seq`` (default: the current one) is applied."""
        seq = self.last_seq if after_seq is None else after_seq
        await self.wait_until(lambda c: c.last_seq > seq and c.frames_applied > 0, timeout)

    # --- sending -------------------------------------------------------------------------

    async def send(self, message: Any) -> None:
        """Send any viewer message (dropped silently while reconnecting or closed)."""
        sock = self._sock
        if sock is None or sock.closed:
            return
        try:
            await sock.send(message)
        except (PeerClosed, ProtocolFailure):
            pass
        except ProtocolUsageError as exc:  # not allowed in this state: drop, keep the session
            log.info("not sending %s: %s", type(message).__name__, exc)

    async def ack(self, seq: int) -> None:
        """Ack frame ``seq`` (with ``ack_frames=False``: once it is on screen)."""
        await self.send(m.FrameAck(seq))

    async def send_pointer(self, x: int, y: int, buttons: int = 0) -> None:
        await self.send(m.PointerEvent(x, y, int(buttons)))

    async def send_key(self, keysym: int, down: bool) -> None:
        await self.send(m.KeyEvent(keysym, down))

    async def tap_key(self, keysym: int) -> None:
        await self.send_key(keysym, True)
        await self.send_key(keysym, False)

    async def send_clipboard(self, text: str) -> None:
        await self.send(m.ClipboardText(text))

    async def send_chat(self, text: str, sender: str | None = None) -> None:
        await self.send(m.ChatLine(sender if sender is not None else self.agent_name, text))

    async def request_consent(self, level: ConsentLevel) -> None:
        await self.send(m.ConsentRequest(level))

    async def select_monitor(self, index: int) -> None:
        await self.send(m.MonitorSelect(index))

    async def request_refresh(self) -> None:
        await self.send(m.RefreshRequest())

    async def ping(self, timeout: float = 5.0) -> float:
        """One round trip to the relay, in milliseconds."""
        nonce = next(self._nonces) & m.U32_MAX
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._pongs[nonce] = future
        sent = time.perf_counter()
        await self.send(m.Ping(nonce))
        try:
            await asyncio.wait_for(future, timeout)
        finally:
            self._pongs.pop(nonce, None)
        rtt = (time.perf_counter() - sent) * 1000
        self.stats.rtts_ms.append(rtt)
        return rtt

    # --- receiving -----------------------------------------------------------------------

    async def _join(self, request: Any) -> m.Admitted:
        try:
            sock = await connect(self.url, Role.VIEWER, ssl_context=self.ssl_context,
                                 allow_insecure=self.allow_insecure,
                                 max_message_bytes=self.max_message_bytes,
                                 software=self.software)
            await sock.send(request)
            admitted = await sock.receive()
        except PeerClosed as exc:
            raise ViewerError(exc.text, exc.bye) from exc
        except (TransportError, ValueError) as exc:
            raise ViewerError(getattr(exc, "text", None) or str(exc)) from exc
        if not isinstance(admitted, m.Admitted):  # the Connection allows nothing else here
            raise ViewerError(f"unexpected {type(admitted).__name__}")
        self._sock = sock
        self._resume_token = admitted.resume_token
        self.session_id = admitted.session_id
        self.agent_name = admitted.agent_name
        return admitted

    async def _run(self) -> None:
        try:
            while True:
                sock = self._sock
                assert sock is not None
                try:
                    msg, raw = await sock.receive_raw()
                except PeerClosed as exc:
                    if self._closing:
                        await self._finish(Closed(self._close_reason, "closed by the viewer"))
                        return
                    if exc.bye is not None or not self.auto_resume:
                        reason = exc.bye.reason if exc.bye else None
                        await self._finish(Closed(reason, exc.text, exc.bye))
                        return
                    if not await self._resume(exc.text):
                        return
                    continue
                except ProtocolFailure as exc:
                    await self._finish(Closed(ByeReason.PROTOCOL_ERROR, exc.text))
                    return
                handler = self._handlers.get(type(msg))
                if handler is not None:
                    await handler(msg, len(raw))
                else:
                    self.stats.other(len(raw))
                if handler is None or type(msg) not in _QUIET:
                    self._emit(msg)
                elif self.listener is not None and type(msg) in _LISTENER_ONLY:
                    self._emit(msg)
                await self._notify()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("viewer receive loop failed")
            await self._finish(Closed(None, "internal error in the viewer"))

    async def _resume(self, why: str) -> bool:
        self._emit(Disconnected(why))
        for delay in RESUME_DELAYS_S:
            await asyncio.sleep(delay)
            if self._closing:
                return False
            try:
                await self._join(m.Resume(self._resume_token or ""))
            except ViewerError as exc:
                if "resume token" in str(exc):
                    break  # the relay no longer knows the session
                log.info("resume failed: %s", exc)
                continue
            self._emit(Resumed(self.session_id or ""))
            return True
        await self._finish(Closed(ByeReason.PEER_LOST, f"connection lost: {why}"))
        return False

    async def _finish(self, closed: Closed) -> None:
        self._set_closed(closed)
        await self._notify()
        await self._stop_tasks()  # no more pings or Quality once the session is over

    def _set_closed(self, closed: Closed) -> None:
        if self.closed is None:
            self.closed = closed
            self._emit(closed, force=True)

    def _emit(self, event: Any, force: bool = False) -> None:
        if self.listener is not None:
            try:
                self.listener(event)
            except Exception:  # the embedder's bug must not end the session
                log.exception("viewer listener failed on %s", type(event).__name__)
            return
        try:
            self._events.put_nowait(event)
        except asyncio.QueueFull:
            if force:  # make room for the final event
                self._events.get_nowait()
                self._events.put_nowait(event)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _on_frame(self, msg: m.FrameUpdate, nbytes: int) -> None:
        fb = self.framebuffer
        if fb is None:  # the layout was unusable: nothing to paint, keep the assist going
            await self.ack(msg.seq)
            return
        try:
            if nbytes > THREAD_DECODE_BYTES:
                dirty = await asyncio.to_thread(fb.apply, msg.rects)
            else:
                dirty = fb.apply(msg.rects)
        except RectDecodeError as exc:
            log.warning("frame %d could not be decoded (%s); asking for a full refresh",
                        msg.seq, exc)
            await self.request_refresh()
            return
        self.last_seq = msg.seq
        self.frames_applied += 1
        self.stats.frame(nbytes)
        if self.ack_frames:
            await self.ack(msg.seq)  # after applying: the assist's window relies on it
        self._emit(FrameApplied(msg.seq, tuple(dirty), nbytes))

    async def _on_layout(self, msg: m.ScreenLayout, nbytes: int) -> None:
        self.stats.other(nbytes)
        self.layout = msg
        try:
            if self.framebuffer is None:
                self.framebuffer = Framebuffer(msg.width, msg.height)
            elif (self.framebuffer.width, self.framebuffer.height) != (msg.width, msg.height):
                self.framebuffer.resize(msg.width, msg.height)
        except RectDecodeError as exc:
            log.warning("unusable screen layout: %s", exc)
            self.framebuffer = None

    async def _on_consent(self, msg: m.Consent, nbytes: int) -> None:
        self.stats.other(nbytes)
        self.consent = msg.level

    async def _on_cursor_shape(self, msg: m.CursorShape, nbytes: int) -> None:
        self.stats.other(nbytes)
        self.cursor_shape = msg

    async def _on_cursor_pos(self, msg: m.CursorPos, nbytes: int) -> None:
        self.stats.other(nbytes)
        self.cursor_pos = msg

    async def _on_peer_status(self, msg: m.PeerStatus, nbytes: int) -> None:
        self.stats.other(nbytes)
        if msg.role is Role.ASSIST:
            self.assist_connected = msg.connected

    async def _on_pong(self, msg: m.Pong, nbytes: int) -> None:
        future = self._pongs.get(msg.nonce)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())

    async def _ping_loop(self) -> None:
        assert self.ping_interval_s
        while True:
            await asyncio.sleep(self.ping_interval_s)
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await self.ping()

    async def _quality_loop(self) -> None:
        assert self.stats_interval_s
        stats = self.stats
        last, frames, nbytes = stats.clock(), stats.frames, stats.bytes
        while True:
            await asyncio.sleep(self.stats_interval_s)
            now = stats.clock()
            elapsed = max(now - last, 1e-6)
            rtt = stats.rtts_ms[-1] if stats.rtts_ms else None
            self._emit(Quality((stats.frames - frames) / elapsed,
                               (stats.bytes - nbytes) / 1024 / elapsed, rtt))
            last, frames, nbytes = now, stats.frames, stats.bytes


#: Handled messages that are not also emitted as events (frames come out as FrameApplied).
_QUIET = frozenset({m.FrameUpdate, m.Pong, m.CursorPos})
#: Of those, what a ``listener`` gets anyway (it is called, not queued, so a flood is harmless).
_LISTENER_ONLY = frozenset({m.CursorPos})


def viewer_url(url: str) -> str:
    """``ws://host:port`` -> ``ws://host:port/viewer``; a URL with a path is kept."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a websocket URL: {url!r}")
    host, slash, path = rest.partition("/")
    if not path:
        return f"{scheme}://{host}/viewer"
    return url
