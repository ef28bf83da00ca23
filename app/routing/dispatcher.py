"""The persistent ACD: the routing engine with every state change written to the database.

The hub drives one ``Dispatcher`` from its asyncio loop (single thread). Each event runs the
pure ``RoutingEngine`` and writes the consequences in one transaction: contact status and
timestamps, offers, declines, agent status, routing decisions. A hub restarted mid-day calls
``recover()`` and finds its queues as they were (rings that were in flight are withdrawn and the
contacts keep their place). Accepting is a conditional UPDATE (``claim.claim_offer``).

Every event returns the engine's actions: ``Offer`` (ring this console), ``OfferExpired`` /
``OfferCancelled`` (stop ringing), ``Overflowed``, ``LeaveTicket`` (tell the customer),
``AgentPresenceChanged``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.agents.models import Agent, AgentSkill, AgentStatus
from app.contacts.models import Contact, ContactStatus, Queue
from app.customers.models import Customer
from app.db.base import utcnow
from app.routing.claim import claim_offer
from app.routing.engine import RoutingEngine, RoutingError
from app.routing.models import (
    OfferStatus,
    QueueMember,
    QueueSettings,
    RoutingDecision,
    RoutingOffer,
    RoutingState,
)
from app.routing.types import (
    DEFAULT_HEAD_START_S,
    KIND_BY_CHANNEL,
    LEAVE_TICKET,
    Action,
    AgentPresenceChanged,
    AgentState,
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

log = logging.getLogger(__name__)

WAITING = (ContactStatus.QUEUED, ContactStatus.OFFERED)
LEVELS = {"L1": 1, "L2": 2, "L3": 3}
DEFAULT_QUEUE = "default"


@dataclass(frozen=True, slots=True)
class RoutingSettings:
    """Dispatcher-wide defaults; per-queue rules live in ``queues`` + ``routing_queue_settings``."""

    ring_timeout_s: float | None = None  # None: each queue's ring_timeout_seconds
    aging_ceiling_s: float = 300.0
    head_start_s: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_HEAD_START_S))
    decline_cooldown_s: float = 20.0  # after an explicit Decline only
    not_ready_on_ring_timeout: bool = True  # RONA: a missed ring sets the agent Not ready
    agents_offline_on_recover: bool = True

    @classmethod
    def from_config(cls, config: Any) -> RoutingSettings:
        """From ``app.config.Config`` (``ring_timeout_s``) or a RoutingSettings as is."""
        if config is None:
            return cls()
        if isinstance(config, RoutingSettings):
            return config
        # The hub-wide ring_timeout_s overrides the queues' own only when it was set on
        # purpose (command line, environment, file), not by its default.
        sources = getattr(config, "sources", {}) or {}
        if sources.get("ring_timeout_s", "default") == "default":
            return cls()
        return cls(ring_timeout_s=float(config.ring_timeout_s))


@dataclass(frozen=True, slots=True)
class AcceptResult:
    ok: bool
    contact_id: int | None
    reason: str = ""
    actions: list[Action] = field(default_factory=list)


def _ts(t: datetime) -> float:
    return t.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class Dispatcher:
    def __init__(self, session_factory: sessionmaker[Session], config: Any = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._sf = session_factory
        self.settings = RoutingSettings.from_config(config)
        self._clock = clock
        self.engine = RoutingEngine()
        self._queue_ids: dict[str, int] = {}
        self._queue_names: dict[int, str] = {}
        self._handlers: dict[type, Callable[[Session, Any, datetime], None]] = {
            Offer: self._on_offer,
            OfferExpired: self._on_offer_expired,
            OfferCancelled: self._on_offer_cancelled,
            Overflowed: self._on_overflowed,
            LeaveTicket: self._on_leave_ticket,
            AgentPresenceChanged: self._on_presence,
        }

    # -- start-up --------------------------------------------------------------------------
    def recover(self) -> list[Action]:
        """Rebuild queues from the database (hub start, or restart mid-day)."""
        now = self._clock()
        with self._sf() as s, s.begin():
            first_offer = (s.scalar(select(func.max(RoutingOffer.id))) or 0) + 1
            self.engine = RoutingEngine(first_offer_id=first_offer)
            self._load_queues(s)
            for agent in s.scalars(select(Agent).where(Agent.active.is_(True))):
                if self.settings.agents_offline_on_recover and agent.status != AgentStatus.OFFLINE:
                    agent.status, agent.status_since = AgentStatus.OFFLINE, now
                self.engine.set_agent(self._agent_state(s, agent))
            # Rings in flight died with the old hub: withdraw them, the contacts keep their place.
            s.execute(update(RoutingOffer).where(RoutingOffer.status == OfferStatus.RINGING)
                      .values(status=OfferStatus.CANCELLED, resolved_at=now,
                              reason="hub restarted"))
            s.execute(update(Contact).where(Contact.status == ContactStatus.OFFERED)
                      .values(status=ContactStatus.QUEUED))
            contacts = s.scalars(select(Contact).where(
                Contact.status.in_((*WAITING, ContactStatus.ANSWERED)))
                .order_by(Contact.id)).all()
            for contact in contacts:
                waiting = self._waiting_contact(s, contact, now)
                if contact.status == ContactStatus.ANSWERED:
                    if contact.agent_id is not None:
                        self.engine.restore_answered(
                            waiting, contact.agent_id, _ts(contact.answered_at or now))
                    continue
                self.engine.contact_arrived(waiting, _ts(now))  # ended cool-downs dropped
                self._save_declines(s, contact.id)
            self.engine.drain_decisions()  # nobody is online yet: nothing to explain
        return []

    def reload_queues(self) -> None:
        """Pick up queues, queue settings and memberships edited while the hub runs."""
        with self._sf() as s, s.begin():
            self._load_queues(s)
            for agent in s.scalars(select(Agent).where(Agent.active.is_(True))):
                fresh = self._agent_state(s, agent)
                old = self.engine.agents.get(agent.id)
                if old is not None:
                    fresh.presence, fresh.idle_since, fresh.answered = (
                        old.presence, old.idle_since, old.answered)
                else:
                    fresh.presence = Presence.OFFLINE
                self.engine.set_agent(fresh)

    def _load_queues(self, s: Session) -> None:
        queues = s.scalars(select(Queue).where(Queue.active.is_(True)).order_by(Queue.id)).all()
        if not queues:
            queue = Queue(name=DEFAULT_QUEUE, description="Created by routing: no queue existed")
            s.add(queue)
            s.flush()
            queues = [queue]
        settings = {row.queue_id: row.settings for row in s.scalars(select(QueueSettings))}
        names = {q.id: q.name for q in queues}
        self._queue_ids = {q.name: q.id for q in queues}
        self._queue_names = names
        for q in queues:
            self.engine.set_queue(self._queue_config(q, settings.get(q.id, {}), names))

    def _queue_config(self, q: Queue, extra: dict[str, Any], names: dict[int, str]) -> QueueConfig:
        st = self.settings
        overflow_to: str | None = None
        if q.max_wait_seconds is not None:
            overflow_to = names.get(q.overflow_queue_id) if q.overflow_queue_id else LEAVE_TICKET
            overflow_to = overflow_to or LEAVE_TICKET
        return QueueConfig(
            name=q.name,
            strategy=Strategy(q.strategy.value),
            ring_timeout_s=float(st.ring_timeout_s or q.ring_timeout_seconds),
            overflow_after_s=float(q.max_wait_seconds) if q.max_wait_seconds is not None else None,
            overflow_to=overflow_to,
            min_level=int(extra.get("min_level", 1)),
            aging_ceiling_s=float(extra.get("aging_ceiling_s", st.aging_ceiling_s)),
            aging_margin_s=float(extra.get("aging_margin_s", 60.0)),
            aging_tiers=frozenset(extra.get("aging_tiers", ("basic", "vip"))),
            head_start_s={**st.head_start_s, **extra.get("head_start_s", {})},
            decline_cooldown_s=float(extra.get("decline_cooldown_s", st.decline_cooldown_s)),
            not_ready_on_ring_timeout=bool(extra.get("not_ready_on_ring_timeout",
                                                     st.not_ready_on_ring_timeout)),
            default_handle_s=float(extra.get("default_handle_s", 300.0)),
        )

    def _agent_state(self, s: Session, agent: Agent) -> AgentState:
        skills = {(sk.product_id, sk.module_id): sk.level
                  for sk in s.scalars(select(AgentSkill).where(AgentSkill.agent_id == agent.id))}
        member_of = s.scalars(select(QueueMember.queue_id)
                              .where(QueueMember.agent_id == agent.id)).all()
        staffed = set(s.scalars(select(QueueMember.queue_id).distinct()).all())
        # Member of the listed queues, plus every queue that lists no members at all.
        queues = frozenset(self._queue_names[qid] for qid in member_of if qid in self._queue_names)
        queues |= frozenset(name for qid, name in self._queue_names.items() if qid not in staffed)
        since = agent.status_since or agent.created_at
        return AgentState(
            agent_id=agent.id, presence=Presence(agent.status.value),
            level=LEVELS.get(agent.level.value, 1), max_chats=max(1, agent.max_chats),
            skills=skills, queues=queues, idle_since=_ts(since))

    def _waiting_contact(self, s: Session, contact: Contact, now: datetime) -> WaitingContact:
        state = s.get(RoutingState, contact.id)
        if state is None:
            tier = "basic"
            if contact.customer_id is not None:
                customer = s.get(Customer, contact.customer_id)
                tier = customer.tier.value if customer is not None else "basic"
            queued = contact.queued_at or now
            state = RoutingState(contact_id=contact.id, tier=tier,
                                 kind=KIND_BY_CHANNEL.get(contact.channel.value,
                                                          ContactKind.CHAT).value,
                                 enqueued_at=queued, queue_entered_at=queued, declined={})
            if contact.queue_id is not None:
                queue = s.get(Queue, contact.queue_id)
                state.product_id = queue.product_id if queue is not None else None
            s.add(state)
        queue_name = self._queue_names.get(contact.queue_id or -1)
        if queue_name is None:
            queue_name = next(iter(self._queue_ids))
            contact.queue_id = self._queue_ids[queue_name]
        return WaitingContact(
            contact_id=contact.id, queue=queue_name, tier=state.tier,
            kind=ContactKind(state.kind), product=state.product_id, module=state.module_id,
            required_skill=state.required_skill, enqueued_at=_ts(state.enqueued_at),
            queue_entered_at=_ts(state.queue_entered_at),
            declined={int(k): float(v) for k, v in (state.declined or {}).items()})

    # -- events ----------------------------------------------------------------------------
    def contact_arrived(self, contact_id: int, *, product_id: int | None = None,
                        module_id: int | None = None, required_skill: int = 0) -> list[Action]:
        """Queue a contact (DATA's ``contacts`` row exists) and ring an agent if one is free."""
        now = self._clock()
        with self._sf() as s, s.begin():
            contact = s.get(Contact, contact_id)
            if contact is None:
                raise RoutingError(f"unknown contact {contact_id}")
            if contact.status not in (ContactStatus.NEW, ContactStatus.QUEUED):
                raise RoutingError(f"contact {contact_id} is {contact.status.value}")
            contact.status, contact.queued_at = ContactStatus.QUEUED, contact.queued_at or now
            waiting = self._waiting_contact(s, contact, now)
            state = s.get(RoutingState, contact_id)
            assert state is not None
            if product_id is not None:
                state.product_id = waiting.product = product_id
            if module_id is not None:
                state.module_id = waiting.module = module_id
            state.required_skill = waiting.required_skill = required_skill
            s.flush()
            actions = self.engine.contact_arrived(waiting, _ts(now))
            self._persist(s, actions, now)
        return actions

    def agent_state_changed(self, agent_id: int, status: AgentStatus | str,
                            reason: str | None = None) -> list[Action]:
        now = self._clock()
        presence = Presence(getattr(status, "value", status))
        with self._sf() as s, s.begin():
            agent = s.get(Agent, agent_id)
            if agent is None:
                raise RoutingError(f"unknown agent {agent_id}")
            fresh = self._agent_state(s, agent)  # skills, level, queues may have changed
            old = self.engine.agents.get(agent_id)
            if old is not None:
                fresh.presence, fresh.idle_since, fresh.answered = (
                    old.presence, old.idle_since, old.answered)
            self.engine.set_agent(fresh)
            agent.status, agent.status_since = AgentStatus(presence.value), now
            actions = self.engine.agent_presence(agent_id, presence, _ts(now), reason or "")
            self._persist(s, actions, now)
        return actions

    def agent_disconnected(self, agent_id: int) -> list[Action]:
        return self.agent_state_changed(agent_id, AgentStatus.OFFLINE, "agent disconnected")

    def offer_accepted(self, offer_id: int, agent_id: int) -> AcceptResult:
        now = self._clock()
        with self._sf() as s, s.begin():
            contact_id = claim_offer(s, offer_id, agent_id, now)
            if contact_id is None:
                return AcceptResult(False, None, "the offer is no longer ringing for you")
            accepted = self.engine.offer_accepted(offer_id, agent_id, _ts(now))
            if not accepted:  # the database is the judge; keep the engine in line with it
                log.warning("offer %s accepted in the database but unknown to the engine",
                            offer_id)
            agent = s.get(Agent, agent_id)
            if agent is not None and agent_id in self.engine.agents:
                presence = self.engine.agents[agent_id].presence
                if agent.status.value != presence.value:
                    agent.status, agent.status_since = AgentStatus(presence.value), now
            self._persist(s, accepted.actions, now)
        return AcceptResult(True, contact_id, "", accepted.actions)

    def offer_declined(self, offer_id: int, agent_id: int) -> list[Action]:
        now = self._clock()
        with self._sf() as s, s.begin():
            offer = self.engine.offers.get(offer_id)
            if offer is None or offer.agent_id != agent_id:
                return []
            self._resolve_offer(s, offer.offer_id, OfferStatus.DECLINED, now, "declined")
            self._requeue_contact(s, offer.contact_id)
            actions = self.engine.offer_declined(offer_id, agent_id, _ts(now))
            self._save_declines(s, offer.contact_id)
            self._persist(s, actions, now)
        return actions

    def tick(self, now: datetime | None = None) -> list[Action]:
        now = now or self._clock()
        with self._sf() as s, s.begin():
            actions = self.engine.tick(_ts(now))
            self._persist(s, actions, now)
        return actions

    def hold(self, contact_id: int) -> list[Action]:
        """Keep a waiting contact in its place without ringing anyone (its customer is not
        connected, e.g. reconnecting after a hub restart). Not stored: ``recover()`` queues
        every waiting contact and the hub holds again what it must."""
        now = self._clock()
        with self._sf() as s, s.begin():
            actions = self.engine.hold(contact_id, _ts(now))
            self._persist(s, actions, now)
        return actions

    def release(self, contact_id: int) -> list[Action]:
        """The held contact's customer is back: it rings from its old place at once."""
        now = self._clock()
        with self._sf() as s, s.begin():
            actions = self.engine.release(contact_id, _ts(now))
            self._persist(s, actions, now)
        return actions

    def contact_abandoned(self, contact_id: int) -> list[Action]:
        """The customer gave up (closed Tandem Assist, hung up) before being answered."""
        return self._end(contact_id, ContactStatus.ABANDONED)

    def contact_finished(self, contact_id: int, wrap_up: bool = False) -> list[Action]:
        """The contact is over: its agent's capacity is free again (maybe the next ring)."""
        return self._end(contact_id, ContactStatus.ENDED, wrap_up)

    def _end(self, contact_id: int, status: ContactStatus, wrap_up: bool = False) -> list[Action]:
        now = self._clock()
        with self._sf() as s, s.begin():
            contact = s.get(Contact, contact_id)
            if contact is None:
                raise RoutingError(f"unknown contact {contact_id}")
            if status is ContactStatus.ABANDONED and contact.status == ContactStatus.ANSWERED:
                status = ContactStatus.ENDED  # answered, then the customer left: it ended
            if status is ContactStatus.ABANDONED:
                actions = self.engine.contact_abandoned(contact_id, _ts(now))
                contact.abandoned_at = now
            else:
                actions = self.engine.contact_finished(contact_id, _ts(now), wrap_up)
            if contact.status not in (ContactStatus.ENDED, ContactStatus.ABANDONED):
                contact.status = status
                contact.ended_at = contact.ended_at or now
            self._persist(s, actions, now)
        return actions

    # -- queries ---------------------------------------------------------------------------
    def queue_position(self, contact_id: int) -> tuple[int, int]:
        return self.engine.queue_position(contact_id, _ts(self._clock()))

    def queue_positions(self) -> dict[int, tuple[int, int]]:
        """(position, eta_s) of every waiting or ringing contact, computed in one pass."""
        return self.engine.queue_positions(_ts(self._clock()))

    def queue_summary(self) -> QueueSummary:
        """Waiting and ringing contacts, the longest wait, Ready and staffed agents (no
        database access: the hub asks every tick)."""
        return self.engine.summary(_ts(self._clock()))

    def explain(self, contact_id: int) -> list[dict[str, Any]]:
        """Every routing decision about a contact, oldest first (for "why did it wait?")."""
        with self._sf() as s:
            rows = s.scalars(select(RoutingDecision).where(RoutingDecision.contact_id == contact_id)
                             .order_by(RoutingDecision.id)).all()
            return [{"at": r.at.isoformat(), "trigger": r.trigger, "queue": r.queue,
                     "strategy": r.strategy, "tier": r.tier, "waited_s": r.waited_s,
                     "chosen_agent_id": r.chosen_agent_id, "offer_id": r.offer_id,
                     "reason": r.reason, "candidates": r.candidates, "excluded": r.excluded,
                     "waiting_ahead": r.waiting_ahead, "duration_us": r.duration_us}
                    for r in rows]

    # -- persistence -----------------------------------------------------------------------
    def _persist(self, s: Session, actions: Iterable[Action], now: datetime) -> None:
        for action in actions:
            self._handlers[type(action)](s, action, now)
        for decision in self.engine.drain_decisions():
            s.add(_decision_row(decision))

    def _on_offer(self, s: Session, offer: Offer, now: datetime) -> None:
        s.add(RoutingOffer(id=offer.offer_id, contact_id=offer.contact_id, agent_id=offer.agent_id,
                           status=OfferStatus.RINGING, created_at=now,
                           expires_at=_dt(offer.expires_at)))
        s.flush()
        s.execute(update(Contact).where(Contact.id == offer.contact_id,
                                        Contact.status.in_(WAITING))
                  .values(status=ContactStatus.OFFERED, offered_at=now))

    def _resolve_offer(self, s: Session, offer_id: int, status: OfferStatus, now: datetime,
                       reason: str) -> None:
        s.execute(update(RoutingOffer).where(RoutingOffer.id == offer_id,
                                             RoutingOffer.status == OfferStatus.RINGING)
                  .values(status=status, resolved_at=now, reason=reason[:64]))

    def _requeue_contact(self, s: Session, contact_id: int) -> None:
        s.execute(update(Contact).where(Contact.id == contact_id,
                                        Contact.status == ContactStatus.OFFERED)
                  .values(status=ContactStatus.QUEUED))

    def _on_offer_expired(self, s: Session, a: OfferExpired, now: datetime) -> None:
        self._resolve_offer(s, a.offer_id, OfferStatus.EXPIRED, now, "ring timeout")
        self._requeue_contact(s, a.contact_id)
        self._save_declines(s, a.contact_id)

    def _on_offer_cancelled(self, s: Session, a: OfferCancelled, now: datetime) -> None:
        self._resolve_offer(s, a.offer_id, OfferStatus.CANCELLED, now, a.reason)
        self._requeue_contact(s, a.contact_id)

    def _on_overflowed(self, s: Session, a: Overflowed, now: datetime) -> None:
        s.execute(update(Contact).where(Contact.id == a.contact_id)
                  .values(queue_id=self._queue_ids[a.to_queue]))
        s.execute(update(RoutingState).where(RoutingState.contact_id == a.contact_id)
                  .values(queue_entered_at=now))

    def _on_leave_ticket(self, s: Session, a: LeaveTicket, now: datetime) -> None:
        s.execute(update(Contact).where(Contact.id == a.contact_id, Contact.status.in_(WAITING))
                  .values(status=ContactStatus.ENDED, ended_at=now))
        s.execute(update(RoutingState).where(RoutingState.contact_id == a.contact_id)
                  .values(outcome="leave_ticket"))

    def _on_presence(self, s: Session, a: AgentPresenceChanged, now: datetime) -> None:
        s.execute(update(Agent).where(Agent.id == a.agent_id)
                  .values(status=AgentStatus(a.presence.value), status_since=now))

    def _save_declines(self, s: Session, contact_id: int) -> None:
        contact = self.engine.contacts.get(contact_id)
        if contact is not None:
            s.execute(update(RoutingState).where(RoutingState.contact_id == contact_id)
                      .values(declined={str(k): v for k, v in contact.declined.items()}))


def _decision_row(d: Decision) -> RoutingDecision:
    data = d.to_dict()
    return RoutingDecision(
        contact_id=d.contact_id, at=_dt(d.at), trigger=d.trigger, queue=d.queue,
        strategy=d.strategy, tier=d.tier, waited_s=d.waited_s,
        chosen_agent_id=d.chosen_agent_id, offer_id=d.offer_id, reason=d.reason,
        candidates=data["candidates"], excluded=data["excluded"],
        waiting_ahead=d.waiting_ahead, duration_us=d.duration_us)
