"""Calendar arithmetic checked against a brute-force minute-by-minute walker.

The walker knows only ``is_working_instant`` (the definition: local wall time inside a window
of a working local date); the fast code maps windows to UTC intervals per day, splitting at DST
transitions. Cases are drawn around DST changes, Chinese make-up workdays and holidays.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.sla.calendar import (
    MINUTES_PER_DAY,
    ServiceCalendar,
    WorkingWindow,
    add_working_time,
    always_open,
    next_working_instant,
    working_time_between,
)

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)

# Instants near interesting days: DST changes (US, EU), Spring Festival 2024 (make-up Sunday
# 2024-02-04, Saturday 2024-02-18), National Day 2025 (make-up 2025-09-28, 2025-10-11), Easter.
ANCHORS = [
    dt.datetime(2024, 3, 9, 12, tzinfo=UTC),
    dt.datetime(2024, 3, 30, 12, tzinfo=UTC),
    dt.datetime(2024, 10, 26, 12, tzinfo=UTC),
    dt.datetime(2024, 11, 2, 12, tzinfo=UTC),
    dt.datetime(2025, 3, 8, 20, tzinfo=UTC),
    dt.datetime(2025, 10, 25, 20, tzinfo=UTC),
    dt.datetime(2024, 2, 2, 0, tzinfo=UTC),
    dt.datetime(2024, 2, 9, 0, tzinfo=UTC),
    dt.datetime(2025, 9, 26, 0, tzinfo=UTC),
    dt.datetime(2025, 10, 8, 0, tzinfo=UTC),
    dt.datetime(2024, 12, 23, 0, tzinfo=UTC),
    dt.datetime(2025, 4, 17, 0, tzinfo=UTC),
]

ZONES_AND_RULES = [
    ("America/New_York", {"holiday_country": "US", "holiday_subdivision": "NY"}),
    ("Europe/Berlin", {"holiday_country": "DE", "holiday_subdivision": "BE"}),
    ("Asia/Shanghai", {"chinese_rules": True}),
    ("Australia/Lord_Howe", {}),  # a 30-minute DST shift
    ("UTC", {}),
]


def walk_add(start: dt.datetime, minutes: int, cal: ServiceCalendar) -> dt.datetime:
    t, counted = start, 0
    if minutes == 0:
        return start
    while True:
        if cal.is_working_instant(t):
            counted += 1
        t += MINUTE
        if counted == minutes:
            # the due instant is the end of the last working minute
            return t


def walk_between(a: dt.datetime, b: dt.datetime, cal: ServiceCalendar) -> dt.timedelta:
    t, counted = a, 0
    while t < b:
        counted += cal.is_working_instant(t)
        t += MINUTE
    return counted * MINUTE


quarter = st.integers(min_value=0, max_value=MINUTES_PER_DAY // 15)


@st.composite
def day_windows(draw: st.DrawFn) -> tuple[WorkingWindow, ...]:
    cuts = sorted(set(draw(st.lists(quarter, min_size=0, max_size=6))))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    return tuple(WorkingWindow(cuts[i] * 15, cuts[i + 1] * 15) for i in range(0, len(cuts), 2))


@st.composite
def calendars(draw: st.DrawFn) -> ServiceCalendar:
    zone, rules = draw(st.sampled_from(ZONES_AND_RULES))
    if draw(st.integers(0, 9)) == 0:
        return always_open("7x24", zone)
    template = draw(day_windows())
    if not template:
        template = (WorkingWindow(60, 210),)  # 01:00-03:30: straddles most DST changes
    week = []
    for i in range(7):
        if i < 5 or draw(st.booleans()):
            week.append(template if draw(st.integers(0, 3)) else draw(day_windows()))
        else:
            week.append(())
    if not any(week):
        week[0] = template
    return ServiceCalendar(name="random", timezone=zone, week=tuple(week), **rules)


starts = st.builds(
    lambda anchor, offset: anchor + dt.timedelta(minutes=offset),
    st.sampled_from(ANCHORS),
    st.integers(min_value=-36 * 60, max_value=36 * 60),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cal=calendars(), start=starts, minutes=st.integers(min_value=0, max_value=16 * 60))
def test_add_working_time_matches_walker(cal: ServiceCalendar, start: dt.datetime,
                                         minutes: int) -> None:
    got = add_working_time(start, dt.timedelta(minutes=minutes), cal)
    assert got == walk_add(start, minutes, cal)
    assert working_time_between(start, got, cal) == dt.timedelta(minutes=minutes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cal=calendars(), a=starts, span=st.integers(min_value=0, max_value=4 * 24 * 60))
def test_working_time_between_matches_walker(cal: ServiceCalendar, a: dt.datetime,
                                             span: int) -> None:
    b = a + dt.timedelta(minutes=span)
    assert working_time_between(a, b, cal) == walk_between(a, b, cal)
    assert working_time_between(b, a, cal) == -walk_between(a, b, cal)


@settings(max_examples=30, deadline=None)
@given(cal=calendars(), t=starts)
def test_next_working_instant_is_first_working_minute(cal: ServiceCalendar,
                                                      t: dt.datetime) -> None:
    got = next_working_instant(t, cal)
    probe = t
    while not cal.is_working_instant(probe):
        probe += MINUTE
    assert got == probe
