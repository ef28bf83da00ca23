"""Session codes an agent reads to a customer: random, short-lived, single-use, rate-limited."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.auth.throttle import LoginThrottle, ThrottlePolicy

CODE_DIGITS = 6
CODE_THROTTLE = ThrottlePolicy(base_delay_s=1.0, max_delay_s=30.0, lockout_after=10,
                               lockout_s=300.0, window_s=300.0, peer_factor=1,
                               free_failures=3)


@dataclass(frozen=True)
class IssuedCode:
    code: str
    agent_id: int
    agent_name: str
    problem: str
    expires_at: float  # monotonic-clock seconds


class CodeRefused(Exception):
    def __init__(self, text: str, retry_after_s: float = 0.0) -> None:
        super().__init__(text)
        self.text = text
        self.retry_after_s = retry_after_s


class SessionCodes:
    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._codes: dict[str, IssuedCode] = {}
        self._throttle = LoginThrottle(CODE_THROTTLE, clock)

    def issue(self, agent_id: int, agent_name: str, problem: str = "") -> IssuedCode:
        """A fresh code for ``agent_id`` (an agent's earlier unused code is withdrawn)."""
        self._purge()
        for code, issued in list(self._codes.items()):
            if issued.agent_id == agent_id:
                del self._codes[code]
        while True:
            code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
            if code not in self._codes:
                break
        issued = IssuedCode(code, agent_id, agent_name, problem, self._clock() + self.ttl_s)
        self._codes[code] = issued
        return issued

    def redeem(self, code: str, peer: str | None) -> IssuedCode:
        """Consume ``code``; ``CodeRefused`` for wrong, expired, used or too many tries."""
        wait = self._throttle.retry_after(peer, None) if peer else 0.0
        if wait > 0:
            raise CodeRefused(f"Too many wrong codes; try again in {math.ceil(wait)} s.", wait)
        self._purge()
        issued = self._codes.pop(code.strip(), None)
        if issued is None:
            if peer:
                self._throttle.failed(peer, None)  # per peer, never global
            raise CodeRefused("That session code is wrong, expired or already used.")
        return issued

    def _purge(self) -> None:
        now = self._clock()
        for code in [c for c, i in self._codes.items() if i.expires_at <= now]:
            del self._codes[code]
