"""ViewerClient against a live standalone relay and a scripted assist (real websockets)."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import numpy as np
import pytest

from remote.protocol import messages as m
from remote.protocol.encodings import EncodedRect, Encoding
from remote.protocol.messages import ByeReason, ConsentLevel, Role
from remote.relay.relay import RelaySettings
from remote.relay.standalone import serve
from remote.viewer import (
    Closed,
    Disconnected,
    FrameApplied,
    Quality,
    Resumed,
    ViewerClient,
    ViewerError,
)
from remote.viewer.client import viewer_url
from tests.remote.relay.support import LAYOUT, receive_until, run, start_assist


def zlib_rect(x: int, y: int, w: int, h: int, seed: int) -> tuple[EncodedRect, np.ndarray]:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    pixels[:, :, 3] = 255
    return EncodedRect(x, y, w, h, Encoding.ZLIB, zlib.compress(pixels.tobytes())), pixels


def test_viewer_applies_frames_acks_and_sends_input() -> None:
    async def scenario() -> None:
        async with serve() as server:
            assist, _, code = await start_assist(server)
            client = ViewerClient(server.url, code, ping_interval_s=None)
            admitted = await client.connect()
            assert client.session_id == admitted.session_id and client.agent_name == "Agent"
            events = client.events()
            assert await anext(events) == m.PeerStatus(Role.ASSIST, True)
            assert await anext(events) == m.Consent(ConsentLevel.NONE)

            await client.request_consent(ConsentLevel.CONTROL)
            assert await receive_until(assist, m.ConsentRequest) == \
                m.ConsentRequest(ConsentLevel.CONTROL)
            await assist.send(m.Consent(ConsentLevel.CONTROL))
            await assist.send(LAYOUT)
            rect, pixels = zlib_rect(10, 20, 64, 32, seed=1)
            solid = EncodedRect(0, 0, 4, 4, Encoding.SOLID, b"\x10\x20\x30")
            await assist.send(m.FrameUpdate(1, (rect, solid), full=False))
            # The ack comes after the frame was applied.
            assert await receive_until(assist, m.FrameAck) == m.FrameAck(1)
            assert client.last_seq == 1 and client.consent is ConsentLevel.CONTROL
            fb = client.framebuffer
            assert fb is not None and (fb.width, fb.height) == (640, 480)
            assert np.array_equal(fb.pixels[20:52, 10:74], pixels)
            assert fb.pixels[0, 0].tolist() == [0x30, 0x20, 0x10, 255]
            seen = [await anext(events) for _ in range(3)]
            assert seen[:2] == [m.Consent(ConsentLevel.CONTROL), LAYOUT]
            assert isinstance(seen[2], FrameApplied) and seen[2].seq == 1
            assert seen[2].dirty == ((10, 20, 64, 32), (0, 0, 4, 4))

            await client.send_pointer(5, 6, m.Buttons.LEFT)
            await client.tap_key(0x61)
            await client.send_clipboard("from agent")
            await client.send_chat("hello")
            assert await assist.receive() == m.PointerEvent(5, 6, m.Buttons.LEFT)
            assert await assist.receive() == m.KeyEvent(0x61, True)
            assert await assist.receive() == m.KeyEvent(0x61, False)
            assert await assist.receive() == m.ClipboardText("from agent")
            assert await assist.receive() == m.ChatLine("Agent", "hello")

            await assist.send(m.ChatLine("Customer", "hi"))
            await assist.send(m.ClipboardText("from customer"))
            assert await anext(events) == m.ChatLine("Customer", "hi")
            assert await anext(events) == m.ClipboardText("from customer")

            rtt = await client.ping()
            assert rtt > 0
            stats = client.stats.as_dict()
            assert stats["frames"] == 1 and stats["bytes"] > len(rect.data)
            assert stats["rtt_samples"] == 1

            await assist.close(ByeReason.ENDED_BY_CUSTOMER)
            closed = [e async for e in events][-1]
            assert isinstance(closed, Closed) and closed.reason is ByeReason.ENDED_BY_CUSTOMER
            await client.close()

    run(scenario())


def test_viewer_resumes_after_a_drop() -> None:
    async def scenario() -> None:
        async with serve(settings=RelaySettings(grace_s=10)) as server:
            assist, _, code = await start_assist(server, ConsentLevel.VIEW)
            async with ViewerClient(server.url, code, ping_interval_s=None) as client:
                await assist.send(m.FrameUpdate(1, (EncodedRect(0, 0, 8, 8, Encoding.SOLID,
                                                                b"\x01\x02\x03"),)))
                await client.wait_frame(after_seq=0, timeout=5)
                client._sock.ws.transport.abort()  # the network drops under the viewer
                events = client.events()
                async for event in events:
                    if isinstance(event, Disconnected | Resumed):
                        break
                assert isinstance(event, Disconnected)
                async for event in events:
                    if isinstance(event, Resumed):
                        break
                await receive_until(assist, m.RefreshRequest)
                await assist.send(m.FrameUpdate(2, (EncodedRect(0, 0, 8, 8, Encoding.SOLID,
                                                                b"\x09\x09\x09"),), full=False))
                await client.wait_frame(after_seq=1, timeout=5)
                assert client.framebuffer.pixels[0, 0].tolist() == [9, 9, 9, 255]
                assert client.closed is None

    run(scenario())


def test_bad_code_and_no_relay_are_viewer_errors() -> None:
    async def scenario() -> None:
        async with serve() as server:
            with pytest.raises(ViewerError, match="wrong, expired or used"):
                await ViewerClient(server.url, "00000000").connect()
        with pytest.raises(ViewerError, match="cannot connect"):
            await ViewerClient(server.url, "00000000").connect()

    run(scenario())


def test_viewer_url() -> None:
    assert viewer_url("ws://h:1") == "ws://h:1/viewer"
    assert viewer_url("ws://h:1/") == "ws://h:1/viewer"
    assert viewer_url("wss://h/relay/viewer") == "wss://h/relay/viewer"
    with pytest.raises(ValueError):
        viewer_url("h:1")


async def next_event(queue: asyncio.Queue[Any], cls: type, timeout: float = 10.0) -> Any:
    """The next event of ``cls`` the listener got (others are skipped)."""

    async def loop() -> Any:
        while not isinstance(event := await queue.get(), cls):
            pass
        return event

    return await asyncio.wait_for(loop(), timeout)


def test_deferred_ack_listener_and_quality() -> None:
    """The console's way: a listener instead of events(), the caller acks, Quality ticks."""

    async def scenario() -> None:
        async with serve() as server:
            assist, _, code = await start_assist(server, ConsentLevel.VIEW)
            got: asyncio.Queue[Any] = asyncio.Queue()
            client = ViewerClient(server.url, code, software="test-console", ping_interval_s=0.05,
                                  ack_frames=False, listener=got.put_nowait,
                                  stats_interval_s=0.05)
            await client.connect()
            layout = await next_event(got, m.ScreenLayout)
            assert layout == LAYOUT and client.framebuffer is not None
            rect, pixels = zlib_rect(10, 20, 64, 32, seed=2)
            await assist.send(m.FrameUpdate(1, (rect,), full=False))
            applied = await next_event(got, FrameApplied)
            assert applied.seq == 1 and applied.dirty == ((10, 20, 64, 32),)
            assert np.array_equal(client.framebuffer.pixels[20:52, 10:74], pixels)

            # No FrameAck until the caller says the frame is on screen: the chat sent after
            # the frame reaches the assist with no ack before it.
            await client.send_chat("painting")
            before: list[Any] = []
            while not isinstance(msg := await assist.receive(), m.ChatLine):
                before.append(msg)
            assert not any(isinstance(x, m.FrameAck) for x in before), before
            await client.ack(1)
            assert await receive_until(assist, m.FrameAck) == m.FrameAck(1)

            # The listener also gets the cursor position, which events() leaves out.
            await assist.send(m.CursorPos(7, 8))
            assert await next_event(got, m.CursorPos) == m.CursorPos(7, 8)
            quality = await next_event(got, Quality)
            assert quality.fps >= 0 and quality.kbps >= 0
            while (quality := await next_event(got, Quality)).rtt_ms is None:
                pass
            assert quality.rtt_ms > 0

            await client.close(end_session=True)
            closed = await next_event(got, Closed)
            assert closed.reason is ByeReason.ENDED_BY_AGENT and closed.bye is None

    run(scenario())


def test_customer_bye_and_refusal_carry_the_relays_bye() -> None:
    async def scenario() -> None:
        async with serve() as server:
            with pytest.raises(ViewerError) as refused:
                await ViewerClient(server.url, "00000000").connect()
            assert refused.value.bye is not None
            assert refused.value.bye.reason is ByeReason.REFUSED

            assist, _, code = await start_assist(server, ConsentLevel.VIEW)
            async with ViewerClient(server.url, code, ping_interval_s=None) as client:
                await client.wait_until(lambda c: c.layout is not None, timeout=10)
                await assist.close(ByeReason.ENDED_BY_CUSTOMER, "done, thanks")
                closed = [e async for e in client.events()][-1]
                assert isinstance(closed, Closed) and closed.bye is not None
                assert closed.bye.reason is ByeReason.ENDED_BY_CUSTOMER

    run(scenario())
