"""SLA tables: service calendars, tier policies, per-customer/agent calendars, warnings sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, utcnow


class CalendarRow(Base):
    """A ``ServiceCalendar`` stored as its ``to_dict()`` (editing it recomputes open tickets)."""

    __tablename__ = "sla_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TierPolicyRow(Base):
    __tablename__ = "sla_tier_policies"

    tier: Mapped[str] = mapped_column(String(8), primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("sla_calendars.id", ondelete="RESTRICT"))
    first_response_s: Mapped[int] = mapped_column()
    resolution_s: Mapped[int] = mapped_column()
    reopen_window_s: Mapped[int] = mapped_column(default=7 * 86400)
    warn_at: Mapped[list[Any]] = mapped_column(default=list)
    follow_customer_timezone: Mapped[bool] = mapped_column(default=True)


class CustomerCalendar(Base):
    """A customer with a calendar of its own (overrides the tier calendar)."""

    __tablename__ = "sla_customer_calendars"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                             primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("sla_calendars.id", ondelete="CASCADE"),
                                             index=True)


class AgentCalendar(Base):
    """An agent's working hours: near-breach warnings reach them only inside these."""

    __tablename__ = "sla_agent_calendars"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"),
                                          primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("sla_calendars.id", ondelete="CASCADE"),
                                             index=True)


class WarningSent(Base):
    """One threshold (``first_response:0.75``, ``resolution:1``) already announced."""

    __tablename__ = "sla_warnings_sent"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
