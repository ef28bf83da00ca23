"""The pure ACD engine: strategies, priority with aging, rings, declines, drops, overflow."""

from __future__ import annotations

import random

import pytest

from app.routing.engine import RoutingEngine, RoutingError
from app.routing.types import (
    LEAVE_TICKET,
    MISSED_A_CONTACT,
    ROUTABLE,
    AgentPresenceChanged,
    AgentState,
    ContactKind,
    LeaveTicket,
    Offer,
    OfferCancelled,
    OfferExpired,
    Overflowed,
    Presence,
    QueueConfig,
    Strategy,
    WaitingContact,
)


def engine_with(strategy: Strategy, n_agents: int = 3, **queue: object) -> RoutingEngine:
    eng = RoutingEngine([QueueConfig("main", strategy, **queue)])  # type: ignore[arg-type]
    for i in range(1, n_agents + 1):
        eng.set_agent(AgentState(i, Presence.READY, max_chats=2, idle_since=float(i)))
    return eng


def contact(cid: int, tier: str = "basic", queue: str = "main",
            kind: ContactKind = ContactKind.SESSION, **kw: object) -> WaitingContact:
    return WaitingContact(cid, queue, tier=tier, kind=kind, **kw)  # type: ignore[arg-type]


def offers(actions: list) -> list[Offer]:
    return [a for a in actions if isinstance(a, Offer)]


def answer(eng: RoutingEngine, offer: Offer, now: float) -> None:
    assert eng.offer_accepted(offer.offer_id, offer.agent_id, now)


def test_longest_idle_picks_the_agent_idle_longest() -> None:
    eng = engine_with(Strategy.LONGEST_IDLE)
    eng.set_agent(AgentState(2, Presence.READY, max_chats=2, idle_since=-100.0))
    [offer] = offers(eng.contact_arrived(contact(1), 10.0))
    assert offer.agent_id == 2
    decision = eng.drain_decisions()[-1]
    assert decision.chosen_agent_id == 2 and "idle the longest" in decision.reason
    assert [c.id for c in decision.candidates] == [2, 1, 3]


def test_round_robin_cycles_through_agents() -> None:
    eng = engine_with(Strategy.ROUND_ROBIN)
    chosen = []
    for cid in range(1, 7):
        [offer] = offers(eng.contact_arrived(contact(cid), float(cid)))
        chosen.append(offer.agent_id)
        answer(eng, offer, float(cid))
        eng.contact_finished(cid, float(cid) + 0.5)
    assert chosen == [1, 2, 3, 1, 2, 3]


def test_least_busy_prefers_fewest_active_chats() -> None:
    eng = engine_with(Strategy.LEAST_BUSY)
    eng.set_agent(AgentState(1, Presence.READY, max_chats=3))
    eng.set_agent(AgentState(2, Presence.READY, max_chats=3))
    eng.set_agent(AgentState(3, Presence.NOT_READY, max_chats=3))
    loads = []
    for cid in range(1, 5):
        [offer] = offers(eng.contact_arrived(contact(cid, kind=ContactKind.CHAT), float(cid)))
        answer(eng, offer, float(cid))
        loads.append(offer.agent_id)
    assert sorted(loads) == [1, 1, 2, 2]
    assert eng.agents[1].load == 2 and eng.agents[2].load == 2


def test_skills_strategy_uses_product_and_level() -> None:
    eng = RoutingEngine([QueueConfig("l2", Strategy.SKILLS, min_level=2)])
    eng.set_agent(AgentState(1, Presence.READY, level=1, skills={(7, None): 5}))
    eng.set_agent(AgentState(2, Presence.READY, level=2, skills={(7, None): 2}))
    eng.set_agent(AgentState(3, Presence.READY, level=3, skills={(7, 70): 4}))
    eng.set_agent(AgentState(4, Presence.READY, level=3, skills={(8, None): 5}))
    [offer] = offers(eng.contact_arrived(contact(1, queue="l2", product=7, module=70), 0.0))
    assert offer.agent_id == 3
    decision = eng.drain_decisions()[-1]
    assert decision.excluded["level_too_low"] == 1 and decision.excluded["lacks_skill"] == 1
    assert offers(eng.contact_arrived(contact(2, queue="l2", product=7, module=71,
                                              required_skill=3), 1.0)) == []
    miss = eng.drain_decisions()[-1]
    assert miss.chosen_agent_id is None and "lacks_skill" in miss.reason


def test_never_offers_to_unavailable_agents_and_one_session_each() -> None:
    eng = engine_with(Strategy.LONGEST_IDLE, n_agents=5)
    for agent_id, presence in [(1, Presence.NOT_READY), (2, Presence.WRAP_UP),
                               (3, Presence.OFFLINE)]:
        eng.agent_presence(agent_id, presence, 0.0)
    got = []
    for cid in range(1, 5):
        for offer in offers(eng.contact_arrived(contact(cid), float(cid))):
            answer(eng, offer, float(cid))
            got.append(offer.agent_id)
    assert sorted(got) == [4, 5]  # one remote session each, then the rest waits
    assert eng.waiting() == [3, 4]
    # a chat may not join a remote session either
    assert offers(eng.contact_arrived(contact(9, kind=ContactKind.CHAT), 5.0)) == []


def test_tier_priority_and_aging_ceiling() -> None:
    eng = engine_with(Strategy.LONGEST_IDLE, n_agents=1, aging_ceiling_s=300.0,
                      head_start_s={"svip": 240.0, "vip": 90.0, "basic": 0.0})
    eng.agent_presence(1, Presence.NOT_READY, 0.0)
    eng.contact_arrived(contact(1, "basic"), 0.0)
    eng.contact_arrived(contact(2, "vip"), 50.0)  # key -40: ahead of basic (key 0)
    eng.contact_arrived(contact(3, "svip"), 200.0)  # key -40 too, but later: behind vip
    eng.contact_arrived(contact(4, "svip"), 100.0 + 1)  # key -139: first
    assert eng.waiting() == [4, 2, 3, 1]
    assert eng.queue_position(1, 239.0)[0] == 4
    # From 240 s (the 300 s ceiling less the 60 s margin) the basic contact goes first.
    assert eng.queue_position(1, 240.0)[0] == 1
    [offer] = offers(eng.agent_presence(1, Presence.READY, 241.0))
    assert offer.contact_id == 1


def test_svip_flood_cannot_starve_basic() -> None:
    eng = engine_with(Strategy.LONGEST_IDLE, n_agents=1, aging_ceiling_s=120.0)
    eng.contact_arrived(contact(1000, "svip"), 0.0)
    [busy] = eng.offers.values()
    answer(eng, busy, 0.0)
    eng.contact_arrived(contact(1, "basic"), 1.0)
    served_basic_at = None
    now, cid = 1.0, 2
    while served_basic_at is None:
        now += 10.0
        eng.contact_arrived(contact(cid, "svip"), now)  # a new SVIP every 10 s
        cid += 1
        active = next(iter(eng.agents[1].exclusive))
        for action in eng.contact_finished(active, now + 5):  # handle time 15 s
            if isinstance(action, Offer):
                answer(eng, action, now + 5)
                if action.contact_id == 1:
                    served_basic_at = now + 5
    assert served_basic_at - 1.0 <= 120.0 + 15.0


def test_ring_timeout_offers_next_agent() -> None:
    eng = engine_with(Strategy.LONGEST_IDLE, ring_timeout_s=20.0)
    [first] = offers(eng.contact_arrived(contact(1), 0.0))
    assert eng.tick(19.9) == []
    actions = eng.tick(20.0)
    assert OfferExpired(first.offer_id, 1, first.agent_id) in actions
    assert AgentPresenceChanged(first.agent_id, Presence.NOT_READY, MISSED_A_CONTACT) in actions
    [second] = offers(actions)
    assert second.agent_id != first.agent_id and second.contact_id == 1
    assert not eng.offer_accepted(first.offer_id, first.agent_id, 21.0)  # late accept loses
    assert eng.offer_accepted(second.offer_id, second.agent_id, 21.0)


def test_single_agent_missing_a_ring_goes_not_ready_and_rings_again_when_ready() -> None:
    eng = engine_with(Strategy.LONGEST_IDLE, n_agents=1, ring_timeout_s=20.0)
    [first] = offers(eng.contact_arrived(contact(1), 0.0))
    actions = eng.tick(20.0)
    assert actions == [OfferExpired(first.offer_id, 1, 1),
                       AgentPresenceChanged(1, Presence.NOT_READY, MISSED_A_CONTACT)]
    assert eng.waiting() == [1] and eng.contacts[1].declined == {}  # not excluded
    [again] = offers(eng.agent_presence(1, Presence.READY, 21.0))  # at once, no cool-down
    assert again.contact_id == 1 and again.agent_id == 1


def test_without_rona_a_missed_ring_cools_down_then_rings_again() -> None:
    eng = engine_with(Strategy.LONGEST_IDLE, n_agents=1, ring_timeout_s=20.0,
                      not_ready_on_ring_timeout=False, decline_cooldown_s=30.0)
    [first] = offers(eng.contact_arrived(contact(1), 0.0))
    assert offers(eng.tick(20.0)) == [] and eng.agents[1].presence is Presence.READY
    assert offers(eng.tick(49.0)) == []
    [again] = offers(eng.tick(50.0))
    assert again.agent_id == 1 and eng.contacts[1].declined == {}


def test_restored_cooldowns_are_scheduled_and_ended_ones_dropped() -> None:
    """After a hub restart a contact comes back with its exclusions: an ended one must not
    keep it from its agent, a running one must end by itself (no event needed)."""
    eng = engine_with(Strategy.LONGEST_IDLE, n_agents=2)
    [ring] = offers(eng.contact_arrived(contact(1, declined={1: 90.0, 2: 130.0}), 100.0))
    assert ring.agent_id == 1 and eng.contacts[1].declined == {2: 130.0}
    eng.agent_presence(1, Presence.NOT_READY, 101.0)  # withdraws the ring
    assert eng.waiting() == [1] and offers(eng.tick(129.0)) == []
    [again] = offers(eng.tick(130.0))
    assert again.agent_id == 2 and again.contact_id == 1


def test_decline_offers_next_and_cooldown_returns_it() -> None:
    eng = engine_with(Strategy.LONGEST_IDLE, n_agents=1, decline_cooldown_s=60.0)
    [offer] = offers(eng.contact_arrived(contact(1), 0.0))
    assert offers(eng.offer_declined(offer.offer_id, 1, 1.0)) == []  # nobody else yet
    assert eng.waiting() == [1]
    assert offers(eng.tick(30.0)) == []
    [again] = offers(eng.tick(61.0))  # cool-down over: the only agent is asked again
    assert again.agent_id == 1 and again.contact_id == 1


def test_agent_disconnect_mid_ring_keeps_the_contact() -> None:
    eng = engine_with(Strategy.LONGEST_IDLE, n_agents=2)
    [offer] = offers(eng.contact_arrived(contact(1), 0.0))
    actions = eng.agent_disconnected(offer.agent_id, 3.0)
    assert OfferCancelled(offer.offer_id, 1, offer.agent_id, "agent disconnected") in actions
    [second] = offers(actions)
    assert second.contact_id == 1 and second.agent_id != offer.agent_id
    eng.agent_disconnected(second.agent_id, 4.0)
    assert eng.waiting() == [1] and not eng.offers  # nobody left, still waiting
    [third] = offers(eng.agent_presence(offer.agent_id, Presence.READY, 5.0))
    assert third.contact_id == 1


def test_newly_ready_agent_takes_backlog_at_once() -> None:
    eng = engine_with(Strategy.LONGEST_IDLE, n_agents=1)
    eng.agent_presence(1, Presence.NOT_READY, 0.0)
    for cid in range(1, 4):
        eng.contact_arrived(contact(cid, kind=ContactKind.CHAT), float(cid))
    eng.set_agent(AgentState(1, Presence.NOT_READY, max_chats=2))
    [first] = offers(eng.agent_presence(1, Presence.READY, 10.0))
    assert first.contact_id == 1  # one ring at a time, the oldest first
    # accepting frees the ring: the agent has room for a second chat, which rings at once
    [second] = offers(eng.offer_accepted(first.offer_id, 1, 11.0).actions)
    assert second.contact_id == 2 and eng.agents[1].presence is Presence.BUSY
    assert eng.offer_accepted(second.offer_id, 1, 12.0).actions == []  # at capacity (2)
    assert eng.waiting() == [3]


def test_overflow_then_leave_ticket() -> None:
    eng = RoutingEngine([
        QueueConfig("l1", overflow_after_s=60.0, overflow_to="l2"),
        QueueConfig("l2", overflow_after_s=120.0, overflow_to=LEAVE_TICKET),
    ])
    eng.set_agent(AgentState(1, Presence.NOT_READY, queues=frozenset({"l2"})))
    eng.contact_arrived(contact(1, queue="l1"), 0.0)
    assert Overflowed(1, "l1", "l2") in eng.tick(60.0)
    assert eng.contacts[1].queue == "l2" and eng.contacts[1].enqueued_at == 0.0
    assert eng.tick(179.0) == []
    assert LeaveTicket(1, "l2") in eng.tick(180.0)
    assert 1 not in eng.contacts


def test_abandon_while_ringing_cancels_offer() -> None:
    eng = engine_with(Strategy.LONGEST_IDLE, n_agents=1)
    [offer] = offers(eng.contact_arrived(contact(1), 0.0))
    actions = eng.contact_abandoned(1, 2.0)
    assert any(isinstance(a, OfferCancelled) for a in actions)
    assert 1 in eng._available and not eng.contacts


def test_bad_events_raise_clear_errors() -> None:
    eng = engine_with(Strategy.LONGEST_IDLE)
    with pytest.raises(RoutingError):
        eng.contact_arrived(contact(1, queue="nope"), 0.0)
    eng.contact_arrived(contact(1), 0.0)
    with pytest.raises(RoutingError):
        eng.contact_arrived(contact(1), 0.0)
    with pytest.raises(RoutingError):
        eng.agent_presence(99, Presence.READY, 0.0)
    assert not eng.offer_accepted(12345, 1, 0.0)


@pytest.mark.parametrize("strategy", list(Strategy))
def test_random_contention_keeps_invariants(strategy: Strategy) -> None:
    """Random arrivals, accepts, declines, drops and timeouts: nothing lost or doubled."""
    rng = random.Random(strategy.value)
    eng = RoutingEngine([QueueConfig("main", strategy, ring_timeout_s=5.0,
                                     decline_cooldown_s=10.0)])
    for i in range(1, 7):
        eng.set_agent(AgentState(i, Presence.READY, max_chats=2,
                                 skills={(1, None): rng.randint(1, 5)}))
    now, next_cid = 0.0, 1
    finished: set[int] = set()
    for _ in range(600):
        now += rng.random()
        roll = rng.random()
        if roll < 0.25:
            kind = rng.choice(list(ContactKind))
            eng.contact_arrived(contact(next_cid, rng.choice(["basic", "vip", "svip"]),
                                        kind=kind, product=1), now)
            next_cid += 1
        elif roll < 0.45 and eng.offers:
            offer = rng.choice(list(eng.offers.values()))
            assert eng.offer_accepted(offer.offer_id, offer.agent_id, now)
        elif roll < 0.55 and eng.offers:
            offer = rng.choice(list(eng.offers.values()))
            eng.offer_declined(offer.offer_id, offer.agent_id, now)
        elif roll < 0.7:
            agent = rng.choice(list(eng.agents.values()))
            eng.agent_presence(agent.agent_id, rng.choice(list(Presence)), now)
        elif roll < 0.85:
            held = [c for c in eng.contacts.values() if c.agent_id is not None]
            if held:
                c = rng.choice(held)
                eng.contact_finished(c.contact_id, now)
                finished.add(c.contact_id)
        elif roll < 0.9 and eng.contacts:
            cid = rng.choice(list(eng.contacts))
            eng.contact_abandoned(cid, now)
            finished.add(cid)
        eng.tick(now)  # timers due by now (cool-downs, widening, rings) are applied
        check_invariants(eng, finished, next_cid, now)


def check_invariants(eng: RoutingEngine, finished: set[int], next_cid: int,
                     now: float) -> None:
    ringing = [o.agent_id for o in eng.offers.values()]
    assert len(ringing) == len(set(ringing)), "an agent rings twice"
    offered_contacts = [o.contact_id for o in eng.offers.values()]
    assert len(offered_contacts) == len(set(offered_contacts)), "a contact rings twice"
    waiting = set(eng.waiting())
    for cid, c in eng.contacts.items():
        states = (cid in waiting) + (c.offer_id is not None) + (c.agent_id is not None)
        assert states == 1, f"contact {cid} in {states} states"
    assert set(range(1, next_cid)) <= set(eng.contacts) | finished, "a contact was lost"
    for agent in eng.agents.values():
        holding = len(agent.exclusive)
        assert holding <= 1 and not (holding and agent.chats)
        assert len(agent.chats) <= max(1, agent.max_chats)
        if agent.ringing is not None:
            assert agent.presence in ROUTABLE
    for offer in eng.offers.values():
        assert eng.agents[offer.agent_id].ringing == offer.offer_id
    # The engine's core promise: nobody waits while an available agent could take them.
    for cid in waiting:
        c = eng.contacts[cid]
        for aid in eng._available:
            assert eng._ineligible(eng.agents[aid], c, eng.queues[c.queue], now) is not None, (
                f"contact {cid} waits while agent {aid} could take it")


def test_skills_widen_while_waiting() -> None:
    """Half-way to aging any skill level will do; once aged, any agent."""
    eng = RoutingEngine([QueueConfig("s", Strategy.SKILLS, aging_ceiling_s=300.0,
                                     aging_margin_s=60.0, decline_cooldown_s=150.0)])
    eng.set_agent(AgentState(1, Presence.READY, skills={(7, None): 1}))
    eng.set_agent(AgentState(2, Presence.READY, skills={(8, None): 5}))
    eng.contact_arrived(contact(1, queue="s", product=7, required_skill=4), 0.0)
    assert eng.tick(119.0) == [] and not eng.offers
    [offer] = offers(eng.tick(120.0))  # any level of product 7 now
    assert offer.agent_id == 1
    eng.offer_declined(offer.offer_id, 1, 121.0)
    assert offers(eng.tick(239.0)) == []
    [offer] = offers(eng.tick(240.0))  # aged: anyone (agent 1 is still cooling down)
    assert offer.agent_id == 2
    assert eng.drain_decisions()[-1].trigger == "skills_widened"


def test_queue_positions_match_single_lookups() -> None:
    eng = RoutingEngine([QueueConfig("a"), QueueConfig("b")])
    eng.set_agent(AgentState(1, Presence.NOT_READY))
    tiers = ["basic", "svip", "vip", "basic", "svip", "vip"]
    for cid, tier in enumerate(tiers, start=1):
        eng.contact_arrived(contact(cid, tier, queue="a" if cid % 2 else "b"), float(cid))
    now = 100.0
    together = eng.queue_positions(now)
    assert together == {cid: eng.queue_position(cid, now) for cid in range(1, 7)}
    assert sorted(p for cid, (p, _) in together.items() if cid % 2) == [1, 2, 3]


def test_held_contact_keeps_its_place_and_rings_nobody_until_released() -> None:
    eng = engine_with(Strategy.LONGEST_IDLE, n_agents=1)
    [ring] = offers(eng.contact_arrived(contact(1), 0.0))
    eng.contact_arrived(contact(2), 1.0)
    actions = eng.hold(1, 2.0)  # the customer's assist is gone for now
    assert OfferCancelled(ring.offer_id, 1, 1, "customer reconnecting") in actions
    [other] = offers(actions)  # the agent is free: the next contact rings
    assert other.contact_id == 2
    eng.offer_declined(other.offer_id, 1, 3.0)
    assert eng.waiting() == [2] and offers(eng.tick(100.0)) == [Offer(3, 2, 1, 120.0)]
    eng.offer_declined(3, 1, 101.0)
    assert offers(eng.tick(125.0)) == [Offer(4, 2, 1, 145.0)]  # held 1 is not rung
    eng.agent_presence(1, Presence.NOT_READY, 126.0)
    assert eng.release(1, 127.0) == [] and eng.waiting() == [1, 2]  # its old place
    [back] = offers(eng.agent_presence(1, Presence.READY, 128.0))
    assert back.contact_id == 1 and eng.contacts[1].enqueued_at == 0.0
