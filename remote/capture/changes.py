"""Where the screen may have changed, and the pointer: the seam between platforms.

``ChangeWatcher`` is what the assist's capture loop needs from a platform. The X11
implementation (``remote.capture.x11``) uses the DAMAGE extension, so an idle desktop
costs no grabs at all; ``PollingWatcher`` works anywhere mss works and makes the
encoder compare the whole frame on every tick.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

Rect = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class CursorImage:
    """The pointer image: B, G, R, A bytes with straight (not premultiplied) alpha."""

    width: int
    height: int
    hot_x: int
    hot_y: int
    pixels: bytes
    serial: int = 0


@dataclass(frozen=True, slots=True)
class Changes:
    """What happened since the last ``take()``.

    ``rects`` are desktop-coordinate areas that changed; ``None`` means unknown (compare
    everything). ``cursor_changed`` says the pointer image changed.
    """

    rects: list[Rect] | None
    cursor_changed: bool = False


class ChangeWatcher(Protocol):
    def wait(self, timeout: float) -> bool:
        """Block until something may have changed or ``timeout`` passed; True if changed."""
        ...

    def take(self) -> Changes: ...

    def pointer(self) -> tuple[int, int]:
        """Pointer position in desktop coordinates."""
        ...

    def cursor_image(self) -> CursorImage | None: ...

    def wake(self) -> None:
        """Make a blocked ``wait`` return (another thread wants the loop to run)."""
        ...

    def close(self) -> None: ...


class PollingWatcher:
    """No change notifications: every tick is a possible change; no cursor information."""

    def __init__(self) -> None:
        self._woken = threading.Event()

    def wait(self, timeout: float) -> bool:
        self._woken.wait(timeout)
        self._woken.clear()
        return True

    def take(self) -> Changes:
        return Changes(rects=None)

    def pointer(self) -> tuple[int, int]:
        return (0, 0)

    def cursor_image(self) -> CursorImage | None:
        return None

    def wake(self) -> None:
        self._woken.set()

    def close(self) -> None:
        pass
