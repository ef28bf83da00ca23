"""The persistent dispatcher on a real SQLite file: every change stored, restart recovers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.agents.models import Agent, AgentStatus
from app.contacts.models import Contact, ContactStatus
from app.routing.dispatcher import Dispatcher, RoutingSettings
from app.routing.models import OfferStatus, RoutingDecision, RoutingOffer, RoutingState
from app.routing.types import (
    MISSED_A_CONTACT,
    AgentPresenceChanged,
    LeaveTicket,
    Offer,
    OfferCancelled,
    OfferExpired,
    Presence,
    QueueSummary,
)
from tests.app.routing.dbsupport import Factory


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now


def offers(actions: list) -> list[Offer]:
    return [a for a in actions if isinstance(a, Offer)]


def setup(sf: sessionmaker[Session], agents: int = 2, **queue: object):
    f = Factory(sf)
    queue_id = f.queue(ring_timeout_seconds=20, **queue)
    agent_ids = [f.agent() for _ in range(agents)]
    clock = Clock()
    d = Dispatcher(sf, RoutingSettings(decline_cooldown_s=60.0), clock=clock)
    d.recover()
    return f, d, clock, queue_id, agent_ids


def contact_row(sf: sessionmaker[Session], contact_id: int) -> Contact:
    with sf() as s:
        return s.get(Contact, contact_id)  # type: ignore[return-value]


def offer_status(sf: sessionmaker[Session], offer_id: int) -> OfferStatus:
    with sf() as s:
        return s.get(RoutingOffer, offer_id).status  # type: ignore[union-attr]


def test_ring_accept_and_finish_are_persisted(session_factory: sessionmaker[Session]) -> None:
    f, d, clock, queue_id, (a1, a2) = setup(session_factory)
    d.agent_state_changed(a1, AgentStatus.READY)
    cid = f.contact(f.customer("vip"), queue_id)
    [offer] = offers(d.contact_arrived(cid))
    assert offer.agent_id == a1
    row = contact_row(session_factory, cid)
    assert row.status == ContactStatus.OFFERED and row.offered_at == clock.now
    assert offer_status(session_factory, offer.offer_id) == OfferStatus.RINGING
    clock.advance(5)
    result = d.offer_accepted(offer.offer_id, a1)
    assert result.ok and result.contact_id == cid
    row = contact_row(session_factory, cid)
    assert row.status == ContactStatus.ANSWERED and row.agent_id == a1
    with session_factory() as s:
        assert s.get(Agent, a1).status == AgentStatus.BUSY  # type: ignore[union-attr]
    assert not d.offer_accepted(offer.offer_id, a1).ok  # a second accept changes nothing
    clock.advance(300)
    d.contact_finished(cid)
    row = contact_row(session_factory, cid)
    assert row.status == ContactStatus.ENDED and row.ended_at == clock.now
    with session_factory() as s:
        assert s.get(Agent, a1).status == AgentStatus.READY  # type: ignore[union-attr]


def test_ring_timeout_sets_not_ready_and_decline_cools_down(
        session_factory: sessionmaker[Session]) -> None:
    f, d, clock, queue_id, (a1, a2) = setup(session_factory)
    d.agent_state_changed(a1, AgentStatus.READY)
    d.agent_state_changed(a2, AgentStatus.READY)
    cid = f.contact(f.customer(), queue_id)
    [first] = offers(d.contact_arrived(cid))
    missed = first.agent_id
    other = a2 if missed == a1 else a1
    clock.advance(20)
    actions = d.tick()
    assert any(isinstance(a, OfferExpired) for a in actions)
    assert AgentPresenceChanged(missed, Presence.NOT_READY, MISSED_A_CONTACT) in actions
    [second] = offers(actions)
    assert second.agent_id == other
    assert offer_status(session_factory, first.offer_id) == OfferStatus.EXPIRED
    with session_factory() as s:
        assert s.get(Agent, missed).status == AgentStatus.NOT_READY  # type: ignore[union-attr]
    assert not d.offer_accepted(first.offer_id, missed).ok  # too late
    assert offers(d.offer_declined(second.offer_id, other)) == []  # nobody Ready and eligible
    assert offer_status(session_factory, second.offer_id) == OfferStatus.DECLINED
    assert contact_row(session_factory, cid).status == ContactStatus.QUEUED
    with session_factory() as s:
        declined = s.get(RoutingState, cid).declined  # type: ignore[union-attr]
    assert set(declined) == {str(other)}  # a missed ring excludes nobody
    clock.advance(1)
    [back] = offers(d.agent_state_changed(missed, AgentStatus.READY))  # rings at once
    assert back.agent_id == missed and back.contact_id == cid
    assert offers(d.offer_declined(back.offer_id, missed)) == []
    clock.advance(61)
    [third] = offers(d.tick())  # cool-down over
    assert third.contact_id == cid


def test_agent_disconnect_mid_ring_keeps_contact(session_factory: sessionmaker[Session]) -> None:
    f, d, clock, queue_id, (a1, a2) = setup(session_factory)
    d.agent_state_changed(a1, AgentStatus.READY)
    cid = f.contact(f.customer(), queue_id)
    [offer] = offers(d.contact_arrived(cid))
    actions = d.agent_disconnected(a1)
    assert any(isinstance(a, OfferCancelled) for a in actions)
    assert contact_row(session_factory, cid).status == ContactStatus.QUEUED
    assert offer_status(session_factory, offer.offer_id) == OfferStatus.CANCELLED
    [again] = offers(d.agent_state_changed(a2, AgentStatus.READY))  # backlog at once
    assert again.contact_id == cid and again.agent_id == a2


def test_hub_restart_recovers_queues(backend_session_factory: sessionmaker[Session]) -> None:
    session_factory = backend_session_factory
    f, d, clock, queue_id, (a1, a2) = setup(session_factory)
    d.agent_state_changed(a1, AgentStatus.READY)
    handled = f.contact(f.customer(), queue_id)
    [offer] = offers(d.contact_arrived(handled))
    d.offer_accepted(offer.offer_id, a1)
    d.agent_state_changed(a2, AgentStatus.READY)
    clock.advance(1)
    ringing = f.contact(f.customer("basic"), queue_id)
    [ring] = offers(d.contact_arrived(ringing))
    assert ring.agent_id == a2
    d.agent_state_changed(a2, AgentStatus.NOT_READY)  # withdraws: ringing waits again
    clock.advance(1)
    basic = f.contact(f.customer("basic"), queue_id)
    d.contact_arrived(basic)
    clock.advance(1)
    svip = f.contact(f.customer("svip"), queue_id)
    d.contact_arrived(svip)
    clock.advance(1)
    with session_factory() as s:
        # a ring in flight when the hub dies
        row = s.get(Contact, basic)
        assert row is not None and row.status == ContactStatus.QUEUED

    # The hub dies. A new one on the same database file:
    clock.advance(60)
    d2 = Dispatcher(session_factory, RoutingSettings(), clock=clock)
    d2.recover()
    assert d2.engine.waiting() == [svip, ringing, basic]
    assert d2.queue_position(basic)[0] == 3
    with session_factory() as s:
        statuses = {a.id: a.status for a in s.scalars(select(Agent))}
    assert statuses == {a1: AgentStatus.OFFLINE, a2: AgentStatus.OFFLINE}
    assert d2.engine.agents[a1].exclusive == {handled}  # still on the remote session
    assert offers(d2.agent_state_changed(a1, AgentStatus.READY)) == []  # at capacity
    [first] = offers(d2.agent_state_changed(a2, AgentStatus.READY))
    assert first.contact_id == svip
    assert d2.offer_accepted(first.offer_id, a2).ok


def test_ring_in_flight_at_restart_is_withdrawn(session_factory: sessionmaker[Session]) -> None:
    f, d, clock, queue_id, (a1, _) = setup(session_factory)
    d.agent_state_changed(a1, AgentStatus.READY)
    cid = f.contact(f.customer(), queue_id)
    [offer] = offers(d.contact_arrived(cid))
    d2 = Dispatcher(session_factory, clock=clock)
    d2.recover()
    assert offer_status(session_factory, offer.offer_id) == OfferStatus.CANCELLED
    assert contact_row(session_factory, cid).status == ContactStatus.QUEUED
    assert not d2.offer_accepted(offer.offer_id, a1).ok  # the old ring cannot be answered
    [new] = offers(d2.agent_state_changed(a1, AgentStatus.READY))
    assert new.offer_id > offer.offer_id and new.contact_id == cid


def test_decisions_explain_the_wait(session_factory: sessionmaker[Session]) -> None:
    f, d, clock, queue_id, (a1, a2) = setup(session_factory)
    d.agent_state_changed(a1, AgentStatus.NOT_READY)
    cid = f.contact(f.customer("vip"), queue_id)
    d.contact_arrived(cid)
    clock.advance(240)
    d.agent_state_changed(a2, AgentStatus.READY)
    story = d.explain(cid)
    assert [e["chosen_agent_id"] for e in story] == [None, a2]
    assert story[0]["excluded"] == {"not_ready": 1, "offline": 1}
    assert "no eligible agent" in story[0]["reason"]
    assert story[1]["trigger"] == "agent_available" and story[1]["waited_s"] == 240
    with session_factory() as s:
        assert len(s.scalars(select(RoutingDecision)).all()) == 2


def test_long_wait_becomes_leave_a_ticket(session_factory: sessionmaker[Session]) -> None:
    f, d, clock, queue_id, _ = setup(session_factory, max_wait_seconds=120)
    cid = f.contact(f.customer(), queue_id)
    d.contact_arrived(cid)
    clock.advance(120)
    assert LeaveTicket(cid, "support") in d.tick()
    assert contact_row(session_factory, cid).status == ContactStatus.ENDED
    with session_factory() as s:
        assert s.get(RoutingState, cid).outcome == "leave_ticket"  # type: ignore[union-attr]


def test_abandon_while_ringing(session_factory: sessionmaker[Session]) -> None:
    f, d, clock, queue_id, (a1, _) = setup(session_factory)
    d.agent_state_changed(a1, AgentStatus.READY)
    cid = f.contact(f.customer(), queue_id)
    [offer] = offers(d.contact_arrived(cid))
    clock.advance(3)
    d.contact_abandoned(cid)
    row = contact_row(session_factory, cid)
    assert row.status == ContactStatus.ABANDONED and row.abandoned_at == clock.now
    assert offer_status(session_factory, offer.offer_id) == OfferStatus.CANCELLED
    assert not d.offer_accepted(offer.offer_id, a1).ok


def test_queue_added_while_running_and_config_ring_timeout(
        session_factory: sessionmaker[Session]) -> None:
    from app.config import defaults

    f, d, clock, queue_id, (a1, _) = setup(session_factory)
    assert RoutingSettings.from_config(defaults()).ring_timeout_s is None  # queue's own
    assert RoutingSettings.from_config(defaults(ring_timeout_s=7.0)).ring_timeout_s == 7.0
    vip_queue = f.queue("vip", ring_timeout_seconds=5)
    d.reload_queues()
    d.agent_state_changed(a1, AgentStatus.READY)
    cid = f.contact(f.customer("vip"), vip_queue)
    [offer] = offers(d.contact_arrived(cid))
    assert offer.expires_at - clock.now.timestamp() == 5.0


def test_restart_drops_ended_cooldowns_and_times_running_ones(
        session_factory: sessionmaker[Session]) -> None:
    """The demo's stuck contact: an exclusion stored by an older hub must neither outlive its
    time after a restart nor need an event to end."""
    f, d, clock, queue_id, (a1, a2) = setup(session_factory)
    d.agent_state_changed(a1, AgentStatus.READY)
    cid = f.contact(f.customer(), queue_id)
    [offer] = offers(d.contact_arrived(cid))
    d.offer_declined(offer.offer_id, a1)  # a1 excluded for 60 s
    with session_factory() as s, s.begin():
        state = s.get(RoutingState, cid)
        assert state is not None and set(state.declined) == {str(a1)}
        state.declined = {**state.declined, str(a2): clock.now.timestamp() + 200}
    clock.advance(90)  # the hub was down past a1's cool-down, not past a2's
    d2 = Dispatcher(session_factory, RoutingSettings(decline_cooldown_s=60.0), clock=clock)
    d2.recover()
    with session_factory() as s:
        assert set(s.get(RoutingState, cid).declined) == {str(a2)}  # type: ignore[union-attr]
    assert offers(d2.agent_state_changed(a2, AgentStatus.READY)) == []  # still cooling down
    [ring] = offers(d2.agent_state_changed(a1, AgentStatus.READY))  # at once
    assert ring.agent_id == a1
    d2.agent_state_changed(a1, AgentStatus.NOT_READY)
    clock.advance(110)
    [late] = offers(d2.tick())  # a2's cool-down ends by itself
    assert late.agent_id == a2 and late.contact_id == cid


def test_queue_summary_counts_the_desk(session_factory: sessionmaker[Session]) -> None:
    f, d, clock, queue_id, (a1, a2) = setup(session_factory)
    assert d.queue_summary() == QueueSummary(0, 0, 0.0, 0, 0)
    first = f.contact(f.customer(), queue_id)
    d.contact_arrived(first)
    clock.advance(30)
    second = f.contact(f.customer(), queue_id)
    d.contact_arrived(second)
    clock.advance(10)
    assert d.queue_summary() == QueueSummary(waiting=2, ringing=0, longest_wait_s=40.0,
                                             ready_agents=0, staffed_agents=0)
    [ring] = offers(d.agent_state_changed(a1, AgentStatus.READY))
    assert ring.contact_id == first
    assert d.queue_summary() == QueueSummary(waiting=1, ringing=1, longest_wait_s=10.0,
                                             ready_agents=1, staffed_agents=1)
    assert d.offer_accepted(ring.offer_id, a1).ok
    d.agent_state_changed(a2, AgentStatus.NOT_READY)
    assert d.queue_summary() == QueueSummary(waiting=1, ringing=0, longest_wait_s=10.0,
                                             ready_agents=0, staffed_agents=1)
