"""Ticket lifecycle, wrap-up, SLA, escalation, search, reopen and ratings on a real database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.contacts.models import Session as RemoteSession
from app.notify.models import OutboxChannel, OutboxMessage
from app.recordings.models import Recording
from app.routing.models import QueueSettings
from app.sla.calendar import always_open, weekly
from app.sla.policy import TierPolicy
from app.sla.service import SlaService
from app.sla.store import SlaStore
from app.tickets.models import SatisfactionRating, Ticket, TicketSession
from app.tickets.service import TicketService
from app.tickets.types import TicketError, TicketQuery, WrapUp
from tests.app.routing.dbsupport import Factory

H = dt.timedelta(hours=1)


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC)  # a Monday

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(session_factory: sessionmaker[Session], clock: Clock) -> TicketService:
    return TicketService(session_factory, clock=clock)


@pytest.fixture
def any_svc(backend_session_factory: sessionmaker[Session], clock: Clock) -> TicketService:
    return TicketService(backend_session_factory, clock=clock)


def ticket(sf: sessionmaker[Session], ticket_id: int) -> Ticket:
    with sf() as s:
        return s.get(Ticket, ticket_id)  # type: ignore[return-value]


def kinds(svc: TicketService, ticket_id: int) -> list[str]:
    return [e["kind"] for e in svc.history(ticket_id)]


def notices(sf: sessionmaker[Session], ticket_id: int, channel: OutboxChannel) -> list[str]:
    with sf() as s:
        return list(s.scalars(select(OutboxMessage.kind).where(
            OutboxMessage.ticket_id == ticket_id, OutboxMessage.channel == channel)
            .order_by(OutboxMessage.id)))


def make_session_and_recording(sf: sessionmaker[Session], agent: int) -> tuple[int, int]:
    with sf() as s, s.begin():
        session = RemoteSession(agent_id=agent)
        s.add(session)
        s.flush()
        recording = Recording(session_id=session.id, path="/tmp/x.tdrec", agent_id=agent)
        s.add(recording)
        s.flush()
        return session.id, recording.id


def test_wrap_up_creates_ticket_with_links_sla_and_events(
        session_factory: sessionmaker[Session], svc: TicketService, clock: Clock) -> None:
    f = Factory(session_factory)
    customer = f.customer("svip")
    person = f.person(customer)
    agent = f.agent()
    contact = f.contact(customer, created_at=clock.now)
    session_id, recording_id = make_session_and_recording(session_factory, agent)
    clock.advance(minutes=10)
    tid = svc.wrap_up(WrapUp(agent_id=agent, contact_id=contact, contact_person_id=person,
                             session_id=session_id, recording_id=recording_id,
                             title="ERP crashes on start", classification="bug",
                             product_id=None, priority="high", notes="collected logs"))
    t = ticket(session_factory, tid)
    assert t.number == f"T{tid:09d}" and t.status.value == "in_progress"
    assert t.assignee_id == agent and t.classification.value == "bug"
    assert t.first_responded_at == clock.now
    # SVIP 7x24: response 15 min, resolution 4 h, counted from the contact's arrival
    assert t.first_response_due_at == t.created_at + dt.timedelta(minutes=15)
    assert t.resolution_due_at == t.created_at + 4 * H
    with session_factory() as s:
        assert s.get(TicketSession, (tid, session_id)) is not None
        assert s.get(Recording, recording_id).ticket_id == tid  # type: ignore[union-attr]
    assert t.created_at == clock.now - dt.timedelta(minutes=10)
    assert kinds(svc, tid) == ["created", "classified", "comment",
                               "session_linked", "recording_linked", "assigned",
                               "status_changed", "status_changed"]
    assert notices(session_factory, tid, OutboxChannel.EMAIL) == ["assigned"]


def test_lifecycle_with_pause_solve_rating_and_close(
        session_factory: sessionmaker[Session], svc: TicketService, clock: Clock) -> None:
    f = Factory(session_factory)
    customer = f.customer("svip")
    f.person(customer)
    agent = f.agent()
    tid = svc.open_ticket(customer, "Printer driver")
    svc.assign(tid, agent, by=agent)
    svc.start(tid, agent)
    clock.advance(minutes=30)
    svc.wait_for_customer(tid, agent, note="please send the log")
    due_before = ticket(session_factory, tid).resolution_due_at
    clock.advance(hours=2)  # the customer takes two hours: not counted
    assert svc.customer_replied(tid, "here it is") == tid
    t = ticket(session_factory, tid)
    assert t.status.value == "assigned" and t.sla_paused_seconds == 7200
    assert t.resolution_due_at == due_before + 2 * H
    svc.start(tid, agent)
    svc.solve(tid, agent, "new driver 4.2")
    assert notices(session_factory, tid, OutboxChannel.ASSIST) == [
        "assigned", "waiting_customer", "solved", "rating_request"]
    assert not svc.invite_rating(tid)  # once per solved ticket
    rating_id = svc.rate(tid, 5, "fast")
    with pytest.raises(TicketError):
        svc.rate(tid, 4)
    with session_factory() as s:
        rating = s.get(SatisfactionRating, rating_id)
        assert rating is not None and rating.agent_id == agent and rating.customer_id == customer
    with pytest.raises(TicketError):
        svc.start(tid, agent)  # solved -> in progress only by reopening
    svc.close(tid, agent)
    events = svc.history(tid)
    assert all(e["at"] is not None and e["by"] in {"agent", "customer", "system"}
               for e in events)
    assert [e["changes"]["status"] for e in events if e["kind"] == "status_changed"] == [
        ["new", "assigned"], ["assigned", "in_progress"], ["in_progress", "waiting_customer"],
        ["waiting_customer", "assigned"], ["assigned", "in_progress"],
        ["in_progress", "solved"], ["solved", "closed"]]


def test_bad_rating_and_bad_transitions(session_factory: sessionmaker[Session],
                                        svc: TicketService) -> None:
    f = Factory(session_factory)
    customer = f.customer()
    tid = svc.open_ticket(customer, "x")
    with pytest.raises(TicketError):
        svc.rate(tid, 6)
    with pytest.raises(TicketError):
        svc.invite_rating(tid)  # not solved
    with pytest.raises(TicketError):
        svc.open_ticket(customer, "   ")
    with pytest.raises(TicketError):
        svc.wrap_up(WrapUp(agent_id=f.agent()))  # no customer
    with pytest.raises(TicketError):
        svc.escalate(tid, f.agent(), "  ")
    with pytest.raises(TicketError):
        svc.assign(123456, 1)


def test_reopen_window_then_follow_up_ticket(backend_session_factory: sessionmaker[Session],
                                             any_svc: TicketService, clock: Clock) -> None:
    session_factory, svc = backend_session_factory, any_svc
    f = Factory(session_factory)
    customer = f.customer("basic")  # basic reopen window: 7 days
    agent = f.agent()
    tid = svc.open_ticket(customer, "Export fails")
    svc.assign(tid, agent)
    svc.solve(tid, agent, "use UTF-8")
    clock.advance(days=3)
    assert svc.customer_replied(tid, "still broken") == tid
    t = ticket(session_factory, tid)
    assert t.status.value == "in_progress" and t.solved_at is None
    svc.solve(tid, agent, "fixed in 2.1")
    clock.advance(days=8)
    new_id = svc.customer_replied(tid, "it broke again")
    assert new_id != tid
    follow_up = ticket(session_factory, new_id)
    assert follow_up.parent_ticket_id == tid and follow_up.title.startswith("Follow-up to")
    assert ticket(session_factory, tid).status.value == "solved"
    assert svc.close_expired() == 1


def test_escalation_rules_and_product_l3_queue(session_factory: sessionmaker[Session],
                                               svc: TicketService) -> None:
    f = Factory(session_factory)
    with session_factory() as s, s.begin():
        from app.customers.models import Product

        product = Product(code="ERP", name="ERP")
        s.add(product)
        s.flush()
        product_id = product.id
    l2 = f.queue("l2-general")
    l3 = f.queue("l3-erp", product_id=product_id)
    with session_factory() as s, s.begin():
        s.add(QueueSettings(queue_id=l2, settings={"min_level": 2}))
        s.add(QueueSettings(queue_id=l3, settings={"min_level": 3, "l3_product_team": True}))
    svc.add_rule(from_level="L1", to_level="L2", tier="vip", min_priority="high", position=1)
    svc.add_rule(from_level="L2", to_level="L3", product_id=product_id, classification="bug",
                 position=2)
    customer = f.customer("vip")
    agent = f.agent()
    normal = svc.wrap_up(WrapUp(agent_id=agent, customer_id=customer, title="question",
                                priority="normal", classification="how_to"))
    assert ticket(session_factory, normal).level.value == "L1"
    bug = svc.wrap_up(WrapUp(agent_id=agent, customer_id=customer, title="crash",
                             priority="urgent", classification="bug", product_id=product_id))
    t = ticket(session_factory, bug)
    assert t.level.value == "L3" and t.assignee_id is None and t.status.value == "new"
    assert [x.id for x in svc.search(TicketQuery(queue_id=l3))] == [bug]
    escalations = [e for e in svc.history(bug) if e["kind"] == "escalated"]
    assert [e["changes"]["level"] for e in escalations] == [["L1", "L2"], ["L2", "L3"]]
    # by hand, with a reason
    svc.escalate(normal, agent, "customer asks for an expert")
    t = ticket(session_factory, normal)
    assert t.level.value == "L2"
    assert [x.id for x in svc.search(TicketQuery(queue_id=l2))] == [normal]
    assert "escalated" in notices(session_factory, normal, OutboxChannel.ASSIST)


def test_search_filters(backend_session_factory: sessionmaker[Session], any_svc: TicketService,
                        clock: Clock) -> None:
    svc = any_svc
    f = Factory(backend_session_factory)
    customer = f.customer()
    me, other = f.agent(), f.agent()
    a = svc.open_ticket(customer, "Invoice 100% wrong", "VAT_rate missing")
    b = svc.open_ticket(customer, "Login slow")
    svc.assign(a, me)
    svc.assign(b, other)
    clock.advance(minutes=1)
    svc.solve(b, other, "cache")
    assert [t.id for t in svc.search(TicketQuery(assignee_id=me))] == [a]
    assert [t.id for t in svc.search(TicketQuery(statuses=("solved",)))] == [b]
    assert [t.id for t in svc.search(TicketQuery(text="100%"))] == [a]
    assert [t.id for t in svc.search(TicketQuery(text="vat_rate"))] == [a]
    assert svc.search(TicketQuery(text="vat%rate")) == []  # LIKE wildcards are escaped
    assert [t.id for t in svc.search(TicketQuery(text="T0000"))] == [b, a]  # newest first


def test_calendar_edit_recomputes_open_tickets_and_warnings(
        session_factory: sessionmaker[Session], clock: Clock) -> None:
    store = SlaStore()
    f = Factory(session_factory)
    with session_factory() as s, s.begin():
        store.set_tier_policy(s, TierPolicy("vip", weekly("vip-hours", "UTC", "09:00-17:00"),
                                            first_response=H, resolution=8 * H))
    customer = f.customer("vip")
    agent = f.agent()
    svc = TicketService(session_factory, sla=store, clock=clock)
    sla = SlaService(session_factory, store, clock=clock)
    clock.now = dt.datetime(2025, 6, 2, 16, 0, tzinfo=dt.UTC)  # Monday 16:00
    tid = svc.open_ticket(customer, "Slow reports")
    svc.assign(tid, agent)
    assert ticket(session_factory, tid).resolution_due_at == dt.datetime(
        2025, 6, 3, 16, 0, tzinfo=dt.UTC)
    # The vendor switches VIP to 07:00-19:00: the open ticket's promise moves.
    assert sla.update_calendar(weekly("vip-hours", "UTC", "07:00-19:00")) == 1
    assert ticket(session_factory, tid).resolution_due_at == dt.datetime(
        2025, 6, 3, 12, 0, tzinfo=dt.UTC)
    # Warnings reach the assignee only in their hours (default agents' calendar 08-20 Mon-Fri)
    alerts = sla.check(dt.datetime(2025, 6, 2, 22, 0, tzinfo=dt.UTC))
    assert alerts == []
    t = ticket(session_factory, tid)
    assert t.first_response_breached  # breach flags do not wait for office hours
    morning = sla.check(dt.datetime(2025, 6, 3, 8, 0, tzinfo=dt.UTC))
    assert {(a.target, a.fraction) for a in morning} >= {("first_response", 0.75),
                                                          ("first_response", 1.0)}
    assert all(a.agent_id == agent for a in morning)
    assert sla.check(dt.datetime(2025, 6, 3, 8, 1, tzinfo=dt.UTC)) == []  # sent once


def test_customer_calendar_overrides_tier(session_factory: sessionmaker[Session],
                                          clock: Clock) -> None:
    store = SlaStore()
    f = Factory(session_factory)
    customer = f.customer("vip", timezone="Asia/Shanghai")
    with session_factory() as s, s.begin():
        store.set_customer_calendar(s, customer, always_open("contract-7x24"))
    svc = TicketService(session_factory, sla=store, clock=clock)
    clock.now = dt.datetime(2025, 6, 7, 3, 0, tzinfo=dt.UTC)  # Saturday
    tid = svc.open_ticket(customer, "Down")
    assert ticket(session_factory, tid).resolution_due_at == clock.now + 8 * H


def test_tier_policy_edit_and_figures_leave_pauses_out(
        session_factory: sessionmaker[Session], clock: Clock) -> None:
    store = SlaStore()
    f = Factory(session_factory)
    svip, basic = f.customer("svip"), f.customer("basic")
    agent = f.agent()
    svc = TicketService(session_factory, sla=store, clock=clock)
    sla = SlaService(session_factory, store, clock=clock)
    urgent = svc.open_ticket(svip, "Outage")
    other = svc.open_ticket(basic, "Question")
    before_other = ticket(session_factory, other).resolution_due_at
    assert sla.update_tier_policy(TierPolicy("svip", always_open("svip-7x24"),
                                             dt.timedelta(minutes=10), 2 * H)) == 1
    assert ticket(session_factory, urgent).resolution_due_at == clock.now + 2 * H
    assert ticket(session_factory, other).resolution_due_at == before_other
    clock.advance(minutes=5)
    svc.assign(urgent, agent)
    svc.wait_for_customer(urgent, agent)
    clock.advance(hours=3)  # waiting for the customer: not counted
    svc.customer_replied(urgent, "done")
    clock.advance(minutes=25)
    svc.solve(urgent, agent, "restarted the service")
    figures = sla.figures(urgent)
    assert figures.first_response_working_s == 300
    assert figures.paused_working_s == 3 * 3600
    assert figures.resolution_working_s == 30 * 60
    assert not figures.resolution_breached


def test_sla_loop_delivers_alerts_then_stops(session_factory: sessionmaker[Session],
                                             clock: Clock) -> None:
    import asyncio

    f = Factory(session_factory)
    customer = f.customer("svip")
    agent = f.agent()
    svc = TicketService(session_factory, clock=clock)
    tid = svc.open_ticket(customer, "Outage")
    svc.assign(tid, agent)
    clock.advance(minutes=20)  # past the 15-minute response promise, Monday 09:20
    sla = SlaService(session_factory, clock=clock)

    async def main() -> list:
        stop = asyncio.Event()
        got: list = []

        async def on_alerts(alerts: list) -> None:
            got.extend(alerts)
            stop.set()

        await asyncio.wait_for(sla.run(stop, on_alerts, interval_s=0.01), timeout=10)
        return got

    alerts = asyncio.run(main())
    assert {(a.ticket_id, a.target, a.fraction) for a in alerts} >= {(tid, "first_response", 1.0)}
