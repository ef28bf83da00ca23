"""Capture on a real Xvfb: grabs show what X clients drew; DAMAGE says where."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

pytest.importorskip("Xlib")
from Xlib import display as xdisplay  # noqa: E402

from remote.capture.changes import PollingWatcher  # noqa: E402
from remote.capture.screen import CaptureError, ScreenGrabber  # noqa: E402
from remote.capture.x11 import X11ChangeWatcher, X11Unavailable  # noqa: E402

pytestmark = pytest.mark.xvfb


class Painter:
    """An X client that fills rectangles of a window on the root at (0, 0)."""

    def __init__(self, display: str) -> None:
        self.display = xdisplay.Display(display)
        screen = self.display.screen()
        self.window = screen.root.create_window(0, 0, 600, 400, 0, screen.root_depth,
                                                background_pixel=screen.black_pixel,
                                                override_redirect=True)
        self.window.map()
        self.display.sync()

    def fill(self, x: int, y: int, w: int, h: int, rgb: int) -> None:
        gc = self.window.create_gc(foreground=rgb)
        self.window.fill_rectangle(gc, x, y, w, h)
        gc.free()
        self.display.sync()

    def close(self) -> None:
        self.window.destroy()
        self.display.close()


@pytest.fixture
def painter(xvfb) -> Iterator[Painter]:
    p = Painter(xvfb.display)
    yield p
    p.close()


def test_grab_returns_bgrx_of_what_was_drawn(xvfb, painter: Painter) -> None:
    with ScreenGrabber(0, xvfb.display) as grabber:
        painter.fill(10, 20, 30, 40, 0x123456)
        frame = grabber.grab()
        assert frame.shape == (800, 1280, 4) and frame.dtype == np.uint8
        assert frame[25, 15, :3].tolist() == [0x56, 0x34, 0x12]
        part = grabber.grab_area(10, 20, 30, 40)
        assert (part[..., :3] == [0x56, 0x34, 0x12]).all()


def test_monitor_list_and_bad_choice(xvfb) -> None:
    with ScreenGrabber(0, xvfb.display) as grabber:
        monitors = grabber.monitors()
        assert [(m.index, m.width, m.height) for m in monitors] == [(0, 1280, 800)]
        assert monitors[0].primary
        with pytest.raises(CaptureError, match="no monitor 3"):
            grabber.select(3)


def test_damage_reports_the_drawn_area(xvfb, painter: Painter) -> None:
    watcher = X11ChangeWatcher(xvfb.display)
    try:
        watcher.take()  # forget the start-up state
        painter.fill(100, 200, 50, 60, 0xFFFFFF)
        rects: list[tuple[int, int, int, int]] = []
        while not any(r == (100, 200, 50, 60) for r in rects):
            assert watcher.wait(5.0), "no damage reported"
            rects += watcher.take().rects or []
    finally:
        watcher.close()


def test_cursor_image_and_pointer(xvfb) -> None:
    watcher = X11ChangeWatcher(xvfb.display)
    try:
        image = watcher.cursor_image()
        assert image is not None and image.width > 0
        assert len(image.pixels) == image.width * image.height * 4
        assert 0 <= image.hot_x < image.width
        x, y = watcher.pointer()
        assert 0 <= x < 1280 and 0 <= y < 800
    finally:
        watcher.close()


def test_wake_interrupts_wait(xvfb) -> None:
    watcher = X11ChangeWatcher(xvfb.display)
    try:
        watcher.take()
        watcher.wake()
        watcher.wait(30.0)  # returns at once; a hang would hit the test timeout
        polling = PollingWatcher()
        polling.wake()
        assert polling.wait(30.0) and polling.take().rects is None
    finally:
        watcher.close()


def test_missing_display_is_a_clear_error() -> None:
    with pytest.raises(X11Unavailable):
        X11ChangeWatcher(":4243")
    with pytest.raises(CaptureError):
        ScreenGrabber(0, ":4243")
