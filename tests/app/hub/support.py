"""Helpers for hub tests: a real hub on 127.0.0.1 port 0, real consoles, a scripted assist."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from app.api import messages as api
from app.api.client import HubClient
from remote.protocol import messages as pm
from remote.protocol.encodings import EncodedRect, Encoding
from remote.transport import MessageSocket, connect

T = TypeVar("T")

PASSWORD = "correct horse"
LAYOUT = pm.ScreenLayout((pm.Monitor(0, 0, 640, 480, True, "test"),), 0, 640, 480)


def run(coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
    """Run one scenario on a fresh loop, bounded so a hang fails instead of blocking."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


class Console:
    """A signed-in console: a HubClient plus a queue of what the hub pushed."""

    def __init__(self, client: HubClient) -> None:
        self.client = client
        self.events: asyncio.Queue[Any] = asyncio.Queue()
        client.add_listener(self.events.put_nowait)

    @classmethod
    async def sign_in(cls, url: str, login: str, password: str = PASSWORD) -> Console:
        console = cls(HubClient(url, reconnect=False))
        await console.client.login(login, password)
        return console

    async def next(self, cls: type[T], timeout: float = 10.0) -> T:
        """The next pushed event of type ``cls`` (others are skipped)."""
        async def loop() -> T:
            while True:
                event = await self.events.get()
                if isinstance(event, cls):
                    return event
        return await asyncio.wait_for(loop(), timeout)

    def pushed_so_far(self) -> list[Any]:
        """What the hub pushed and the test has not consumed yet (a peek, no waiting)."""
        return list(self.events._queue)  # type: ignore[attr-defined]

    async def ready(self) -> None:
        await self.client.call(api.SetStatus(status=api.AgentState.READY), api.StatusChanged)

    async def close(self) -> None:
        await self.client.close()


async def receive_until(sock: MessageSocket, cls: type[T], timeout: float = 10.0) -> T:
    async def loop() -> T:
        while True:
            msg = await sock.receive()
            if isinstance(msg, cls):
                return msg
    return await asyncio.wait_for(loop(), timeout)


async def request_help(url: str, problem: str = "The invoice print fails",
                       machine_id: str = "machine-1", customer_code: str = "ACME"
                       ) -> tuple[MessageSocket, pm.Admitted]:
    """A scripted Tandem Assist that pressed "Request help"."""
    assist = await connect(url + "/assist", pm.Role.ASSIST)
    await assist.send(pm.HelpRequest(problem, {"hostname": "acct-pc-7", "os": "Linux"},
                                     machine_id, customer_code))
    admitted = await assist.receive()
    assert isinstance(admitted, pm.Admitted)
    return assist, admitted


def frame(seq: int) -> pm.FrameUpdate:
    return pm.FrameUpdate(seq, (EncodedRect(0, 0, 640, 480, Encoding.SOLID, b"\x10\x20\x30"),),
                          full=True)
