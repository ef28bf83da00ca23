"""End to end: a real relay on 127.0.0.1 with a real assist and viewer, recorded by Recorder."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from remote.codec.decoder import Framebuffer
from remote.protocol import messages as m
from remote.recording.reader import RecordingReader
from remote.recording.recorder import Recorder, recording_path
from remote.recording.verify import verify
from remote.relay.standalone import StandaloneBroker, serve
from remote.transport import connect
from tests.remote.recording.synthetic import SyntheticSession


async def until(sock, cls, timeout: float = 10.0):  # noqa: ANN001, ANN201
    async def loop():  # noqa: ANN202
        while True:
            msg = await sock.receive()
            if isinstance(msg, cls):
                return msg
    return await asyncio.wait_for(loop(), timeout)


def test_a_relayed_session_is_recorded_and_replays_exactly(tmp_path: Path) -> None:
    recorders: dict[str, Recorder] = {}

    def factory(session_id: str) -> Recorder:
        recorders[session_id] = Recorder(recording_path(tmp_path, session_id),
                                         {"session_id": session_id})
        return recorders[session_id]

    session = SyntheticSession(320, 240, seed=9)
    live = Framebuffer(320, 240)

    async def scenario() -> str:
        broker = StandaloneBroker(agent_name="Alice", recorder_factory=factory)
        async with serve(broker=broker) as server:
            assist = await connect(server.assist_url, m.Role.ASSIST)
            await assist.send(m.HelpRequest("printing fails", {"os": "test"}, "machine-1"))
            admitted = await assist.receive()
            ticket = await server.broker.next_session(10)
            await assist.send(m.Consent(m.ConsentLevel.CONTROL))
            await assist.send(m.ScreenLayout((m.Monitor(0, 0, 320, 240, True, "A"),), 0,
                                             320, 240))
            viewer = await connect(server.viewer_url, m.Role.VIEWER)
            await viewer.send(m.ViewerJoin(ticket.viewer_code))
            await until(viewer, m.ScreenLayout)
            first = session.first()
            await assist.send(m.FrameUpdate(1, tuple(first), full=True))
            shown = await until(viewer, m.FrameUpdate)
            live.apply(shown.rects)
            for i, step in enumerate(session.steps(12)):
                await assist.send(m.FrameUpdate(i + 2, tuple(step.rects)))
                got = await until(viewer, m.FrameUpdate)
                live.apply(got.rects)
                await viewer.send(m.FrameAck(got.seq))
            await viewer.send(m.ChatLine("Alice", "Hello"))
            await until(assist, m.ChatLine)
            await viewer.send(m.PointerEvent(3, 4, 1))
            await until(assist, m.PointerEvent)
            await assist.close(m.ByeReason.ENDED_BY_CUSTOMER)
            await broker.wait_event(lambda s, e: type(e).__name__ == "SessionEnded", 5)
            return admitted.session_id

    session_id = asyncio.run(asyncio.wait_for(scenario(), 30))
    recorder = recorders[session_id]
    assert recorder.summary is not None
    report = verify(recorder.path)
    assert report.intact and report.complete
    assert report.chain_head == recorder.summary.chain_head
    with RecordingReader(recorder.path) as reader:
        kinds = [e.kind for e in reader.events()]
        texts = [e.text for e in reader.events()]
        fb = reader.seek(reader.duration_ms)
    assert fb is not None and np.array_equal(fb.pixels, live.pixels)
    assert "Customer asked for help: printing fails" in texts
    assert "Alice: Hello" in texts and "click" in kinds and "control" in kinds
    assert kinds[-1] == "end"
