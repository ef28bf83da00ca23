"""Thin asyncio adapters between websockets 17 and the sans-I/O ``Connection``.

``MessageSocket`` moves bytes: every received websocket message goes to
``Connection.receive_data``; every item of ``data_to_send()`` goes out as one binary websocket
message. It answers ``Ping`` with ``Pong`` (hop by hop) and closes the socket with a code and
reason once the protocol says so. ``connect()`` opens a client connection, refusing plain
``ws://`` to a host that is not loopback unless explicitly allowed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from remote.protocol import messages as m
from remote.protocol.codec import DEFAULT_MAX_MESSAGE_BYTES
from remote.protocol.connection import Connection, ErrorEvent, ProtocolUsageError, State
from remote.protocol.messages import ByeReason, ErrorCode, Role

log = logging.getLogger(__name__)

#: Keepalive: a websocket ping every PING_INTERVAL_S; no pong within PING_TIMEOUT_S closes.
PING_INTERVAL_S = 20.0
PING_TIMEOUT_S = 20.0
CLOSE_TIMEOUT_S = 5.0
#: Bytes websockets may buffer for writing before ``send`` waits (small: we want backpressure
#: to reach our own queues, where frames can be merged, not a kernel buffer of stale frames).
WRITE_LIMIT = 256 * 1024

_CLOSE_CODE_FOR_ERROR: dict[ErrorCode, int] = {
    ErrorCode.MALFORMED: 1002,
    ErrorCode.UNKNOWN_TYPE: 1002,
    ErrorCode.UNEXPECTED: 1002,
    ErrorCode.UNSUPPORTED_VERSION: 1002,
    ErrorCode.TOO_LARGE: 1009,
    ErrorCode.REFUSED: 1008,
    ErrorCode.BAD_CODE: 1008,
    ErrorCode.RATE_LIMITED: 1008,
    ErrorCode.NOT_PERMITTED: 1008,
    ErrorCode.INTERNAL: 1011,
}


class TransportError(Exception):
    """The connection ended abnormally: a protocol error either way, or the socket closed."""

    def __init__(self, text: str, code: ErrorCode | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.code = code


class PeerClosed(TransportError):
    """The peer said Bye or the socket closed; ``bye`` is the peer's Bye if it sent one."""

    def __init__(self, text: str, bye: m.Bye | None = None,
                 error: m.Error | None = None) -> None:
        super().__init__(text, error.code if error else None)
        self.bye = bye
        self.error = error


class ProtocolFailure(TransportError):
    """The peer sent bad input; we told it (Error + Bye) and closed."""


class InsecureTransport(ValueError):
    """Plain ws:// to a host that is not loopback, without explicit permission."""


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_insecure: bool = False) -> None:
    """Raise ``InsecureTransport`` for ws:// to a non-loopback host, ValueError for non-ws URLs."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise ValueError(f"not a websocket URL (ws:// or wss://): {url!r}")
    if parts.scheme == "ws" and not allow_insecure and not is_loopback(parts.hostname or ""):
        raise InsecureTransport(
            f"refusing unencrypted ws:// to {parts.hostname}: use wss:// (TLS) when the hub is "
            "not on this machine, or allow it explicitly")


def client_ssl_context(cafile: str | Path | None = None) -> ssl.SSLContext:
    """Verifying TLS client context (system CAs, plus ``cafile`` for a private CA)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if cafile:
        context.load_verify_locations(cafile=str(cafile))
    return context


def server_ssl_context(certfile: str | Path, keyfile: str | Path | None = None) -> ssl.SSLContext:
    """TLS server context from a PEM certificate (chain) and key."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
    return context


def websocket_options(max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> dict[str, Any]:
    """Keyword arguments for ``websockets.asyncio.server.serve`` / ``client.connect``.

    No permessage-deflate: frames are already compressed (JPEG, WebP, zlib) and deflating
    them again costs CPU for nothing.
    """
    return {
        "max_size": max_message_bytes,
        "compression": None,
        "ping_interval": PING_INTERVAL_S,
        "ping_timeout": PING_TIMEOUT_S,
        "close_timeout": CLOSE_TIMEOUT_S,
        "write_limit": WRITE_LIMIT,
    }


def peer_address(ws: Any) -> str:
    """"host" of the websocket's remote end (for rate limiting and logs)."""
    address = getattr(ws, "remote_address", None)
    if isinstance(address, tuple) and address:
        return str(address[0])
    return str(address or "?")


class MessageSocket:
    """A websocket speaking the Tandem protocol through a sans-I/O ``Connection``.

    ``ws`` is a websockets 17 asyncio connection (server or client side).
    """

    def __init__(self, ws: Any, conn: Connection, *, auto_pong: bool = True) -> None:
        self.ws = ws
        self.conn = conn
        self.auto_pong = auto_pong
        self.peer = peer_address(ws)
        self._pending: deque[tuple[Any, bytes]] = deque()
        self._send_lock = asyncio.Lock()
        self.peer_error: m.Error | None = None  # the last Error the peer sent us

    @property
    def closed(self) -> bool:
        return self.conn.state is State.CLOSED

    async def send(self, msg: Any, raw: bytes | None = None) -> None:
        """Send one message (``raw``: its bytes, if already encoded)."""
        self.conn.send(msg, raw)
        await self.flush()

    async def flush(self) -> None:
        """Send whatever the protocol has queued; close the socket if it says so."""
        async with self._send_lock:
            for data in self.conn.data_to_send():
                try:
                    await self.ws.send(data)
                except ConnectionClosed:
                    break
        if self.conn.close_expected():
            await self._close_socket()

    async def receive(self) -> Any:
        """The next message from the peer.

        Raises ``ProtocolFailure`` on bad input (the peer has been told and closed) and
        ``PeerClosed`` when the peer said Bye or the socket closed.
        """
        return (await self.receive_raw())[0]

    async def receive_raw(self) -> tuple[Any, bytes]:
        """Like ``receive``, with the exact bytes the message arrived in (for forwarding)."""
        while not self._pending:
            if self.closed:
                raise PeerClosed("connection closed", bye=self.conn.bye_received,
                                 error=self.peer_error)
            try:
                data = await self.ws.recv()
            except ConnectionClosed as exc:
                self.conn.state = State.CLOSED
                raise PeerClosed(_closed_text(exc), error=self.peer_error) from None
            if isinstance(data, str):
                self.conn.fail(ErrorCode.MALFORMED, "text frames are not part of the protocol")
                events = self.conn.events_received()
            else:
                events = self.conn.feed(data)
            for event in events:
                await self._dispatch(event, data)
        return self._pending.popleft()

    async def _dispatch(self, event: Any, raw: Any) -> None:
        if isinstance(event, ErrorEvent):
            log.info("closing %s peer %s: %s (%s)", self.conn.peer_role or "unknown",
                     self.peer, event.text, event.code.name)
            await self.flush()
            raise ProtocolFailure(event.text, event.code)
        if isinstance(event, m.Ping) and self.auto_pong:
            if not self.closed:
                await self.send(m.Pong(event.nonce))
            return
        if isinstance(event, m.Error):  # the reason for the Bye (or close) that follows
            self.peer_error = event
            log.info("%s peer %s reports %s: %s", self.conn.peer_role or "unknown", self.peer,
                     event.code.name, event.text)
            return
        if isinstance(event, m.Bye):
            await self._close_socket()
            text = self.peer_error.text if self.peer_error else (event.text or event.reason.name)
            raise PeerClosed(text, bye=event, error=self.peer_error)
        self._pending.append((event, raw))

    async def __aiter__(self) -> AsyncIterator[Any]:
        """Messages until the peer says Bye or the socket closes (then the loop just ends)."""
        while True:
            try:
                yield await self.receive()
            except PeerClosed:
                return

    async def fail(self, code: ErrorCode, text: str) -> None:
        """Reject the peer (Error + Bye) and close the socket."""
        self.conn.fail(code, text)
        self.conn.events_received()
        await self.flush()

    async def close(self, reason: ByeReason = ByeReason.NORMAL, text: str = "") -> None:
        """Say Bye (if still open) and close the socket."""
        try:
            self.conn.close(reason, text)
        except ProtocolUsageError:
            self.conn.state = State.CLOSED
        await self.flush()
        await self._close_socket()

    async def _close_socket(self) -> None:
        error = self.conn.error
        if error is not None:
            code = _CLOSE_CODE_FOR_ERROR.get(error.code, 4000 + ByeReason.PROTOCOL_ERROR)
            reason = error.text
        else:
            code, reason = 1000, ""
        try:
            await self.ws.close(code, reason[:120])
        except Exception:  # the socket is already gone; nothing left to tell the peer
            log.debug("close of %s failed", self.peer, exc_info=True)


def _closed_text(exc: ConnectionClosed) -> str:
    frame = exc.rcvd or exc.sent
    if frame is None:
        return "connection lost"
    return f"connection closed ({frame.code}{': ' + frame.reason if frame.reason else ''})"


async def connect(
    url: str,
    role: Role,
    *,
    ssl_context: ssl.SSLContext | None = None,
    allow_insecure: bool = False,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    capabilities: tuple[str, ...] = (),
    software: str = "",
    open_timeout: float = 10.0,
    connection: Connection | None = None,
) -> MessageSocket:
    """Open a websocket to ``url`` and complete the Hello exchange as ``role``.

    Raises ``InsecureTransport`` (ws:// to a remote host), ``TransportError`` (cannot connect)
    or ``PeerClosed``/``ProtocolFailure`` (e.g. a version mismatch, with the hub's sentence).
    """
    check_url(url, allow_insecure=allow_insecure)
    if url.startswith("wss://") and ssl_context is None:
        ssl_context = client_ssl_context()
    options = websocket_options(max_message_bytes)
    try:
        ws: ClientConnection = await ws_connect(
            url, ssl=ssl_context if url.startswith("wss://") else None,
            open_timeout=open_timeout, **options)
    except (TimeoutError, OSError, InvalidHandshake, InvalidURI) as exc:
        raise TransportError(f"cannot connect to {url}: {exc}") from exc
    conn = connection or Connection(role, max_message_bytes=max_message_bytes,
                                    capabilities=capabilities, software=software)
    sock = MessageSocket(ws, conn)
    try:
        conn.start()
        await sock.flush()
        hello = await asyncio.wait_for(sock.receive(), open_timeout)
    except TimeoutError:
        await ws.close()
        raise TransportError(f"{url} did not answer Hello within {open_timeout} s") from None
    except BaseException:
        await ws.close()
        raise
    assert isinstance(hello, m.Hello)  # the Connection accepts nothing else first
    return sock
