"""One agent console's websocket at ``/console``: read, dispatch, reply, push.

Replies and pushed events go through a bounded outbox drained by a writer task, so a
console that stops reading never blocks the hub's loop (rings for others, ring
timeouts); when its outbox overflows it is closed. Bad input gets an ``Error`` and this
console alone is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from app.api import messages as m

if TYPE_CHECKING:
    from app.api.messages import AgentProfile

log = logging.getLogger(__name__)

OUTBOX_LIMIT = 512
CLOSE_POLICY = 1008  # websocket close code "policy violation"
CLOSE_TRY_AGAIN = 1013


class ConsoleConnection:
    """State of one console: who signed in, and its outbox."""

    def __init__(self, ws: ServerConnection, max_chars: int) -> None:
        self.ws = ws
        self.max_chars = max_chars
        remote = ws.remote_address
        self.peer: str = str(remote[0]) if remote else "?"
        self.agent: AgentProfile | None = None
        self.token: str | None = None
        self._outbox: asyncio.Queue[str | None] = asyncio.Queue(OUTBOX_LIMIT)
        self._closing = False

    @property
    def agent_id(self) -> int | None:
        return self.agent.agent_id if self.agent else None

    def push(self, msg: m.Message) -> None:
        """Queue ``msg`` for this console; a console too slow to read is closed."""
        if self._closing:
            return
        try:
            self._outbox.put_nowait(m.encode(msg))
        except asyncio.QueueFull:
            log.warning("console of %s stopped reading; closing it", self.describe())
            self.close(CLOSE_TRY_AGAIN, "console too slow")

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Send what is queued, then close (the writer does it, in order)."""
        if self._closing:
            return
        self._closing = True
        self._close_args = (code, reason)
        with contextlib.suppress(asyncio.QueueFull):
            self._outbox.put_nowait(None)
        if self._outbox.full():
            asyncio.ensure_future(self.ws.close(code, reason))

    def describe(self) -> str:
        who = self.agent.login if self.agent else "not signed in"
        return f"{who}@{self.peer}"

    async def run(self, handle: Callable[[ConsoleConnection, m.Message], Awaitable[None]]) -> None:
        """Serve this console until it closes; ``handle`` is called per decoded message."""
        writer = asyncio.create_task(self._write(), name=f"console-writer-{self.peer}")
        try:
            async for text in self.ws:
                if self._closing:
                    break
                try:
                    msg = m.decode(text, self.max_chars)
                except m.ApiError as exc:
                    log.warning("bad console-API input from %s: %s", self.describe(), exc)
                    self.push(m.error_for(exc))
                    self.close(CLOSE_POLICY, str(exc.code))
                    break
                await handle(self, msg)
        except ConnectionClosed:
            pass
        finally:
            self._closing = True
            with contextlib.suppress(asyncio.QueueFull):
                self._outbox.put_nowait(None)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(writer, 5)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def _write(self) -> None:
        try:
            while True:
                text = await self._outbox.get()
                if text is None:
                    break
                await self.ws.send(text)
        except ConnectionClosed:
            return
        code, reason = getattr(self, "_close_args", (1000, ""))
        await self.ws.close(code, reason)
