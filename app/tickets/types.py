"""Inputs and outputs of the ticket service (no SQLAlchemy: the hub's API can reuse them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class TicketError(Exception):
    """A request that does not fit the ticket's state (bad transition, unknown ticket...)."""


@dataclass(frozen=True, slots=True)
class WrapUp:
    """What the agent filled in at the end of a session; creates or updates a ticket."""

    agent_id: int
    customer_id: int | None = None
    ticket_id: int | None = None  # None: create a new ticket
    session_id: int | None = None
    contact_id: int | None = None
    recording_id: int | None = None
    contact_person_id: int | None = None
    title: str = ""
    notes: str = ""
    classification: str | None = None
    product_id: int | None = None
    module_id: int | None = None
    version_id: int | None = None
    priority: str | None = None
    resolution: str = ""
    solved: bool = False


@dataclass(frozen=True, slots=True)
class TicketQuery:
    assignee_id: int | None = None  # "mine"
    queue_id: int | None = None
    statuses: tuple[str, ...] = ()
    customer_id: int | None = None
    level: str | None = None
    text: str | None = None
    breached_only: bool = False
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class TicketSummary:
    id: int
    number: str
    title: str
    status: str
    priority: str
    level: str
    customer_id: int
    assignee_id: int | None
    queue_id: int | None
    resolution_due_at: datetime | None
    first_response_breached: bool
    resolution_breached: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EscalationFacts:
    product_id: int | None
    module_id: int | None
    tier: str
    priority: str
    classification: str | None
    level: str
