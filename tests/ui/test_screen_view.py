"""The viewer widget: rectangles composed into one framebuffer, input only under control."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt
from PySide6.QtGui import QImage, QKeyEvent

from remote.codec.decoder import Framebuffer
from remote.protocol.encodings import EncodedRect, Encoding
from ui.screen_view import ScreenView, Tile, tiles_from_framebuffer


def image_array(image: QImage) -> np.ndarray:
    """A QImage (RGB32) as an h x w x 4 BGRX array copy."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    ptr = image.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8, count=image.sizeInBytes())
    return arr.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :image.width()].copy()


@pytest.fixture
def view(qtbot):
    widget = ScreenView()
    qtbot.addWidget(widget)
    widget.resize(640, 400)
    widget.set_screen_size(320, 200)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_compose_paints_only_the_given_rects_and_acks_after(qtbot, view: ScreenView) -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 255, (30, 40, 4), dtype=np.uint8)
    b = rng.integers(0, 255, (10, 320, 4), dtype=np.uint8)
    before = image_array(view.image())
    with qtbot.waitSignal(view.frame_composed, timeout=1000) as blocker:
        view.compose(5, [Tile(10, 20, a), Tile(0, 190, b)])
    assert blocker.args == [5]
    after = image_array(view.image())
    assert np.array_equal(after[20:50, 10:50, :3], a[:, :, :3])
    assert np.array_equal(after[190:200, :, :3], b[:, :, :3])
    untouched = np.ones(after.shape[:2], bool)
    untouched[20:50, 10:50] = False
    untouched[190:200, :] = False
    assert np.array_equal(after[untouched][:, :3], before[untouched][:, :3])


def test_framebuffer_from_the_decoder_matches_the_widget(qtbot, view: ScreenView) -> None:
    """Decoder's numpy framebuffer → dirty tiles → widget image, pixel for pixel."""
    fb = Framebuffer(320, 200)
    gradient = np.zeros((200, 320, 4), np.uint8)
    gradient[:, :, 0] = np.arange(320, dtype=np.uint8)[None, :]
    gradient[:, :, 1] = np.arange(200, dtype=np.uint8)[:, None]
    rects = [EncodedRect(0, 0, 320, 200, Encoding.ZLIB, zlib.compress(gradient.tobytes())),
             EncodedRect(100, 50, 20, 10, Encoding.SOLID, bytes([255, 0, 0]))]
    dirty = fb.apply(rects)
    view.compose(1, tiles_from_framebuffer(fb.pixels, dirty))
    got = image_array(view.image())
    assert np.array_equal(got[:, :, :3], fb.pixels[:, :, :3])
    assert tuple(got[55, 105, :3]) == (0, 0, 255)  # B, G, R of pure red


def test_fit_to_window_maps_positions_and_one_to_one_fixes_size(qtbot, view: ScreenView) -> None:
    # 320x200 in 640x400: scale 2, no letterbox.
    assert view.to_remote(view.to_widget(100, 50)) == (100, 50)
    assert view.to_remote(QPoint(639, 399).toPointF()) == (319, 199)
    view.set_fit(False)
    assert view.size().width() == 320 and view.size().height() == 200
    assert view.to_remote(QPoint(7, 9).toPointF()) == (7, 9)


def test_no_input_is_forwarded_without_control(qtbot, view: ScreenView) -> None:
    with qtbot.assertNotEmitted(view.pointer_pressed), qtbot.assertNotEmitted(view.key_changed):
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
        qtbot.keyClick(view, Qt.Key.Key_A)


def test_clicks_and_keys_are_forwarded_under_control(qtbot, view: ScreenView) -> None:
    view.set_control(True)
    events: list[tuple] = []
    view.pointer_pressed.connect(lambda *a: events.append(("button",) + a))
    view.key_changed.connect(lambda *a: events.append(("key",) + a))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(200, 100))
    qtbot.keyClick(view, Qt.Key.Key_A)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert events == [("button", 100, 50, 1), ("button", 100, 50, 0),
                      ("key", ord("a"), True), ("key", ord("a"), False),
                      ("key", 0xFF0D, True), ("key", 0xFF0D, False)]


def test_keys_held_are_released_when_control_goes_off(qtbot, view: ScreenView) -> None:
    view.set_control(True)
    qtbot.keyPress(view, Qt.Key.Key_Shift)
    qtbot.keyPress(view, Qt.Key.Key_B)
    released: list[tuple[int, bool]] = []
    view.key_changed.connect(lambda k, d: released.append((k, d)))
    view.set_control(False)
    assert sorted(released) == sorted([(0xFFE1, False), (ord("b"), False)])


def test_pointer_motion_is_coalesced(qtbot, view: ScreenView) -> None:
    view.set_control(True)
    moves: list[tuple[int, int, int]] = []
    view.pointer_moved.connect(lambda *a: moves.append(a))
    with qtbot.waitSignal(view.pointer_moved, timeout=1000):
        for x in range(10, 110, 10):
            qtbot.mouseMove(view, QPoint(x * 2, 60))
    assert moves[-1] == (100, 30, 0)
    assert len(moves) < 10


def test_typed_text_beyond_the_key_table_uses_the_viewers_keysyms(qtbot, view: ScreenView
                                                                  ) -> None:
    """Off X11 the typed text decides: Latin-1 is itself, other Unicode 0x01000000 + code."""
    view.set_control(True)
    downs: list[int] = []
    view.key_changed.connect(lambda k, d: downs.append(k) if d else None)
    for char in "éж":  # QTest only types ASCII; send the events a keyboard layout would
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QCoreApplication.sendEvent(
                view, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char))
    assert downs == [0xE9, 0x0100_0436]
