"""X11Injector on a real Xvfb: what it injects is what an X client receives."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator

import pytest

Xlib = pytest.importorskip("Xlib")
from Xlib import XK, X  # noqa: E402
from Xlib import display as xdisplay  # noqa: E402

from remote.inject.base import InjectError  # noqa: E402
from remote.inject.x11 import X11Injector  # noqa: E402

pytestmark = pytest.mark.xvfb


class Target:
    """A real X window that has the input focus and records key and button events."""

    def __init__(self, display: str) -> None:
        self.display = xdisplay.Display(display)
        root = self.display.screen().root
        self.window = root.create_window(
            0, 0, 400, 300, 0, self.display.screen().root_depth,
            event_mask=X.KeyPressMask | X.KeyReleaseMask | X.ButtonPressMask
            | X.ButtonReleaseMask | X.StructureNotifyMask)
        self.window.map()
        self.next_of(X.MapNotify)
        self.window.set_input_focus(X.RevertToParent, X.CurrentTime)
        self.display.sync()

    def next_of(self, *types: int, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while True:
            while self.display.pending_events():
                event = self.display.next_event()
                if event.type in types:
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no X event of types {types} within {timeout}s")
            select.select([self.display.fileno()], [], [], left)

    def next_key(self, kind: int):
        """The next key event of ``kind`` that is not a Shift the injector added."""
        while True:
            event = self.next_of(kind)
            if self.display.keycode_to_keysym(event.detail, 0) not in (XK.XK_Shift_L,
                                                                      XK.XK_Shift_R):
                return event

    def keysym_of(self, event) -> int:
        index = 1 if event.state & X.ShiftMask else 0
        return self.display.keycode_to_keysym(event.detail, index)

    def close(self) -> None:
        self.window.destroy()
        self.display.close()


@pytest.fixture
def target(xvfb) -> Iterator[Target]:
    t = Target(xvfb.display)
    yield t
    t.close()


@pytest.fixture
def injector(xvfb) -> Iterator[X11Injector]:
    inj = X11Injector(xvfb.display)
    yield inj
    inj.close()


def pointer_seen(probe: xdisplay.Display, want: tuple[int, int],
                 timeout: float = 5.0) -> tuple[int, int]:
    """Where the server has the pointer, once it is at ``want`` or the timeout passed.

    The injector's connection only flushes its XTest request; the server may answer the
    probe's query (another client) before it has processed that request.
    """
    deadline = time.monotonic() + timeout
    while True:
        reply = probe.screen().root.query_pointer()
        seen = (reply.root_x, reply.root_y)
        if seen == want or time.monotonic() > deadline:
            return seen


def test_pointer_move_is_seen_by_the_server(xvfb, injector: X11Injector) -> None:
    probe = xdisplay.Display(xvfb.display)
    try:
        for x, y in ((123, 456), (5, 7), (1279, 799)):
            injector.pointer(x, y, 0)
            assert pointer_seen(probe, (x, y)) == (x, y)
    finally:
        probe.close()


def test_offset_moves_into_the_chosen_monitor(xvfb) -> None:
    inj = X11Injector(xvfb.display, offset=(100, 50))
    probe = xdisplay.Display(xvfb.display)
    try:
        inj.pointer(10, 20, 0)
        assert pointer_seen(probe, (110, 70)) == (110, 70)
    finally:
        inj.close()
        probe.close()


def test_buttons_and_wheel_follow_the_mask(target: Target, injector: X11Injector) -> None:
    injector.pointer(50, 60, 1)
    press = target.next_of(X.ButtonPress)
    assert (press.detail, press.event_x, press.event_y) == (1, 50, 60)
    injector.pointer(50, 60, 0)
    assert target.next_of(X.ButtonRelease).detail == 1
    injector.pointer(50, 60, 1 << 4)  # wheel down
    assert target.next_of(X.ButtonPress).detail == 5
    injector.pointer(50, 60, 0)
    injector.pointer(50, 60, 1 << 2)
    assert target.next_of(X.ButtonPress).detail == 3
    injector.release_all()
    assert target.next_of(X.ButtonRelease).detail == 3


@pytest.mark.parametrize("char", ["a", "Z", "5", "%", " "])
def test_key_press_types_the_keysym(target: Target, injector: X11Injector, char: str) -> None:
    keysym = XK.string_to_keysym({"%": "percent", " ": "space"}.get(char, char))
    injector.key(keysym, True)
    event = target.next_key(X.KeyPress)
    assert target.keysym_of(event) == keysym
    injector.key(keysym, False)
    assert target.next_key(X.KeyRelease).detail == event.detail


def test_keysym_on_no_key_is_typed_through_a_spare_keycode(
        target: Target, injector: X11Injector) -> None:
    keysym = 0x20AC  # EuroSign: not on Xvfb's default US mapping
    before = target.display.keysym_to_keycode(keysym)
    injector.key(keysym, True)
    event = target.next_of(X.KeyPress)
    injector.key(keysym, False)
    target.next_of(X.KeyRelease)
    fresh = xdisplay.Display(target.display.get_display_name())
    try:
        assert fresh.keycode_to_keysym(event.detail, 0) == keysym
    finally:
        fresh.close()
    assert before == 0 or before == event.detail


def test_release_all_releases_held_keys(target: Target, injector: X11Injector) -> None:
    injector.key(XK.XK_a, True)
    code = target.next_of(X.KeyPress).detail
    injector.release_all()
    assert target.next_of(X.KeyRelease).detail == code
    injector.key(XK.XK_a, False)  # already released: nothing more happens


def test_bad_display_is_a_clear_error() -> None:
    with pytest.raises(InjectError, match="cannot open X display"):
        X11Injector(":4242")


def test_out_of_range_pointer_is_clamped(xvfb, injector: X11Injector) -> None:
    probe = xdisplay.Display(xvfb.display)
    try:
        injector.pointer(100_000, -100_000, 0)
        assert pointer_seen(probe, (1279, 0)) == (1279, 0)
    finally:
        probe.close()
