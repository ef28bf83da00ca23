"""Asyncio client of the hub's console API, used by the console's worker thread.

One websocket to ``<hub>/console``. ``request()`` sends a typed message and waits for the
reply with the same request id; everything the hub pushes (rings, state changes, session
ends) goes to listeners and to ``events()``. When the hub drops, pending requests fail
with ``HubUnavailable``, the client reconnects with exponential backoff and signs in again
with its token (``Resume``), reporting ``ConnectionLost`` / ``ConnectionRestored`` so the
console can show it. No Qt, no SQLAlchemy: this runs inside the console.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import ssl as ssl_module
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from app.api import messages as m
from remote.transport import check_url

log = logging.getLogger(__name__)

CONSOLE_PATH = "/console"
EVENT_BACKLOG = 1000


class HubUnavailable(ConnectionError):
    """The hub cannot be reached or the connection dropped before the reply came."""


class LoginRefused(m.ApiError):
    """Sign-in refused; ``retry_after_s`` > 0 while the hub slows down retries."""

    def __init__(self, reason: str, retry_after_s: float = 0.0) -> None:
        super().__init__(m.ErrorCode.UNAUTHENTICATED, reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class ConnectionLost:
    """Client-side event: the hub connection dropped; the client is reconnecting."""

    reason: str


@dataclass(frozen=True)
class ConnectionRestored:
    """Client-side event: reconnected (and signed in again when ``login`` is set)."""

    login: m.LoginOk | None


@dataclass(frozen=True)
class SignedOut:
    """Client-side event: reconnected but the token was refused; sign in again."""

    reason: str


ClientEvent = m.Message | ConnectionLost | ConnectionRestored | SignedOut
Listener = Callable[[ClientEvent], None]
R = TypeVar("R", bound=m.Message)


def console_url(hub_url: str) -> str:
    """``ws://host:port`` or ``ws://host:port/console`` → the console endpoint URL.

    A hub that is not on this machine must be reached over TLS (``wss://``): an agent's
    password, the customer's screen and their input cross that connection. Raises
    ``InsecureTransport`` (a ``ValueError``) for ``ws://`` to a non-loopback host.
    """
    parts = urlsplit(hub_url)
    if parts.scheme not in ("ws", "wss"):
        raise ValueError(f"hub URL must start with ws:// or wss://, got {hub_url!r}")
    check_url(hub_url)
    path = parts.path.rstrip("/")
    if not path.endswith(CONSOLE_PATH):
        path += CONSOLE_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class HubClient:
    """A console's connection to one hub (see module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        request_timeout: float = 15.0,
        open_timeout: float = 10.0,
        reconnect: bool = True,
        backoff_initial_s: float = 0.25,
        backoff_max_s: float = 10.0,
        ssl: ssl_module.SSLContext | None = None,
        max_message_chars: int = m.MAX_MESSAGE_CHARS,
    ) -> None:
        self.url = console_url(url)
        self.request_timeout = request_timeout
        self.open_timeout = open_timeout
        self.reconnect_enabled = reconnect
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self._ssl = ssl
        self._max = max_message_chars
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._reconnector: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[m.Message]] = {}
        self._next_id = 0
        self._listeners: list[Listener] = []
        # Events wait here for ``events()``; bounded (oldest dropped) in case nobody reads.
        self._queue: asyncio.Queue[ClientEvent] = asyncio.Queue(EVENT_BACKLOG)
        self._closing = False
        self._delay = backoff_initial_s
        self.token: str | None = None
        self.login_ok: m.LoginOk | None = None

    # ------------------------------------------------------------ public API

    @property
    def connected(self) -> bool:
        return self._ws is not None

    def url_for(self, path: str) -> str:
        """Absolute URL of another hub endpoint (e.g. ``Accepted.viewer_path``)."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` (in the client's loop) for every pushed or client-side event."""
        self._listeners.append(listener)

    async def events(self) -> AsyncIterator[ClientEvent]:
        """Pushed and client-side events, in order, until ``close()``."""
        while True:
            event = await self._queue.get()
            if event is _CLOSED:
                return
            yield event

    async def connect(self) -> None:
        """Open the websocket (done by ``login``/``resume`` when needed)."""
        self._closing = False
        if self._ws is None:
            await self._open()

    async def login(self, login: str, password: str) -> m.LoginOk:
        return await self._sign_in(m.Login(login=login, password=password))

    async def resume(self, token: str) -> m.LoginOk:
        return await self._sign_in(m.Resume(token=token))

    async def request(self, msg: m.Message, timeout: float | None = None) -> m.Message:
        """Send ``msg`` and return the reply; an ``Error`` reply raises ``ApiError``."""
        reply = await self._roundtrip(msg, timeout)
        if isinstance(reply, m.Error):
            raise m.ApiError(reply.code, reply.text)
        return reply

    async def call(self, msg: m.Message, expect: type[R], timeout: float | None = None) -> R:
        """``request`` that also checks the reply type (raises ``ApiError`` otherwise)."""
        reply = await self.request(msg, timeout)
        if not isinstance(reply, expect):
            raise m.ApiError(m.ErrorCode.MALFORMED,
                             f"expected {expect.__name__}, hub sent {type(reply).__name__}")
        return reply

    async def close(self) -> None:
        """Sign off cleanly: stop reconnecting, close the socket, end ``events()``."""
        self._closing = True
        if self._reconnector is not None:
            self._reconnector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnector
            self._reconnector = None
        ws = self._ws
        if ws is not None:
            await ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        self._ws = None
        self._fail_pending("client closed")
        self._enqueue(_CLOSED)

    async def __aenter__(self) -> HubClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------ internals

    async def _sign_in(self, msg: m.Login | m.Resume) -> m.LoginOk:
        await self.connect()
        reply = await self._roundtrip(msg, None)
        if isinstance(reply, m.LoginFailed):
            raise LoginRefused(reply.reason, reply.retry_after_s)
        if isinstance(reply, m.Error):
            raise m.ApiError(reply.code, reply.text)
        if not isinstance(reply, m.LoginOk):
            raise m.ApiError(m.ErrorCode.MALFORMED, f"unexpected reply {type(reply).__name__}")
        self.token = reply.token
        self.login_ok = reply
        return reply

    async def _open(self) -> None:
        try:
            ws = await connect(self.url, open_timeout=self.open_timeout, max_size=self._max,
                               ssl=self._ssl, proxy=None, compression=None)
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise HubUnavailable(f"cannot reach the hub at {self.url}: {exc}") from exc
        self._ws = ws
        self._reader = asyncio.create_task(self._read(ws), name="hub-client-reader")

    async def _roundtrip(self, msg: m.Message, timeout: float | None) -> m.Message:
        ws = self._ws
        if ws is None:
            raise HubUnavailable("not connected to the hub")
        self._next_id += 1
        request_id = self._next_id
        future: asyncio.Future[m.Message] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            try:
                await ws.send(m.encode(dataclasses.replace(msg, request_id=request_id)))
            except ConnectionClosed as exc:
                raise HubUnavailable("the hub connection closed") from exc
            try:
                return await asyncio.wait_for(future, timeout or self.request_timeout)
            except TimeoutError:
                raise m.ApiError(m.ErrorCode.TIMEOUT,
                                 f"no reply from the hub to {msg.TYPE}") from None
        finally:
            self._pending.pop(request_id, None)

    async def _read(self, ws: ClientConnection) -> None:
        reason = "the hub closed the connection"
        try:
            async for text in ws:
                try:
                    msg = m.decode(text, self._max)
                except m.ApiError as exc:
                    log.warning("hub sent a bad console-API message: %s", exc)
                    continue
                future = self._pending.get(msg.request_id) if msg.request_id else None
                if future is not None and not future.done():
                    future.set_result(msg)
                else:
                    self._emit(msg)
        except ConnectionClosed as exc:
            reason = f"connection lost ({exc.rcvd.reason if exc.rcvd else 'no close frame'})"
        finally:
            if self._ws is ws:
                self._ws = None
            self._fail_pending(reason)
        if not self._closing:
            self._emit(ConnectionLost(reason))
            if self.reconnect_enabled:
                self._reconnector = asyncio.create_task(self._reconnect(),
                                                        name="hub-client-reconnect")

    async def _reconnect(self) -> None:
        """Reopen with exponential backoff, then sign in again with the token.

        If the new connection drops during resume, its reader starts the next attempt
        (the backoff delay carries over until a resume succeeds)."""
        while not self._closing:
            await asyncio.sleep(self._delay)
            self._delay = min(self._delay * 2, self.backoff_max_s)
            try:
                await self._open()
            except HubUnavailable as exc:
                log.info("hub still unavailable: %s (next try in %.1fs)", exc, self._delay)
                continue
            break
        else:
            return
        if self.token is None:
            self._delay = self.backoff_initial_s
            self._emit(ConnectionRestored(None))
            return
        try:
            login = await self._sign_in(m.Resume(token=self.token))
        except LoginRefused as exc:
            self.token = None
            self._emit(SignedOut(exc.reason))
            return
        except (HubUnavailable, m.ApiError) as exc:
            log.info("resume after reconnect failed: %s", exc)
            ws = self._ws
            if ws is not None:
                await ws.close()  # its reader schedules the next attempt
            return
        self._delay = self.backoff_initial_s
        self._emit(ConnectionRestored(login))

    def _enqueue(self, event: Any) -> None:
        if self._queue.full():
            self._queue.get_nowait()  # nobody is reading events(): keep the newest
        self._queue.put_nowait(event)

    def _emit(self, event: ClientEvent) -> None:
        self._enqueue(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener's bug must not kill the connection
                log.exception("console-API listener failed")

    def _fail_pending(self, reason: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(HubUnavailable(reason))
        self._pending.clear()


_CLOSED: Any = object()
