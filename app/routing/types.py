"""Value types of the routing engine: agents, contacts, queues, offers and decisions.

Pure Python (no SQLAlchemy): the engine, the simulation in ``bench/routing.py`` and the
persistent ``Dispatcher`` share them. Times are float seconds on one clock (the dispatcher uses
UNIX time; the simulation its own).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class Presence(enum.StrEnum):
    """Same values as ``app.agents.models.AgentStatus``."""

    READY = "ready"
    NOT_READY = "not_ready"
    BUSY = "busy"
    WRAP_UP = "wrap_up"
    OFFLINE = "offline"


ROUTABLE = frozenset({Presence.READY, Presence.BUSY})


class Strategy(enum.StrEnum):
    """Same values as ``app.contacts.models.QueueStrategy`` (ring_all rings longest idle)."""

    ROUND_ROBIN = "round_robin"
    LEAST_BUSY = "least_busy"
    LONGEST_IDLE = "longest_idle"
    SKILLS = "skills"
    RING_ALL = "ring_all"


class ContactKind(enum.StrEnum):
    """A chat may share the agent with other chats; a remote session or a call may not."""

    CHAT = "chat"
    SESSION = "session"
    VOICE = "voice"


KIND_BY_CHANNEL: Mapping[str, ContactKind] = {
    "assist": ContactKind.SESSION,
    "embedded": ContactKind.SESSION,
    "phone": ContactKind.VOICE,
    "web": ContactKind.CHAT,
}

EXCLUSIVE_KINDS = frozenset({ContactKind.SESSION, ContactKind.VOICE})

#: Why an agent whose console rang out was set Not ready (RONA: redirect on no answer).
MISSED_A_CONTACT = "Missed a contact"

#: Overflow target meaning "stop waiting: the customer is asked to leave a ticket".
LEAVE_TICKET = "__leave_ticket__"

DEFAULT_HEAD_START_S: Mapping[str, float] = {"svip": 240.0, "vip": 90.0, "basic": 0.0}
TIER_RANK: Mapping[str, int] = {"svip": 2, "vip": 1, "basic": 0}


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """A queue's routing rules.

    Priority: a contact's rank is its waiting time plus its tier's head start, so an SVIP
    arriving now goes before a basic contact that has waited less than 240 s; once any contact
    has waited ``aging_ceiling_s - aging_margin_s`` it goes before everyone not yet aged (oldest
    first), which bounds how long a basic contact can starve behind a flood of SVIPs.
    """

    name: str
    strategy: Strategy = Strategy.LONGEST_IDLE
    ring_timeout_s: float = 20.0
    overflow_after_s: float | None = None
    overflow_to: str | None = None  # another queue's name, or LEAVE_TICKET
    min_level: int = 1
    aging_ceiling_s: float = 300.0
    # Promotion starts this much before the ceiling, so that the ring itself (an agent taking a
    # few seconds to accept) still ends inside the ceiling.
    aging_margin_s: float = 60.0
    # Aging protects the lower tiers from starving behind the top one; the top tier is first
    # anyway, and letting it age too would make an overload plain first-come-first-served.
    aging_tiers: frozenset[str] = frozenset({"basic", "vip"})
    head_start_s: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_HEAD_START_S))
    # An explicit Decline keeps that agent off that contact this long; when it ends the contact
    # is routed again (the only agent of a one-person desk is asked again).
    decline_cooldown_s: float = 20.0
    # Skills strategy: half-way to aging, any level of the product skill will do; once aged,
    # any agent (so a rare skill cannot strand a customer).
    widen_skills: bool = True
    # RONA (redirect on no answer): a console that rang out means nobody is at it, so the agent
    # goes Not ready ("Missed a contact") instead of being excluded from the contact; the contact
    # goes to the next agent or waits, and rings at once when the agent is Ready again. Off: the
    # missed agent is excluded from that contact for ``decline_cooldown_s``, like a decline.
    not_ready_on_ring_timeout: bool = True
    default_handle_s: float = 300.0


@dataclass(slots=True)
class AgentState:
    """What routing knows of one agent."""

    agent_id: int
    presence: Presence = Presence.OFFLINE
    level: int = 1
    max_chats: int = 1
    skills: dict[tuple[int, int | None], int] = field(default_factory=dict)
    queues: frozenset[str] | None = None  # None: member of every queue
    chats: set[int] = field(default_factory=set)
    exclusive: set[int] = field(default_factory=set)
    ringing: int | None = None  # offer id
    idle_since: float = 0.0
    answered: int = 0

    @property
    def load(self) -> int:
        return len(self.chats) + len(self.exclusive)

    def has_room(self, kind: ContactKind) -> bool:
        """A session or call needs the agent to themselves; chats share up to ``max_chats``."""
        if kind in EXCLUSIVE_KINDS:
            return self.load == 0
        return not self.exclusive and len(self.chats) < max(1, self.max_chats)

    def skill_for(self, product: int | None, module: int | None) -> int:
        if product is None:
            return 0
        return max(self.skills.get((product, module), 0), self.skills.get((product, None), 0))


@dataclass(slots=True)
class WaitingContact:
    contact_id: int
    queue: str
    tier: str = "basic"
    kind: ContactKind = ContactKind.SESSION
    product: int | None = None
    module: int | None = None
    required_skill: int = 0  # minimum skill level for the product/module (skills strategy)
    enqueued_at: float = 0.0  # first time queued: waiting time and priority count from here
    queue_entered_at: float = 0.0  # entered the current queue: overflow counts from here
    declined: dict[int, float] = field(default_factory=dict)  # agent id -> excluded until
    offer_id: int | None = None
    agent_id: int | None = None  # set once answered


@dataclass(frozen=True, slots=True)
class Offer:
    offer_id: int
    contact_id: int
    agent_id: int
    expires_at: float


@dataclass(frozen=True, slots=True)
class OfferExpired:
    offer_id: int
    contact_id: int
    agent_id: int


@dataclass(frozen=True, slots=True)
class OfferCancelled:
    """An offer withdrawn because its agent went away or the customer left."""

    offer_id: int
    contact_id: int
    agent_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class Overflowed:
    contact_id: int
    from_queue: str
    to_queue: str


@dataclass(frozen=True, slots=True)
class LeaveTicket:
    """The contact waited too long: the customer is asked to leave a ticket instead."""

    contact_id: int
    queue: str


@dataclass(frozen=True, slots=True)
class AgentPresenceChanged:
    agent_id: int
    presence: Presence
    reason: str


Action = Offer | OfferExpired | OfferCancelled | Overflowed | LeaveTicket | AgentPresenceChanged


@dataclass(frozen=True, slots=True)
class QueueSummary:
    """The desk's figures at a glance (the hub's ``QueueStats``), across every queue."""

    waiting: int  # queued, not ringing, not answered
    ringing: int  # offers in flight
    longest_wait_s: float  # of the contacts waiting, since first queued
    ready_agents: int
    staffed_agents: int  # Ready or Busy (routable)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One agent (or, when an agent freed up, one contact) weighed in a decision."""

    id: int
    score: tuple[float, ...]
    note: str


@dataclass(frozen=True, slots=True)
class Decision:
    """Why a contact went (or did not go) to an agent: for the team lead's "why?"."""

    at: float
    trigger: str  # contact_arrived | agent_available | requeued | retry
    contact_id: int
    queue: str
    strategy: str
    tier: str
    waited_s: float
    chosen_agent_id: int | None
    offer_id: int | None
    reason: str
    candidates: tuple[Candidate, ...]
    excluded: Mapping[str, int]
    waiting_ahead: int
    duration_us: float

    def to_dict(self) -> dict[str, object]:
        return {
            "at": self.at, "trigger": self.trigger, "contact_id": self.contact_id,
            "queue": self.queue, "strategy": self.strategy, "tier": self.tier,
            "waited_s": round(self.waited_s, 3), "chosen_agent_id": self.chosen_agent_id,
            "offer_id": self.offer_id, "reason": self.reason,
            "candidates": [{"id": c.id, "score": list(c.score), "note": c.note}
                           for c in self.candidates],
            "excluded": dict(self.excluded), "waiting_ahead": self.waiting_ahead,
            "duration_us": round(self.duration_us, 1),
        }
