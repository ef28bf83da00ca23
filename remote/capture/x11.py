"""X11 change notifications (DAMAGE) and the pointer (XFixes) through python-xlib.

One private X connection, used only by the capture thread (python-xlib connections are
not thread-safe). DAMAGE reports every drawn rectangle of the root window, which
includes every window on it; XFixes reports cursor image changes and returns the image.
"""

from __future__ import annotations

import os
import select

import numpy as np

from remote.capture.changes import Changes, CursorImage, Rect

#: More rects than this per take are collapsed to their bounding box.
MAX_RECTS = 256


class X11Unavailable(RuntimeError):
    pass


class X11ChangeWatcher:
    """``ChangeWatcher`` for an X server with DAMAGE (and XFixes for the cursor)."""

    def __init__(self, display: str | None = None) -> None:
        from Xlib import X
        from Xlib import display as xdisplay
        from Xlib.error import DisplayError
        from Xlib.ext import damage, xfixes

        try:
            self._display = xdisplay.Display(display)
        except (DisplayError, OSError) as exc:
            raise X11Unavailable(f"cannot open X display: {exc}") from exc
        if not self._display.has_extension("DAMAGE"):
            self._display.close()
            raise X11Unavailable("the X server has no DAMAGE extension")
        self._root = self._display.screen().root
        self._display.damage_query_version()
        self._damage = self._root.damage_create(damage.DamageReportRawRectangles)
        self._damage_event = self._display.extension_event.DamageNotify
        self._xfixes = self._display.has_extension("XFIXES")
        self._cursor_event = -1
        if self._xfixes:
            self._display.xfixes_query_version()
            self._display.xfixes_select_cursor_input(
                self._root, xfixes.XFixesDisplayCursorNotifyMask)
            self._cursor_event = self._display.extension_event.DisplayCursorNotify[0]
        self._display.flush()
        self._rects: list[Rect] = []
        self._cursor_changed = True
        self._wake_r, self._wake_w = os.pipe()
        self._x = X

    def wait(self, timeout: float) -> bool:
        if self._drain():
            return True
        ready, _, _ = select.select([self._display.fileno(), self._wake_r], [], [], timeout)
        if self._wake_r in ready:
            os.read(self._wake_r, 512)
        return self._drain() or bool(ready)

    def _drain(self) -> bool:
        got = False
        while self._display.pending_events():
            event = self._display.next_event()
            if event.type == self._damage_event:
                area = event.area
                self._rects.append((area.x, area.y, area.width, area.height))
                got = True
            elif event.type == self._cursor_event:
                self._cursor_changed = True
                got = True
        return got or bool(self._rects) or self._cursor_changed

    def take(self) -> Changes:
        self._drain()
        rects, self._rects = self._rects, []
        if rects:
            # Clear the server-side region so it does not grow without bound.
            self._display.damage_subtract(self._damage, self._x.NONE, self._x.NONE)
            self._display.flush()
        if len(rects) > MAX_RECTS:
            x0 = min(r[0] for r in rects)
            y0 = min(r[1] for r in rects)
            x1 = max(r[0] + r[2] for r in rects)
            y1 = max(r[1] + r[3] for r in rects)
            rects = [(x0, y0, x1 - x0, y1 - y0)]
        changed, self._cursor_changed = self._cursor_changed, False
        return Changes(rects=rects, cursor_changed=changed)

    def pointer(self) -> tuple[int, int]:
        reply = self._root.query_pointer()
        return int(reply.root_x), int(reply.root_y)

    def cursor_image(self) -> CursorImage | None:
        if not self._xfixes:
            return None
        reply = self._display.xfixes_get_cursor_image(self._root)
        w, h = int(reply.width), int(reply.height)
        if w == 0 or h == 0:
            return CursorImage(0, 0, 0, 0, b"", int(reply.cursor_serial))
        argb = np.asarray(reply.cursor_image, dtype=np.uint32)[: w * h]
        bgra = argb.astype("<u4").view(np.uint8).reshape(h, w, 4).astype(np.uint16)
        alpha = bgra[..., 3:4]
        # XFixes gives premultiplied alpha; the protocol carries straight alpha.
        safe = np.maximum(alpha, 1)
        bgra[..., :3] = np.where(alpha > 0, np.minimum(bgra[..., :3] * 255 // safe, 255), 0)
        return CursorImage(w, h, min(int(reply.xhot), w - 1), min(int(reply.yhot), h - 1),
                           bgra.astype(np.uint8).tobytes(), int(reply.cursor_serial))

    def wake(self) -> None:
        os.write(self._wake_w, b"x")

    def close(self) -> None:
        try:
            self._display.damage_destroy(self._damage)
            self._display.close()
        except Exception:  # the server may already be gone
            pass
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
