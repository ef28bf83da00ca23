"""SLA due times as an agent reads them: "09:00 Mon (in 2 h 14 min)", in the agent's time.

Pure functions (no widgets) so the ring panel, the profile and the alert list say the same
thing, and tests can pin the wording with a fixed "now" and time zones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QCoreApplication

#: Below this share of the target left (or this much time), a due time is highlighted.
WARN_FRACTION = 0.25
WARN_MINIMUM = timedelta(minutes=15)


class Urgency(StrEnum):
    """Maps to the badge tones in console.qss."""

    OK = "good"
    SOON = "warn"
    OVERDUE = "bad"


@dataclass(frozen=True, slots=True)
class DueText:
    when: str  # "09:00 Mon" in the agent's time
    left: str  # "in 2 h 14 min" / "overdue by 5 min"
    urgency: Urgency
    customer_zone: str = ""  # the customer's time zone, when known
    customer_when: str = ""  # "17:00 Mon" there; empty when it reads the same as here

    def customer_note(self) -> str:
        """``customer's time 17:00 Mon (Europe/London)`` or ``customer in Asia/Shanghai too``."""
        if not self.customer_zone:
            return ""
        if self.customer_when:
            return tr("customer's time {0} ({1})").format(self.customer_when, self.customer_zone)
        return tr("same time for the customer ({0})").format(self.customer_zone)


def tr(text: str) -> str:
    return QCoreApplication.translate("SlaText", text)


def span(delta: timedelta) -> str:
    """``2 h 14 min``, ``45 min``, ``3 d 2 h``; under a minute is ``<1 min``."""
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 1:
        return tr("<1 min")
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def clock_text(t: datetime, now: datetime) -> str:
    """``09:00 Mon`` within the coming week, ``09:00 Mon 7 Dec`` beyond it (``t`` and
    ``now`` in the same zone). Names from our own table: Qt sets the C library's locale,
    and ``%a`` would then follow it while the rest of the console speaks English."""
    text = f"{t:%H:%M} {tr(DAYS[t.weekday()])}"
    if abs((t.date() - now.date()).days) >= 6:
        text += f" {t.day} {tr(MONTHS[t.month - 1])}"
    return text


def zone(name: str | None) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def due_text(due: datetime, now: datetime, target_minutes: int | None = None,
             customer_timezone: str | None = None, local: tzinfo | None = None) -> DueText:
    """How a due time reads for the agent. ``local`` is the agent's zone (default: the
    system's); the customer's wall-clock time is added when their zone shows another time."""
    here = due.astimezone(local) if local is not None else due.astimezone()
    now_here = now.astimezone(here.tzinfo)
    left = due - now
    if left <= timedelta():
        urgency, left_text = Urgency.OVERDUE, tr("overdue by {0}").format(span(left))
    else:
        warn = WARN_MINIMUM
        if target_minutes:
            warn = max(warn, timedelta(minutes=target_minutes) * WARN_FRACTION)
        urgency = Urgency.SOON if left <= warn else Urgency.OK
        left_text = tr("in {0}").format(span(left))
    theirs = zone(customer_timezone)
    if theirs is None:
        return DueText(clock_text(here, now_here), left_text, urgency)
    there = due.astimezone(theirs)
    same = there.utcoffset() == here.utcoffset()
    return DueText(clock_text(here, now_here), left_text, urgency, str(customer_timezone),
                   "" if same else clock_text(there, now.astimezone(theirs)))
