"""Helpers for relay tests: real websockets on 127.0.0.1, real protocol clients."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from remote.protocol import messages as m
from remote.protocol.encodings import EncodedRect, Encoding
from remote.relay.interfaces import Origin
from remote.relay.standalone import StandaloneServer
from remote.transport import MessageSocket, connect

T = TypeVar("T")

LAYOUT = m.ScreenLayout((m.Monitor(0, 0, 640, 480, True, "test"),), 0, 640, 480)


def run(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run one test scenario on a fresh loop, bounded so a hang fails instead of blocking."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def frame(seq: int, payload: bytes = b"\x01\x02\x03", x: int = 0, y: int = 0) -> m.FrameUpdate:
    enc = Encoding.SOLID if len(payload) == 3 else Encoding.ZLIB
    return m.FrameUpdate(seq, (EncodedRect(x, y, 16, 16, enc, payload),))


async def receive_until(sock: MessageSocket, cls: type[T], timeout: float = 10.0) -> T:
    """Read messages until one of ``cls`` arrives (others are skipped); return it."""

    async def loop() -> T:
        while True:
            msg = await sock.receive()
            if isinstance(msg, cls):
                return msg

    return await asyncio.wait_for(loop(), timeout)


async def start_assist(server: StandaloneServer, consent: m.ConsentLevel | None = None,
                       problem: str = "help") -> tuple[MessageSocket, m.Admitted, str]:
    """An assist that requested help; returns it, its Admitted and the session's viewer code."""
    assist = await connect(server.assist_url, m.Role.ASSIST)
    await assist.send(m.HelpRequest(problem, {"os": "test"}, "machine-1"))
    admitted = await assist.receive()
    assert isinstance(admitted, m.Admitted)
    ticket = await server.broker.next_session(10)
    assert ticket.session_id == admitted.session_id
    if consent is not None:
        await assist.send(m.Consent(consent))
        await assist.send(LAYOUT)
    return assist, admitted, ticket.viewer_code


async def start_viewer(server: StandaloneServer, code: str) -> tuple[MessageSocket, m.Admitted]:
    viewer = await connect(server.viewer_url, m.Role.VIEWER)
    await viewer.send(m.ViewerJoin(code))
    admitted = await viewer.receive()
    assert isinstance(admitted, m.Admitted)
    return viewer, admitted


async def paired(server: StandaloneServer, consent: m.ConsentLevel = m.ConsentLevel.CONTROL
                 ) -> tuple[MessageSocket, MessageSocket, str]:
    """An assist and a viewer in one session, consent given, the layout seen by the viewer."""
    assist, admitted, code = await start_assist(server, consent)
    viewer, _ = await start_viewer(server, code)
    await receive_until(viewer, m.ScreenLayout)
    await receive_until(assist, m.AgentJoined)
    return assist, viewer, admitted.session_id


@dataclass
class ListRecorder:
    """A SessionRecorder that keeps what it is offered in memory (a real implementation of the
    interface, used to check what the relay offers)."""

    records: list[tuple[int, Origin, Any, bytes]] = field(default_factory=list)
    closed: str | None = None

    def on_message(self, t_ms: int, origin: Origin, message: Any, raw: bytes) -> None:
        self.records.append((t_ms, origin, message, raw))

    def close(self, reason: str) -> None:
        self.closed = reason
