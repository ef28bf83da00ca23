"""Queues, contacts (one inbound request each) and remote-assistance sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.contacts.enums import Channel, ConsentLevel, ContactStatus, QueueStrategy
from app.db.base import Base, utcnow, value_enum


class Queue(Base):
    """A waiting line with a routing strategy (optionally for one product/language)."""

    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    strategy: Mapped[QueueStrategy] = mapped_column(
        value_enum(QueueStrategy, 16), default=QueueStrategy.LONGEST_IDLE
    )
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    language: Mapped[str | None] = mapped_column(String(16))
    #: Service-level threshold T in "X% answered within T seconds".
    service_level_seconds: Mapped[int] = mapped_column(default=20)
    ring_timeout_seconds: Mapped[int] = mapped_column(default=20)
    max_wait_seconds: Mapped[int | None] = mapped_column()
    overflow_queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)


class Contact(Base):
    """One inbound request for help (a ring), from any channel, with each step's time."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_customer_created", "customer_id", "created_at"),
        Index("ix_contacts_status_queue", "status", "queue_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(value_enum(Channel, 16))
    status: Mapped[ContactStatus] = mapped_column(value_enum(ContactStatus, 16), default=ContactStatus.NEW)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    contact_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_persons.id", ondelete="SET NULL")
    )
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("machines.id", ondelete="SET NULL"))
    #: What the caller identified with as received (phone number, e-mail, code...).
    caller: Mapped[str] = mapped_column(String(254), default="")
    problem: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(16))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    #: Higher rings first (tier and urgency folded in by routing).
    priority: Mapped[int] = mapped_column(default=0)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column()
    offered_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    abandoned_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()

    sessions: Mapped[list[Session]] = relationship(back_populates="contact")


class Session(Base):
    """One remote-assistance connection between an agent and a Tandem Assist."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    machine_id: Mapped[int | None] = mapped_column(
        ForeignKey("machines.id", ondelete="SET NULL"), index=True
    )
    consent: Mapped[ConsentLevel] = mapped_column(value_enum(ConsentLevel, 8), default=ConsentLevel.NONE)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    #: Why it ended (the protocol's Bye reason code, e.g. "agent_ended", "customer_ended").
    end_reason: Mapped[str | None] = mapped_column(String(64))

    contact: Mapped[Contact | None] = relationship(back_populates="sessions")
