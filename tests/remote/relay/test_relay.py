"""The relay over real websockets on 127.0.0.1: pairing, consent, refusals, isolation."""

from __future__ import annotations

import asyncio
import logging

import pytest
from websockets.asyncio.client import connect as ws_connect

from remote.protocol import messages as m
from remote.protocol.codec import encode
from remote.protocol.connection import Connection, ProtocolUsageError
from remote.protocol.messages import ByeReason, ConsentLevel, ErrorCode, Role
from remote.relay import interfaces as ev
from remote.relay.interfaces import Origin
from remote.relay.relay import RelaySettings
from remote.relay.standalone import StandaloneBroker, serve
from remote.transport import PeerClosed, connect
from tests.remote.relay.support import (
    LAYOUT,
    ListRecorder,
    frame,
    paired,
    receive_until,
    run,
    start_assist,
    start_viewer,
)


def test_pairing_forwards_both_ways_and_records() -> None:
    recorders: dict[str, ListRecorder] = {}

    def factory(session_id: str) -> ListRecorder:
        recorders[session_id] = ListRecorder()
        return recorders[session_id]

    async def scenario() -> None:
        broker = StandaloneBroker(agent_name="Alice", recorder_factory=factory)
        async with serve(broker=broker) as server:
            assist, viewer, session_id = await paired(server)
            sent = frame(1, bytes(range(200)))
            await assist.send(sent)
            assert await receive_until(viewer, m.FrameUpdate) == sent
            await viewer.send(m.FrameAck(1))
            assert await receive_until(assist, m.FrameAck) == m.FrameAck(1)
            await viewer.send(m.PointerEvent(5, 6, m.Buttons.LEFT))
            await viewer.send(m.KeyEvent(0x61, True))
            assert await assist.receive() == m.PointerEvent(5, 6, m.Buttons.LEFT)
            assert await assist.receive() == m.KeyEvent(0x61, True)
            await assist.send(m.ChatLine("Customer", "hi"))
            assert await receive_until(viewer, m.ChatLine) == m.ChatLine("Customer", "hi")
            assert await server.relay.send_to_assist(session_id, m.RatingRequest("rate us"))
            assert await receive_until(assist, m.RatingRequest) == m.RatingRequest("rate us")
            await assist.send(m.Rating(5, "great"))
            await assist.close(ByeReason.ENDED_BY_CUSTOMER)
            with pytest.raises(PeerClosed) as closed:
                await receive_until(viewer, m.Ping)
            assert closed.value.bye == m.Bye(ByeReason.ENDED_BY_CUSTOMER,
                                             "the customer ended the session")
            await broker.wait_event(lambda s, e: isinstance(e, ev.SessionEnded), 5)
            kinds = [type(e) for s, e in broker.events if s == session_id]
            assert kinds[:3] == [ev.SessionStarted, ev.ConsentChanged, ev.ViewerJoined]
            assert ev.ChatPosted in kinds and ev.RatingGiven in kinds
            assert kinds[-1] is ev.SessionEnded

        recorder = recorders[session_id]
        assert recorder.closed == "ended_by_customer"
        offered = [(origin, type(msg)) for _, origin, msg, _ in recorder.records]
        assert offered[0] == (Origin.ASSIST, m.HelpRequest)
        for item in [(Origin.ASSIST, m.FrameUpdate), (Origin.VIEWER, m.FrameAck),
                     (Origin.VIEWER, m.KeyEvent), (Origin.RELAY, m.RatingRequest),
                     (Origin.ASSIST, m.Rating), (Origin.RELAY, m.AgentJoined)]:
            assert item in offered
        assert all(encode(msg) == raw for _, _, msg, raw in recorder.records)
        times = [t for t, *_ in recorder.records]
        assert times == sorted(times)

    run(scenario())


def test_consent_is_enforced_in_the_relay() -> None:
    async def scenario() -> None:
        async with serve() as server:
            assist, _, code = await start_assist(server)  # no consent yet
            viewer, _ = await start_viewer(server, code)
            assert await receive_until(viewer, m.Consent) == m.Consent(ConsentLevel.NONE)
            # No consent: the screen does not reach the viewer, chat does.
            await assist.send(LAYOUT)
            await assist.send(frame(1))
            await assist.send(m.ChatLine("Customer", "wait"))
            assert await viewer.receive() == m.ChatLine("Customer", "wait")
            # View only: screen flows, input is dropped before it reaches the assist.
            await assist.send(m.Consent(ConsentLevel.VIEW))
            assert await viewer.receive() == m.Consent(ConsentLevel.VIEW)
            assert await viewer.receive() == LAYOUT  # the relay sends the layout it kept
            await assist.send(frame(2))
            assert await viewer.receive() == frame(2)
            await receive_until(assist, m.AgentJoined)
            await viewer.send(m.KeyEvent(0x61, True))
            await viewer.send(m.PointerEvent(1, 1, 1))
            await viewer.send(m.ClipboardText("secret"))
            await viewer.send(m.ChatLine("Alice", "may I?"))
            assert await receive_until(assist, m.ChatLine) == m.ChatLine("Alice", "may I?")
            # Control: input flows; withdrawing consent stops it again.
            await assist.send(m.Consent(ConsentLevel.CONTROL))
            await receive_until(viewer, m.Consent)
            await viewer.send(m.KeyEvent(0x62, True))
            assert await assist.receive() == m.KeyEvent(0x62, True)
            await assist.send(m.Consent(ConsentLevel.NONE))
            assert await receive_until(viewer, m.Consent) == m.Consent(ConsentLevel.NONE)
            await viewer.send(m.KeyEvent(0x63, True))
            await assist.send(frame(3))
            await viewer.send(m.ChatLine("Alice", "ok"))
            assert await assist.receive() == m.ChatLine("Alice", "ok")
            await assist.send(m.ChatLine("Customer", "bye"))
            assert await viewer.receive() == m.ChatLine("Customer", "bye")

    run(scenario())


class Clock:
    """A settable clock for code expiry (the broker takes any callable)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def refused_viewer(server, token: str) -> PeerClosed:  # type: ignore[no-untyped-def]
    viewer = await connect(server.viewer_url, Role.VIEWER)
    await viewer.send(m.ViewerJoin(token))
    with pytest.raises(PeerClosed) as info:
        await viewer.receive()
    return info.value


def test_viewer_with_wrong_expired_or_used_code_is_refused() -> None:
    clock = Clock()

    async def scenario() -> None:
        broker = StandaloneBroker(clock=clock, code_ttl_s=60)
        async with serve(broker=broker) as server:
            assist, admitted, code = await start_assist(server, ConsentLevel.VIEW)
            wrong = "0" * 8 if code != "0" * 8 else "1" * 8
            refusal = await refused_viewer(server, wrong)
            assert refusal.code is ErrorCode.BAD_CODE
            assert "wrong, expired or used" in refusal.text
            assert refusal.bye is not None and refusal.bye.reason is ByeReason.REFUSED

            viewer, _ = await start_viewer(server, code)  # the right code works once
            assert (await refused_viewer(server, code)).code is ErrorCode.BAD_CODE  # used

            late = broker.viewer_code(admitted.session_id)
            clock.now += 61
            assert (await refused_viewer(server, late)).code is ErrorCode.BAD_CODE  # expired

            # The refusals left the session alone.
            await assist.send(frame(1))
            assert await receive_until(viewer, m.FrameUpdate) == frame(1)

    run(scenario())


def test_attempts_are_rate_limited_per_peer() -> None:
    async def scenario() -> None:
        broker = StandaloneBroker(max_failures=3)
        async with serve(broker=broker) as server:
            _, admitted, code = await start_assist(server)
            for _ in range(3):
                assert (await refused_viewer(server, "12345678")).code is ErrorCode.BAD_CODE
            refusal = await refused_viewer(server, code)  # even the right code now
            assert refusal.code is ErrorCode.RATE_LIMITED

    run(scenario())


def test_customer_session_code_is_single_use() -> None:
    async def scenario() -> None:
        async with serve() as server:
            code = server.broker.issue_code()
            assert len(code) == 8 and code.isdigit()
            assist = await connect(server.assist_url, Role.ASSIST)
            await assist.send(m.SessionCode(code, machine_id="m"))
            assert isinstance(await assist.receive(), m.Admitted)
            ticket = await server.broker.next_session(5)
            assert ticket.request == m.SessionCode(code, machine_id="m")
            again = await connect(server.assist_url, Role.ASSIST)
            await again.send(m.SessionCode(code))
            with pytest.raises(PeerClosed) as info:
                await again.receive()
            assert info.value.code is ErrorCode.BAD_CODE

    run(scenario())


def test_version_mismatch_is_clear_on_both_sides(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="remote.transport")

    async def scenario() -> None:
        async with serve() as server:
            future = Connection(Role.ASSIST, min_version=2, version=3)
            with pytest.raises(PeerClosed) as info:
                await connect(server.assist_url, Role.ASSIST, connection=future)
            assert info.value.code is ErrorCode.UNSUPPORTED_VERSION
            assert info.value.bye is not None
            assert info.value.bye.reason is ByeReason.VERSION_MISMATCH
            assert "protocol version mismatch" in info.value.text
            assert "speaks version 2-3" in info.value.text

    run(scenario())
    assert any("protocol version mismatch" in r.getMessage() for r in caplog.records)


def test_wrong_endpoint_role_is_refused() -> None:
    async def scenario() -> None:
        async with serve() as server:
            sock = await connect(server.assist_url, Role.VIEWER)
            with pytest.raises(PeerClosed) as info:
                await sock.receive()
            assert info.value.code is ErrorCode.UNEXPECTED
            assert "for assists" in info.value.text

    run(scenario())


def test_bad_peers_are_closed_alone_while_another_session_flows() -> None:
    async def scenario() -> None:
        settings = RelaySettings(max_message_bytes=64 * 1024)
        async with serve(settings=settings) as server:
            assist, viewer, _ = await paired(server)
            await assist.send(frame(1))
            await receive_until(viewer, m.FrameUpdate)

            # Malformed message from a second session's assist.
            bad, _, bad_code = await start_assist(server, ConsentLevel.VIEW)
            await bad.ws.send(b"\x10\x00\x00\x00\x01\x00\x00\x05garbage")
            with pytest.raises(PeerClosed) as info:
                await bad.receive()
            assert info.value.code is ErrorCode.MALFORMED

            # Oversized message: websockets itself enforces max_size (close 1009).
            big, _, _ = await start_assist(server, ConsentLevel.VIEW)
            await big.ws.send(b"\x10" + b"\x00" * (100 * 1024))
            with pytest.raises(PeerClosed) as info:
                await big.receive()
            assert "1009" in info.value.text

            # Out of order: a frame before the layout, from a third session.
            early, _, _ = await start_assist(server)
            await early.ws.send(encode(frame(1)))
            with pytest.raises(PeerClosed) as info:
                await early.receive()
            assert info.value.code is ErrorCode.UNEXPECTED

            # Text frames and junk before Hello, straight on the websocket.
            async with ws_connect(server.viewer_url) as raw:
                await raw.send("hello?")
                reply = await raw.recv()
                assert reply[0] == 0x3E  # Error
            async with ws_connect(server.viewer_url) as raw:
                await raw.send(b"\x00\x01\x02")
                assert (await raw.recv())[0] == 0x3E

            # The first session never noticed.
            await assist.send(frame(2))
            assert await receive_until(viewer, m.FrameUpdate) == frame(2)
            await viewer.send(m.FrameAck(2))
            assert await receive_until(assist, m.FrameAck) == m.FrameAck(2)

    run(scenario())


def test_join_timeout_closes_a_silent_peer() -> None:
    async def scenario() -> None:
        async with serve(settings=RelaySettings(join_timeout_s=0.2)) as server:
            async with ws_connect(server.assist_url) as raw:
                first = await asyncio.wait_for(raw.recv(), 5)
                assert first[0] == 0x3E and b'"code":11' in first

    run(scenario())


def test_hub_side_calls_on_unknown_sessions() -> None:
    async def scenario() -> None:
        async with serve() as server:
            assert not await server.relay.send_to_assist("nope", m.QueueStatus(1, 30))
            assert not await server.relay.send_to_viewers("nope", m.ChatLine("hub", "x"))
            assist, _, _ = await start_assist(server)
            assert await server.relay.send_to_assist("s1", m.QueueStatus(2, 60))
            assert await assist.receive() == m.QueueStatus(2, 60)
            await server.relay.end_session("s1", ByeReason.NORMAL, "abandoned")
            with pytest.raises(PeerClosed) as info:
                await assist.receive()
            assert info.value.bye == m.Bye(ByeReason.NORMAL, "abandoned")

    run(scenario())


class FailingBroker(StandaloneBroker):
    """A broker whose database is down for one kind of request (a failure at the edge)."""

    async def assist_request(self, request: m.HelpRequest, peer: str) -> ev.Admission:
        if request.problem == "explode":
            raise RuntimeError("database is down")
        return await super().assist_request(request, peer)


def test_broker_failure_costs_only_that_peer() -> None:
    async def scenario() -> None:
        async with serve(broker=FailingBroker()) as server:
            assist, viewer, _ = await paired(server)
            doomed = await connect(server.assist_url, Role.ASSIST)
            await doomed.send(m.HelpRequest("explode"))
            with pytest.raises(PeerClosed) as info:
                await doomed.receive()
            assert info.value.code is ErrorCode.INTERNAL
            assert "database" not in info.value.text  # no internals on the wire
            await assist.send(frame(1))
            assert await receive_until(viewer, m.FrameUpdate) == frame(1)

    run(scenario())


def test_hub_may_not_send_assist_messages_to_the_assist() -> None:
    async def scenario() -> None:
        async with serve() as server:
            assist, viewer, session_id = await paired(server)
            with pytest.raises(ProtocolUsageError):
                await server.relay.send_to_assist(session_id, frame(1))
            assert await server.relay.send_to_assist(session_id, m.QueueStatus(0, 0))
            assert await receive_until(assist, m.QueueStatus) == m.QueueStatus(0, 0)

    run(scenario())


def test_standalone_parts_satisfy_the_interfaces() -> None:
    assert isinstance(StandaloneBroker(), ev.SessionBroker)
    assert isinstance(ListRecorder(), ev.SessionRecorder)
    with pytest.raises(ValueError):
        StandaloneBroker(code_digits=5)
    codes = {StandaloneBroker(code_digits=6).issue_code() for _ in range(50)}
    assert all(len(c) == 6 and c.isdigit() for c in codes) and len(codes) > 40
