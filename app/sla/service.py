"""SLA upkeep over stored tickets: due times, calendar edits, breach flags, warnings.

The hub calls ``check()`` every minute or so and hands the returned alerts to the assignees'
consoles; warnings wait for the assignee's working hours, breach flags do not wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.customers.models import Customer, CustomerTier
from app.db.base import utcnow
from app.sla.calendar import ServiceCalendar, working_time_between
from app.sla.clock import Target, breached, deliverable_warnings, due_times, working_elapsed
from app.sla.models import WarningSent
from app.sla.policy import TierPolicy
from app.sla.store import SlaStore, sla_state
from app.tickets.models import Ticket, TicketEvent, TicketEventKind, TicketStatus

log = logging.getLogger(__name__)

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


@dataclass(frozen=True, slots=True)
class SlaFigures:
    """A ticket's SLA as reported: working time on the clock, pauses left out."""

    ticket_id: int
    first_response_working_s: int | None
    resolution_working_s: int | None  # None while not solved
    elapsed_working_s: int  # so far (or until solved)
    paused_working_s: int
    first_response_breached: bool
    resolution_breached: bool


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

    def update_tier_policy(self, policy: TierPolicy) -> int:
        """Save a tier's policy and recompute the open tickets of that tier's customers."""
        with self._sf() as s, s.begin():
            self.store.set_tier_policy(s, policy)
            count = 0
            rows = s.scalars(select(Ticket).join(Customer, Customer.id == Ticket.customer_id)
                             .where(Ticket.status.in_(OPEN),
                                    Customer.tier == CustomerTier(policy.tier)))
            for ticket in rows:
                before = (ticket.first_response_due_at, ticket.resolution_due_at)
                refresh_due(s, ticket, self.store)
                count += before != (ticket.first_response_due_at, ticket.resolution_due_at)
            return count

    def figures(self, ticket_id: int, now: datetime | None = None) -> SlaFigures:
        now = now or self._clock()
        with self._sf() as s:
            ticket = s.get(Ticket, ticket_id)
            if ticket is None:
                raise LookupError(f"ticket {ticket_id} does not exist")
            _, cal = self.store.terms(s, ticket.customer_id)
            state = sla_state(ticket)
            first = (working_time_between(ticket.created_at, ticket.first_responded_at, cal)
                     if ticket.first_responded_at else None)
            elapsed = working_elapsed(state, now, cal)
            return SlaFigures(
                ticket_id=ticket.id,
                first_response_working_s=int(first.total_seconds()) if first is not None else None,
                resolution_working_s=int(elapsed.total_seconds()) if ticket.solved_at else None,
                elapsed_working_s=int(elapsed.total_seconds()),
                paused_working_s=ticket.sla_paused_seconds,
                first_response_breached=ticket.first_response_breached,
                resolution_breached=ticket.resolution_breached)

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

    async def run(self, stop: asyncio.Event,
                  on_alerts: Callable[[list[SlaAlert]], Awaitable[None]],
                  interval_s: float = 60.0) -> None:
        """For the hub: ``check()`` in a worker thread every ``interval_s``; alerts go to
        ``on_alerts`` (e.g. push to the assignees' consoles) on the loop."""
        while not stop.is_set():
            try:
                alerts = await asyncio.to_thread(self.check)
                if alerts:
                    await on_alerts(alerts)
            except Exception:  # a database hiccup must not end the loop
                log.exception("SLA check failed")
            try:
                await asyncio.wait_for(stop.wait(), interval_s)
            except TimeoutError:
                pass

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
