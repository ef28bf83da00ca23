"""ReplayPlayer offscreen with pytest-qt: open, seek, speed, idle skip, event jump, chat sync."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from remote.codec.decoder import Framebuffer
from remote.recording.format import RecordType, pack_rects
from remote.recording.writer import RecordingWriter, WriterSettings
from tests.remote.recording.synthetic import SyntheticSession
from ui.replay.player import ReplayPlayer

W, H = 320, 240


def image_pixels(image: QImage) -> np.ndarray:
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :image.width()]


@pytest.fixture
def recording(tmp_path: Path) -> tuple[Path, dict[int, np.ndarray]]:
    """10 s of screen changes, then 60 s idle, then one last change; events and chat."""
    path = tmp_path / "qa.trec"
    session = SyntheticSession(W, H, seed=4, step_ms=250)
    writer = RecordingWriter(path, {"session_id": "qa"},
                             settings=WriterSettings(vkey_interval_ms=2000), background=False)
    live = Framebuffer(W, H)
    truth: dict[int, np.ndarray] = {}
    writer.append_json(RecordType.START, 0, {})
    writer.append_layout(0, W, H)
    first = session.first()
    writer.append_frame(0, pack_rects(first), first)
    live.apply(first)
    truth[0] = live.pixels.copy()
    events = [
        (500, RecordType.CONSENT, {"level": "control"}),
        (500, RecordType.CONTROL, {"on": True}),
        (1000, RecordType.CHAT, {"sender": "Alice", "text": "Hello"}),
        (3000, RecordType.POINTER, {"x": 1, "y": 2, "buttons": 1}),
        (6000, RecordType.CHAT, {"sender": "Bob", "text": "Thanks"}),
    ]
    for step in session.steps(40):
        while events and events[0][0] <= step.t_ms:
            t, rtype, obj = events.pop(0)
            writer.append_json(rtype, t, obj)
        writer.append_frame(step.t_ms, pack_rects(step.rects), step.rects)
        live.apply(step.rects)
        truth[step.t_ms] = live.pixels.copy()
    last = next(session.steps(1, start_ms=69_750))
    writer.append_frame(last.t_ms, pack_rects(last.rects), last.rects)
    live.apply(last.rects)
    truth[last.t_ms] = live.pixels.copy()
    writer.close("ended")
    return path, truth


@pytest.fixture
def player(qtbot: QtBot) -> Iterator[ReplayPlayer]:
    widget = ReplayPlayer()
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


def open_player(qtbot: QtBot, player: ReplayPlayer, path: Path) -> None:
    with qtbot.waitSignal(player.frame_shown, timeout=5000):
        player.open(path)
    assert player.info is not None


def expected(truth: dict[int, np.ndarray], t: int) -> np.ndarray:
    return truth[max(k for k in truth if k <= t)]


def test_seek_shows_the_frame_at_that_time(qtbot: QtBot, player: ReplayPlayer,
                                           recording: tuple[Path, dict]) -> None:
    path, truth = recording
    open_player(qtbot, player, path)
    assert player.info.duration_ms == 70_000
    for t in (7_300, 2_100, 9_999, 70_000, 0):
        with qtbot.waitSignal(player.frame_shown, timeout=5000,
                              check_params_cb=lambda shown, t=t: shown == t):
            player.seek(t)
        assert np.array_equal(image_pixels(player.canvas.framebuffer), expected(truth, t))
        assert player.slider.value() == t
        # the agent's pointer went to (1, 2) at 3 s; later anchors carry it
        assert player.canvas.cursor == ((1, 2) if t >= 3000 else None)


def test_event_click_jumps_and_chat_follows(qtbot: QtBot, player: ReplayPlayer,
                                            recording: tuple[Path, dict]) -> None:
    path, truth = recording
    open_player(qtbot, player, path)
    texts = [player.events_list.item(i).text() for i in range(player.events_list.count())]
    assert any("Control on" in t for t in texts) and any("Click at 1,2" in t for t in texts)
    row = next(i for i, t in enumerate(texts) if "Bob: Thanks" in t)
    item = player.events_list.item(row)
    with qtbot.waitSignal(player.frame_shown, timeout=5000):
        player.events_list.itemClicked.emit(item)
    assert player.position == 6000
    assert np.array_equal(image_pixels(player.canvas.framebuffer), expected(truth, 6000))
    chat = [player.chat_list.item(i).text() for i in range(player.chat_list.count())]
    assert [c.split("  ", 1)[1] for c in chat] == ["Alice: Hello", "Bob: Thanks"]
    with qtbot.waitSignal(player.frame_shown, timeout=5000):
        player.seek(2000)
    assert player.chat_list.count() == 1
    assert player.events_list.currentRow() == next(
        i for i, t in enumerate(texts) if "Alice: Hello" in t)


def test_speed_and_idle_skip_reach_the_end(qtbot: QtBot, player: ReplayPlayer,
                                           recording: tuple[Path, dict]) -> None:
    path, truth = recording
    open_player(qtbot, player, path)
    with pytest.raises(ValueError):
        player.set_speed(3.0)
    player.set_speed(8.0)
    assert player.speed_box.currentText() == "8x"
    player.seek(9_000)
    # 8x plus the idle skip over the 60 s gap: the end arrives well within the timeout
    with qtbot.waitSignal(player.playing_changed, timeout=8000,
                          check_params_cb=lambda playing: playing is False):
        player.play()
    assert player.position == 70_000
    qtbot.waitUntil(lambda: not player._busy, timeout=5000)
    with qtbot.waitSignal(player.frame_shown, timeout=5000):
        player.seek(70_000)
    assert np.array_equal(image_pixels(player.canvas.framebuffer), expected(truth, 70_000))


def test_idle_skip_jumps_over_the_gap(qtbot: QtBot, player: ReplayPlayer,
                                      recording: tuple[Path, dict]) -> None:
    path, _truth = recording
    open_player(qtbot, player, path)
    assert player.info.idle_skip_target(20_000) == 69_700
    assert player.info.idle_skip_target(5_000) is None
    player.skip_idle.setChecked(True)
    player.seek(12_000)
    with qtbot.waitSignal(player.position_changed, timeout=3000,
                          check_params_cb=lambda t: t >= 69_000):
        player.play()
    player.pause()


def test_a_corrupt_file_reports_instead_of_crashing(qtbot: QtBot, player: ReplayPlayer,
                                                     tmp_path: Path) -> None:
    bad = tmp_path / "bad.trec"
    bad.write_bytes(b"garbage")
    with qtbot.waitSignal(player.failed, timeout=5000) as blocker:
        player.open(bad)
    assert "Cannot open" in blocker.args[0]
    assert player.status_label.text().startswith("Cannot open")
