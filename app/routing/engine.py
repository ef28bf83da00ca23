"""The ACD engine: which waiting contact rings which agent, and why.

Pure and single-threaded: events in (contact arrived, agent state changed, offer accepted /
declined, time passed), actions out (offers to ring, offers expired or cancelled, overflows,
"leave a ticket"). Every routing choice leaves a ``Decision`` in ``decisions`` with the
candidates weighed, the reasons others were excluded and how long the choice took.

Invariant kept after every event: no waiting contact could be offered to an available agent.
That lets a new contact be matched against the available agents alone, and a newly available
agent against the waiting contacts alone, without rescanning everything (the 1 ms budget).
Priority order is time-invariant except for aging: a contact's key is ``enqueued_at -
head_start(tier)``; contacts past their queue's aging ceiling come first, oldest first.
"""

from __future__ import annotations

import heapq
import itertools
import time
from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from app.routing.types import (
    EXCLUSIVE_KINDS,
    LEAVE_TICKET,
    MISSED_A_CONTACT,
    ROUTABLE,
    Action,
    AgentPresenceChanged,
    AgentState,
    Candidate,
    ContactKind,
    Decision,
    LeaveTicket,
    Offer,
    OfferCancelled,
    OfferExpired,
    Overflowed,
    Presence,
    QueueConfig,
    QueueSummary,
    Strategy,
    WaitingContact,
)

TOP_CANDIDATES = 5
INF = float("inf")
AHT_WEIGHT = 0.1  # exponential moving average of handle time per queue


@dataclass(frozen=True, slots=True)
class Accepted:
    ok: bool
    actions: list[Action]

    def __bool__(self) -> bool:
        return self.ok


class RoutingError(Exception):
    """An event that does not fit the engine's state (unknown contact, agent or queue)."""


Score = tuple[float, ...]


class RoutingEngine:
    def __init__(self, queues: Iterable[QueueConfig] = (), *, first_offer_id: int = 1) -> None:
        self.queues: dict[str, QueueConfig] = {q.name: q for q in queues}
        self.agents: dict[int, AgentState] = {}
        self.contacts: dict[int, WaitingContact] = {}
        self.offers: dict[int, Offer] = {}
        self.decisions: list[Decision] = []
        self._next_offer_id = first_offer_id
        self._seq = 0
        self._entry: dict[int, tuple[float, int, int]] = {}  # contact -> by_key entry
        self._age_entry: dict[int, tuple[float, int, int]] = {}
        self._by_key: list[tuple[float, int, int]] = []
        self._by_age: list[tuple[float, int, int]] = []
        self._available: set[int] = set()
        # Available agents kept sorted by each strategy's static key, so a decision reads the
        # best few instead of scoring every agent (keys change only in ``_refresh``).
        self._by_idle: list[tuple[float, float, int]] = []  # (load, idle_since, id)
        self._by_busy: list[tuple[float, float, float, int]] = []  # (load, answered, idle, id)
        self._ids: list[int] = []  # available ids, sorted (round robin)
        self._sort_keys: dict[int, tuple[tuple[float, float, int], tuple[float, float, float, int]]] = {}
        self._skilled: dict[int, set[int]] = {}  # product -> agents with any skill on it
        self._category: dict[int, str] = {}
        self._category_counts: Counter[str] = Counter()
        self._ring_heap: list[tuple[float, int]] = []
        self._overflow_heap: list[tuple[float, int, float]] = []
        self._cooldown_heap: list[tuple[float, int]] = []
        self._widen_heap: list[tuple[float, int]] = []
        self._held: set[int] = set()  # contacts kept out of routing (see ``hold``)
        self._rr_last: dict[str, int] = {}
        self._aht: dict[str, float] = {}
        self._answered_at: dict[int, float] = {}
        self._orders: dict[Strategy, Callable[[QueueConfig], Iterable[tuple[Score, int]]]] = {
            Strategy.ROUND_ROBIN: self._round_robin_order,
            Strategy.LEAST_BUSY: self._least_busy_order,
            Strategy.LONGEST_IDLE: self._longest_idle_order,
            Strategy.RING_ALL: self._longest_idle_order,
        }

    # -- configuration -------------------------------------------------------------------------
    def set_queue(self, queue: QueueConfig) -> None:
        self.queues[queue.name] = queue

    def set_agent(self, agent: AgentState) -> None:
        """Add or replace an agent's routing facts (skills, level, queues, capacity)."""
        old = self.agents.get(agent.agent_id)
        if old is not None:
            agent.chats, agent.exclusive, agent.ringing = old.chats, old.exclusive, old.ringing
            for product, _ in old.skills:
                self._skilled.get(product, set()).discard(agent.agent_id)
        for product, _ in agent.skills:
            self._skilled.setdefault(product, set()).add(agent.agent_id)
        self.agents[agent.agent_id] = agent
        self._refresh(agent)

    @property
    def next_offer_id(self) -> int:
        return self._next_offer_id

    # -- events ----------------------------------------------------------------------------
    def contact_arrived(self, contact: WaitingContact, now: float) -> list[Action]:
        if contact.queue not in self.queues:
            raise RoutingError(f"unknown queue {contact.queue!r}")
        if contact.contact_id in self.contacts:
            raise RoutingError(f"contact {contact.contact_id} is already routed")
        if not contact.enqueued_at:
            contact.enqueued_at = now
        if not contact.queue_entered_at:
            contact.queue_entered_at = now
        self.contacts[contact.contact_id] = contact
        self._enqueue(contact)
        self._schedule_overflow(contact)
        self._schedule_widening(contact)
        self._schedule_cooldowns(contact, now)
        actions: list[Action] = []
        self._route_contact(contact, now, "contact_arrived", actions, record_miss=True)
        return actions

    def hold(self, contact_id: int, now: float) -> list[Action]:
        """Keep a contact out of routing while it cannot be answered (its customer's assist is
        reconnecting after a hub restart): it keeps its place and waiting time but rings
        nobody; a ring in flight is withdrawn without blaming the agent."""
        contact = self.contacts.get(contact_id)
        actions: list[Action] = []
        if contact is None or contact.agent_id is not None or contact_id in self._held:
            return actions
        self._held.add(contact_id)
        if contact.offer_id is not None:
            self._cancel_offer(contact.offer_id, "customer reconnecting", now, actions,
                               requeue=False)
        self._dequeue(contact)
        rung = [a.agent_id for a in actions if isinstance(a, OfferCancelled)]
        for agent_id in rung:  # free again: the next contact may ring
            self._route_agent(self.agents[agent_id], now, actions)
        return actions

    def release(self, contact_id: int, now: float) -> list[Action]:
        """The held contact can be answered again: back in its place, routed at once."""
        actions: list[Action] = []
        if contact_id not in self._held:
            return actions
        self._held.discard(contact_id)
        contact = self.contacts.get(contact_id)
        if contact is None or contact.agent_id is not None:
            return actions
        self._enqueue(contact)
        self._route_contact(contact, now, "released", actions, record_miss=True)
        return actions

    def restore_answered(self, contact: WaitingContact, agent_id: int, answered_at: float) -> None:
        """Recovery: a contact already being handled counts on its agent's load."""
        contact.agent_id = agent_id
        self.contacts[contact.contact_id] = contact
        self._answered_at[contact.contact_id] = answered_at
        agent = self.agents.get(agent_id)
        if agent is not None:
            self._hold(agent, contact)
            self._refresh(agent)

    def agent_presence(self, agent_id: int, presence: Presence, now: float,
                       reason: str = "") -> list[Action]:
        agent = self._agent(agent_id)
        actions: list[Action] = []
        was_routable = agent.presence in ROUTABLE
        agent.presence = presence
        if presence not in ROUTABLE and agent.ringing is not None:
            self._cancel_offer(agent.ringing, reason or f"agent {presence.value}", now, actions)
        if presence in ROUTABLE and not was_routable and agent.load == 0:
            agent.idle_since = now
        self._refresh(agent)
        self._route_agent(agent, now, actions)
        return actions

    def agent_disconnected(self, agent_id: int, now: float) -> list[Action]:
        return self.agent_presence(agent_id, Presence.OFFLINE, now, "agent disconnected")

    def offer_accepted(self, offer_id: int, agent_id: int, now: float) -> Accepted:
        """The agent answered. Refused for an offer that expired, was withdrawn or is not theirs.

        An agent with room for more chats is offered the next one at once (``actions``).
        """
        offer = self.offers.get(offer_id)
        if offer is None or offer.agent_id != agent_id:
            return Accepted(False, [])
        del self.offers[offer_id]
        contact = self.contacts[offer.contact_id]
        agent = self._agent(agent_id)
        contact.offer_id = None
        contact.agent_id = agent_id
        agent.ringing = None
        agent.answered += 1
        self._hold(agent, contact)
        self._answered_at[contact.contact_id] = now
        if agent.presence is Presence.READY:
            agent.presence = Presence.BUSY
        self._refresh(agent)
        actions: list[Action] = []
        self._route_agent(agent, now, actions)
        return Accepted(True, actions)

    def offer_declined(self, offer_id: int, agent_id: int, now: float) -> list[Action]:
        offer = self.offers.get(offer_id)
        if offer is None or offer.agent_id != agent_id:
            return []
        actions: list[Action] = []
        self._withdraw(offer, now, exclude=True)
        contact = self.contacts[offer.contact_id]
        self._route_contact(contact, now, "requeued", actions, record_miss=True)
        self._route_agent(self.agents[agent_id], now, actions)
        return actions

    def contact_abandoned(self, contact_id: int, now: float) -> list[Action]:
        """The customer left before (or while) being answered."""
        return self.contact_finished(contact_id, now, reason="customer left")

    def contact_finished(self, contact_id: int, now: float, wrap_up: bool = False,
                         reason: str = "contact ended") -> list[Action]:
        """The contact is over (handled, abandoned, or left as a ticket): free its agent."""
        contact = self.contacts.pop(contact_id, None)
        actions: list[Action] = []
        self._held.discard(contact_id)
        if contact is None:
            return actions
        self._dequeue(contact)
        if contact.offer_id is not None:
            offer = self.offers.pop(contact.offer_id, None)
            if offer is not None:
                rung = self.agents[offer.agent_id]
                rung.ringing = None
                self._refresh(rung)
                actions.append(OfferCancelled(offer.offer_id, contact_id, offer.agent_id,
                                              reason))
                self._route_agent(rung, now, actions)  # free again: the next contact rings
        answered = self._answered_at.pop(contact_id, None)
        if answered is not None:
            q = contact.queue
            self._aht[q] = (1 - AHT_WEIGHT) * self._aht.get(
                q, self.queues[q].default_handle_s) + AHT_WEIGHT * (now - answered)
        agent = self.agents.get(contact.agent_id) if contact.agent_id is not None else None
        if agent is not None:
            agent.chats.discard(contact_id)
            agent.exclusive.discard(contact_id)
            if agent.load == 0:
                agent.idle_since = now
                if agent.presence is Presence.BUSY:
                    agent.presence = Presence.WRAP_UP if wrap_up else Presence.READY
                    actions.append(AgentPresenceChanged(agent.agent_id, agent.presence,
                                                        "contact finished"))
            self._refresh(agent)
            self._route_agent(agent, now, actions)
        return actions

    def tick(self, now: float) -> list[Action]:
        """Ring timeouts, overflow and expired decline cool-downs."""
        actions: list[Action] = []
        while self._ring_heap and self._ring_heap[0][0] <= now:
            _, offer_id = heapq.heappop(self._ring_heap)
            offer = self.offers.get(offer_id)
            if offer is None:
                continue
            contact = self.contacts[offer.contact_id]
            agent = self.agents[offer.agent_id]
            rona = self.queues[contact.queue].not_ready_on_ring_timeout
            # RONA: nobody is at that console, so the agent goes Not ready and is not excluded
            # from the contact (it rings again the moment they are Ready). Without RONA the
            # missed agent sits out a cool-down on this contact, like a decline.
            self._withdraw(offer, now, exclude=not rona)
            actions.append(OfferExpired(offer.offer_id, offer.contact_id, offer.agent_id))
            if rona and agent.presence in ROUTABLE:
                agent.presence = Presence.NOT_READY
                self._refresh(agent)
                actions.append(AgentPresenceChanged(agent.agent_id, agent.presence,
                                                    MISSED_A_CONTACT))
            self._route_contact(contact, now, "requeued", actions, record_miss=True)
            self._route_agent(agent, now, actions)
        while self._overflow_heap and self._overflow_heap[0][0] <= now:
            _, contact_id, entered = heapq.heappop(self._overflow_heap)
            contact = self.contacts.get(contact_id)
            if contact is None or contact.agent_id is not None or contact.queue_entered_at != entered:
                continue
            if contact_id in self._held:  # decide when it can be answered again
                heapq.heappush(self._overflow_heap, (now + 1.0, contact_id, entered))
                continue
            if contact.offer_id is not None:  # ringing now: decide when the ring resolves
                expires = self.offers[contact.offer_id].expires_at
                heapq.heappush(self._overflow_heap, (expires, contact_id, entered))
                continue
            self._overflow(contact, now, actions)
        while self._widen_heap and self._widen_heap[0][0] <= now:
            _, contact_id = heapq.heappop(self._widen_heap)
            contact = self.contacts.get(contact_id)
            if contact is not None and contact.contact_id in self._entry:
                self._route_contact(contact, now, "skills_widened", actions, record_miss=False)
        cooled: set[int] = set()
        while self._cooldown_heap and self._cooldown_heap[0][0] <= now:
            _, contact_id = heapq.heappop(self._cooldown_heap)
            contact = self.contacts.get(contact_id)
            if contact is not None:
                contact.declined = {a: t for a, t in contact.declined.items() if t > now}
                cooled.add(contact_id)
        if cooled:
            self._route_some(cooled, now, actions)
        return actions

    # -- queries ---------------------------------------------------------------------------
    def queue_position(self, contact_id: int, now: float) -> tuple[int, int]:
        """1-based place among contacts waiting in the same queue, and an estimated wait (s)."""
        contact = self.contacts.get(contact_id)
        if contact is None or contact.agent_id is not None:
            return (0, 0)
        if contact.offer_id is not None:
            return (1, 0)
        position = 1
        for cid in self._ordered(now):
            if cid == contact_id:
                break
            if self.contacts[cid].queue == contact.queue:
                position += 1
        q = self.queues[contact.queue]
        staffed = sum(1 for a in self.agents.values()
                      if a.presence in ROUTABLE and (a.queues is None or q.name in a.queues)
                      and a.level >= q.min_level)
        aht = self._aht.get(q.name, q.default_handle_s)
        return position, int(round(position * aht / max(1, staffed)))

    def queue_positions(self, now: float) -> dict[int, tuple[int, int]]:
        """``queue_position`` for every waiting contact in one pass (for periodic updates)."""
        out: dict[int, tuple[int, int]] = {}
        places: Counter[str] = Counter()
        for cid in self._ordered(now):
            queue = self.contacts[cid].queue
            places[queue] += 1
            out[cid] = (places[queue], 0)
        staffed: Counter[str] = Counter()
        for agent in self.agents.values():
            if agent.presence in ROUTABLE:
                for q in self.queues.values():
                    if (agent.queues is None or q.name in agent.queues) and agent.level >= q.min_level:
                        staffed[q.name] += 1
        for cid, (position, _) in out.items():
            q = self.queues[self.contacts[cid].queue]
            aht = self._aht.get(q.name, q.default_handle_s)
            out[cid] = (position, int(round(position * aht / max(1, staffed[q.name]))))
        for offer in self.offers.values():
            out[offer.contact_id] = (1, 0)
        return out

    def summary(self, now: float) -> QueueSummary:
        """Counts for a wallboard: waiting, ringing, longest wait, Ready and staffed agents."""
        longest = max((now - self.contacts[cid].enqueued_at for _, _, cid in self._by_key),
                      default=0.0)
        ready = sum(1 for a in self.agents.values() if a.presence is Presence.READY)
        staffed = sum(1 for a in self.agents.values() if a.presence in ROUTABLE)
        return QueueSummary(waiting=len(self._by_key), ringing=len(self.offers),
                            longest_wait_s=max(0.0, longest), ready_agents=ready,
                            staffed_agents=staffed)

    def waiting(self) -> list[int]:
        """Contacts waiting (not ringing, not answered) in priority order at the last event."""
        return [cid for _, _, cid in self._by_key]

    def drain_decisions(self) -> list[Decision]:
        out, self.decisions = self.decisions, []
        return out

    # -- internals: queue bookkeeping ------------------------------------------------------
    def _agent(self, agent_id: int) -> AgentState:
        try:
            return self.agents[agent_id]
        except KeyError:
            raise RoutingError(f"unknown agent {agent_id}") from None

    def _key(self, contact: WaitingContact) -> float:
        q = self.queues[contact.queue]
        return contact.enqueued_at - q.head_start_s.get(contact.tier, 0.0)

    def _enqueue(self, contact: WaitingContact) -> None:
        if contact.contact_id in self._entry:
            return
        self._seq += 1
        entry = (self._key(contact), self._seq, contact.contact_id)
        q = self.queues[contact.queue]
        aged_at = (contact.enqueued_at + max(0.0, q.aging_ceiling_s - q.aging_margin_s)
                   if contact.tier in q.aging_tiers else INF)
        age_entry = (aged_at, self._seq, contact.contact_id)
        self._entry[contact.contact_id] = entry
        self._age_entry[contact.contact_id] = age_entry
        insort(self._by_key, entry)
        insort(self._by_age, age_entry)

    def _dequeue(self, contact: WaitingContact) -> None:
        entry = self._entry.pop(contact.contact_id, None)
        if entry is None:
            return
        del self._by_key[bisect_left(self._by_key, entry)]
        age = self._age_entry.pop(contact.contact_id)
        del self._by_age[bisect_left(self._by_age, age)]

    def _ordered(self, now: float) -> Iterator[int]:
        """Waiting contacts, best first: aged ones oldest first, then by tier-adjusted key."""
        aged_end = bisect_right(self._by_age, (now, INF, INF))
        aged = [cid for _, _, cid in self._by_age[:aged_end]]
        yield from aged
        seen = set(aged)
        for _, _, cid in self._by_key:
            if cid not in seen:
                yield cid

    def _ahead_of(self, contact: WaitingContact, now: float) -> int:
        entry = self._entry.get(contact.contact_id)
        if entry is None:
            return 0
        aged_end = bisect_right(self._by_age, (now, INF, INF))
        if self._age_entry[contact.contact_id][0] <= now:
            return bisect_left(self._by_age, self._age_entry[contact.contact_id])
        behind_but_aged = sum(1 for _, _, cid in self._by_age[:aged_end]
                              if self._entry[cid] > entry)
        return bisect_left(self._by_key, entry) + behind_but_aged

    def _schedule_overflow(self, contact: WaitingContact) -> None:
        q = self.queues[contact.queue]
        if q.overflow_after_s is not None and q.overflow_to:
            heapq.heappush(self._overflow_heap, (contact.queue_entered_at + q.overflow_after_s,
                                                 contact.contact_id, contact.queue_entered_at))

    def _schedule_cooldowns(self, contact: WaitingContact, now: float) -> None:
        """A contact coming in with exclusions (restored after a hub restart): the ones that
        ended are dropped, the rest get their timers, so a cool-down never strands it."""
        contact.declined = {a: t for a, t in contact.declined.items() if t > now}
        for until in set(contact.declined.values()):
            heapq.heappush(self._cooldown_heap, (until, contact.contact_id))

    def _widen_step(self, q: QueueConfig) -> float:
        """Half-way to promotion any skill level will do; at promotion, any agent."""
        return max(1.0, (q.aging_ceiling_s - q.aging_margin_s) / 2)

    def _schedule_widening(self, contact: WaitingContact) -> None:
        q = self.queues[contact.queue]
        if q.strategy is Strategy.SKILLS and q.widen_skills and contact.product is not None:
            step = self._widen_step(q)
            heapq.heappush(self._widen_heap, (contact.enqueued_at + step, contact.contact_id))
            heapq.heappush(self._widen_heap, (contact.enqueued_at + 2 * step, contact.contact_id))

    def _skill_need(self, q: QueueConfig, contact: WaitingContact,
                    now: float) -> tuple[int | None, int]:
        """(product required or None, minimum skill level) at this moment of the wait."""
        if contact.product is None:
            return None, 0
        if q.widen_skills:
            waited, step = now - contact.enqueued_at, self._widen_step(q)
            if waited >= 2 * step:
                return None, 0
            if waited >= step:
                return contact.product, 1
        return contact.product, max(1, contact.required_skill)

    def _overflow(self, contact: WaitingContact, now: float, actions: list[Action]) -> None:
        q = self.queues[contact.queue]
        target = q.overflow_to
        if target == LEAVE_TICKET or target not in self.queues:
            self._dequeue(contact)
            del self.contacts[contact.contact_id]
            actions.append(LeaveTicket(contact.contact_id, q.name))
            return
        self._dequeue(contact)
        contact.queue = target
        contact.queue_entered_at = now
        self._enqueue(contact)
        self._schedule_overflow(contact)
        self._schedule_widening(contact)
        actions.append(Overflowed(contact.contact_id, q.name, target))
        self._route_contact(contact, now, "overflowed", actions, record_miss=True)

    def _hold(self, agent: AgentState, contact: WaitingContact) -> None:
        if contact.kind in EXCLUSIVE_KINDS:
            agent.exclusive.add(contact.contact_id)
        else:
            agent.chats.add(contact.contact_id)

    def _refresh(self, agent: AgentState) -> None:
        """Re-file an agent after any change: available set, sorted keys, category counts."""
        aid = agent.agent_id
        old_keys = self._sort_keys.pop(aid, None)
        if old_keys is not None:
            del self._by_idle[bisect_left(self._by_idle, old_keys[0])]
            del self._by_busy[bisect_left(self._by_busy, old_keys[1])]
            del self._ids[bisect_left(self._ids, aid)]
        if agent.presence not in ROUTABLE:
            category = agent.presence.value
        elif agent.ringing is not None:
            category = "ringing"
        elif not agent.has_room(ContactKind.CHAT):
            category = "at_capacity"
        else:
            category = "available"
        previous = self._category.get(aid)
        if previous != category:
            if previous is not None:
                self._category_counts[previous] -= 1
            self._category_counts[category] += 1
            self._category[aid] = category
        if category == "available":
            self._available.add(aid)
            load = float(agent.load)
            keys = ((load, agent.idle_since, aid),
                    (load, float(agent.answered), agent.idle_since, aid))
            self._sort_keys[aid] = keys
            insort(self._by_idle, keys[0])
            insort(self._by_busy, keys[1])
            insort(self._ids, aid)
        else:
            self._available.discard(aid)

    # -- internals: offers -----------------------------------------------------------------
    def _make_offer(self, contact: WaitingContact, agent: AgentState, now: float) -> Offer:
        q = self.queues[contact.queue]
        offer = Offer(self._next_offer_id, contact.contact_id, agent.agent_id,
                      now + q.ring_timeout_s)
        self._next_offer_id += 1
        self.offers[offer.offer_id] = offer
        contact.offer_id = offer.offer_id
        agent.ringing = offer.offer_id
        self._dequeue(contact)
        self._refresh(agent)
        self._rr_last[q.name] = agent.agent_id
        heapq.heappush(self._ring_heap, (offer.expires_at, offer.offer_id))
        return offer

    def _withdraw(self, offer: Offer, now: float, exclude: bool) -> None:
        """Take an offer back: the contact waits again in its old place."""
        self.offers.pop(offer.offer_id, None)
        contact = self.contacts[offer.contact_id]
        contact.offer_id = None
        agent = self.agents[offer.agent_id]
        agent.ringing = None
        if exclude:
            until = now + self.queues[contact.queue].decline_cooldown_s
            contact.declined[offer.agent_id] = until
            heapq.heappush(self._cooldown_heap, (until, contact.contact_id))
        if contact.contact_id not in self._held:
            self._enqueue(contact)
        self._refresh(agent)

    def _cancel_offer(self, offer_id: int, reason: str, now: float, actions: list[Action],
                      requeue: bool = True) -> None:
        offer = self.offers.get(offer_id)
        if offer is None:
            return
        self._withdraw(offer, now, exclude=False)
        actions.append(OfferCancelled(offer.offer_id, offer.contact_id, offer.agent_id, reason))
        if requeue:
            self._route_contact(self.contacts[offer.contact_id], now, "requeued", actions,
                                record_miss=True)

    # -- internals: choosing ---------------------------------------------------------------
    def _ineligible(self, agent: AgentState, contact: WaitingContact, q: QueueConfig,
                    now: float) -> str | None:
        if agent.queues is not None and q.name not in agent.queues:
            return "not_in_queue"
        if agent.level < q.min_level:
            return "level_too_low"
        if not agent.has_room(contact.kind):
            return "at_capacity"
        until = contact.declined.get(agent.agent_id)
        if until is not None and until > now:
            return "declined_or_missed"
        if q.strategy is Strategy.SKILLS and contact.product is not None:
            product, level = self._skill_need(q, contact, now)
            if product is not None and agent.skill_for(product, contact.module) < level:
                return "lacks_skill"
        return None

    def _candidates(self, q: QueueConfig, contact: WaitingContact, now: float,
                    excluded: Counter[str]) -> list[tuple[Score, int]]:
        """The best few eligible available agents by the queue's strategy, best first.

        Longest idle / least busy / round robin walk their sorted index and stop after
        ``TOP_CANDIDATES`` eligible agents; skills scores every available agent that knows the
        product (an index by product keeps that set small).
        """
        if q.strategy is Strategy.SKILLS:
            return self._skills_candidates(q, contact, now, excluded)
        out: list[tuple[Score, int]] = []
        ordered = self._orders[q.strategy](q)
        for score, aid in ordered:
            why = self._ineligible(self.agents[aid], contact, q, now)
            if why is None:
                out.append((score, aid))
                if len(out) >= TOP_CANDIDATES:
                    break
            else:
                excluded[why] += 1
        return out

    def _round_robin_order(self, q: QueueConfig) -> Iterable[tuple[Score, int]]:
        start = bisect_right(self._ids, self._rr_last.get(q.name, -1))
        ring = itertools.chain(self._ids[start:], self._ids[:start])
        return (((float(rank),), aid) for rank, aid in enumerate(ring))

    def _least_busy_order(self, q: QueueConfig) -> Iterable[tuple[Score, int]]:
        return ((key[:3], key[3]) for key in self._by_busy)

    def _longest_idle_order(self, q: QueueConfig) -> Iterable[tuple[Score, int]]:
        return ((key[:2], key[2]) for key in self._by_idle)

    def _skills_candidates(self, q: QueueConfig, contact: WaitingContact, now: float,
                           excluded: Counter[str]) -> list[tuple[Score, int]]:
        """Score every available agent who knows the product (the same rules as
        ``_ineligible``, with the per-contact parts hoisted out of the loop: this is the
        one strategy that cannot stop early)."""
        pool: set[int] = self._available
        product, level = self._skill_need(q, contact, now)
        if product is not None:
            pool = self._skilled.get(product, set()) & self._available
            if len(self._available) > len(pool):
                excluded["lacks_skill"] += len(self._available) - len(pool)
        module, name, min_level = contact.module, q.name, q.min_level
        exclusive = contact.kind in EXCLUSIVE_KINDS
        declined = contact.declined
        agents = self.agents
        out: list[tuple[Score, int]] = []
        for aid in pool:
            a = agents[aid]
            if a.queues is not None and name not in a.queues:
                excluded["not_in_queue"] += 1
            elif a.level < min_level:
                excluded["level_too_low"] += 1
            elif exclusive and (a.chats or a.exclusive):
                excluded["at_capacity"] += 1
            elif declined and declined.get(aid, -INF) > now:
                excluded["declined_or_missed"] += 1
            else:
                skill = 0
                if product is not None:
                    skills = a.skills
                    skill = max(skills.get((product, module), 0), skills.get((product, None), 0))
                    if skill < level:
                        excluded["lacks_skill"] += 1
                        continue
                out.append(((-float(skill), float(len(a.chats)), a.idle_since, float(aid)), aid))
        return heapq.nsmallest(TOP_CANDIDATES, out)

    def _route_contact(self, contact: WaitingContact, now: float, trigger: str,
                       actions: list[Action], record_miss: bool) -> bool:
        """Pick the best available agent for one contact by its queue's strategy."""
        if contact.offer_id is not None or contact.agent_id is not None:
            return False
        started = time.perf_counter_ns()
        q = self.queues[contact.queue]
        excluded: Counter[str] = Counter()
        top = self._candidates(q, contact, now, excluded) if self._available else []
        if not top and not record_miss:
            return False
        chosen = self.agents[top[0][1]] if top else None
        offer = self._make_offer(contact, chosen, now) if chosen else None
        if offer is not None:
            actions.append(offer)
        for category, n in self._category_counts.items():
            if n > 0 and category != "available":
                excluded[category] += n
        ahead = 0 if offer else self._ahead_of(contact, now)
        reason = (_win_reason(q.strategy, top) if top
                  else "no eligible agent: " + _summary(excluded))
        elapsed_us = (time.perf_counter_ns() - started) / 1000
        self.decisions.append(Decision(
            at=now, trigger=trigger, contact_id=contact.contact_id, queue=q.name,
            strategy=q.strategy.value, tier=contact.tier, waited_s=now - contact.enqueued_at,
            chosen_agent_id=chosen.agent_id if chosen else None,
            offer_id=offer.offer_id if offer else None, reason=reason,
            candidates=tuple(Candidate(aid, score, _note(q.strategy, self.agents[aid]))
                             for score, aid in top),
            excluded=dict(excluded), waiting_ahead=ahead, duration_us=elapsed_us))
        return offer is not None

    def _route_agent(self, agent: AgentState, now: float, actions: list[Action]) -> None:
        """A newly available agent takes the best waiting contact it may take, at once."""
        while agent.agent_id in self._available and self._by_key:
            for contact_id in self._ordered(now):
                contact = self.contacts[contact_id]
                if self._ineligible(agent, contact, self.queues[contact.queue], now) is None:
                    self._route_contact(contact, now, "agent_available", actions,
                                        record_miss=False)
                    break
            else:
                return

    def _route_some(self, contact_ids: set[int], now: float, actions: list[Action]) -> None:
        """Route these waiting contacts again, best first (their cool-downs ended: only
        their eligibility changed, so the invariant needs no wider rescan)."""
        for contact_id in [c for c in self._ordered(now) if c in contact_ids]:
            if not self._available:
                return
            contact = self.contacts.get(contact_id)
            if contact is not None:
                self._route_contact(contact, now, "retry", actions, record_miss=False)


_WIN_REASONS = {
    Strategy.ROUND_ROBIN: "next in turn after the last agent rung in this queue",
    Strategy.LEAST_BUSY: "fewest active contacts (then fewest answered, longest idle)",
    Strategy.LONGEST_IDLE: "idle the longest",
    Strategy.RING_ALL: "idle the longest",
    Strategy.SKILLS: "highest skill for the product/module (then least busy, longest idle)",
}


def _win_reason(strategy: Strategy, top: list[tuple[Score, int]]) -> str:
    rest = f" among {len(top)} top candidates" if len(top) > 1 else " (only candidate)"
    return f"agent {top[0][1]}: {_WIN_REASONS[strategy]}{rest}"


def _note(strategy: Strategy, agent: AgentState) -> str:
    return (f"load {agent.load}, idle since {agent.idle_since:.0f}, answered {agent.answered}"
            + (f", skills {len(agent.skills)}" if strategy is Strategy.SKILLS else ""))


def _summary(excluded: Counter[str]) -> str:
    if not excluded:
        return "no agents"
    return ", ".join(f"{n} {why}" for why, n in excluded.most_common())
