"""HubClient against small real websockets servers on 127.0.0.1 (edge cases the hub
tests do not reach: silence, garbage, URL forms, clean close)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from app.api import messages as m
from app.api.client import HubClient, HubUnavailable, console_url
from remote.transport import InsecureTransport


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))  # type: ignore[arg-type]


async def with_server(handler: Callable[[ServerConnection], Awaitable[None]],
                      body: Callable[[str], Awaitable[None]]) -> None:
    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        await body(f"ws://127.0.0.1:{port}")


def test_console_url_forms() -> None:
    assert console_url("ws://127.0.0.1:1") == "ws://127.0.0.1:1/console"
    assert console_url("ws://localhost:1/console") == "ws://localhost:1/console"
    assert console_url("wss://h:1/console/") == "wss://h:1/console"
    with pytest.raises(ValueError):
        console_url("http://h:1")


def test_console_refuses_plain_ws_to_another_machine() -> None:
    with pytest.raises(InsecureTransport, match="use wss://"):
        console_url("ws://hub.example.com:8765")


def test_request_times_out_when_the_hub_is_silent() -> None:
    async def silent(ws: ServerConnection) -> None:
        async for _ in ws:
            pass

    async def body(url: str) -> None:
        client = HubClient(url, reconnect=False)
        await client.connect()
        with pytest.raises(m.ApiError) as timeout:
            await client.request(m.Ping(), timeout=0.2)
        assert timeout.value.code == m.ErrorCode.TIMEOUT
        await client.close()

    run(with_server(silent, body))


def test_garbage_from_the_hub_is_skipped_and_errors_raise() -> None:
    async def odd(ws: ServerConnection) -> None:
        async for text in ws:
            msg = m.decode(text)
            await ws.send("this is not the console API")
            if isinstance(msg, m.Ping):
                await ws.send(m.encode(m.reply_to(msg, m.Pong())))
            else:
                await ws.send(m.encode(m.reply_to(msg, m.Error(code="not_found", text="gone"))))

    async def body(url: str) -> None:
        client = HubClient(url, reconnect=False)
        await client.connect()
        assert isinstance(await client.request(m.Ping()), m.Pong)
        with pytest.raises(m.ApiError) as gone:
            await client.request(m.TicketDetailRequest(ticket_id=1))
        assert gone.value.code == m.ErrorCode.NOT_FOUND and gone.value.text == "gone"
        with pytest.raises(m.ApiError):
            await client.call(m.Ping(), m.TicketsResult)  # a reply of the wrong type
        await client.close()

    run(with_server(odd, body))


def test_dropped_connection_fails_pending_requests_and_close_ends_events() -> None:
    async def drop(ws: ServerConnection) -> None:
        await ws.recv()
        await ws.close()

    async def body(url: str) -> None:
        client = HubClient(url, reconnect=False)
        await client.connect()
        with pytest.raises(HubUnavailable):
            await client.request(m.Ping())
        events = [e async for e in _drain(client)]
        assert events and type(events[0]).__name__ == "ConnectionLost"

    run(with_server(drop, body))


async def _drain(client: HubClient) -> Any:
    stream = client.events()
    first = await anext(stream)
    yield first
    await client.close()
    async for event in stream:
        yield event


def test_unreachable_hub_says_so() -> None:
    async def body() -> None:
        client = HubClient("ws://127.0.0.1:9", reconnect=False, open_timeout=2)
        with pytest.raises(HubUnavailable, match="cannot reach"):
            await client.login("a", "b")

    run(body())
