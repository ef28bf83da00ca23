"""Grab the shared monitor as a numpy array through mss.

``ScreenGrabber.grab()`` returns an (height, width, 4) uint8 view in B, G, R, X order over
the bytes mss returned, so there is no copy between the X server and the encoder. On X11
mss uses MIT-SHM (XShmGetImage) when the server offers it: about 3 ms for 1080p here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class MonitorInfo:
    """One physical monitor in desktop coordinates (``index`` counts from 0)."""

    index: int
    x: int
    y: int
    width: int
    height: int
    primary: bool = False
    name: str = ""


class CaptureError(RuntimeError):
    """The screen cannot be captured (no display, monitor gone)."""


class ScreenGrabber:
    """Grabs one chosen monitor; ``select()`` switches monitors without reconnecting."""

    def __init__(self, monitor: int = 0, display: str | None = None) -> None:
        import mss

        kwargs: dict[str, Any] = {}
        if display is not None:
            kwargs["display"] = display
        try:
            self._mss = mss.MSS(**kwargs) if hasattr(mss, "MSS") else mss.mss(**kwargs)
        except Exception as exc:  # mss raises ScreenShotError and OS errors
            raise CaptureError(f"cannot open the screen: {exc}") from exc
        self._monitor = self.monitors()[0]
        self.select(monitor)

    def monitors(self) -> list[MonitorInfo]:
        """Every physical monitor (mss lists the whole desktop first; it is skipped)."""
        found = []
        for i, mon in enumerate(self._mss.monitors[1:] or self._mss.monitors[:1]):
            found.append(MonitorInfo(
                index=i, x=int(mon["left"]), y=int(mon["top"]), width=int(mon["width"]),
                height=int(mon["height"]), primary=bool(mon.get("is_primary")) or i == 0,
                name=str(mon.get("output", "") or f"Screen {i + 1}")))
        return found

    @property
    def monitor(self) -> MonitorInfo:
        return self._monitor

    def select(self, index: int) -> MonitorInfo:
        monitors = self.monitors()
        if not 0 <= index < len(monitors):
            raise CaptureError(f"no monitor {index}; there are {len(monitors)}")
        self._monitor = monitors[index]
        return self._monitor

    def grab(self) -> np.ndarray:
        """The whole chosen monitor, (height, width, 4) B, G, R, X."""
        return self.grab_area(0, 0, self._monitor.width, self._monitor.height)

    def grab_area(self, x: int, y: int, w: int, h: int) -> np.ndarray:
        """A part of the chosen monitor (monitor coordinates)."""
        mon = self._monitor
        area = {"left": mon.x + x, "top": mon.y + y, "width": w, "height": h}
        try:
            shot = self._mss.grab(area)
        except Exception as exc:
            raise CaptureError(f"screen grab failed: {exc}") from exc
        return np.frombuffer(shot.raw, dtype=np.uint8).reshape(h, w, 4)

    def close(self) -> None:
        self._mss.close()

    def __enter__(self) -> ScreenGrabber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
