"""X11 input injection through the XTEST extension (python-xlib).

Keys arrive as keysyms so the agent's keyboard layout does not matter. A keysym on the
customer's current keyboard mapping is typed with its keycode, adding or removing Shift
for its shift level; a keysym on no key (say an accented letter on a US layout) is
bound for a moment to a spare keycode, as x11vnc does. The mapping is re-read when the
server announces a change (MappingNotify), so a layout switch by the customer is followed.
"""

from __future__ import annotations

import threading

from remote.inject.base import BUTTON_BITS, InjectError

XK_SHIFT_L = 0xFFE1
#: How many keysyms may hold a spare keycode at once (least recently used is re-bound).
SPARE_LIMIT = 8


class X11Injector:
    """``InputInjector`` for an X server; ``offset`` moves framebuffer to desktop coordinates."""

    def __init__(self, display: str | None = None, offset: tuple[int, int] = (0, 0)) -> None:
        from Xlib import XK, X
        from Xlib import display as xdisplay
        from Xlib.error import DisplayError
        from Xlib.ext import xtest

        try:
            self._display = xdisplay.Display(display)
        except (DisplayError, OSError) as exc:
            raise InjectError(f"cannot open X display: {exc}") from exc
        if not self._display.has_extension("XTEST"):
            self._display.close()
            raise InjectError("the X server has no XTEST extension")
        self._X = X
        self._XK = XK
        self._fake = xtest.fake_input
        self._lock = threading.Lock()
        self.offset = offset
        self._buttons = 0
        self._held: dict[int, int] = {}  # keysym -> keycode pressed for it
        self._shift_held = False
        self._spare_codes = self._free_keycodes()
        self._spare_bound: dict[int, int] = {}  # keysym -> spare keycode (insertion = LRU)
        self._load_mapping()

    # -- keyboard mapping -------------------------------------------------------------

    def _load_mapping(self) -> None:
        first = self._display.display.info.min_keycode
        count = self._display.display.info.max_keycode - first + 1
        self._mapping = self._display.get_keyboard_mapping(first, count)
        self._first = first
        self._lookup: dict[int, tuple[int, int]] = {}
        for offset, syms in enumerate(self._mapping):
            for index, sym in enumerate(syms[:2]):
                if sym and sym not in self._lookup:
                    self._lookup[sym] = (first + offset, index)
        # Upper-case letters are usually only implied by their lower case at index 0.
        for sym, (code, index) in list(self._lookup.items()):
            if index == 0 and 0x61 <= sym <= 0x7A and sym - 32 not in self._lookup:
                self._lookup[sym - 32] = (code, 1)

    def _free_keycodes(self) -> list[int]:
        info = self._display.display.info
        first = info.min_keycode
        mapping = self._display.get_keyboard_mapping(first, info.max_keycode - first + 1)
        return [first + i for i, syms in enumerate(mapping) if not any(syms)][-SPARE_LIMIT:]

    def _follow_mapping_changes(self) -> None:
        changed = False
        while self._display.pending_events():
            event = self._display.next_event()
            if event.type == self._X.MappingNotify:
                changed = True
        if changed:
            self._load_mapping()

    def _bind_spare(self, keysym: int) -> int:
        if keysym in self._spare_bound:
            code = self._spare_bound.pop(keysym)
        elif not self._spare_codes:
            raise InjectError("no spare keycode to type this character")
        elif len(self._spare_bound) < len(self._spare_codes):
            code = self._spare_codes[len(self._spare_bound)]
        else:
            oldest = next(k for k in self._spare_bound if k not in self._held)
            code = self._spare_bound.pop(oldest)
        self._spare_bound[keysym] = code
        width = max(len(self._mapping[0]), 2)
        self._display.change_keyboard_mapping(code, [(keysym,) * width])
        self._display.sync()
        return code

    # -- InputInjector ----------------------------------------------------------------

    def pointer(self, x: int, y: int, buttons: int) -> None:
        with self._lock:
            X = self._X
            # XTEST coordinates are 16-bit signed; the server clips to the screen anyway.
            self._fake(self._display, X.MotionNotify, x=_clamp16(x + self.offset[0]),
                       y=_clamp16(y + self.offset[1]))
            changed = buttons ^ self._buttons
            for bit, number in BUTTON_BITS:
                if changed & bit:
                    kind = X.ButtonPress if buttons & bit else X.ButtonRelease
                    self._fake(self._display, kind, number)
            self._buttons = buttons
            self._delivered()

    def key(self, keysym: int, down: bool) -> None:
        with self._lock:
            self._follow_mapping_changes()
            X = self._X
            if not down:
                code = self._held.pop(keysym, None)
                if code is not None:
                    self._fake(self._display, X.KeyRelease, code)
                    if keysym in (XK_SHIFT_L, 0xFFE2):
                        self._shift_held = False
                    self._delivered()
                return
            if keysym in self._held:  # auto-repeat: release first so the server sees a press
                self._fake(self._display, X.KeyRelease, self._held[keysym])
            found = self._lookup.get(keysym)
            if found is None:
                code, index = self._bind_spare(keysym), 0
            else:
                code, index = found
            if keysym in (XK_SHIFT_L, 0xFFE2):
                self._shift_held = True
            shift_code = self._lookup.get(XK_SHIFT_L, (0, 0))[0]
            toggle_shift = bool(shift_code) and found is not None and index in (0, 1) \
                and keysym not in (XK_SHIFT_L, 0xFFE2) and (index == 1) != self._shift_held
            if toggle_shift:
                self._fake(self._display, X.KeyRelease if self._shift_held else X.KeyPress,
                           shift_code)
            self._fake(self._display, X.KeyPress, code)
            if toggle_shift:
                self._fake(self._display, X.KeyPress if self._shift_held else X.KeyRelease,
                           shift_code)
            self._held[keysym] = code
            self._delivered()

    def release_all(self) -> None:
        with self._lock:
            X = self._X
            for code in self._held.values():
                self._fake(self._display, X.KeyRelease, code)
            self._held.clear()
            self._shift_held = False
            for bit, number in BUTTON_BITS:
                if self._buttons & bit:
                    self._fake(self._display, X.ButtonRelease, number)
            self._buttons = 0
            self._delivered()

    def _delivered(self) -> None:
        """Wait until the server has processed the injected events (one local round trip).

        A flush only sends them: the next screen capture, or any other X client, could
        still see the state from before the input.
        """
        self._display.sync()

    def close(self) -> None:
        try:
            self.release_all()
            with self._lock:
                width = max(len(self._mapping[0]), 2)
                for code in self._spare_bound.values():
                    self._display.change_keyboard_mapping(code, [(0,) * width])
                self._display.sync()
                self._display.close()
        except Exception:  # the server may already be gone
            pass


def _clamp16(value: int) -> int:
    return max(-32768, min(32767, value))
