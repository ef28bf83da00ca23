"""Tandem Assist end to end on a real Xvfb, over real websockets.

With the standalone relay: the consent answer typed on the terminal, pixel fidelity after
the lossless refresh, customer stops. With a relay that forwards everything: the assist's
own consent checks (no pixels before consent, no injection without control, none after
the customer drops to view only).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("Xlib")
standalone = pytest.importorskip("remote.relay.standalone")

from Xlib import display as xdisplay  # noqa: E402

from remote.protocol import messages as m  # noqa: E402
from remote.protocol.encodings import Encoding  # noqa: E402
from remote.protocol.messages import ByeReason, ConsentLevel  # noqa: E402
from tests.remote.assist.support import (  # noqa: E402
    AssistProcess,
    ForwardingRelay,
    MiniViewer,
    Painter,
    assist_env,
    photo,
    screen,
)

pytestmark = pytest.mark.xvfb


def pointer(display: str) -> tuple[int, int]:
    d = xdisplay.Display(display)
    try:
        reply = d.screen().root.query_pointer()
        return reply.root_x, reply.root_y
    finally:
        d.close()


def test_consent_then_exact_pixels_then_customer_stops(xvfb, tmp_path: Path) -> None:
    painter = Painter(xvfb.display)

    async def scenario() -> None:
        async with standalone.serve() as relay:
            assist = await AssistProcess.start(relay.url, assist_env(xvfb.display, tmp_path))
            try:
                ticket = await relay.broker.next_session(timeout=20)
                assert ticket.request.environment["screens"][0]["width"] == 1280
                assert len(ticket.request.machine_id) == 32
                viewer = await MiniViewer.join(relay.viewer_url, ticket.viewer_code)
                await assist.read_until("1 = view only, 2 = view and control")
                assert not viewer.has(m.FrameUpdate)
                await assist.answer("2")
                await assist.read_until("SESSION ON")
                painter.put(40, 30, photo(300, 500))
                target = screen(xvfb.display)

                def exact(v: MiniViewer) -> bool:
                    return v.fb is not None and Encoding.JPEG in v.encodings and bool(
                        np.array_equal(v.fb.pixels[..., :3], target[..., :3]))

                await viewer.pump_until(exact, timeout=30)
                await assist.answer("s")
                await assist.read_until("Session ended: You ended the session.")
                assert await assist.wait() == 0
                _, ended = await relay.broker.wait_event(
                    lambda sid, e: type(e).__name__ == "SessionEnded", timeout=10)
                assert ended.reason is ByeReason.ENDED_BY_CUSTOMER
            finally:
                await assist.kill()

    try:
        asyncio.run(scenario())
    finally:
        painter.close()


def test_assist_enforces_consent_itself(xvfb, tmp_path: Path) -> None:
    async def scenario() -> None:
        relay = ForwardingRelay()
        await relay.start()
        assist = await AssistProcess.start(relay.url, assist_env(xvfb.display, tmp_path))
        try:
            await asyncio.wait_for(relay.connected.wait(), 20)
            await relay.send(m.AgentJoined("Agent Smith"))
            await assist.read_until("Allow Agent Smith")
            await relay.send(m.PointerEvent(11, 12, 0))
            await relay.sync()
            assert relay.screen_messages() == []
            assert pointer(xvfb.display) != (11, 12)

            mark = relay.mark()
            await assist.answer("3")  # decline
            await relay.wait_for(lambda msg: msg == m.Consent(ConsentLevel.NONE), since=mark)
            await relay.sync()
            assert relay.screen_messages() == []

            await relay.send(m.ConsentRequest(ConsentLevel.VIEW))
            await assist.read_until("Allow Agent Smith")
            await assist.answer("1")  # view only
            await relay.wait_for(lambda msg: isinstance(msg, m.FrameUpdate))
            await relay.send(m.PointerEvent(21, 22, 0))
            await relay.send(m.ClipboardText("abc"))  # the agent's clipboard needs control
            await relay.sync()
            assert pointer(xvfb.display) != (21, 22)

            await relay.send(m.ConsentRequest(ConsentLevel.CONTROL))
            await assist.read_until("Allow Agent Smith")
            mark = relay.mark()
            await assist.answer("2")
            await relay.wait_for(lambda msg: msg == m.Consent(ConsentLevel.CONTROL), since=mark)
            await relay.send(m.PointerEvent(321, 123, 0))
            await relay.send(m.ClipboardText("abcde"))
            await relay.sync()
            assert pointer(xvfb.display) == (321, 123)
            await assist.read_until("clipboard text (5 characters)")
            assert not any("(3 characters)" in line for line in assist.lines)

            await relay.send(m.ChatLine("Agent Smith", "please open the settings"))
            await assist.read_until("Agent Smith: please open the settings")
            mark = relay.mark()
            await assist.answer("c done")
            await relay.wait_for(lambda msg: msg == m.ChatLine("customer", "done"), since=mark)

            mark = relay.mark()
            await assist.answer("v")  # the customer drops to view only
            await relay.wait_for(lambda msg: msg == m.Consent(ConsentLevel.VIEW), since=mark)
            await relay.send(m.PointerEvent(31, 32, 0))
            await relay.sync()
            assert pointer(xvfb.display) == (321, 123)

            await relay.send(m.RatingRequest("How did we do?"))
            await assist.read_until("How did we do?")
            await assist.answer("r 5 quick and kind")
            await relay.wait_for(lambda msg: msg == m.Rating(5, "quick and kind"))

            await assist.answer("s")
            await asyncio.wait_for(relay.closed.wait(), 10)
            assert relay.error is not None and relay.error.bye is not None
            assert relay.error.bye.reason is ByeReason.ENDED_BY_CUSTOMER
            assert await assist.wait() == 0
        finally:
            await assist.kill()
            await relay.stop()

    asyncio.run(scenario())
