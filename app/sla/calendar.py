"""Service calendars: when the clock of a promise runs.

A ``ServiceCalendar`` says, for an instant, whether it is working time: a time zone, working
windows per weekday (several a day allowed), public holidays from the ``holidays`` package,
China's official holidays *and* make-up working days from ``chinese_calendar``, and explicit
extra holidays / workdays. ``always_open`` is 7x24.

Semantics (the brute-force walker in the tests uses exactly these): an instant ``t`` is working
time when the local wall-clock time of ``t`` in the calendar's zone falls inside one of the
windows of its local date, and that date is a working day. Around DST changes this means the
clock follows real elapsed time: a window 00:00-03:00 on a fall-back night holds four real hours,
on a spring-forward night two.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
import holidays as holidays_lib

UTC = dt.UTC
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class WorkingWindow:
    """One working window of a day, in local minutes since midnight: ``[start, end)``."""

    start_min: int
    end_min: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_min < self.end_min <= MINUTES_PER_DAY:
            raise ValueError(f"bad working window {self.start_min}-{self.end_min}")

    @classmethod
    def parse(cls, text: str) -> WorkingWindow:
        """``"09:00-12:30"``; ``24:00`` is allowed as an end."""
        try:
            a, b = text.split("-")
            return cls(_minutes(a), _minutes(b))
        except ValueError as exc:
            raise ValueError(f"bad working window {text!r}: {exc}") from None

    def __str__(self) -> str:
        return f"{_hhmm(self.start_min)}-{_hhmm(self.end_min)}"


def _minutes(text: str) -> int:
    h, m = text.strip().split(":")
    value = int(h) * 60 + int(m)
    if not 0 <= int(m) < 60 or not 0 <= value <= MINUTES_PER_DAY:
        raise ValueError(f"bad time {text!r}")
    return value


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


Day = tuple[WorkingWindow, ...]


@dataclass(frozen=True, slots=True)
class ServiceCalendar:
    """A working-time calendar. Frozen and hashable so day intervals can be cached."""

    name: str
    timezone: str = "UTC"
    # Monday..Sunday; each a tuple of non-overlapping windows.
    week: tuple[Day, Day, Day, Day, Day, Day, Day] = ((),) * 7  # type: ignore[assignment]
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    chinese_rules: bool = False
    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_workdays: frozenset[dt.date] = field(default_factory=frozenset)
    always_open: bool = False

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("week needs seven days (Monday..Sunday)")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        for day in self.week:
            ordered = sorted(day, key=lambda w: w.start_min)
            for a, b in zip(ordered, ordered[1:], strict=False):
                if b.start_min < a.end_min:
                    raise ValueError(f"overlapping windows {a} and {b}")
        if self.holiday_country:
            holidays_lib.country_holidays(self.holiday_country, subdiv=self.holiday_subdivision)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def with_timezone(self, timezone: str) -> ServiceCalendar:
        """The same rules in another zone (a tier calendar applied to a customer's zone)."""
        return _replace(self, timezone=timezone)

    # -- working days ----------------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        if self.always_open:
            return True
        if day in self.extra_holidays:
            return False
        if day in self.extra_workdays:
            return True
        if self.chinese_rules:
            try:
                return bool(chinese_calendar.is_workday(day))
            except NotImplementedError:
                pass  # outside the library's years: fall back to weekdays + holidays below
        if not self.week[day.weekday()]:
            return False
        return not (self.holiday_country and _is_public_holiday(
            self.holiday_country, self.holiday_subdivision, day))

    def windows_on(self, day: dt.date) -> Day:
        """The windows of a working day. A make-up workday on a weekend uses Monday's windows."""
        if self.always_open:
            return (WorkingWindow(0, MINUTES_PER_DAY),)
        if not self.is_working_day(day):
            return ()
        windows = self.week[day.weekday()] or self.week[0]
        return tuple(sorted(windows, key=lambda w: w.start_min))

    def is_working_instant(self, t: dt.datetime) -> bool:
        """Direct definition, one instant at a time (what the brute-force walker uses)."""
        if self.always_open:
            return True
        local = t.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        return any(w.start_min <= minute < w.end_min for w in self.windows_on(local.date()))

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "timezone": self.timezone,
            "week": [[str(w) for w in day] for day in self.week],
            "holiday_country": self.holiday_country,
            "holiday_subdivision": self.holiday_subdivision,
            "chinese_rules": self.chinese_rules,
            "extra_holidays": sorted(d.isoformat() for d in self.extra_holidays),
            "extra_workdays": sorted(d.isoformat() for d in self.extra_workdays),
            "always_open": self.always_open,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ServiceCalendar:
        week = data.get("week") or [[]] * 7
        return cls(
            name=str(data["name"]),
            timezone=str(data.get("timezone") or "UTC"),
            week=tuple(tuple(WorkingWindow.parse(w) for w in day) for day in week),  # type: ignore[arg-type, union-attr]
            holiday_country=data.get("holiday_country") or None,  # type: ignore[arg-type]
            holiday_subdivision=data.get("holiday_subdivision") or None,  # type: ignore[arg-type]
            chinese_rules=bool(data.get("chinese_rules", False)),
            extra_holidays=frozenset(dt.date.fromisoformat(d) for d in data.get("extra_holidays") or ()),  # type: ignore[union-attr]
            extra_workdays=frozenset(dt.date.fromisoformat(d) for d in data.get("extra_workdays") or ()),  # type: ignore[union-attr]
            always_open=bool(data.get("always_open", False)),
        )


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def describe(cal: ServiceCalendar) -> str:
    """A short human description: ``Mon-Fri 09:00-12:00, 13:00-18:00 (Asia/Shanghai)``.

    Consecutive days with the same windows are grouped; holidays are named by their rule.
    """
    if cal.always_open:
        return "7x24"
    groups: list[tuple[int, int, Day]] = []
    for i, day in enumerate(cal.week):
        windows = tuple(sorted(day, key=lambda w: w.start_min))
        if groups and groups[-1][2] == windows and groups[-1][1] == i - 1:
            groups[-1] = (groups[-1][0], i, windows)
        else:
            groups.append((i, i, windows))
    parts = []
    for first, last, windows in groups:
        if not windows:
            continue
        days = _DAY_NAMES[first] if first == last else f"{_DAY_NAMES[first]}-{_DAY_NAMES[last]}"
        parts.append(f"{days} {', '.join(str(w) for w in windows)}")
    text = "; ".join(parts) or "no working hours"
    if cal.chinese_rules:
        text += ", Chinese public holidays and make-up days"
    elif cal.holiday_country:
        region = "-".join(x for x in (cal.holiday_country, cal.holiday_subdivision) if x)
        text += f", public holidays ({region})"
    return f"{text} ({cal.timezone})"


def _replace(cal: ServiceCalendar, **changes: object) -> ServiceCalendar:
    import dataclasses

    return dataclasses.replace(cal, **changes)  # type: ignore[arg-type]


@lru_cache(maxsize=64)
def _holiday_table(country: str, subdivision: str | None) -> holidays_lib.HolidayBase:
    return holidays_lib.country_holidays(country, subdiv=subdivision)


def _is_public_holiday(country: str, subdivision: str | None, day: dt.date) -> bool:
    return day in _holiday_table(country, subdivision)


def weekly(
    name: str,
    timezone: str,
    windows: str | tuple[str, ...],
    days: str = "Mon-Fri",
    **kwargs: object,
) -> ServiceCalendar:
    """Convenience: ``weekly("basic", "Europe/Berlin", ("09:00-12:00", "13:00-18:00"))``."""
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    first, _, last = days.lower().partition("-")
    lo = names.index(first[:3])
    hi = names.index((last or first)[:3])
    spec = (windows,) if isinstance(windows, str) else windows
    day = tuple(WorkingWindow.parse(w) for w in spec)
    week = tuple(day if lo <= i <= hi else () for i in range(7))
    return ServiceCalendar(name=name, timezone=timezone, week=week, **kwargs)  # type: ignore[arg-type]


def always_open(name: str = "7x24", timezone: str = "UTC") -> ServiceCalendar:
    return ServiceCalendar(name=name, timezone=timezone, always_open=True)


# -- intervals in UTC -----------------------------------------------------------------------

Interval = tuple[dt.datetime, dt.datetime]


def _local_midnight_utc(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """First instant whose local wall time is >= ``day`` 00:00 (handles a midnight DST gap)."""
    return _first_instant_at_or_after(dt.datetime.combine(day, dt.time()), zone)


def _first_instant_at_or_after(naive_local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    early = naive_local.replace(tzinfo=zone, fold=0)
    utc0 = early.astimezone(UTC)
    if utc0.astimezone(zone).replace(tzinfo=None) == naive_local:
        return utc0  # exists (fold=0 is the first occurrence when ambiguous)
    # In a gap: the first instant at or after it is the transition itself (whole seconds).
    a = int(naive_local.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    b = int(utc0.timestamp())
    lo, hi = min(a, b), max(a, b)  # local(lo) < naive_local <= local(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _local_naive(mid, zone) >= naive_local:
            hi = mid
        else:
            lo = mid
    return dt.datetime.fromtimestamp(hi, UTC)


def _local_naive(ts: int, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, UTC).astimezone(zone).replace(tzinfo=None)


def _offset(ts: int, zone: ZoneInfo) -> dt.timedelta:
    return dt.datetime.fromtimestamp(ts, UTC).astimezone(zone).utcoffset() or dt.timedelta()


@lru_cache(maxsize=20000)
def day_intervals(cal: ServiceCalendar, day: dt.date) -> tuple[Interval, ...]:
    """Working intervals (UTC, sorted, disjoint) of the local date ``day``.

    The local day is split at a DST transition into segments with a constant UTC offset; on
    each segment local time is linear in UTC, so each window maps to at most one interval.
    """
    windows = cal.windows_on(day)
    if not windows:
        return ()
    zone = cal.zone
    start = _local_midnight_utc(day, zone)
    end = _local_midnight_utc(day + dt.timedelta(days=1), zone)
    segments = _constant_offset_segments(start, end, zone)
    midnight = dt.datetime.combine(day, dt.time())
    out: list[Interval] = []
    for seg_start, seg_end, offset in segments:
        for w in windows:
            a = midnight + dt.timedelta(minutes=w.start_min) - offset
            b = midnight + dt.timedelta(minutes=w.end_min) - offset
            a_utc = max(a.replace(tzinfo=UTC), seg_start)
            b_utc = min(b.replace(tzinfo=UTC), seg_end)
            if a_utc < b_utc:
                out.append((a_utc, b_utc))
    out.sort()
    merged: list[Interval] = []
    for a, b in out:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return tuple(merged)


def _constant_offset_segments(
    start: dt.datetime, end: dt.datetime, zone: ZoneInfo
) -> list[tuple[dt.datetime, dt.datetime, dt.timedelta]]:
    """Split ``[start, end)`` where the zone's UTC offset changes (binary search, 1 s)."""
    segments = []
    cur, stop = int(start.timestamp()), int(end.timestamp())
    while cur < stop:
        off = _offset(cur, zone)
        if _offset(stop - 1, zone) == off:
            segments.append((cur, stop, off))
            break
        lo, hi = cur, stop - 1  # offset(lo) == off, offset(hi) != off
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _offset(mid, zone) == off:
                lo = mid
            else:
                hi = mid
        segments.append((cur, hi, off))
        cur = hi
    return [(dt.datetime.fromtimestamp(a, UTC), dt.datetime.fromtimestamp(b, UTC), off)
            for a, b, off in segments]


def _local_date(t: dt.datetime, cal: ServiceCalendar) -> dt.date:
    return t.astimezone(cal.zone).date()


def iter_intervals(cal: ServiceCalendar, start: dt.datetime) -> Iterator[Interval]:
    """Working intervals from ``start`` on (clipped to start), for as long as asked."""
    _require_aware(start)
    day = _local_date(start, cal) - dt.timedelta(days=1)  # a fall-back day may reach back
    empty_days = 0
    while True:
        intervals = day_intervals(cal, day)
        for a, b in intervals:
            if b <= start:
                continue
            yield (max(a, start), b)
        empty_days = 0 if intervals else empty_days + 1
        if empty_days > 3700:
            raise ValueError(f"calendar {cal.name!r} has no working time in ten years")
        day += dt.timedelta(days=1)


def _require_aware(t: dt.datetime) -> None:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("naive datetime: SLA arithmetic needs timezone-aware instants")


def add_working_time(
    start: dt.datetime, duration: dt.timedelta, cal: ServiceCalendar
) -> dt.datetime:
    """The instant when ``duration`` of working time has passed since ``start`` (UTC)."""
    _require_aware(start)
    if duration < dt.timedelta():
        raise ValueError("negative working time")
    start = start.astimezone(UTC)
    if cal.always_open or duration == dt.timedelta():
        return start + duration
    remaining = duration
    for a, b in iter_intervals(cal, start):
        span = b - a
        if span >= remaining:
            return a + remaining
        remaining -= span
    raise AssertionError("unreachable")  # pragma: no cover


def working_time_between(
    a: dt.datetime, b: dt.datetime, cal: ServiceCalendar
) -> dt.timedelta:
    """Working time in ``[a, b)``; negative when ``b < a``."""
    _require_aware(a)
    _require_aware(b)
    a, b = a.astimezone(UTC), b.astimezone(UTC)
    if b < a:
        return -working_time_between(b, a, cal)
    if cal.always_open:
        return b - a
    total = dt.timedelta()
    for x, y in iter_intervals(cal, a):
        if x >= b:
            break
        total += min(y, b) - x
    return total


def next_working_instant(t: dt.datetime, cal: ServiceCalendar) -> dt.datetime:
    """``t`` itself when it is working time, else the start of the next working interval."""
    _require_aware(t)
    t = t.astimezone(UTC)
    if cal.always_open:
        return t
    for a, _ in iter_intervals(cal, t):
        return a
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = [
    "ServiceCalendar",
    "WorkingWindow",
    "add_working_time",
    "always_open",
    "describe",
    "day_intervals",
    "next_working_instant",
    "weekly",
    "working_time_between",
]
