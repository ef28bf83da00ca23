"""Slowed retries after a wrong password, per login and per peer address.

After each failure the next attempt for that login (and from that peer) is refused for
an exponentially growing delay; after ``lockout_after`` failures inside ``window_s`` the
key is locked for ``lockout_s``. A success clears the login's record. Time comes from an
injectable clock so that tests need no sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Record:
    failures: int = 0
    first_failure: float = 0.0
    blocked_until: float = 0.0


@dataclass(frozen=True)
class ThrottlePolicy:
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    lockout_after: int = 10
    lockout_s: float = 900.0
    window_s: float = 900.0
    #: A peer may try more logins than one account (a team behind one NAT address).
    peer_factor: int = 3
    #: Failures forgiven before any slowing (a customer mistyping a session code).
    free_failures: int = 0


class LoginThrottle:
    """Decides how long a login/peer must wait before the next password attempt."""

    def __init__(self, policy: ThrottlePolicy = ThrottlePolicy(),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._logins: dict[str, _Record] = {}
        self._peers: dict[str, _Record] = {}

    def retry_after(self, login: str, peer: str | None) -> float:
        """Seconds to wait before an attempt is accepted (0: go ahead)."""
        now = self._clock()
        waits = [self._wait(self._logins.get(login.casefold()), now)]
        if peer:
            waits.append(self._wait(self._peers.get(peer), now))
        return max(waits)

    def failed(self, login: str, peer: str | None) -> float:
        """Record a failure; returns the wait now imposed on that login."""
        now = self._clock()
        wait = self._bump(self._logins, login.casefold(), now, 1)
        if peer:
            wait = max(wait, self._bump(self._peers, peer, now, self.policy.peer_factor))
        return wait

    def succeeded(self, login: str, peer: str | None) -> None:
        self._logins.pop(login.casefold(), None)

    def _wait(self, record: _Record | None, now: float) -> float:
        if record is None:
            return 0.0
        return max(0.0, record.blocked_until - now)

    def _bump(self, table: dict[str, _Record], key: str, now: float, factor: int) -> float:
        p = self.policy
        record = table.get(key)
        if record is None or now - record.first_failure > p.window_s and record.blocked_until <= now:
            record = table[key] = _Record(first_failure=now)
        record.failures += 1
        # A peer gets `factor` times the allowance of one login before slowing down as much.
        steps = max(0, record.failures - p.free_failures) // factor
        if record.failures >= p.lockout_after * factor:
            delay = p.lockout_s
        elif steps == 0:
            delay = 0.0
        else:
            delay = min(p.base_delay_s * 2 ** (steps - 1), p.max_delay_s)
        record.blocked_until = max(record.blocked_until, now + delay)
        if len(table) > 100_000:  # bounded memory under a spray of logins
            for stale in [k for k, r in table.items() if r.blocked_until < now][:50_000]:
                del table[stale]
        return record.blocked_until - now
