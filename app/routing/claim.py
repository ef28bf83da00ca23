"""Accepting an offer as a database-conditional update: two accepts never both win.

Both UPDATEs carry their precondition in the WHERE clause, so whichever transaction commits
first wins and the other sees zero rows (PostgreSQL re-checks the WHERE after the row lock;
SQLite serialises writers). Used by the ``Dispatcher``; safe from any thread or process.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.contacts.models import Contact, ContactStatus
from app.routing.models import OfferStatus, RoutingOffer

CLAIMABLE = (ContactStatus.QUEUED, ContactStatus.OFFERED)


def claim_offer(session: Session, offer_id: int, agent_id: int, now: datetime) -> int | None:
    """Accept ``offer_id`` for ``agent_id`` inside the caller's transaction.

    Returns the contact id when this call won, None when the offer is not ringing for this
    agent any more or the contact was already answered by someone else (that offer is then
    marked cancelled, so the caller simply commits).
    """
    contact_id = session.execute(
        update(RoutingOffer)
        .where(RoutingOffer.id == offer_id, RoutingOffer.agent_id == agent_id,
               RoutingOffer.status == OfferStatus.RINGING)
        .values(status=OfferStatus.ACCEPTED, resolved_at=now)
        .returning(RoutingOffer.contact_id)
    ).scalar_one_or_none()
    if contact_id is None:
        return None
    won = session.execute(
        update(Contact)
        .where(Contact.id == contact_id, Contact.status.in_(CLAIMABLE),
               Contact.agent_id.is_(None))
        .values(status=ContactStatus.ANSWERED, agent_id=agent_id, answered_at=now)
    ).rowcount
    if won == 1:
        return contact_id
    session.execute(update(RoutingOffer).where(RoutingOffer.id == offer_id)
                    .values(status=OfferStatus.CANCELLED, reason="answered by another agent"))
    return None
