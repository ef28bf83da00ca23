"""The customer's consent, enforced in the assist itself (not only by the hub's relay).

One ``ConsentGate`` per session, read by the capture thread (may pixels leave?) and the
network thread (may this input be injected?). Changes take effect at once: the next frame
or input event already sees the new level.
"""

from __future__ import annotations

import threading

from remote.protocol.messages import ConsentLevel


class ConsentGate:
    """Thread-safe current consent level; starts at NONE (nothing seen, nothing controlled)."""

    def __init__(self) -> None:
        self._level = ConsentLevel.NONE
        self._lock = threading.Lock()

    @property
    def level(self) -> ConsentLevel:
        with self._lock:
            return self._level

    def set(self, level: ConsentLevel) -> ConsentLevel:
        """Set the level; returns the previous one."""
        with self._lock:
            previous, self._level = self._level, level
            return previous

    @property
    def allows_view(self) -> bool:
        return self.level.allows_view

    @property
    def allows_control(self) -> bool:
        return self.level.allows_control
