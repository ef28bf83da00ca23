"""Slow and stalled viewers, frame merging, and dropping and resuming a connection."""

from __future__ import annotations

import asyncio
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect as ws_connect

from remote.codec.decoder import Framebuffer
from remote.protocol import messages as m
from remote.protocol.codec import decode, encode
from remote.protocol.encodings import EncodedRect, Encoding
from remote.protocol.messages import ByeReason, ConsentLevel, ErrorCode, Role
from remote.relay import interfaces as ev
from remote.relay.outbox import merge_frames
from remote.relay.relay import RelaySettings
from remote.relay.standalone import serve
from remote.transport import PeerClosed, connect
from tests.remote.relay.support import (
    frame,
    paired,
    receive_until,
    run,
    start_assist,
)


def rect(x: int, y: int, w: int, h: int, enc: Encoding = Encoding.ZLIB,
         data: bytes = b"z") -> EncodedRect:
    return EncodedRect(x, y, w, h, enc, data)


def copy(x: int, y: int, w: int, h: int, sx: int, sy: int) -> EncodedRect:
    return EncodedRect(x, y, w, h, Encoding.COPY, sx.to_bytes(2, "big") + sy.to_bytes(2, "big"))


MERGES = [
    # (old rects, new rects, rects kept from old)
    ([rect(0, 0, 10, 10)], [rect(0, 0, 20, 20)], []),  # covered
    ([rect(0, 0, 10, 10)], [rect(5, 5, 20, 20)], [rect(0, 0, 10, 10)]),  # partly covered
    ([rect(0, 0, 10, 10)], [copy(50, 50, 10, 10, 0, 0), rect(0, 0, 10, 10)],
     [rect(0, 0, 10, 10)]),  # a COPY reads it first
    ([rect(0, 0, 10, 10)], [copy(50, 50, 10, 10, 100, 100), rect(0, 0, 10, 10)], []),
    ([copy(0, 0, 10, 10, 30, 30)], [rect(0, 0, 10, 10, Encoding.JPEG)], []),
    ([rect(0, 0, 10, 10)], [copy(0, 0, 20, 20, 40, 40)], [rect(0, 0, 10, 10)]),  # COPY never
]


@pytest.mark.parametrize(("old", "new", "kept"), MERGES)
def test_merge_frames(old: list, new: list, kept: list) -> None:
    merged = merge_frames(m.FrameUpdate(1, tuple(old)), m.FrameUpdate(2, tuple(new)))
    assert merged.seq == 2
    assert merged.rects == tuple(kept) + tuple(new)


def test_merge_keeps_full_and_full_replaces() -> None:
    full = m.FrameUpdate(1, (rect(0, 0, 640, 480),), full=True)
    delta = m.FrameUpdate(2, (rect(0, 0, 10, 10),))
    assert merge_frames(full, delta).full
    assert merge_frames(delta, full) == full


def test_stalled_viewer_does_not_block_the_assist_or_other_viewers() -> None:
    """A viewer that stops reading: the assist keeps getting acks from a healthy viewer,
    frames for the stalled one are merged, and in the end it is closed as stalled."""
    settings = RelaySettings(stall_timeout_s=1.0, viewer_queue_bytes=4 * 1024 * 1024)

    async def scenario() -> None:
        async with serve(settings=settings) as server:
            assist, healthy, session_id = await paired(server, ConsentLevel.VIEW)
            # The stalled viewer speaks the protocol up to Admitted, then never reads again.
            stalled_code = server.broker.viewer_code(session_id)
            stalled = await ws_connect(server.viewer_url, max_queue=1, compression=None)
            await stalled.send(encode(m.Hello(Role.VIEWER)))
            await stalled.recv()
            await stalled.send(encode(m.ViewerJoin(stalled_code)))
            admitted = decode(await stalled.recv())
            assert isinstance(admitted, m.Admitted)
            stalled_outbox = server.relay.sessions[session_id].viewers[
                admitted.resume_token].outbox

            # 150 incompressible 200 KB frames over the same area, window of 2 frames.
            payload = os.urandom(200 * 1024)
            acked = 0
            for seq in range(1, 151):
                while seq - acked > 2:
                    acked = (await receive_until(assist, m.FrameAck)).seq
                await assist.send(m.FrameUpdate(seq, (rect(0, 0, 256, 200, data=payload),)))
                got = await receive_until(healthy, m.FrameUpdate)
                await healthy.send(m.FrameAck(got.seq))
            while acked < 150:
                acked = (await receive_until(assist, m.FrameAck)).seq
            assert acked == 150
            assert stalled_outbox.merged > 0  # it fell behind while the assist went on

            # The stalled viewer is closed (no Bye: it keeps its place for the grace period).
            await server.broker.wait_event(
                lambda s, e: e == ev.PeerDisconnected(ev.Origin.VIEWER), 20)
            stalled.transport.abort()  # it never reads, so a close handshake would wait
            # The session goes on for the healthy viewer.
            await assist.send(m.FrameUpdate(151, (rect(0, 0, 8, 8),)))
            assert (await receive_until(healthy, m.FrameUpdate)).seq == 151

    run(scenario(), timeout=60)


def test_pointer_motion_to_a_slow_assist_coalesces_but_keys_do_not() -> None:
    async def scenario() -> None:
        async with serve() as server:
            assist, viewer, session_id = await paired(server)
            outbox = server.relay.sessions[session_id].assist.outbox
            for i in range(200):
                await viewer.send(m.PointerEvent(i, i, 0))
            await viewer.send(m.PointerEvent(300, 300, m.Buttons.LEFT))
            await viewer.send(m.KeyEvent(0x61, True))
            await viewer.send(m.KeyEvent(0x61, False))
            received = []
            while len(received) < 3 or received[-1] != m.KeyEvent(0x61, False):
                msg = await assist.receive()
                if isinstance(msg, m.PointerEvent | m.KeyEvent):
                    received.append(msg)
            motion = [e for e in received if isinstance(e, m.PointerEvent) and not e.buttons]
            assert motion[-1] == m.PointerEvent(199, 199, 0)  # the newest position survives
            assert received[-3:] == [m.PointerEvent(300, 300, m.Buttons.LEFT),
                                     m.KeyEvent(0x61, True), m.KeyEvent(0x61, False)]
            assert len(received) == len(motion) + 3
            assert outbox.merged == 200 - len(motion)

    run(scenario())


def test_assist_drops_and_resumes_within_grace() -> None:
    async def scenario() -> None:
        async with serve(settings=RelaySettings(grace_s=30)) as server:
            assist, viewer, session_id = await paired(server)
            token = server.relay.sessions[session_id].assist_token
            await assist.ws.close()  # the network drops: no Bye
            assert await receive_until(viewer, m.PeerStatus) == m.PeerStatus(Role.ASSIST, False)

            again = await connect(server.assist_url, Role.ASSIST)
            await again.send(m.Resume(token))
            admitted = await again.receive()
            assert admitted == m.Admitted(session_id, token)
            assert await receive_until(viewer, m.PeerStatus) == m.PeerStatus(Role.ASSIST, True)
            await receive_until(again, m.RefreshRequest)
            await again.send(m.Consent(ConsentLevel.CONTROL))
            await again.send(m.ScreenLayout((m.Monitor(0, 0, 640, 480),), 0, 640, 480))
            await again.send(frame(1))
            assert await receive_until(viewer, m.FrameUpdate) == frame(1)
            await viewer.send(m.FrameAck(1))
            assert await receive_until(again, m.FrameAck) == m.FrameAck(1)
            kinds = [type(e) for _, e in server.broker.events]
            assert ev.PeerDisconnected in kinds and ev.PeerResumed in kinds
            assert ev.SessionEnded not in kinds

    run(scenario())


def test_viewer_drops_and_resumes_and_old_connection_is_replaced() -> None:
    async def scenario() -> None:
        async with serve() as server:
            assist, viewer, session_id = await paired(server)
            await assist.send(frame(1))
            await receive_until(viewer, m.FrameUpdate)
            token = viewer.conn.resume_token
            await viewer.ws.close()
            assert await receive_until(assist, m.PeerStatus) == m.PeerStatus(Role.VIEWER, False)

            back = await connect(server.viewer_url, Role.VIEWER)
            await back.send(m.Resume(token))
            assert (await back.receive()).session_id == session_id
            assert await receive_until(back, m.ScreenLayout)  # state is replayed
            assert await receive_until(assist, m.PeerStatus) == m.PeerStatus(Role.VIEWER, True)
            await receive_until(assist, m.RefreshRequest)
            await assist.send(frame(2))
            assert await receive_until(back, m.FrameUpdate) == frame(2)

            # A second Resume with the same token replaces the first connection.
            third = await connect(server.viewer_url, Role.VIEWER)
            await third.send(m.Resume(token))
            assert isinstance(await third.receive(), m.Admitted)
            with pytest.raises(PeerClosed) as info:
                await receive_until(back, m.Ping)
            assert info.value.bye is not None and info.value.bye.reason is ByeReason.REPLACED

    run(scenario())


def test_grace_period_over_ends_the_session() -> None:
    async def scenario() -> None:
        async with serve(settings=RelaySettings(grace_s=0.2)) as server:
            assist, viewer, session_id = await paired(server)
            token = server.relay.sessions[session_id].assist_token
            await assist.ws.close()
            with pytest.raises(PeerClosed) as info:
                await receive_until(viewer, m.Ping)
            assert info.value.bye is not None and info.value.bye.reason is ByeReason.PEER_LOST
            _, ended = await server.broker.wait_event(
                lambda s, e: isinstance(e, ev.SessionEnded), 5)
            assert ended.reason is ByeReason.PEER_LOST
            late = await connect(server.assist_url, Role.ASSIST)
            await late.send(m.Resume(token))
            with pytest.raises(PeerClosed) as info:
                await late.receive()
            assert "resume token" in info.value.text

    run(scenario())


def test_two_sessions_are_isolated() -> None:
    async def scenario() -> None:
        async with serve() as server:
            a1, v1, s1 = await paired(server)
            a2, v2, s2 = await paired(server)
            assert s1 != s2
            await a1.send(frame(1, b"\x01\x01\x01"))
            await a2.send(frame(1, b"\x02\x02\x02"))
            assert (await receive_until(v1, m.FrameUpdate)).rects[0].data == b"\x01\x01\x01"
            assert (await receive_until(v2, m.FrameUpdate)).rects[0].data == b"\x02\x02\x02"
            await v1.close(ByeReason.ENDED_BY_AGENT)
            with pytest.raises(PeerClosed):
                await receive_until(a1, m.Ping)
            await a2.send(frame(2))
            assert (await receive_until(v2, m.FrameUpdate)).seq == 2

    run(scenario())


def test_viewer_cannot_join_a_session_without_an_assist() -> None:
    async def scenario() -> None:
        async with serve() as server:
            assist, _, code = await start_assist(server)
            await assist.close(ByeReason.ENDED_BY_CUSTOMER)
            await server.broker.wait_event(lambda s, e: isinstance(e, ev.SessionEnded), 5)
            for token in (code, server.broker.viewer_code("s99")):
                viewer = await connect(server.viewer_url, Role.VIEWER)
                await viewer.send(m.ViewerJoin(token))
                with pytest.raises(PeerClosed) as info:
                    await viewer.receive()
                assert info.value.code in (ErrorCode.BAD_CODE, ErrorCode.REFUSED)
            assert info.value.code is ErrorCode.REFUSED
            assert "not connected" in info.value.text

    run(scenario())


def test_fire_and_forget_tasks_do_not_leak() -> None:
    async def scenario() -> None:
        async with serve() as server:
            assist, viewer, _ = await paired(server)
            await viewer.close(ByeReason.ENDED_BY_AGENT)
            with pytest.raises(PeerClosed):
                await receive_until(assist, m.Ping)
        await asyncio.sleep(0)
        leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert not [t for t in leftover if "outbox" in t.get_name()]

    run(scenario())


def _rects(draw_rects: list[tuple[int, int, int, int, int, int, int, bool]]) -> tuple:
    out = []
    for x, y, w, h, sx, sy, colour, is_copy in draw_rects:
        w, h = min(w, 64 - x), min(h, 48 - y)
        if is_copy:
            sx, sy = min(sx, 64 - w), min(sy, 48 - h)
            out.append(copy(x, y, w, h, sx, sy))
        else:
            out.append(EncodedRect(x, y, w, h, Encoding.SOLID, bytes((colour, 255 - colour, 7))))
    return tuple(out)


RECTS = st.lists(st.tuples(st.integers(0, 63), st.integers(0, 47), st.integers(1, 40),
                           st.integers(1, 40), st.integers(0, 63), st.integers(0, 47),
                           st.integers(0, 255), st.booleans()), max_size=6)


@settings(max_examples=150, deadline=None)
@given(RECTS, RECTS, RECTS)
def test_merged_frames_paint_exactly_what_the_originals_paint(base: list, first: list,
                                                              second: list) -> None:
    """Whatever the rects (COPYs included), a merged frame gives the viewer the same pixels."""
    old = m.FrameUpdate(1, _rects(first))
    new = m.FrameUpdate(2, _rects(second))
    start = Framebuffer(64, 48)
    start.apply(_rects(base))
    one_by_one, merged = Framebuffer(64, 48), Framebuffer(64, 48)
    one_by_one.pixels[:] = start.pixels
    merged.pixels[:] = start.pixels
    one_by_one.apply(old.rects)
    one_by_one.apply(new.rects)
    merged.apply(merge_frames(old, new).rects)
    assert np.array_equal(one_by_one.pixels, merged.pixels)
