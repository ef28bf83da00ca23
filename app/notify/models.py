"""The outbox: customer notifications waiting for Tandem Assist or an SMTP server.

A message is written in the same transaction as the ticket change that caused it and carries a
stable RFC 5322 Message-ID, so a crash between "the server accepted it" and "marked sent" can
at worst resend the same Message-ID (which mail systems de-duplicate), never lose it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, utcnow, value_enum


class OutboxChannel(enum.StrEnum):
    ASSIST = "assist"
    EMAIL = "email"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # gave up after max attempts (a lead may requeue it)


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_messages_channel_customer", "channel", "customer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Idempotent enqueue: one message per (ticket, event, channel).
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[OutboxChannel] = mapped_column(value_enum(OutboxChannel, 8))
    kind: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                                  index=True)
    recipient: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[OutboxStatus] = mapped_column(value_enum(OutboxStatus, 8),
                                                 default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class DeliveryAttempt(Base):
    """The notification log: every attempt with its outcome."""

    __tablename__ = "notification_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"),
                                            index=True)
    attempt: Mapped[int] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))  # sent | retry | failed | delivered
    detail: Mapped[str] = mapped_column(Text, default="")


class RatingInvitation(Base):
    """A satisfaction invitation: at most one per solved ticket (per solve)."""

    __tablename__ = "rating_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           unique=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="invited")  # invited|rated|skipped
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column()
