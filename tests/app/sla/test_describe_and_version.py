"""Calendar descriptions (what the screen pop shows) and the configuration fingerprint that
lets caches notice an edit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from app.db.engine import make_engine, make_session_factory
from app.db.migrate import upgrade
from app.sla.calendar import ServiceCalendar, WorkingWindow, always_open, describe, weekly
from app.sla.policy import TierPolicy
from app.sla.store import SlaStore


def test_describe_groups_days_and_names_holiday_rules() -> None:
    assert describe(weekly("b", "Europe/London", "09:00-18:00")) == \
        "Mon-Fri 09:00-18:00 (Europe/London)"
    assert describe(weekly("v", "Asia/Shanghai", ("09:00-12:00", "13:00-18:00"),
                           chinese_rules=True)) == \
        ("Mon-Fri 09:00-12:00, 13:00-18:00, Chinese public holidays and make-up days "
         "(Asia/Shanghai)")
    day = (WorkingWindow.parse("08:00-20:00"),)
    short = (WorkingWindow.parse("10:00-14:00"),)
    cal = ServiceCalendar("x", "America/New_York", (day, day, day, day, day, short, ()),
                          holiday_country="US", holiday_subdivision="NY")
    assert describe(cal) == ("Mon-Fri 08:00-20:00; Sat 10:00-14:00, public holidays (US-NY) "
                             "(America/New_York)")
    assert describe(always_open()) == "7x24"
    assert describe(ServiceCalendar("none")) == "no working hours (UTC)"


def test_version_moves_on_every_save_and_snapshot_matches_terms(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'v.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    store = SlaStore()
    try:
        with factory() as s:
            empty = store.version(s)
            snap = store.snapshot(s)
            assert snap.policies.for_tier("vip") == store.defaults.for_tier("vip")
        policy = TierPolicy("vip", weekly("vip-long", "UTC", "07:00-22:00", "Mon-Sat"),
                            dt.timedelta(minutes=30), dt.timedelta(hours=6))
        with factory() as s, s.begin():
            store.set_tier_policy(s, policy)
        with factory() as s:
            first = store.version(s)
            assert first != empty
            assert store.snapshot(s).policies.for_tier("vip") == store.policy(s, "vip")
        # Saving the same policy again still moves the fingerprint (updated_at is stamped).
        with factory() as s, s.begin():
            store.set_tier_policy(s, policy)
        with factory() as s:
            assert store.version(s) != first
    finally:
        engine.dispose()
