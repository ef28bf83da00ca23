"""Known dates and examples: holidays, make-up workdays, DST, tier targets, pauses, warnings."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.sla.calendar import (
    ServiceCalendar,
    WorkingWindow,
    add_working_time,
    always_open,
    weekly,
    working_time_between,
)
from app.sla.clock import (
    SlaState,
    Target,
    breached,
    deliverable_warnings,
    due_times,
    pause,
    resume,
    working_elapsed,
)
from app.sla.policy import default_policies

UTC = dt.UTC
H = dt.timedelta(hours=1)


def local(zone: str, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def test_chinese_make_up_workday_and_holiday() -> None:
    cal = weekly("cn", "Asia/Shanghai", "09:00-18:00", chinese_rules=True)
    assert cal.is_working_day(dt.date(2024, 2, 4))  # Sunday, make-up day for Spring Festival
    assert not cal.is_working_day(dt.date(2024, 2, 12))  # Monday inside the holiday
    assert cal.windows_on(dt.date(2024, 2, 4)) == (WorkingWindow(9 * 60, 18 * 60),)
    # Friday 2024-02-02 17:00 + 2 h lands on Sunday 2024-02-04 10:00 (the make-up day).
    due = add_working_time(local("Asia/Shanghai", 2024, 2, 2, 17), 2 * H, cal)
    assert due == local("Asia/Shanghai", 2024, 2, 4, 10)


def test_public_holiday_skipped() -> None:
    cal = weekly("us", "America/New_York", "09:00-17:00", holiday_country="US",
                 holiday_subdivision="NY")
    # Wednesday 2024-12-24 16:00 + 2 h: Christmas Day is skipped.
    due = add_working_time(local("America/New_York", 2024, 12, 24, 16), 2 * H, cal)
    assert due == local("America/New_York", 2024, 12, 26, 10)


def test_several_windows_a_day_and_extra_dates() -> None:
    cal = ServiceCalendar(
        "split", "Europe/Berlin",
        week=tuple((WorkingWindow.parse("09:00-12:00"), WorkingWindow.parse("13:00-17:00"))
                   if i < 5 else () for i in range(7)),
        extra_holidays=frozenset({dt.date(2025, 6, 2)}),
        extra_workdays=frozenset({dt.date(2025, 5, 31)}),
    )
    start = local("Europe/Berlin", 2025, 5, 30, 11)  # Friday
    # 1 h Fri morning, 4 h Fri afternoon, then Saturday 05-31 is a make-up day (Monday's
    # windows): 3 h more by 12:00.
    assert add_working_time(start, 8 * H, cal) == local("Europe/Berlin", 2025, 5, 31, 12)
    # 9 h: Sat 13:00-14:00 after the lunch break.
    assert add_working_time(start, 9 * H, cal) == local("Europe/Berlin", 2025, 5, 31, 14)
    # 16 h: Sat afternoon 4 h, Monday 06-02 is an extra holiday, Tuesday 9-12 -> 15 h at 12:00.
    assert add_working_time(start, 16 * H, cal) == local("Europe/Berlin", 2025, 6, 3, 14)
    assert not cal.is_working_day(dt.date(2025, 6, 2))


def test_dst_night_window_counts_real_time() -> None:
    night = ServiceCalendar("night", "America/New_York",
                            week=(((WorkingWindow.parse("00:00-03:00")),),) * 7)
    fall = dt.date(2024, 11, 3)
    spring = dt.date(2024, 3, 10)
    assert working_time_between(local("America/New_York", 2024, 11, 3, 0),
                                local("America/New_York", 2024, 11, 3, 12), night) == 4 * H
    assert working_time_between(local("America/New_York", 2024, 3, 10, 0),
                                local("America/New_York", 2024, 3, 10, 12), night) == 2 * H
    assert fall != spring


def test_calendar_roundtrip_and_validation() -> None:
    cal = weekly("x", "Asia/Shanghai", ("09:00-12:00", "13:30-18:00"), "Mon-Sat",
                 chinese_rules=True, extra_holidays=frozenset({dt.date(2026, 1, 2)}))
    assert ServiceCalendar.from_dict(cal.to_dict()) == cal
    with pytest.raises(ValueError):
        WorkingWindow.parse("18:00-09:00")
    with pytest.raises(ValueError):
        ServiceCalendar("bad", "Mars/Olympus")
    with pytest.raises(ValueError):
        add_working_time(dt.datetime(2025, 1, 1), H, cal)  # naive


def test_tier_targets() -> None:
    policies = default_policies()
    svip = policies.for_tier("SVIP")
    created = local("UTC", 2025, 1, 4, 23, 50)  # a Saturday night
    due = due_times(SlaState(created), svip, svip.calendar)
    assert due.first_response_due_at == created + dt.timedelta(minutes=15)
    assert due.resolution_due_at == created + 4 * H
    vip = policies.for_tier("vip")
    cal = vip.calendar_for("Asia/Shanghai")
    assert cal.timezone == "Asia/Shanghai"
    due = due_times(SlaState(local("Asia/Shanghai", 2025, 1, 6, 17)), vip, cal)  # Monday 17:00
    assert due.resolution_due_at == local("Asia/Shanghai", 2025, 1, 7, 17)  # one working day
    assert policies.for_tier("unknown") is policies.for_tier("basic")


def test_pause_excludes_waiting_for_customer() -> None:
    svip = default_policies().for_tier("svip")
    cal = always_open()
    t0 = local("UTC", 2025, 3, 3, 10)
    state = SlaState(t0, first_responded_at=t0 + dt.timedelta(minutes=5))
    state = pause(state, t0 + H)
    assert working_elapsed(state, t0 + 10 * H, cal) == H  # frozen while paused
    state = resume(state, t0 + 3 * H, cal)
    assert state.paused == 2 * H
    assert due_times(state, svip, cal).resolution_due_at == t0 + 6 * H
    assert not breached(state, svip, cal, t0 + 5 * H)[Target.RESOLUTION]
    assert breached(state, svip, cal, t0 + 6 * H + dt.timedelta(seconds=1))[Target.RESOLUTION]


def test_warnings_only_inside_recipient_hours() -> None:
    svip = default_policies().for_tier("svip")
    cal = always_open()
    agent_hours = weekly("agent", "Europe/Berlin", "09:00-17:00")
    t0 = local("Europe/Berlin", 2025, 3, 4, 2)  # Tuesday 02:00 in Berlin
    state = SlaState(t0)
    night = t0 + dt.timedelta(minutes=14)  # 93% of first response: crossed 75 % and 90 %
    assert deliverable_warnings(state, svip, cal, night, agent_hours) == []
    morning = local("Europe/Berlin", 2025, 3, 4, 9)
    found = deliverable_warnings(state, svip, cal, morning, agent_hours)
    keys = {w.key for w in found}
    assert {"first_response:0.75", "first_response:0.9", "first_response:1"} <= keys
    again = deliverable_warnings(state, svip, cal, morning, agent_hours, already_sent=keys)
    assert again == []


def test_always_open_is_elapsed_time() -> None:
    cal = always_open("24", "America/New_York")
    a = local("America/New_York", 2024, 3, 10, 0)
    assert add_working_time(a, 5 * H, cal) == a + 5 * H
