"""Tickets, their event history, links to sessions, and satisfaction ratings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.agents.models import SupportLevel
from app.db.base import Base, utcnow, value_enum
from app.tickets.enums import Classification, TicketEventKind, TicketPriority, TicketStatus


def ticket_number(ticket_id: int) -> str:
    """The number customers and agents quote: ``T`` and nine digits of the row id."""
    return f"T{ticket_id:09d}"


class Ticket(Base):
    """A customer's problem with its SLA clock; reopening links a new ticket to its parent."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_customer_created", "customer_id", "created_at"),
        Index("ix_tickets_status_assignee", "status", "assignee_id"),
        Index("ix_tickets_resolution_due", "resolution_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    contact_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_persons.id", ondelete="SET NULL")
    )
    status: Mapped[TicketStatus] = mapped_column(value_enum(TicketStatus, 20), default=TicketStatus.NEW)
    priority: Mapped[TicketPriority] = mapped_column(
        value_enum(TicketPriority, 8), default=TicketPriority.NORMAL
    )
    classification: Mapped[Classification | None] = mapped_column(value_enum(Classification, 20))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="SET NULL"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("product_versions.id", ondelete="SET NULL"))
    level: Mapped[SupportLevel] = mapped_column(value_enum(SupportLevel, 4), default=SupportLevel.L1)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    resolution: Mapped[str] = mapped_column(Text, default="")
    first_response_due_at: Mapped[datetime | None] = mapped_column()
    resolution_due_at: Mapped[datetime | None] = mapped_column()
    first_responded_at: Mapped[datetime | None] = mapped_column()
    solved_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    #: Set while the SLA clock is stopped (e.g. waiting for the customer).
    sla_paused_since: Mapped[datetime | None] = mapped_column()
    sla_paused_seconds: Mapped[int] = mapped_column(default=0)
    first_response_breached: Mapped[bool] = mapped_column(default=False)
    resolution_breached: Mapped[bool] = mapped_column(default=False)
    parent_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.created_at"
    )


class TicketEvent(Base):
    """One line of a ticket's history: who did what when, with structured details."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_created", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    #: The agent who acted; None for the customer or the system (see ``details["by"]``).
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    kind: Mapped[TicketEventKind] = mapped_column(value_enum(TicketEventKind, 32))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class TicketSession(Base):
    """A session that worked on a ticket (a ticket may take several sessions)."""

    __tablename__ = "ticket_sessions"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class SatisfactionRating(Base):
    """The customer's 1-5 score for a ticket and/or session.

    ``customer_id`` is copied in so that the screen pop reads the history with one
    indexed range scan instead of joining through tickets.
    """

    __tablename__ = "satisfaction_ratings"
    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        Index("ix_satisfaction_ratings_customer_created", "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL"), index=True
    )
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    score: Mapped[int] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
