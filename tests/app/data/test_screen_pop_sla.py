"""Screen pop SLA: due times from app/sla's policies and the customer's calendar, cached.

One source of truth: the profile's due times equal what the SLA clock computes for a ticket
created at the same instant (``SlaStore.terms`` + ``due_times``), and an edited policy or a
customer calendar reaches the profile without restarting the service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from app.customers.models import Customer, CustomerTier
from app.db.engine import make_engine, make_session_factory
from app.db.migrate import upgrade
from app.screen_pop.profile import ContactIdentity, Profile
from app.screen_pop.service import ScreenPopService
from app.sla.calendar import weekly
from app.sla.clock import SlaState, due_times
from app.sla.policy import TierPolicy
from app.sla.store import SlaStore
from app.sla.terms import CachedSlaTerms

LONDON = ZoneInfo("Europe/London")
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Friday 27 November 2026, 19:30 in London (GMT): after hours, before a weekend.
FRIDAY_EVENING = dt.datetime(2026, 11, 27, 19, 30, tzinfo=LONDON).astimezone(dt.UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'sla.db'}")
    upgrade(eng)
    with make_session_factory(eng)() as s:
        s.add_all([
            Customer(code="UK-BASIC", name="Harbour Freight Ltd", tier=CustomerTier.BASIC,
                     region="UK", timezone="Europe/London", language="en",
                     created_at=FRIDAY_EVENING),
            Customer(code="CN-VIP", name="成都市中医院", tier=CustomerTier.VIP, region="CN-West",
                     timezone="Asia/Shanghai", language="zh", created_at=FRIDAY_EVENING),
            Customer(code="SG-SVIP", name="Lion City Clinics", tier=CustomerTier.SVIP,
                     region="SG", timezone="Asia/Singapore", language="en",
                     created_at=FRIDAY_EVENING),
            Customer(code="BAD-TZ", name="Nowhere Inc", tier=CustomerTier.BASIC, region="X",
                     timezone="Mars/Olympus", language="en", created_at=FRIDAY_EVENING),
        ])
        s.commit()
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def service(factory: sessionmaker[Session], clock: FakeMonotonic) -> ScreenPopService:
    return ScreenPopService(factory, clock=lambda: FRIDAY_EVENING,
                            sla=CachedSlaTerms(recheck_s=5.0, monotonic=clock))


def config_read(sql: str) -> bool:
    """A statement reading the SLA configuration (not the customer's own-calendar join)."""
    return "FROM sla_calendars" in sql or "FROM sla_tier_policies" in sql


def pop(service: ScreenPopService, code: str) -> Profile:
    profile = service.lookup(ContactIdentity(customer_code=code))
    assert profile.known and profile.sla is not None
    return profile


def test_basic_customer_on_friday_evening_is_due_monday_in_their_zone(
        service: ScreenPopService) -> None:
    sla = pop(service, "UK-BASIC").sla
    assert sla is not None
    assert (sla.tier, sla.first_response_minutes, sla.resolution_minutes) == ("basic", 480, 1620)
    assert sla.timezone == "Europe/London"
    assert sla.calendar == "Mon-Fri 09:00-18:00 (Europe/London)"
    # 8 working hours from Monday 09:00; 27 hours = Mon + Tue + Wed.
    assert sla.first_response_due_at == dt.datetime(2026, 11, 30, 17, 0, tzinfo=LONDON)
    assert sla.resolution_due_at == dt.datetime(2026, 12, 2, 18, 0, tzinfo=LONDON)


def test_vip_runs_on_5x8_in_shanghai_and_svip_around_the_clock(service: ScreenPopService) -> None:
    vip = pop(service, "CN-VIP").sla
    assert vip is not None
    # Friday 19:30 London is Saturday 03:30 in Shanghai: Monday 09:00 + 1 h; resolution 8 h
    # of 09-12 + 13-18 windows ends Monday 18:00.
    assert vip.first_response_due_at == dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
    assert vip.resolution_due_at == dt.datetime(2026, 11, 30, 18, 0, tzinfo=SHANGHAI)
    assert vip.calendar == "Mon-Fri 09:00-12:00, 13:00-18:00 (Asia/Shanghai)"
    svip = pop(service, "SG-SVIP").sla
    assert svip is not None and svip.calendar == "7x24"
    assert svip.first_response_due_at == FRIDAY_EVENING + dt.timedelta(minutes=15)
    assert svip.resolution_due_at == FRIDAY_EVENING + dt.timedelta(hours=4)


@pytest.mark.parametrize("code", ["UK-BASIC", "CN-VIP", "SG-SVIP", "BAD-TZ"])
def test_due_times_equal_what_the_ticket_clock_computes(
        service: ScreenPopService, factory: sessionmaker[Session], code: str) -> None:
    """The screen pop and the ticket service share one source: SlaStore's terms."""
    profile = pop(service, code)
    assert profile.company is not None and profile.sla is not None
    with factory() as s:
        try:
            policy, cal = SlaStore().terms(s, profile.company.id)
        except ValueError:  # unknown zone: the screen pop falls back to the tier's own zone
            policy = SlaStore().policy(s, profile.company.tier)
            cal = policy.calendar
    due = due_times(SlaState(created_at=FRIDAY_EVENING), policy, cal)
    assert profile.sla.first_response_due_at == due.first_response_due_at
    assert profile.sla.resolution_due_at == due.resolution_due_at


def test_stored_policy_and_customer_calendar_reach_the_profile(
        service: ScreenPopService, factory: sessionmaker[Session], clock: FakeMonotonic) -> None:
    assert service.sla is not None
    before = pop(service, "UK-BASIC").sla
    store = SlaStore()
    with factory() as s, s.begin():
        basic = weekly("basic-long", "UTC", "08:00-20:00", "Mon-Sat")
        store.set_tier_policy(s, TierPolicy("basic", basic, dt.timedelta(hours=2),
                                            dt.timedelta(hours=12)))
    # Within recheck_s the cached terms stay; after it, the edit is seen.
    assert pop(service, "UK-BASIC").sla == before
    clock.now += 10
    after = pop(service, "UK-BASIC").sla
    assert after is not None and after.first_response_minutes == 120
    assert after.calendar == "Mon-Sat 08:00-20:00 (Europe/London)"
    # 30 min left on Friday (until 20:00), then 90 min from Saturday 08:00.
    assert after.first_response_due_at == dt.datetime(2026, 11, 28, 9, 30, tzinfo=LONDON)

    with factory() as s, s.begin():
        customer = s.query(Customer).filter_by(code="UK-BASIC").one()
        store.set_customer_calendar(s, customer.id, weekly("harbour-nights", "Europe/London",
                                                           "18:00-23:00", "Mon-Sun"))
    service.sla.invalidate()
    own = pop(service, "UK-BASIC").sla
    assert own is not None and own.calendar == "Mon-Sun 18:00-23:00 (Europe/London)"
    assert own.first_response_due_at == dt.datetime(2026, 11, 27, 21, 30, tzinfo=LONDON)
    assert service.sla.loads == 3


def test_cached_terms_add_no_statements_per_lookup(
        service: ScreenPopService, engine: Engine, clock: FakeMonotonic) -> None:
    """Once loaded, the SLA costs no query; a re-check is two tiny aggregates, no reload."""
    pop(service, "UK-BASIC")  # loads the configuration
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        pop(service, "CN-VIP")
        warm = list(statements)
        statements.clear()
        clock.now += 10
        pop(service, "CN-VIP")
        rechecked = list(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert not any(config_read(sql) for sql in warm)
    assert sum(config_read(sql) for sql in rechecked) == 2
    assert len(rechecked) == len(warm) + 2
    assert service.sla is not None and service.sla.loads == 1
