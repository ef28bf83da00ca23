"""The Tandem Assist channel: the hub fetches a customer's pending notices and marks them.

The hub calls ``pending_for_customer`` when an assist of that customer connects (and after
each ticket change) and ``mark_delivered`` once the messages went out on the websocket. A crash
in between resends; the assist de-duplicates by ``message_id``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db.base import utcnow
from app.notify.models import DeliveryAttempt, OutboxChannel, OutboxMessage, OutboxStatus


@dataclass(frozen=True, slots=True)
class AssistNotice:
    message_id: str
    kind: str  # assigned | escalated | waiting_customer | solved | rating_request
    ticket_id: int | None
    subject: str
    body: str
    created_at: datetime


class AssistInbox:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sf = session_factory

    def pending_for_customer(self, customer_id: int, limit: int = 50) -> list[AssistNotice]:
        with self._sf() as s:
            rows = s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.channel == OutboxChannel.ASSIST,
                       OutboxMessage.customer_id == customer_id,
                       OutboxMessage.status == OutboxStatus.PENDING)
                .order_by(OutboxMessage.id).limit(limit)).all()
            return [AssistNotice(r.message_id, r.kind, r.ticket_id, r.subject, r.body,
                                 r.created_at) for r in rows]

    def mark_delivered(self, message_ids: Iterable[str]) -> int:
        now = utcnow()
        ids = list(message_ids)
        if not ids:
            return 0
        with self._sf() as s, s.begin():
            rows = s.scalars(select(OutboxMessage).where(
                OutboxMessage.message_id.in_(ids),
                OutboxMessage.status == OutboxStatus.PENDING)).all()
            for row in rows:
                s.add(DeliveryAttempt(message_id=row.id, attempt=row.attempts + 1, at=now,
                                      outcome="delivered", detail="to Tandem Assist"))
            s.execute(update(OutboxMessage)
                      .where(OutboxMessage.id.in_([r.id for r in rows]))
                      .values(status=OutboxStatus.SENT, sent_at=now,
                              attempts=OutboxMessage.attempts + 1))
            return len(rows)
