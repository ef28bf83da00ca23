"""Tier policies: which calendar a promise runs on and how long it is.

Configurable, not hard-coded: ``default_policies()`` is only the starting point (basic business
hours, VIP 5x8 with resolution in one working day, SVIP 7x24 with 15 min response and 4 h
resolution); a deployment stores its own in the database (``app/sla/models.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.sla.calendar import ServiceCalendar, always_open, weekly

Tier = str  # "basic" | "vip" | "svip" (the Customer.tier values, lower case)
TIER_ORDER: tuple[Tier, ...] = ("svip", "vip", "basic")


def tier_key(tier: object) -> Tier:
    """Normalise an enum member or a string to the lower-case tier name."""
    value = getattr(tier, "value", tier)
    return str(value).lower()


@dataclass(frozen=True, slots=True)
class TierPolicy:
    """The promises made to one tier."""

    tier: Tier
    calendar: ServiceCalendar
    first_response: dt.timedelta
    resolution: dt.timedelta
    reopen_window: dt.timedelta = dt.timedelta(days=7)
    # Fractions of a target at which the assignee is warned (delivered in *their* hours).
    warn_at: tuple[float, ...] = (0.75, 0.9)
    # Use the customer's own time zone for the tier calendar (a customer in Shanghai gets
    # Shanghai business hours), unless the customer has a calendar of its own.
    follow_customer_timezone: bool = True

    def __post_init__(self) -> None:
        if self.first_response <= dt.timedelta() or self.resolution <= dt.timedelta():
            raise ValueError("SLA targets must be positive")
        if any(not 0 < p < 1 for p in self.warn_at):
            raise ValueError("warning percentages must be between 0 and 1 (exclusive)")

    def calendar_for(self, customer_timezone: str | None,
                     customer_calendar: ServiceCalendar | None = None) -> ServiceCalendar:
        if customer_calendar is not None:
            return customer_calendar
        if self.follow_customer_timezone and customer_timezone and not self.calendar.always_open:
            return self.calendar.with_timezone(customer_timezone)
        return self.calendar


@dataclass(frozen=True, slots=True)
class SlaPolicies:
    """All tier policies plus the agents' default working calendar (for warnings)."""

    tiers: Mapping[Tier, TierPolicy]
    agent_calendar: ServiceCalendar = field(
        default_factory=lambda: weekly("agents", "UTC", "08:00-20:00", "Mon-Fri"))

    def for_tier(self, tier: object) -> TierPolicy:
        key = tier_key(tier)
        try:
            return self.tiers[key]
        except KeyError:
            return self.tiers["basic"]


def default_policies(timezone: str = "UTC") -> SlaPolicies:
    basic = weekly("basic", timezone, "09:00-18:00", "Mon-Fri")
    five_by_eight = weekly("vip-5x8", timezone, ("09:00-12:00", "13:00-18:00"), "Mon-Fri")
    return SlaPolicies(tiers={
        "basic": TierPolicy("basic", basic, dt.timedelta(hours=8), dt.timedelta(hours=27),
                            reopen_window=dt.timedelta(days=7)),
        "vip": TierPolicy("vip", five_by_eight, dt.timedelta(hours=1), dt.timedelta(hours=8),
                          reopen_window=dt.timedelta(days=14)),
        "svip": TierPolicy("svip", always_open("svip-7x24"), dt.timedelta(minutes=15),
                           dt.timedelta(hours=4), reopen_window=dt.timedelta(days=30)),
    })
