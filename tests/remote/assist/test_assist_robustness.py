"""The assist survives what the network does: drops (it resumes), garbage and a hub that
speaks another protocol version (it ends with a clear sentence, never a crash)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytest.importorskip("Xlib")
standalone = pytest.importorskip("remote.relay.standalone")

from websockets.asyncio.server import serve  # noqa: E402

from remote import transport  # noqa: E402
from remote.protocol import messages as m  # noqa: E402
from remote.protocol.connection import Connection  # noqa: E402
from remote.protocol.messages import Role  # noqa: E402
from tests.remote.assist.support import (  # noqa: E402
    AssistProcess,
    DroppingProxy,
    ForwardingRelay,
    MiniViewer,
    assist_env,
)

pytestmark = pytest.mark.xvfb


def test_assist_resumes_after_a_network_drop(xvfb, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with standalone.serve() as relay:
            proxy = DroppingProxy(relay.port)
            await proxy.start()
            assist = await AssistProcess.start(f"ws://127.0.0.1:{proxy.port}",
                                               assist_env(xvfb.display, tmp_path),
                                               "--auto-consent", "view")
            try:
                ticket = await relay.broker.next_session(timeout=20)
                viewer = await MiniViewer.join(relay.viewer_url, ticket.viewer_code)
                await viewer.pump_until(lambda v: v.has(m.FrameUpdate))
                proxy.drop_all()
                await assist.read_until("reconnecting")
                await assist.read_until("Reconnected")
                assert proxy.connections == 2
                viewer.received.clear()

                def back(v: MiniViewer) -> bool:
                    return any(msg == m.PeerStatus(Role.ASSIST, True) for msg in v.received) \
                        and v.has(m.FrameUpdate)

                await viewer.pump_until(back)
                await assist.answer("s")
                assert await assist.wait() == 0
            finally:
                await assist.kill()
                await proxy.stop()

    asyncio.run(scenario())


@pytest.mark.parametrize("garbage", [b"", b"\x10\x00", b"\xff" * 40, b"\x07{not json"])
def test_garbage_from_the_hub_ends_the_session_cleanly(xvfb, tmp_path: Path,
                                                       garbage: bytes) -> None:
    async def scenario() -> None:
        relay = ForwardingRelay()
        await relay.start()
        assist = await AssistProcess.start(relay.url, assist_env(xvfb.display, tmp_path))
        try:
            await asyncio.wait_for(relay.connected.wait(), 20)
            await relay.sock.ws.send(garbage)
            line = await assist.read_until("Session ended")
            assert "Protocol error" in line
            assert await assist.wait() == 0
        finally:
            await assist.kill()
            await relay.stop()

    asyncio.run(scenario())


def test_version_mismatch_is_explained(xvfb, tmp_path: Path) -> None:
    async def handler(ws) -> None:
        sock = transport.MessageSocket(ws, Connection(Role.RELAY, min_version=7, version=7))
        try:
            await sock.receive()
        except transport.TransportError:
            pass

    async def scenario() -> None:
        server = await serve(handler, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        assist = await AssistProcess.start(f"ws://127.0.0.1:{port}",
                                           assist_env(xvfb.display, tmp_path))
        try:
            line = await assist.read_until("Session ended")
            assert "protocol version mismatch" in line and "update the older program" in line
            assert await assist.wait() == 0
        finally:
            await assist.kill()
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())


def test_session_code_joins_and_a_wrong_code_is_explained(xvfb, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with standalone.serve() as relay:
            code = relay.broker.issue_code()
            assist = await AssistProcess.start(relay.url, assist_env(xvfb.display, tmp_path),
                                               "--code", code)
            try:
                ticket = await relay.broker.next_session(timeout=20)
                assert isinstance(ticket.request, m.SessionCode)
                assert ticket.request.code == code
                await assist.read_until("Waiting for an agent")
                await assist.answer("s")
                assert await assist.wait() == 0
            finally:
                await assist.kill()
            wrong = await AssistProcess.start(relay.url, assist_env(xvfb.display, tmp_path),
                                              "--code", code)  # single use: now wrong
            try:
                line = await wrong.read_until("Session ended")
                assert "code is wrong, expired or used" in line
                assert await wrong.wait() == 0
            finally:
                await wrong.kill()

    asyncio.run(scenario())


def test_capture_failure_is_told_to_both_sides(xvfb, tmp_path: Path) -> None:
    async def scenario() -> None:
        relay = ForwardingRelay()
        await relay.start()
        assist = await AssistProcess.start(relay.url, assist_env(xvfb.display, tmp_path),
                                           "--auto-consent", "view", "--display", ":4244")
        try:
            await asyncio.wait_for(relay.connected.wait(), 20)
            await relay.send(m.AgentJoined("Agent Smith"))
            chat = await relay.wait_for(lambda msg: isinstance(msg, m.ChatLine))
            assert chat.text.startswith("Screen sharing stopped")
            await assist.read_until("Screen sharing stopped")
            await assist.answer("s")
            assert await assist.wait() == 0
        finally:
            await assist.kill()
            await relay.stop()

    asyncio.run(scenario())


def test_extreme_but_valid_input_does_not_hurt_the_assist(xvfb, tmp_path: Path) -> None:
    async def scenario() -> None:
        relay = ForwardingRelay()
        await relay.start()
        assist = await AssistProcess.start(relay.url, assist_env(xvfb.display, tmp_path),
                                           "--auto-consent", "control")
        try:
            await asyncio.wait_for(relay.connected.wait(), 20)
            await relay.send(m.AgentJoined("Agent Smith"))
            await relay.wait_for(lambda msg: isinstance(msg, m.FrameUpdate))
            for msg in (m.KeyEvent(0xFFFFFFFF, True), m.KeyEvent(0xFFFFFFFF, False),
                        m.KeyEvent(0, True), m.KeyEvent(0x1000000 + 0x4E2D, True),
                        m.KeyEvent(0x1000000 + 0x4E2D, False), m.KeyEvent(0x61, False),
                        m.PointerEvent(65535, 65535, 0x7F), m.PointerEvent(1, 1, 0),
                        m.MonitorSelect(31), m.RefreshRequest(), m.FrameAck(4_000_000_000),
                        m.ClipboardText("x" * 100_000), m.ChatLine("", "")):
                await relay.send(msg)
            await relay.sync()
            mark = relay.mark()
            await relay.send(m.RefreshRequest())
            await relay.wait_for(lambda msg: isinstance(msg, m.FrameUpdate) and msg.full,
                                 since=mark)
            await assist.answer("s")
            assert await assist.wait() == 0
        finally:
            await assist.kill()
            await relay.stop()

    asyncio.run(scenario())
