"""Container format: seek correctness, verify, truncation, repair and locking."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from remote.codec.decoder import Framebuffer
from remote.recording.format import FormatError, RecordingLocked, RecordType
from remote.recording.reader import RecordingReader
from remote.recording.verify import recover_recordings, repair, verify
from remote.recording.writer import RecordingWriter, WriterSettings
from tests.remote.recording.synthetic import SyntheticSession

W, H = 320, 240


def record_session(path: Path, steps: int = 120, *, settings: WriterSettings | None = None,
                   composite_every: int = 0, close: bool = True,
                   seed: int = 1) -> tuple[RecordingWriter, dict[int, np.ndarray]]:
    """Write a synthetic session; return the writer and the live screen after each step."""
    session = SyntheticSession(W, H, seed=seed)
    writer = RecordingWriter(path, {"session_id": "s-1"},
                             settings=settings or WriterSettings(vkey_interval_ms=1000),
                             background=False)
    live = Framebuffer(W, H)
    truth: dict[int, np.ndarray] = {}
    writer.append_json(RecordType.START, 0, {"session_id": "s-1"})
    writer.append_layout(0, W, H)
    first = session.first()
    writer.append_frame(0, _pack(first), first)
    live.apply(first)
    truth[0] = live.pixels.copy()
    for i, step in enumerate(session.steps(steps)):
        writer.append_frame(step.t_ms, _pack(step.rects), step.rects)
        live.apply(step.rects)
        truth[step.t_ms] = live.pixels.copy()
        if i % 7 == 3:
            writer.append_json(RecordType.KEY, step.t_ms, {"keysym": 97, "down": True})
        if composite_every and i % composite_every == composite_every - 1:
            writer.flush(sync=False)
            assert writer.add_composite_now()
    if close:
        writer.close("ended")
    else:
        writer.flush()
    return writer, truth


def _pack(rects: list) -> bytes:
    from remote.recording.format import pack_rects

    return pack_rects(rects)


def assert_seeks_match(path: Path, truth: dict[int, np.ndarray], times: list[int]) -> None:
    with RecordingReader(path) as reader:
        for t in times:
            fb = reader.seek(t)
            assert fb is not None
            expected = truth[max(k for k in truth if k <= t)]
            assert np.array_equal(fb.pixels, expected), f"frame at t={t} differs"


def test_seek_equals_live_framebuffer(tmp_path: Path) -> None:
    path = tmp_path / "a.trec"
    writer, truth = record_session(path)
    with RecordingReader(path) as reader:
        assert reader.complete
        assert reader.anchors, "virtual keyframes must be written"
        assert reader.chain_head.hex() == writer.close().chain_head
    times = sorted(truth)
    rng = np.random.default_rng(5)
    picks = [times[0], times[-1]] + [int(t) + int(rng.integers(0, 150))
                                     for t in rng.choice(times, 25)]
    assert_seeks_match(path, truth, picks)


def test_seek_with_composite_keyframes_and_overflowing_cells(tmp_path: Path) -> None:
    """COPY, unaligned rects and background-style composites still give exact frames."""
    path = tmp_path / "b.trec"
    _writer, truth = record_session(path, steps=150, composite_every=40, seed=3)
    with RecordingReader(path) as reader:
        kinds = {a.kind.name for a in reader.anchors}
    assert "KEYFRAME" in kinds
    assert_seeks_match(path, truth, sorted(truth)[::4])


def test_playback_advances_like_live(tmp_path: Path) -> None:
    path = tmp_path / "c.trec"
    _writer, truth = record_session(path, steps=40)
    with RecordingReader(path) as reader:
        pb = reader.playback()
        for t in sorted(truth):
            pb.seek(t)
            assert pb.framebuffer is not None
            assert np.array_equal(pb.framebuffer.pixels, truth[t])


def test_verify_intact_and_flipped_byte(tmp_path: Path) -> None:
    path = tmp_path / "d.trec"
    record_session(path, steps=30)
    report = verify(path)
    assert report.intact and report.complete, report.message
    data = bytearray(path.read_bytes())
    with RecordingReader(path) as reader:
        frames = [r for r in reader.records() if r.type is RecordType.FRAME]
    target = frames[len(frames) // 2]
    data[target.payload_offset + target.length // 2] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify(path)
    assert not report.intact
    assert report.offset == target.offset
    assert report.t_ms == target.t_ms
    assert "ALTERED" in report.message


def test_verify_catches_changed_index_and_footer(tmp_path: Path) -> None:
    path = tmp_path / "e.trec"
    record_session(path, steps=30)
    data = bytearray(path.read_bytes())
    data[-30] ^= 0xFF  # inside the footer record
    path.write_bytes(bytes(data))
    assert not verify(path).intact


def test_truncated_file_opens_up_to_the_cut(tmp_path: Path) -> None:
    path = tmp_path / "f.trec"
    _writer, truth = record_session(path, steps=60)
    with RecordingReader(path) as reader:
        frames = [r for r in reader.records() if r.type is RecordType.FRAME]
    cut_rec = frames[40]
    cut = tmp_path / "cut.trec"
    cut.write_bytes(path.read_bytes()[:cut_rec.offset + 7])  # mid-record
    with RecordingReader(cut) as reader:
        assert not reader.complete
        assert reader.scan_problem and "torn" in reader.scan_problem
        assert reader.duration_ms == frames[39].t_ms or reader.duration_ms >= frames[39].t_ms
        fb = reader.seek(10**9)
        assert fb is not None
        before = max(t for t in truth if t < cut_rec.t_ms)
        assert np.array_equal(fb.pixels, truth[before])
    report = verify(cut)
    assert report.intact and not report.complete


def test_repair_truncates_torn_tail_and_closes(tmp_path: Path) -> None:
    path = tmp_path / "g.trec"
    _writer, truth = record_session(path, steps=50)
    data = path.read_bytes()
    with RecordingReader(path) as reader:
        frames = [r for r in reader.records() if r.type is RecordType.FRAME]
    torn = tmp_path / "rec" / "torn.trec"
    torn.parent.mkdir()
    torn.write_bytes(data[:frames[30].offset + 20])
    reports = recover_recordings(torn.parent)
    assert [r.action for r in reports] == ["repaired"]
    assert reports[0].bytes_truncated == 20
    report = verify(torn)
    assert report.intact and report.complete, report.message
    with RecordingReader(torn) as reader:
        kinds = [e.kind for e in reader.events()]
        assert "recovered" in kinds
        fb = reader.seek(10**9)
        assert fb is not None
        assert np.array_equal(fb.pixels, truth[frames[29].t_ms])
    assert recover_recordings(torn.parent) == []  # already closed: skipped


def test_repair_refuses_a_live_writer(tmp_path: Path) -> None:
    path = tmp_path / "h.trec"
    writer, _truth = record_session(path, steps=5, close=False)
    try:
        with pytest.raises(RecordingLocked):
            repair(path)
        assert [r.action for r in recover_recordings(tmp_path)] == ["locked"]
    finally:
        writer.close()
    assert verify(path).complete


def test_writer_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "i.trec"
    record_session(path, steps=2)
    with pytest.raises(FileExistsError):
        RecordingWriter(path, background=False)


@pytest.mark.parametrize("content", [b"", b"not a recording at all", b"TNDMREC\x00\x00\x09"])
def test_bad_files_give_clear_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.trec"
    path.write_bytes(content)
    with pytest.raises(FormatError):
        RecordingReader(path)
    assert not verify(path).intact


def test_events_timeline(tmp_path: Path) -> None:
    path = tmp_path / "j.trec"
    writer = RecordingWriter(path, background=False)
    writer.append_json(RecordType.START, 0, {})
    writer.append_json(RecordType.CONSENT, 1000, {"level": "control"})
    writer.append_json(RecordType.CONTROL, 1000, {"on": True})
    writer.append_json(RecordType.CHAT, 2000, {"sender": "agent", "text": "Hello"})
    writer.append_json(RecordType.POINTER, 3000, {"x": 5, "y": 6, "buttons": 1})
    writer.append_json(RecordType.POINTER, 3050, {"x": 5, "y": 6, "buttons": 0})
    for i in range(5):
        writer.append_json(RecordType.KEY, 4000 + i * 100, {"keysym": 97, "down": True})
        writer.append_json(RecordType.KEY, 4050 + i * 100, {"keysym": 97, "down": False})
    writer.append_json(RecordType.KEY, 9000, {"keysym": 98, "down": True})
    writer.close("agent_ended")
    with RecordingReader(path) as reader:
        events = [(e.t_ms, e.kind, e.text) for e in reader.events()]
    assert events == [
        (0, "start", "Session started"),
        (1000, "consent", "Consent: control"),
        (1000, "control", "Control on"),
        (2000, "chat", "agent: Hello"),
        (3000, "click", "Click at 5,6"),
        (4000, "keys", "Typed 5 keys"),
        (9000, "keys", "Typed 1 key"),
        (9000, "end", "Session ended (agent_ended)"),
    ]


def test_background_thread_writes_within_a_second(tmp_path: Path) -> None:
    path = tmp_path / "k.trec"
    writer = RecordingWriter(path, settings=WriterSettings(flush_interval_s=0.05))
    try:
        writer.append_json(RecordType.CHAT, 10, {"sender": "a", "text": "x"})
        size = writer.size_bytes
        deadline_stat = [0]
        for _ in range(400):  # bounded wait on the file, no sleep
            os.sched_yield()
            deadline_stat[0] = path.stat().st_size
            if deadline_stat[0] >= size:
                break
            writer._stop.wait(0.01)
        assert deadline_stat[0] >= size
    finally:
        writer.close()


def test_sigkill_mid_recording_leaves_all_but_the_last_second(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    path = tmp_path / "killed.trec"
    root = Path(__file__).resolve().parents[3]
    child = subprocess.Popen([sys.executable, "-m", "tests.remote.recording.writer_child",
                              str(path)], cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        last = 0
        for line in child.stdout:
            last = int(line)
            if last >= 2500:
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=10)
    with RecordingReader(path) as reader:
        assert not reader.complete
        # written every second: at most the last second is lost (plus scheduling slack for
        # a busy machine, where the writer's timer thread may wake late)
        assert reader.duration_ms >= last - 1500
        assert reader.seek(reader.duration_ms) is not None
    assert verify(path).intact
    report = repair(path)
    assert report.action == "repaired"
    assert report.duration_ms >= last - 1500
    assert verify(path).complete


def test_composite_built_while_records_keep_coming(tmp_path: Path) -> None:
    """The background path: a keyframe of the state at ``as_of`` lands after newer records."""
    from remote.recording.writer import build_composite

    path = tmp_path / "late.trec"
    session = SyntheticSession(W, H, seed=11, step_ms=150)
    writer = RecordingWriter(path, settings=WriterSettings(vkey_interval_ms=600),
                             background=False)
    live = Framebuffer(W, H)
    truth: dict[int, np.ndarray] = {}
    writer.append_layout(0, W, H)
    first = session.first()
    writer.append_frame(0, _pack(first), first)
    live.apply(first)
    truth[0] = live.pixels.copy()
    steps = list(session.steps(160))
    pending = None
    for i, step in enumerate(steps):
        writer.append_frame(step.t_ms, _pack(step.rects), step.rects)
        live.apply(step.rects)
        truth[step.t_ms] = live.pixels.copy()
        if i % 40 == 10:  # snapshot the file, build off to the side ...
            writer.flush(sync=False)
            pending = build_composite(path, writer._flushed, writer.anchors)
        if i % 40 == 25 and pending is not None:  # ... and append 15 records later
            assert pending.as_of < writer.size_bytes
            assert writer.add_keyframe(pending)
            pending = None
    writer.close()
    with RecordingReader(path) as reader:
        assert sum(a.kind.name == "KEYFRAME" for a in reader.anchors) == 4
        assert all(a.position < a.offset for a in reader.anchors if a.kind.name == "KEYFRAME")
    assert verify(path).complete
    assert_seeks_match(path, truth, sorted(truth)[::3])


def test_a_writer_killed_before_its_first_flush_leaves_a_repairable_file(tmp_path: Path) -> None:
    path = tmp_path / "early.trec"
    writer = RecordingWriter(path, {"session_id": "early"}, background=False)
    writer.append_json(RecordType.START, 0, {})  # buffered, never written
    data = path.read_bytes()
    writer.close()
    path.write_bytes(data)  # what a SIGKILL in the first second leaves
    report = repair(path)
    assert report.action == "repaired" and report.records_kept == 0
    with RecordingReader(path) as reader:
        assert reader.complete and reader.meta["session_id"] == "early"


def test_records_stop_growing_when_the_disk_does_not_take_them(tmp_path: Path) -> None:
    from remote.recording.writer import RecordingBacklog

    path = tmp_path / "backlog.trec"
    writer = RecordingWriter(path, settings=WriterSettings(max_buffered_bytes=2000),
                             background=False)
    writer.append(RecordType.EVENT, 0, b"{}" * 400)
    with pytest.raises(RecordingBacklog):
        writer.append(RecordType.EVENT, 1, b"{}" * 700)
    count = writer.record_count
    writer.flush()  # the disk catches up: appends work again
    writer.append(RecordType.EVENT, 2, b"{}" * 700)
    assert writer.record_count == count + 1
    writer.close()
    assert verify(path).complete
