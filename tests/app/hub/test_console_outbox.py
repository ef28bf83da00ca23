"""A console that stops reading is closed; the hub never waits for it."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from app.api import messages as m
from app.hub.console import ConsoleConnection
from tests.app.hub.support import run

BIG = "x" * 65536


def test_stalled_console_is_closed_without_blocking_the_pusher() -> None:
    async def scenario() -> None:
        overflowed = asyncio.Event()

        async def handle(console: ConsoleConnection, msg: m.Message) -> None:
            # Push far more than the socket buffers and the outbox hold; push never awaits.
            for _ in range(3000):
                console.push(m.Error(code="internal", text=BIG))
                await asyncio.sleep(0)
                if console._closing:  # noqa: SLF001 - the state under test
                    overflowed.set()
                    return

        async def handler(ws: ServerConnection) -> None:
            await ConsoleConnection(ws, 1 << 20).run(handle)

        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            port = server.sockets[0].getsockname()[1]
            async with connect(f"ws://127.0.0.1:{port}", compression=None,
                               max_size=None, max_queue=1) as client:
                await client.send(m.encode(m.Ping(request_id=1)))
                await asyncio.wait_for(overflowed.wait(), 30)  # we never read meanwhile
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await client.recv()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013

    run(scenario())
