"""The injector interface every platform backend implements (X11 now; Windows, macOS later)."""

from __future__ import annotations

from typing import Protocol

#: Bits of a protocol ``PointerEvent.buttons`` mask (RFB order) and the X button number each
#: stands for; Windows and macOS backends map the same bits to their own calls.
BUTTON_BITS: tuple[tuple[int, int], ...] = (
    (1 << 0, 1),  # left
    (1 << 1, 2),  # middle
    (1 << 2, 3),  # right
    (1 << 3, 4),  # wheel up
    (1 << 4, 5),  # wheel down
    (1 << 5, 6),  # wheel left
    (1 << 6, 7),  # wheel right
)


class InjectError(RuntimeError):
    """The platform refused an input event (no display, extension missing)."""


class InputInjector(Protocol):
    """Synthesises pointer and keyboard input in desktop coordinates and X11 keysyms."""

    def pointer(self, x: int, y: int, buttons: int) -> None:
        """Move to ``x, y`` and press/release buttons so that ``buttons`` is what is held."""
        ...

    def key(self, keysym: int, down: bool) -> None:
        """Press or release the key that produces ``keysym`` on the current layout."""
        ...

    def release_all(self) -> None:
        """Release every key and button this injector holds (consent withdrawn, focus lost)."""
        ...

    def close(self) -> None: ...
