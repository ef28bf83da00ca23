"""The SLA clock of one ticket: due times, pauses, breaches and near-breach warnings.

Pure functions over a small state record so the ticket service, the recompute after a calendar
edit and the tests share one arithmetic. Paused time (waiting for the customer) is measured in
*working* time and pushes both due times back by exactly that much; it is also left out of the
statistics (``working_elapsed``).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass, replace

from app.sla.calendar import (
    ServiceCalendar,
    add_working_time,
    working_time_between,
)
from app.sla.policy import TierPolicy


class Target(enum.StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


@dataclass(frozen=True, slots=True)
class SlaState:
    created_at: dt.datetime
    first_responded_at: dt.datetime | None = None
    solved_at: dt.datetime | None = None
    paused_since: dt.datetime | None = None
    paused: dt.timedelta = dt.timedelta()  # working time spent paused (closed pauses only)


@dataclass(frozen=True, slots=True)
class SlaDue:
    first_response_due_at: dt.datetime
    resolution_due_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SlaWarning:
    """A threshold crossed: ``fraction`` 1.0 means breached."""

    target: Target
    fraction: float
    threshold_at: dt.datetime

    @property
    def key(self) -> str:
        return f"{self.target.value}:{self.fraction:g}"


def due_times(state: SlaState, policy: TierPolicy, cal: ServiceCalendar) -> SlaDue:
    """Due times with the closed pauses added (an open pause is added when it closes)."""
    return SlaDue(
        first_response_due_at=add_working_time(
            state.created_at, policy.first_response + state.paused, cal),
        resolution_due_at=add_working_time(state.created_at, policy.resolution + state.paused, cal),
    )


def pause(state: SlaState, now: dt.datetime) -> SlaState:
    if state.paused_since is not None:
        return state
    return replace(state, paused_since=now)


def resume(state: SlaState, now: dt.datetime, cal: ServiceCalendar) -> SlaState:
    if state.paused_since is None:
        return state
    extra = working_time_between(state.paused_since, max(now, state.paused_since), cal)
    return replace(state, paused_since=None, paused=state.paused + extra)


def working_elapsed(state: SlaState, now: dt.datetime, cal: ServiceCalendar) -> dt.timedelta:
    """Working time the ticket has really been on the clock (pauses left out)."""
    end = state.solved_at or now
    if state.paused_since is not None:
        end = min(end, state.paused_since)
    return max(dt.timedelta(), working_time_between(state.created_at, end, cal) - state.paused)


def _met_at(state: SlaState, target: Target) -> dt.datetime | None:
    return state.first_responded_at if target is Target.FIRST_RESPONSE else state.solved_at


def _length(policy: TierPolicy, target: Target) -> dt.timedelta:
    return policy.first_response if target is Target.FIRST_RESPONSE else policy.resolution


def breached(state: SlaState, policy: TierPolicy, cal: ServiceCalendar,
             now: dt.datetime) -> dict[Target, bool]:
    """Whether each target is (or was, when met late) breached.

    A pause only ever starts after the first response (asking the customer *is* a response),
    so pauses count against the resolution clock alone.
    """
    out = {}
    for target in Target:
        point = _met_at(state, target) or now
        if target is Target.FIRST_RESPONSE:
            elapsed = working_time_between(state.created_at, point, cal)
        else:
            elapsed = working_elapsed(replace(state, solved_at=point), point, cal)
        out[target] = elapsed > _length(policy, target)
    return out


def crossed_thresholds(
    state: SlaState, policy: TierPolicy, cal: ServiceCalendar, now: dt.datetime,
) -> list[SlaWarning]:
    """Thresholds (warn_at fractions and 1.0 = breach) of unmet targets crossed by ``now``."""
    out: list[SlaWarning] = []
    elapsed = working_elapsed(state, now, cal)
    for target in Target:
        if _met_at(state, target) is not None:
            continue
        length = _length(policy, target)
        for fraction in (*policy.warn_at, 1.0):
            point = length * fraction
            if elapsed >= point and (fraction < 1.0 or elapsed > point):
                at = add_working_time(state.created_at, point + state.paused, cal)
                out.append(SlaWarning(target, fraction, at))
    return out


def deliverable_warnings(
    state: SlaState,
    policy: TierPolicy,
    cal: ServiceCalendar,
    now: dt.datetime,
    recipient_calendar: ServiceCalendar,
    already_sent: Iterable[str] = (),
) -> list[SlaWarning]:
    """Crossed thresholds not yet sent, but only while the recipient is at work.

    Outside the recipient's working hours nothing is returned; the next call inside their hours
    returns everything that has piled up (so a night-time near-breach reaches them at 9:00).
    """
    if not recipient_calendar.is_working_instant(now):
        return []
    sent = set(already_sent)
    return [w for w in crossed_thresholds(state, policy, cal, now) if w.key not in sent]
