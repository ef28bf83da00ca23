"""Writing customer notifications to the outbox, in the caller's transaction.

One ticket event gives one Tandem Assist message (the hub hands it to the customer's running
assist) and, when the contact person has an address, one e-mail. The dedupe key makes enqueueing
idempotent; the Message-ID is fixed at enqueue time so every retry sends the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.agents.models import Agent
from app.customers.models import ContactPerson, Customer
from app.db.base import utcnow
from app.notify.models import OutboxChannel, OutboxMessage, OutboxStatus
from app.notify.templates import NotificationKind, render
from app.tickets.models import Ticket

DEFAULT_DOMAIN = "tandem.invalid"


@dataclass(frozen=True, slots=True)
class Recipient:
    customer_id: int
    contact_person_id: int | None
    email: str | None
    language: str


def recipient_for(s: Session, ticket: Ticket) -> Recipient:
    person = s.get(ContactPerson, ticket.contact_person_id) if ticket.contact_person_id else None
    if person is None or not person.email:
        person = s.scalars(
            select(ContactPerson).where(ContactPerson.customer_id == ticket.customer_id,
                                        ContactPerson.email.is_not(None))
            .order_by(ContactPerson.is_primary.desc(), ContactPerson.id)).first() or person
    customer = s.get(Customer, ticket.customer_id)
    language = (person.language if person is not None else None) or (
        customer.language if customer is not None else "en")
    return Recipient(ticket.customer_id, person.id if person is not None else None,
                     person.email if person is not None else None, language)


def message_id(ticket: Ticket, kind: NotificationKind, event_key: str, channel: OutboxChannel,
               domain: str = DEFAULT_DOMAIN) -> str:
    return f"<{ticket.number}.{kind.value}.{event_key}.{channel.value}@{domain}>"


def enqueue(s: Session, ticket: Ticket, kind: NotificationKind, event_key: str,
            domain: str = DEFAULT_DOMAIN, now: datetime | None = None,
            **values: object) -> list[OutboxMessage]:
    """Queue the notification for ``ticket``; calling again with the same key adds nothing.

    ``now`` (default: the wall clock) is when it becomes due and its Date header.
    """
    now = now or utcnow()
    who = recipient_for(s, ticket)
    agent = s.get(Agent, ticket.assignee_id) if ticket.assignee_id else None
    fields: dict[str, object] = {
        "number": ticket.number, "title": ticket.title, "resolution": ticket.resolution,
        "level": ticket.level.value, "agent": agent.display_name if agent else "", **values}
    text = render(kind, who.language, **fields)
    channels = [(OutboxChannel.ASSIST, str(who.contact_person_id or ""))]
    if who.email and kind is not NotificationKind.RATING_REQUEST:
        channels.append((OutboxChannel.EMAIL, who.email))
    out = []
    for channel, address in channels:
        key = f"t{ticket.id}:{kind.value}:{event_key}:{channel.value}"
        if s.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is not None:
            continue
        row = OutboxMessage(
            dedupe_key=key, message_id=message_id(ticket, kind, event_key, channel, domain),
            channel=channel, kind=kind.value, customer_id=ticket.customer_id,
            ticket_id=ticket.id, recipient=address, subject=text.subject, body=text.body,
            status=OutboxStatus.PENDING, created_at=now, next_attempt_at=now)
        s.add(row)
        out.append(row)
    s.flush()
    return out
