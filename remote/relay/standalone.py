"""A relay without the hub: an in-memory broker with session codes, and ``serve()``.

Used by tests, ``bench/remote.py`` and ``tandem-view``. Every new session gets a viewer code
(announced through ``next_session()`` and the log); an agent-side ``issue_code()`` makes a
code for the customer to type into Tandem Assist. Codes are random (``secrets``), short-lived,
single-use, and a peer with too many wrong attempts is refused for a while.

Run one: ``python -m remote.relay.standalone --port 8765``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import secrets
import ssl
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection
from websockets.asyncio.server import serve as ws_serve

from remote.logging_setup import configure_logging
from remote.protocol.messages import ErrorCode, HelpRequest, SessionCode
from remote.relay import interfaces as ev
from remote.relay.interfaces import (
    Admission,
    Refused,
    SessionEvent,
    SessionRecorder,
    ViewerAdmission,
)
from remote.relay.relay import Relay, RelaySettings
from remote.transport import InsecureTransport, is_loopback, websocket_options

log = logging.getLogger(__name__)

MIN_CODE_DIGITS, MAX_CODE_DIGITS = 6, 9


def new_code(digits: int) -> str:
    """A random numeric code of ``digits`` digits (leading zeros kept)."""
    if not MIN_CODE_DIGITS <= digits <= MAX_CODE_DIGITS:
        raise ValueError(f"codes have {MIN_CODE_DIGITS}-{MAX_CODE_DIGITS} digits")
    return f"{secrets.randbelow(10**digits):0{digits}d}"


@dataclass(frozen=True, slots=True)
class SessionTicket:
    """A session the standalone broker admitted, and the code a viewer joins it with."""

    session_id: str
    viewer_code: str
    request: HelpRequest | SessionCode


@dataclass
class _Code:
    expires: float
    session_id: str | None = None  # for viewer codes


@dataclass
class StandaloneBroker:
    """In-memory ``SessionBroker``: admits every help request, hands out viewer codes."""

    agent_name: str = "Agent"
    code_digits: int = 8
    code_ttl_s: float = 600.0
    max_failures: int = 5  # wrong codes per peer within failure_window_s before refusing
    failure_window_s: float = 60.0
    recorder_factory: Callable[[str], SessionRecorder | None] | None = None
    clock: Callable[[], float] = time.monotonic
    events: list[tuple[str, SessionEvent]] = field(default_factory=list)
    _assist_codes: dict[str, _Code] = field(default_factory=dict)
    _viewer_codes: dict[str, _Code] = field(default_factory=dict)
    _failures: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _tickets: asyncio.Queue[SessionTicket] | None = None
    _event_waiters: list[tuple[Callable[[str, SessionEvent], bool], asyncio.Future[Any]]] = \
        field(default_factory=list)

    def __post_init__(self) -> None:
        new_code(self.code_digits)  # validates the digit count

    # --- agent side (what a console would do through the hub) --------------------------

    def issue_code(self) -> str:
        """A code for the customer to type into Tandem Assist (single use, short-lived)."""
        code = self._unique(self._assist_codes)
        self._assist_codes[code] = _Code(self.clock() + self.code_ttl_s)
        return code

    def viewer_code(self, session_id: str) -> str:
        """A fresh code for another viewer (e.g. a supervisor) to join ``session_id``."""
        code = self._unique(self._viewer_codes)
        self._viewer_codes[code] = _Code(self.clock() + self.code_ttl_s, session_id)
        return code

    async def next_session(self, timeout: float | None = None) -> SessionTicket:
        """Wait for the next admitted session and its viewer code."""
        return await asyncio.wait_for(self._queue().get(), timeout)

    async def wait_event(self, predicate: Callable[[str, SessionEvent], bool],
                         timeout: float | None = None) -> tuple[str, SessionEvent]:
        """Wait for a session event matching ``predicate`` (past events count too)."""
        for item in self.events:
            if predicate(*item):
                return item
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._event_waiters.append((predicate, future))
        return await asyncio.wait_for(future, timeout)

    # --- SessionBroker -------------------------------------------------------------------

    async def assist_request(self, request: HelpRequest, peer: str) -> Admission:
        return self._new_session(request)

    async def assist_code(self, code: SessionCode, peer: str) -> Admission:
        self._check_rate(peer)
        entry = self._assist_codes.pop(code.code, None)
        if entry is None or entry.expires < self.clock():
            self._failed(peer)
            raise Refused(ErrorCode.BAD_CODE, "this session code is wrong, expired or used")
        return self._new_session(code)

    async def viewer_join(self, token: str, peer: str) -> ViewerAdmission:
        self._check_rate(peer)
        entry = self._viewer_codes.pop(token, None)
        if entry is None or entry.expires < self.clock() or entry.session_id is None:
            self._failed(peer)
            raise Refused(ErrorCode.BAD_CODE, "this viewer code is wrong, expired or used")
        return ViewerAdmission(entry.session_id, self.agent_name)

    async def session_event(self, session_id: str, event: SessionEvent) -> None:
        self.events.append((session_id, event))
        for waiter in list(self._event_waiters):
            predicate, future = waiter
            if not future.done() and predicate(session_id, event):
                future.set_result((session_id, event))
                self._event_waiters.remove(waiter)
        if isinstance(event, ev.SessionEnded):
            for code in [c for c, e in self._viewer_codes.items() if e.session_id == session_id]:
                del self._viewer_codes[code]

    def recorder(self, session_id: str) -> SessionRecorder | None:
        return self.recorder_factory(session_id) if self.recorder_factory else None

    # --- internals ----------------------------------------------------------------------

    def _queue(self) -> asyncio.Queue[SessionTicket]:
        if self._tickets is None:
            self._tickets = asyncio.Queue()
        return self._tickets

    def _new_session(self, request: HelpRequest | SessionCode) -> Admission:
        session_id = f"s{next(self._ids)}"
        ticket = SessionTicket(session_id, self.viewer_code(session_id), request)
        log.info("session %s admitted (machine %r): viewer code %s", session_id,
                 request.machine_id, ticket.viewer_code)
        self._queue().put_nowait(ticket)
        return Admission(session_id)

    def _unique(self, table: dict[str, _Code]) -> str:
        now = self.clock()
        for code in [c for c, e in table.items() if e.expires < now]:
            del table[code]
        while True:
            code = new_code(self.code_digits)
            if code not in table:
                return code

    def _check_rate(self, peer: str) -> None:
        attempts = self._failures[peer]
        cutoff = self.clock() - self.failure_window_s
        while attempts and attempts[0] < cutoff:
            attempts.popleft()
        if len(attempts) >= self.max_failures:
            raise Refused(ErrorCode.RATE_LIMITED, "too many wrong codes; wait a minute and "
                          "try again")

    def _failed(self, peer: str) -> None:
        self._failures[peer].append(self.clock())


@dataclass
class StandaloneServer:
    """A running standalone relay: ``url`` is ws(s)://host:port (paths /assist, /viewer)."""

    server: Server
    relay: Relay
    broker: StandaloneBroker
    url: str
    port: int

    @property
    def assist_url(self) -> str:
        return f"{self.url}/assist"

    @property
    def viewer_url(self) -> str:
        return f"{self.url}/viewer"


def route(relay: Relay) -> Callable[[ServerConnection], Any]:
    """A websockets handler sending /assist and /viewer to the relay (others are closed)."""

    async def handler(ws: ServerConnection) -> None:
        path = ws.request.path.split("?", 1)[0].rstrip("/") if ws.request else ""
        if path == "/assist":
            await relay.handle_assist(ws)
        elif path == "/viewer":
            await relay.handle_viewer(ws)
        else:
            await ws.close(1008, "unknown path; use /assist or /viewer")

    return handler


@contextlib.asynccontextmanager
async def serve(host: str = "127.0.0.1", port: int = 0, *,
                broker: StandaloneBroker | None = None,
                settings: RelaySettings | None = None,
                ssl_context: ssl.SSLContext | None = None,
                allow_insecure: bool = False) -> AsyncIterator[StandaloneServer]:
    """Serve a standalone relay until the block exits (then end every session, stop)."""
    if ssl_context is None and not is_loopback(host) and not allow_insecure:
        raise InsecureTransport(f"refusing to serve unencrypted ws:// on {host}: give a TLS "
                                "certificate or allow it explicitly")
    broker = broker or StandaloneBroker()
    settings = settings or RelaySettings()
    relay = Relay(broker, settings)
    server = await ws_serve(route(relay), host, port, ssl=ssl_context,
                            **websocket_options(settings.max_message_bytes))
    bound = server.sockets[0].getsockname()
    scheme = "wss" if ssl_context else "ws"
    shown = f"[{host}]" if ":" in host else host
    running = StandaloneServer(server, relay, broker, f"{scheme}://{shown}:{bound[1]}", bound[1])
    try:
        yield running
    finally:
        await relay.close()
        server.close()
        await server.wait_closed()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m remote.relay.standalone",
                                     description="A Tandem relay without the hub (for demos "
                                     "and tests): prints a viewer code for every session.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--tls-cert", help="PEM certificate (required when not on loopback)")
    parser.add_argument("--tls-key", help="PEM private key")
    parser.add_argument("--allow-insecure", action="store_true",
                        help="serve plain ws:// on a non-loopback address")
    parser.add_argument("--issue-code", action="store_true",
                        help="print a code for a customer to type into Tandem Assist")
    args = parser.parse_args(argv)
    configure_logging()

    async def run() -> None:
        from remote.transport import server_ssl_context

        context = server_ssl_context(args.tls_cert, args.tls_key) if args.tls_cert else None
        async with serve(args.host, args.port, ssl_context=context,
                         allow_insecure=args.allow_insecure) as running:
            print(f"relay on {running.url} (assist: {running.assist_url}, viewer: "
                  f"{running.viewer_url})", flush=True)
            if args.issue_code:
                print(f"customer code: {running.broker.issue_code()}", flush=True)
            while True:
                ticket = await running.broker.next_session()
                print(f"session {ticket.session_id}: tandem-view {running.url} --code "
                      f"{ticket.viewer_code}", flush=True)

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
