"""The relay hook: protocol messages in, a seekable recording out."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from remote.codec.decoder import Framebuffer
from remote.protocol import (
    Bye,
    ByeReason,
    ChatLine,
    Consent,
    ConsentLevel,
    ConsentRequest,
    EncodedRect,
    Encoding,
    FrameUpdate,
    KeyEvent,
    Monitor,
    PointerEvent,
    ScreenLayout,
    encode,
)
from remote.recording.reader import RecordingReader
from remote.recording.recorder import Recorder, recording_path
from remote.recording.verify import recover_recordings, verify
from remote.relay.interfaces import Origin, SessionRecorder
from tests.remote.recording.synthetic import SyntheticSession


def feed(recorder: Recorder, t: int, origin: Origin, message: object) -> None:
    recorder.on_message(t, origin, message, encode(message))


def test_recorder_records_a_session(tmp_path: Path) -> None:
    closed = []
    path = recording_path(tmp_path, "sess/1")
    recorder = Recorder(path, {"session_id": "sess/1", "agent": "demo"}, on_closed=closed.append)
    assert isinstance(recorder, SessionRecorder)
    session = SyntheticSession(320, 240, seed=2)
    live = Framebuffer(320, 240)
    truth = {}
    feed(recorder, 0, Origin.VIEWER, ConsentRequest(ConsentLevel.CONTROL))
    feed(recorder, 500, Origin.ASSIST, Consent(ConsentLevel.CONTROL))
    feed(recorder, 600, Origin.ASSIST,
         ScreenLayout((Monitor(0, 0, 320, 240, True, "A"),), 0, 320, 240))
    first = session.first()
    feed(recorder, 700, Origin.ASSIST, FrameUpdate(0, tuple(first), full=True))
    live.apply(first)
    truth[700] = live.pixels.copy()
    for i, step in enumerate(session.steps(40, start_ms=700)):
        feed(recorder, step.t_ms, Origin.ASSIST, FrameUpdate(i + 1, tuple(step.rects)))
        live.apply(step.rects)
        truth[step.t_ms] = live.pixels.copy()
    feed(recorder, 3000, Origin.VIEWER, ChatLine("Alice", "Let me look"))
    feed(recorder, 3100, Origin.VIEWER, PointerEvent(10, 20, 1))
    feed(recorder, 3150, Origin.VIEWER, PointerEvent(10, 20, 0))
    feed(recorder, 3200, Origin.VIEWER, KeyEvent(0x61, True))
    feed(recorder, 9000, Origin.ASSIST, Consent(ConsentLevel.VIEW))
    feed(recorder, 9050, Origin.ASSIST, Bye(ByeReason.NORMAL, "customer ended"))
    recorder.close("ended_by_agent")
    recorder.close("again")  # idempotent
    recorder.on_message(9100, Origin.ASSIST, ChatLine("x", "y"), b"")  # after close: ignored
    assert len(closed) == 1 and closed[0].path == path
    assert path.parent.parent == tmp_path and "sess_1" in path.name

    assert verify(path).complete
    with RecordingReader(path) as reader:
        assert reader.meta["frame_format"].startswith("tandem-protocol/")
        kinds = [(e.kind, e.text) for e in reader.events()]
        for t in sorted(truth)[::5] + [max(truth)]:
            fb = reader.seek(t)
            assert fb is not None and np.array_equal(fb.pixels, truth[t])
    assert ("event", "Agent asked for control consent") in kinds
    assert ("control", "Control on") in kinds and ("control", "Control off") in kinds
    assert ("chat", "Alice: Let me look") in kinds
    assert ("click", "Click at 10,20") in kinds
    assert ("keys", "Typed 1 key") in kinds
    assert ("event", "assist left (NORMAL)") in kinds
    assert kinds[-1] == ("end", "Session ended (ended_by_agent)")


def test_a_corrupt_frame_record_is_skipped_on_replay(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder(tmp_path / "r.trec")
    feed(recorder, 0, Origin.ASSIST,
         ScreenLayout((Monitor(0, 0, 64, 64, True, "A"),), 0, 64, 64))
    good = FrameUpdate(1, (EncodedRect(0, 0, 64, 64, Encoding.SOLID, b"\x10\x20\x30"),))
    feed(recorder, 10, Origin.ASSIST, good)
    # bytes that do not parse as a FrameUpdate (the relay would never pass them)
    recorder.on_message(20, Origin.ASSIST, FrameUpdate(2, ()), b"\xff\x00garbage")
    recorder.close("ended")
    assert verify(recorder.path).complete
    with RecordingReader(recorder.path) as reader, caplog.at_level(logging.WARNING):
        fb = reader.seek(100)
    assert fb is not None and tuple(fb.pixels[5, 5]) == (0x30, 0x20, 0x10, 255)
    assert "skipped" in caplog.text


def test_unfinished_recordings_are_repaired_at_start(tmp_path: Path) -> None:
    recorder = Recorder(recording_path(tmp_path, "s2"))
    feed(recorder, 100, Origin.VIEWER, ChatLine("a", "b"))
    recorder.writer.flush()
    assert [r.action for r in recover_recordings(tmp_path)] == ["locked"]
    recorder.close("ended")
    assert recover_recordings(tmp_path) == []
