"""SLA upkeep over stored tickets: due times, calendar edits, breach flags, warnings.

The hub calls ``check()`` every minute or so and hands the returned alerts to the assignees'
consoles; warnings wait for the assignee's working hours, breach flags do not wait.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.base import utcnow
from app.sla.calendar import ServiceCalendar
from app.sla.clock import Target, breached, deliverable_warnings, due_times
from app.sla.models import WarningSent
from app.sla.store import SlaStore, sla_state
from app.tickets.models import Ticket, TicketEvent, TicketEventKind, TicketStatus

OPEN = (TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS,
        TicketStatus.WAITING_CUSTOMER)


@dataclass(frozen=True, slots=True)
class SlaAlert:
    ticket_id: int
    number: str
    agent_id: int | None
    target: str  # first_response | resolution
    fraction: float  # 0.75, 0.9 ... ; 1.0 = breached
    threshold_at: datetime


def refresh_due(s: Session, ticket: Ticket, store: SlaStore) -> None:
    """Recompute a ticket's due times from its customer's policy and calendar."""
    policy, cal = store.terms(s, ticket.customer_id)
    due = due_times(sla_state(ticket), policy, cal)
    if ticket.first_responded_at is None:  # once answered, that promise is history
        ticket.first_response_due_at = due.first_response_due_at
    ticket.resolution_due_at = due.resolution_due_at


class SlaService:
    def __init__(self, session_factory: sessionmaker[Session], store: SlaStore | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._sf = session_factory
        self.store = store or SlaStore()
        self._clock = clock

    def update_calendar(self, cal: ServiceCalendar) -> int:
        """Save an edited calendar and recompute every open ticket that runs on it."""
        with self._sf() as s, s.begin():
            self.store.save_calendar(s, cal)
            return self._recompute(s, cal.name)

    def recompute_open_tickets(self, calendar_name: str | None = None) -> int:
        with self._sf() as s, s.begin():
            return self._recompute(s, calendar_name)

    def _recompute(self, s: Session, calendar_name: str | None) -> int:
        count = 0
        for ticket in s.scalars(select(Ticket).where(Ticket.status.in_(OPEN))):
            _, cal = self.store.terms(s, ticket.customer_id)
            if calendar_name is None or cal.name == calendar_name:
                before = (ticket.first_response_due_at, ticket.resolution_due_at)
                refresh_due(s, ticket, self.store)
                count += before != (ticket.first_response_due_at, ticket.resolution_due_at)
        return count

    def check(self, now: datetime | None = None) -> list[SlaAlert]:
        """Set breach flags and return warnings due to assignees now (each sent once)."""
        now = now or self._clock()
        alerts: list[SlaAlert] = []
        with self._sf() as s, s.begin():
            for ticket in s.scalars(select(Ticket).where(Ticket.status.in_(OPEN))):
                policy, cal = self.store.terms(s, ticket.customer_id)
                state = sla_state(ticket)
                flags = breached(state, policy, cal, now)
                for target, attr in ((Target.FIRST_RESPONSE, "first_response_breached"),
                                     (Target.RESOLUTION, "resolution_breached")):
                    if flags[target] and not getattr(ticket, attr):
                        setattr(ticket, attr, True)
                        s.add(TicketEvent(ticket_id=ticket.id, kind=TicketEventKind.SLA_BREACHED,
                                          created_at=now,
                                          details={"target": target.value, "by": "system"}))
                sent = set(s.scalars(select(WarningSent.key)
                                     .where(WarningSent.ticket_id == ticket.id)))
                recipient = self.store.agent_calendar(s, ticket.assignee_id)
                for w in deliverable_warnings(state, policy, cal, now, recipient, sent):
                    s.add(WarningSent(ticket_id=ticket.id, key=w.key, sent_at=now,
                                      agent_id=ticket.assignee_id))
                    alerts.append(SlaAlert(ticket.id, ticket.number, ticket.assignee_id,
                                           w.target.value, w.fraction, w.threshold_at))
        return alerts
