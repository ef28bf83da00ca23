"""SLA terms for hot paths: policies and calendars held in memory, re-read when they change.

The screen pop computes "first response due at / resolution due at" for every ring. Reading
the tier policies and calendars from the database on each ring would cost several queries
per lookup; they change a few times a year. ``CachedSlaTerms`` keeps one ``SlaSnapshot`` and
checks ``SlaStore.version()`` (two aggregates on tiny tables) at most every ``recheck_s``
seconds, so an edit made anywhere (another hub process, the CLI) is seen within that delay.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.sla.calendar import ServiceCalendar, add_working_time, describe
from app.sla.policy import TierPolicy
from app.sla.store import SlaSnapshot, SlaStore


@dataclass(frozen=True, slots=True)
class SlaPromise:
    """What a contact arriving at ``start`` is promised, on its customer's calendar."""

    policy: TierPolicy
    calendar: ServiceCalendar
    calendar_text: str
    first_response_due_at: dt.datetime
    resolution_due_at: dt.datetime


class CachedSlaTerms:
    """Thread-safe cache of the SLA configuration (the hub looks up from worker threads)."""

    def __init__(self, store: SlaStore | None = None, *, recheck_s: float = 2.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store = store or SlaStore()
        self._recheck_s = recheck_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._snapshot: SlaSnapshot | None = None
        self._version: tuple[object, ...] | None = None
        self._checked_at = float("-inf")
        self._calendars: dict[tuple[str, str | None, int | None], tuple[ServiceCalendar, str]] = {}
        self.loads = 0  # how many times the configuration was read (tests, logs)

    def invalidate(self) -> None:
        """Re-check on the next use (call after editing policies in this process)."""
        with self._lock:
            self._checked_at = float("-inf")

    def snapshot(self, s: Session) -> SlaSnapshot:
        with self._lock:
            now = self._monotonic()
            if self._snapshot is not None and now - self._checked_at < self._recheck_s:
                return self._snapshot
            version = self.store.version(s)
            if self._snapshot is None or version != self._version:
                self._snapshot = self.store.snapshot(s)
                self._version = version
                self._calendars = {}
                self.loads += 1
            self._checked_at = now
            return self._snapshot

    def promise(self, s: Session, tier: object, customer_timezone: str | None,
                customer_calendar_id: int | None, start: dt.datetime) -> SlaPromise:
        """Due times for a contact of this customer arriving at ``start``."""
        snap = self.snapshot(s)
        policy, cal, text = self._terms(snap, tier, customer_timezone, customer_calendar_id)
        return SlaPromise(policy, cal, text,
                          add_working_time(start, policy.first_response, cal),
                          add_working_time(start, policy.resolution, cal))

    def _terms(self, snap: SlaSnapshot, tier: object, timezone: str | None,
               calendar_id: int | None) -> tuple[TierPolicy, ServiceCalendar, str]:
        policy = snap.policies.for_tier(tier)
        key = (policy.tier, timezone, calendar_id)
        cached = self._calendars.get(key)
        if cached is None:
            try:
                _, cal = snap.terms(tier, timezone, calendar_id)
            except ValueError:  # a customer with an unknown time zone: the tier's own zone
                _, cal = snap.terms(tier, None, calendar_id)
            cached = self._calendars[key] = (cal, describe(cal))
        return policy, cached[0], cached[1]
