"""Tickets: lifecycle, wrap-up, escalation, search, satisfaction — every change an event.

Each public method is one transaction. Every change writes a ``TicketEvent`` (who, when, what)
and, where the customer should hear of it (assigned, escalated, waiting for them, solved), an
outbox message in the same transaction, so a notification is never lost nor sent for a change
that rolled back. SLA due times come from ``app.sla``; the clock stops while a ticket waits for
the customer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from app.agents.models import Agent, SupportLevel
from app.contacts.models import Contact, Queue
from app.contacts.models import Session as SessionRow
from app.customers.models import Customer
from app.db.base import utcnow
from app.notify.models import RatingInvitation
from app.notify.outbox import DEFAULT_DOMAIN, enqueue
from app.notify.templates import NotificationKind
from app.recordings.models import Recording
from app.routing.models import EscalationRule, QueueSettings, TicketQueue
from app.sla.clock import pause, resume
from app.sla.service import refresh_due
from app.sla.store import SlaStore, sla_state, store_state
from app.tickets.escalation import first_match, next_level
from app.tickets.lifecycle import DONE, can_move
from app.tickets.models import (
    Classification,
    SatisfactionRating,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketPriority,
    TicketSession,
    TicketStatus,
    ticket_number,
)
from app.tickets.types import (
    EscalationFacts,
    TicketError,
    TicketQuery,
    TicketSummary,
    WrapUp,
)

SYSTEM = "system"
CUSTOMER = "customer"
AGENT = "agent"


class TicketService:
    def __init__(self, session_factory: sessionmaker[Session], *, sla: SlaStore | None = None,
                 clock: Callable[[], datetime] = utcnow, mail_domain: str = DEFAULT_DOMAIN,
                 escalate_by_rules_on_wrap_up: bool = True) -> None:
        self._sf = session_factory
        self.sla = sla or SlaStore()
        self._clock = clock
        self._domain = mail_domain
        self._rules_on_wrap_up = escalate_by_rules_on_wrap_up

    # -- creation and wrap-up --------------------------------------------------------------
    def open_ticket(self, customer_id: int, title: str, description: str = "", *,
                    contact_person_id: int | None = None, by_agent_id: int | None = None,
                    priority: str = "normal", product_id: int | None = None,
                    module_id: int | None = None, created_at: datetime | None = None,
                    parent_ticket_id: int | None = None) -> int:
        now = self._clock()
        with self._sf() as s, s.begin():
            ticket = self._create(s, now, customer_id, title, description,
                                  contact_person_id=contact_person_id, by=by_agent_id,
                                  priority=priority, product_id=product_id, module_id=module_id,
                                  created_at=created_at, parent_ticket_id=parent_ticket_id)
            return ticket.id

    def wrap_up(self, w: WrapUp) -> int:
        """End of a session: create or update the ticket, link session and recording."""
        now = self._clock()
        with self._sf() as s, s.begin():
            contact = s.get(Contact, w.contact_id) if w.contact_id else None
            if w.ticket_id is not None:
                ticket = self._ticket(s, w.ticket_id)
                if ticket.status in DONE:
                    ticket = self._reopen_or_follow_up(s, ticket, w.agent_id, now,
                                                       "new session after solving")
            else:
                customer_id = w.customer_id or (contact.customer_id if contact else None)
                if customer_id is None:
                    raise TicketError("wrap-up needs a customer (or a contact with one)")
                title = w.title or (contact.problem[:200] if contact and contact.problem
                                    else "Support session")
                ticket = self._create(
                    s, now, customer_id, title, contact.problem if contact else "",
                    contact_person_id=w.contact_person_id or (
                        contact.contact_person_id if contact else None),
                    by=w.agent_id, priority=w.priority or "normal",
                    created_at=contact.created_at if contact else None)
            self._apply_wrap_up_fields(s, ticket, w, now)
            if contact is not None:
                contact.ticket_id = ticket.id
            if w.session_id is not None:
                self._link_session(s, ticket, w.session_id, w.agent_id, now)
            if w.recording_id is not None:
                self._link_recording(s, ticket, w.recording_id, w.agent_id, now)
            if ticket.first_responded_at is None:
                self._first_response(s, ticket, now)
            if ticket.assignee_id != w.agent_id and ticket.status not in DONE:
                self._assign(s, ticket, w.agent_id, w.agent_id, now, notify=not w.solved)
            if w.solved:
                self._solve(s, ticket, w.agent_id, now, w.resolution, w.session_id)
            else:
                if ticket.status in (TicketStatus.NEW, TicketStatus.ASSIGNED):
                    self._move(s, ticket, TicketStatus.IN_PROGRESS, w.agent_id, now)
                if self._rules_on_wrap_up:
                    self._apply_rules(s, ticket, None, now)
            return ticket.id

    # -- transitions -----------------------------------------------------------------------
    def assign(self, ticket_id: int, agent_id: int, by: int | None = None) -> None:
        now = self._clock()
        with self._sf() as s, s.begin():
            ticket = self._ticket(s, ticket_id)
            if ticket.status in DONE:
                raise TicketError(f"{ticket.number} is {ticket.status.value}")
            self._assign(s, ticket, agent_id, by, now)

    def start(self, ticket_id: int, by: int) -> None:
        self._simple_move(ticket_id, TicketStatus.IN_PROGRESS, by)

    def wait_for_customer(self, ticket_id: int, by: int, note: str = "") -> None:
        """Ask the customer for something: the SLA clock stops until they answer."""
        now = self._clock()
        with self._sf() as s, s.begin():
            ticket = self._ticket(s, ticket_id)
            if ticket.first_responded_at is None:
                self._first_response(s, ticket, now)
            self._move(s, ticket, TicketStatus.WAITING_CUSTOMER, by, now, note=note)

    def respond(self, ticket_id: int, by: int, text: str) -> None:
        """A reply to the customer (counts as the first response)."""
        now = self._clock()
        with self._sf() as s, s.begin():
            ticket = self._ticket(s, ticket_id)
            self._event(s, ticket, TicketEventKind.COMMENT, by, now, text=text, public=True)
            if ticket.first_responded_at is None:
                self._first_response(s, ticket, now)

    def comment(self, ticket_id: int, by: int, text: str) -> None:
        now = self._clock()
        with self._sf() as s, s.begin():
            self._event(s, self._ticket(s, ticket_id), TicketEventKind.COMMENT, by, now,
                        text=text, public=False)

    def customer_replied(self, ticket_id: int, text: str) -> int:
        """The customer wrote. Resumes the clock; after the reopen window opens a new ticket.

        Returns the ticket the reply landed on (``ticket_id`` or the new linked one).
        """
        now = self._clock()
        with self._sf() as s, s.begin():
            ticket = self._ticket(s, ticket_id)
            if ticket.status in DONE:
                ticket = self._reopen_or_follow_up(s, ticket, None, now, "customer replied",
                                                   text=text)
            elif ticket.status is TicketStatus.WAITING_CUSTOMER:
                back = TicketStatus.ASSIGNED if ticket.assignee_id else TicketStatus.NEW
                self._move(s, ticket, back, None, now)
            self._event(s, ticket, TicketEventKind.CUSTOMER_REPLY, None, now, by=CUSTOMER,
                        text=text)
            return ticket.id

    def solve(self, ticket_id: int, by: int, resolution: str = "",
              session_id: int | None = None) -> None:
        now = self._clock()
        with self._sf() as s, s.begin():
            self._solve(s, self._ticket(s, ticket_id), by, now, resolution, session_id)

    def close(self, ticket_id: int, by: int | None = None) -> None:
        self._simple_move(ticket_id, TicketStatus.CLOSED, by)

    def close_expired(self, now: datetime | None = None) -> int:
        """Close solved tickets whose reopen window has passed (run daily by the hub)."""
        now = now or self._clock()
        closed = 0
        with self._sf() as s, s.begin():
            for ticket in s.scalars(select(Ticket).where(Ticket.status == TicketStatus.SOLVED)):
                policy, _ = self.sla.terms(s, ticket.customer_id)
                if ticket.solved_at and now >= ticket.solved_at + policy.reopen_window:
                    self._move(s, ticket, TicketStatus.CLOSED, None, now)
                    closed += 1
        return closed

    def reopen(self, ticket_id: int, by: int | None, reason: str) -> int:
        """Reopen within the tier's window; afterwards a new ticket linked to the old one."""
        now = self._clock()
        with self._sf() as s, s.begin():
            ticket = self._ticket(s, ticket_id)
            if ticket.status not in DONE:
                raise TicketError(f"{ticket.number} is not solved or closed")
            return self._reopen_or_follow_up(s, ticket, by, now, reason).id

    # -- escalation ------------------------------------------------------------------------
    def escalate(self, ticket_id: int, by: int, reason: str, *, to_level: str | None = None,
                 to_queue_id: int | None = None, to_agent_id: int | None = None) -> None:
        """By hand, with a reason (L1 -> L2 -> L3 by default)."""
        if not reason.strip():
            raise TicketError("an escalation by hand needs a reason")
        now = self._clock()
        with self._sf() as s, s.begin():
            ticket = self._ticket(s, ticket_id)
            self._escalate(s, ticket, by, now, reason, to_level or next_level(ticket.level.value),
                           to_queue_id, to_agent_id, rule_id=None)

    def apply_rules(self, ticket_id: int) -> bool:
        now = self._clock()
        with self._sf() as s, s.begin():
            return self._apply_rules(s, self._ticket(s, ticket_id), None, now)

    def add_rule(self, *, to_level: str, from_level: str = "L1", product_id: int | None = None,
                 module_id: int | None = None, tier: str | None = None,
                 min_priority: str | None = None, classification: str | None = None,
                 to_queue_id: int | None = None, position: int = 100) -> int:
        with self._sf() as s, s.begin():
            rule = EscalationRule(position=position, product_id=product_id, module_id=module_id,
                                  tier=tier, min_priority=min_priority,
                                  classification=classification, from_level=from_level,
                                  to_level=to_level, to_queue_id=to_queue_id)
            s.add(rule)
            s.flush()
            return rule.id

    # -- search and history ----------------------------------------------------------------
    def search(self, q: TicketQuery) -> list[TicketSummary]:
        with self._sf() as s:
            stmt = select(Ticket, TicketQueue.queue_id).outerjoin(
                TicketQueue, TicketQueue.ticket_id == Ticket.id)
            if q.assignee_id is not None:
                stmt = stmt.where(Ticket.assignee_id == q.assignee_id)
            if q.queue_id is not None:
                stmt = stmt.where(TicketQueue.queue_id == q.queue_id)
            if q.statuses:
                stmt = stmt.where(Ticket.status.in_([TicketStatus(x) for x in q.statuses]))
            if q.customer_id is not None:
                stmt = stmt.where(Ticket.customer_id == q.customer_id)
            if q.level is not None:
                stmt = stmt.where(Ticket.level == SupportLevel(q.level))
            if q.breached_only:
                stmt = stmt.where(or_(Ticket.first_response_breached,
                                      Ticket.resolution_breached))
            if q.text:
                pattern = f"%{_escape_like(q.text.lower())}%"
                stmt = stmt.where(or_(*(func.lower(col).like(pattern, escape="\\") for col in (
                    Ticket.number, Ticket.title, Ticket.description, Ticket.resolution))))
            stmt = stmt.order_by(Ticket.updated_at.desc(), Ticket.id.desc())
            rows = s.execute(stmt.limit(min(q.limit, 500)).offset(q.offset)).all()
            return [TicketSummary(
                t.id, t.number, t.title, t.status.value, t.priority.value, t.level.value,
                t.customer_id, t.assignee_id, queue_id, t.resolution_due_at,
                t.first_response_breached, t.resolution_breached, t.updated_at)
                for t, queue_id in rows]

    def history(self, ticket_id: int) -> list[dict[str, Any]]:
        with self._sf() as s:
            events = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                               .order_by(TicketEvent.created_at, TicketEvent.id)).all()
            return [{"kind": e.kind.value, "agent_id": e.agent_id, "at": e.created_at,
                     **e.details} for e in events]

    # -- satisfaction ----------------------------------------------------------------------
    def invite_rating(self, ticket_id: int, session_id: int | None = None) -> bool:
        """Ask the customer (in Tandem Assist) to rate a solved ticket: once per ticket."""
        now = self._clock()
        with self._sf() as s, s.begin():
            return self._invite(s, self._ticket(s, ticket_id), session_id, now)

    def rate(self, ticket_id: int, score: int, comment: str = "",
             session_id: int | None = None) -> int:
        """The customer's rating of a ticket: once per ticket (its ``rating_invitations``
        row says rated; a second answer is refused)."""
        _check_score(score)
        now = self._clock()
        with self._sf() as s, s.begin():
            return self._rate(s, self._ticket(s, ticket_id), score, comment, session_id, now)

    def rate_session(self, session_id: int, score: int, comment: str = "", *,
                     customer_id: int | None = None, agent_id: int | None = None) -> int:
        """A rating the customer gave in a session without being asked about a ticket
        (e.g. before the agent wrapped up). When the session already belongs to a ticket,
        that ticket is rated (``rate``'s rules). Otherwise it is kept on the session, once,
        and the wrap-up that links the session to a ticket adopts it: the ticket counts as
        rated, so solving it asks no second time."""
        _check_score(score)
        now = self._clock()
        with self._sf() as s, s.begin():
            ticket_id = self._ticket_of_session(s, session_id)
            if ticket_id is not None:
                return self._rate(s, self._ticket(s, ticket_id), score, comment, session_id,
                                  now)
            if s.scalar(select(SatisfactionRating.id)
                        .where(SatisfactionRating.session_id == session_id)) is not None:
                raise TicketError("this session was already rated")
            row = s.get(SessionRow, session_id)
            contact = s.get(Contact, row.contact_id) if row is not None else None
            customer_id = customer_id or (contact.customer_id if contact else None)
            if customer_id is None:
                raise TicketError("a rating needs a known customer")
            rating = SatisfactionRating(
                customer_id=customer_id, ticket_id=None, session_id=session_id,
                agent_id=agent_id or (row.agent_id if row is not None else None), score=score,
                comment=comment[:2000], created_at=now)
            s.add(rating)
            s.flush()
            return rating.id

    def skip_rating(self, ticket_id: int) -> None:
        now = self._clock()
        with self._sf() as s, s.begin():
            invitation = s.scalars(select(RatingInvitation)
                                   .where(RatingInvitation.ticket_id == ticket_id)).first()
            if invitation is not None and invitation.status == "invited":
                invitation.status, invitation.answered_at = "skipped", now

    # -- internals -------------------------------------------------------------------------
    def _rate(self, s: Session, ticket: Ticket, score: int, comment: str,
              session_id: int | None, now: datetime) -> int:
        invitation = s.scalars(select(RatingInvitation)
                               .where(RatingInvitation.ticket_id == ticket.id)).first()
        if invitation is not None and invitation.status != "invited":
            raise TicketError(f"{ticket.number} was already {invitation.status}")
        if invitation is None:
            invitation = RatingInvitation(ticket_id=ticket.id, session_id=session_id)
            s.add(invitation)
        invitation.status, invitation.answered_at = "rated", now
        rating = SatisfactionRating(customer_id=ticket.customer_id, ticket_id=ticket.id,
                                    session_id=session_id or invitation.session_id,
                                    agent_id=ticket.assignee_id, score=score,
                                    comment=comment[:2000], created_at=now)
        s.add(rating)
        s.flush()
        self._event(s, ticket, TicketEventKind.RATED, None, now, by=CUSTOMER, score=score)
        return rating.id

    def _ticket_of_session(self, s: Session, session_id: int) -> int | None:
        linked = s.scalar(select(TicketSession.ticket_id)
                          .where(TicketSession.session_id == session_id)
                          .order_by(TicketSession.linked_at.desc()))
        if linked is not None:
            return linked
        return s.scalar(select(Contact.ticket_id).join(SessionRow,
                                                       SessionRow.contact_id == Contact.id)
                        .where(SessionRow.id == session_id))

    def _adopt_session_rating(self, s: Session, ticket: Ticket, session_id: int,
                              now: datetime) -> None:
        """A rating given in the session before it had a ticket becomes the ticket's."""
        rating = s.scalars(select(SatisfactionRating).where(
            SatisfactionRating.session_id == session_id,
            SatisfactionRating.ticket_id.is_(None))).first()
        if rating is None:
            return
        invitation = s.scalars(select(RatingInvitation)
                               .where(RatingInvitation.ticket_id == ticket.id)).first()
        if invitation is not None and invitation.status != "invited":
            return  # the ticket has its answer already; this stays the session's rating
        if invitation is None:
            invitation = RatingInvitation(ticket_id=ticket.id, session_id=session_id,
                                          created_at=now)
            s.add(invitation)
        invitation.status, invitation.answered_at = "rated", rating.created_at
        rating.ticket_id = ticket.id
        self._event(s, ticket, TicketEventKind.RATED, None, now, by=CUSTOMER,
                    score=rating.score, session_id=session_id)

    def _ticket(self, s: Session, ticket_id: int) -> Ticket:
        ticket = s.get(Ticket, ticket_id)
        if ticket is None:
            raise TicketError(f"ticket {ticket_id} does not exist")
        return ticket

    def _event(self, s: Session, ticket: Ticket, kind: TicketEventKind, agent_id: int | None,
               now: datetime, *, by: str | None = None, **details: Any) -> TicketEvent:
        event = TicketEvent(ticket_id=ticket.id, agent_id=agent_id, kind=kind, created_at=now,
                            details={"by": by or (AGENT if agent_id else SYSTEM), **details})
        s.add(event)
        s.flush()
        ticket.updated_at = now
        return event

    def _notify(self, s: Session, ticket: Ticket, kind: NotificationKind, event: TicketEvent,
                **values: object) -> None:
        policy, _ = self.sla.terms(s, ticket.customer_id)
        enqueue(s, ticket, kind, f"e{event.id}", self._domain, now=event.created_at,
                reopen_days=policy.reopen_window.days, **values)

    def _create(self, s: Session, now: datetime, customer_id: int, title: str,
                description: str, *, contact_person_id: int | None, by: int | None,
                priority: str, product_id: int | None = None, module_id: int | None = None,
                created_at: datetime | None = None, parent_ticket_id: int | None = None) -> Ticket:
        if s.get(Customer, customer_id) is None:
            raise TicketError(f"customer {customer_id} does not exist")
        if not title.strip():
            raise TicketError("a ticket needs a title")
        ticket = Ticket(number=f"tmp-{uuid.uuid4().hex[:24]}", customer_id=customer_id,
                        contact_person_id=contact_person_id, title=title[:255],
                        description=description, priority=TicketPriority(priority),
                        product_id=product_id, module_id=module_id,
                        parent_ticket_id=parent_ticket_id, status=TicketStatus.NEW,
                        created_at=created_at or now, updated_at=now)
        s.add(ticket)
        s.flush()
        ticket.number = ticket_number(ticket.id)
        refresh_due(s, ticket, self.sla)
        self._event(s, ticket, TicketEventKind.CREATED, by, now, title=ticket.title,
                    parent_ticket_id=parent_ticket_id)
        return ticket

    def _apply_wrap_up_fields(self, s: Session, ticket: Ticket, w: WrapUp, now: datetime) -> None:
        changes: dict[str, Any] = {}
        for name in ("product_id", "module_id", "version_id"):
            value = getattr(w, name)
            if value is not None and getattr(ticket, name) != value:
                changes[name] = [getattr(ticket, name), value]
                setattr(ticket, name, value)
        if w.classification is not None:
            new = Classification(w.classification)
            if ticket.classification != new:
                old = ticket.classification.value if ticket.classification else None
                changes["classification"] = [old, new.value]
                ticket.classification = new
        if changes:
            self._event(s, ticket, TicketEventKind.CLASSIFIED, w.agent_id, now, changes=changes)
        if w.priority is not None and ticket.priority != TicketPriority(w.priority):
            self._event(s, ticket, TicketEventKind.PRIORITY_CHANGED, w.agent_id, now,
                        changes={"priority": [ticket.priority.value, w.priority]})
            ticket.priority = TicketPriority(w.priority)
        if w.notes.strip():
            self._event(s, ticket, TicketEventKind.COMMENT, w.agent_id, now, text=w.notes,
                        public=False, session_id=w.session_id)

    def _link_session(self, s: Session, ticket: Ticket, session_id: int, by: int,
                      now: datetime) -> None:
        if s.get(TicketSession, (ticket.id, session_id)) is None:
            s.add(TicketSession(ticket_id=ticket.id, session_id=session_id, linked_at=now))
            self._event(s, ticket, TicketEventKind.SESSION_LINKED, by, now, session_id=session_id)
        self._adopt_session_rating(s, ticket, session_id, now)

    def _link_recording(self, s: Session, ticket: Ticket, recording_id: int, by: int,
                        now: datetime) -> None:
        recording = s.get(Recording, recording_id)
        if recording is None:
            raise TicketError(f"recording {recording_id} does not exist")
        if recording.ticket_id != ticket.id:
            recording.ticket_id = ticket.id
            self._event(s, ticket, TicketEventKind.RECORDING_LINKED, by, now,
                        recording_id=recording_id)

    def _first_response(self, s: Session, ticket: Ticket, now: datetime) -> None:
        ticket.first_responded_at = now
        if ticket.first_response_due_at and now > ticket.first_response_due_at:
            ticket.first_response_breached = True

    def _assign(self, s: Session, ticket: Ticket, agent_id: int, by: int | None, now: datetime,
                notify: bool = True) -> None:
        agent = s.get(Agent, agent_id)
        if agent is None:
            raise TicketError(f"agent {agent_id} does not exist")
        old = ticket.assignee_id
        ticket.assignee_id = agent_id
        event = self._event(s, ticket, TicketEventKind.ASSIGNED, by, now, changes={
            "assignee_id": [old, agent_id]})
        if ticket.status is TicketStatus.NEW:
            self._move(s, ticket, TicketStatus.ASSIGNED, by, now)
        if notify:
            self._notify(s, ticket, NotificationKind.ASSIGNED, event)

    def _simple_move(self, ticket_id: int, target: TicketStatus, by: int | None) -> None:
        now = self._clock()
        with self._sf() as s, s.begin():
            self._move(s, self._ticket(s, ticket_id), target, by, now)

    def _move(self, s: Session, ticket: Ticket, target: TicketStatus, by: int | None,
              now: datetime, **details: Any) -> TicketEvent:
        current = ticket.status
        if current is target:
            raise TicketError(f"{ticket.number} is already {target.value}")
        if not can_move(current, target):
            raise TicketError(f"{ticket.number}: {current.value} -> {target.value} not allowed")
        _, cal = self.sla.terms(s, ticket.customer_id)
        state = sla_state(ticket)
        if current is TicketStatus.WAITING_CUSTOMER:
            state = resume(state, now, cal)
            store_state(ticket, state)
            refresh_due(s, ticket, self.sla)
            self._event(s, ticket, TicketEventKind.SLA_RESUMED, by, now,
                        paused_seconds=ticket.sla_paused_seconds)
        if target is TicketStatus.WAITING_CUSTOMER:
            store_state(ticket, pause(state, now))
            self._event(s, ticket, TicketEventKind.SLA_PAUSED, by, now)
        if target is TicketStatus.SOLVED:
            ticket.solved_at = now
        if target is TicketStatus.CLOSED:
            ticket.closed_at = now
        ticket.status = target
        event = self._event(s, ticket, TicketEventKind.STATUS_CHANGED, by, now,
                            changes={"status": [current.value, target.value]}, **details)
        if target is TicketStatus.WAITING_CUSTOMER:
            self._notify(s, ticket, NotificationKind.WAITING_CUSTOMER, event,
                         note=details.get("note", ""))
        return event

    def _solve(self, s: Session, ticket: Ticket, by: int, now: datetime, resolution: str,
               session_id: int | None) -> None:
        if resolution.strip():
            ticket.resolution = resolution
        if ticket.first_responded_at is None:
            self._first_response(s, ticket, now)
        event = self._move(s, ticket, TicketStatus.SOLVED, by, now)
        if ticket.resolution_due_at and now > ticket.resolution_due_at:
            ticket.resolution_breached = True
        self._notify(s, ticket, NotificationKind.SOLVED, event)
        self._invite(s, ticket, session_id, now)

    def _invite(self, s: Session, ticket: Ticket, session_id: int | None, now: datetime) -> bool:
        if ticket.status is not TicketStatus.SOLVED:
            raise TicketError(f"{ticket.number} is not solved")
        exists = s.scalar(select(RatingInvitation.id)
                          .where(RatingInvitation.ticket_id == ticket.id))
        if exists is not None:
            return False
        s.add(RatingInvitation(ticket_id=ticket.id, session_id=session_id, created_at=now))
        event = self._event(s, ticket, TicketEventKind.NOTIFIED, None, now,
                            notification="rating_request", session_id=session_id)
        self._notify(s, ticket, NotificationKind.RATING_REQUEST, event)
        return True

    def _reopen_or_follow_up(self, s: Session, ticket: Ticket, by: int | None, now: datetime,
                             reason: str, text: str = "") -> Ticket:
        policy, _ = self.sla.terms(s, ticket.customer_id)
        solved = ticket.solved_at or ticket.closed_at or now
        if now <= solved + policy.reopen_window:
            # The time spent solved does not count against the SLA: treat it as a pause.
            _, cal = self.sla.terms(s, ticket.customer_id)
            state = sla_state(ticket)
            store_state(ticket, resume(replace(state, solved_at=None,
                                               paused_since=ticket.solved_at or now), now, cal))
            previous = ticket.status
            ticket.solved_at = None
            ticket.closed_at = None
            ticket.status = TicketStatus.IN_PROGRESS
            refresh_due(s, ticket, self.sla)
            self._event(s, ticket, TicketEventKind.REOPENED, by, now,
                        by=CUSTOMER if by is None else AGENT, reason=reason,
                        changes={"status": [previous.value, TicketStatus.IN_PROGRESS.value]})
            return ticket
        follow_up = self._create(
            s, now, ticket.customer_id, f"Follow-up to {ticket.number}: {ticket.title}"[:255],
            text, contact_person_id=ticket.contact_person_id, by=by,
            priority=ticket.priority.value, product_id=ticket.product_id,
            module_id=ticket.module_id, parent_ticket_id=ticket.id)
        self._event(s, ticket, TicketEventKind.COMMENT, by, now, public=False,
                    text=f"Reply after the reopen window: follow-up {follow_up.number}",
                    follow_up_ticket_id=follow_up.id)
        return follow_up

    def _facts(self, s: Session, ticket: Ticket) -> EscalationFacts:
        customer = s.get(Customer, ticket.customer_id)
        return EscalationFacts(
            product_id=ticket.product_id, module_id=ticket.module_id,
            tier=customer.tier.value if customer else "basic", priority=ticket.priority.value,
            classification=ticket.classification.value if ticket.classification else None,
            level=ticket.level.value)

    def _apply_rules(self, s: Session, ticket: Ticket, by: int | None, now: datetime) -> bool:
        applied = False
        for _ in range(2):  # L1 -> L2 -> L3 at most
            rules = s.scalars(select(EscalationRule).where(EscalationRule.active.is_(True))).all()
            rule = first_match(rules, self._facts(s, ticket))
            if rule is None or rule.to_level == ticket.level.value:
                break
            self._escalate(s, ticket, by, now, f"rule {rule.id}", rule.to_level,
                           rule.to_queue_id, None, rule_id=rule.id)
            applied = True
        return applied

    def _l3_queue(self, s: Session, ticket: Ticket, level: str) -> int | None:
        """The product team's queue for the level (settings ``min_level`` / ``l3_product_team``)."""
        candidates = s.execute(select(Queue.id, Queue.product_id, QueueSettings.settings)
                               .outerjoin(QueueSettings, QueueSettings.queue_id == Queue.id)
                               .where(Queue.active.is_(True)).order_by(Queue.id)).all()
        wanted = int(level[1])
        best = None
        for queue_id, product_id, settings in candidates:
            settings = settings or {}
            serves_level = int(settings.get("min_level", 1)) == wanted or (
                wanted == 3 and settings.get("l3_product_team"))
            if not serves_level:
                continue
            if product_id == ticket.product_id and ticket.product_id is not None:
                return queue_id
            if product_id is None and best is None:
                best = queue_id
        return best

    def _escalate(self, s: Session, ticket: Ticket, by: int | None, now: datetime, reason: str,
                  to_level: str, to_queue_id: int | None, to_agent_id: int | None,
                  rule_id: int | None) -> None:
        if ticket.status in DONE:
            raise TicketError(f"{ticket.number} is {ticket.status.value}")
        old_level = ticket.level.value
        if to_level not in ("L1", "L2", "L3"):
            raise TicketError(f"unknown level {to_level}")
        queue_id = to_queue_id or self._l3_queue(s, ticket, to_level)
        ticket.level = SupportLevel(to_level)
        placement = s.get(TicketQueue, ticket.id) or TicketQueue(ticket_id=ticket.id)
        placement.queue_id = queue_id
        s.add(placement)
        old_assignee = ticket.assignee_id
        ticket.assignee_id = to_agent_id
        event = self._event(s, ticket, TicketEventKind.ESCALATED, by, now, reason=reason,
                            rule_id=rule_id, changes={"level": [old_level, to_level],
                                                      "queue_id": [None, queue_id],
                                                      "assignee_id": [old_assignee, to_agent_id]})
        target = TicketStatus.ASSIGNED if to_agent_id else TicketStatus.NEW
        if ticket.status is not target:
            self._move(s, ticket, target, by, now)
        self._notify(s, ticket, NotificationKind.ESCALATED, event,
                     reason="" if rule_id else reason)


def _check_score(score: int) -> None:
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise TicketError("a rating is a whole number from 1 to 5")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
