"""Routing's own tables: per-contact routing state, offers, decisions, queue settings.

DATA's ``contacts`` row keeps the contact's status and timestamps; these rows keep what the
ACD needs to rebuild its queues after a hub restart (tier, kind, priority clock, declines) and
what a team lead needs to answer "why did this VIP wait 4 minutes?" (decisions).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, utcnow, value_enum


class OfferStatus(enum.StrEnum):
    RINGING = "ringing"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class RoutingState(Base):
    """What routing knows about a contact beyond DATA's ``contacts`` row."""

    __tablename__ = "routing_contacts"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(8), default="basic")
    kind: Mapped[str] = mapped_column(String(16), default="session")
    product_id: Mapped[int | None] = mapped_column()
    module_id: Mapped[int | None] = mapped_column()
    required_skill: Mapped[int] = mapped_column(default=0)
    #: Waiting time and priority count from here (kept across overflow and re-queues).
    enqueued_at: Mapped[datetime] = mapped_column(default=utcnow)
    queue_entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Agents excluded for a while after a decline or a missed ring: {"agent_id": unix_until}.
    declined: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: "leave_ticket" when the customer was asked to leave a ticket instead of waiting.
    outcome: Mapped[str | None] = mapped_column(String(32))


class RoutingOffer(Base):
    """One ring of one agent's console. Accepting it is a conditional UPDATE."""

    __tablename__ = "routing_offers"
    __table_args__ = (Index("ix_routing_offers_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"),
                                            index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    status: Mapped[OfferStatus] = mapped_column(value_enum(OfferStatus, 16),
                                                default=OfferStatus.RINGING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str] = mapped_column(String(64), default="")


class RoutingDecision(Base):
    """A routing choice with the candidates weighed and why the chosen one won."""

    __tablename__ = "routing_decisions"
    __table_args__ = (Index("ix_routing_decisions_contact_at", "contact_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column()
    trigger: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str] = mapped_column(String(64))
    strategy: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(8))
    waited_s: Mapped[float] = mapped_column()
    chosen_agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"))
    offer_id: Mapped[int | None] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    candidates: Mapped[list[Any]] = mapped_column(default=list)
    excluded: Mapped[dict[str, Any]] = mapped_column(default=dict)
    waiting_ahead: Mapped[int] = mapped_column(default=0)
    duration_us: Mapped[float] = mapped_column(default=0.0)


class QueueSettings(Base):
    """Routing rules of a queue beyond DATA's ``queues`` row (see ``QueueConfig``)."""

    __tablename__ = "routing_queue_settings"

    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"),
                                          primary_key=True)
    #: aging_ceiling_s, head_start_s {tier: s}, min_level, decline_cooldown_s,
    #: not_ready_on_ring_timeout, leave_ticket_after_s, default_handle_s, l3_product_team.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class QueueMember(Base):
    """An agent serving a queue. A queue without members is served by every agent."""

    __tablename__ = "routing_queue_members"

    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"),
                                          primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"),
                                          primary_key=True, index=True)


class TicketQueue(Base):
    """Which queue (e.g. the product team's L3 queue) a ticket waits in."""

    __tablename__ = "ticket_queues"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           primary_key=True)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"),
                                                 index=True)


class EscalationRule(Base):
    """L1 -> L2 -> L3 by rule: the first matching rule (lowest ``position``) wins.

    A ``None`` criterion matches anything; ``min_priority`` matches that priority and above.
    """

    __tablename__ = "escalation_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=100)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    tier: Mapped[str | None] = mapped_column(String(8))
    min_priority: Mapped[str | None] = mapped_column(String(8))
    classification: Mapped[str | None] = mapped_column(String(20))
    from_level: Mapped[str] = mapped_column(String(4), default="L1")
    to_level: Mapped[str] = mapped_column(String(4), default="L2")
    to_queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
