"""The domain services the hub composes, behind one small facade for the desk.

Screen pop is DATA's ``ScreenPopService``; wrap-up and ticket queries are ROUTE's
``TicketService``; recordings are REC's ``RecordingService``. This module maps console-API
values to their inputs and their results back to console-API messages; the rules live in
those services.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.api import messages as m
from app.customers.models import Customer
from app.recordings.service import RecordingService
from app.tickets.models import SatisfactionRating

log = logging.getLogger(__name__)

try:  # DATA's screen pop (lands separately; the hub still serves rings without it)
    from app.screen_pop.service import ContactIdentity, ScreenPopService
except ImportError:  # pragma: no cover - only while DATA's module is missing
    ScreenPopService = None  # type: ignore[assignment,misc]
    ContactIdentity = None  # type: ignore[assignment,misc]

try:  # ROUTE's ticket service
    from app.tickets import service as ticket_service
except ImportError:  # pragma: no cover
    ticket_service = None  # type: ignore[assignment]


class Services:
    def __init__(self, session_factory: sessionmaker[Session], recordings: RecordingService,
                 recordings_api: Any, notice: str = "") -> None:
        self._sf = session_factory
        self.recordings = recordings
        self.recordings_api = recordings_api
        self.notice = notice
        self._screen_pop = ScreenPopService(session_factory) if ScreenPopService else None
        self._tickets = ticket_service.TicketService(session_factory) if ticket_service else None

    # ------------------------------------------------------------ screen pop

    def screen_pop(self, identity: dict[str, Any]) -> dict[str, Any]:
        if self._screen_pop is None:
            return {"known": False, "identity": {k: v for k, v in identity.items() if v}}
        profile = self._screen_pop.lookup(ContactIdentity(**identity))
        return profile.to_dict()

    # ------------------------------------------------------------ customers

    def customer_id_of(self, code: str) -> int | None:
        with self._sf() as db:
            return db.scalar(select(Customer.id).where(Customer.code == code))

    # ------------------------------------------------------------ tickets

    def _need_tickets(self) -> Any:
        if self._tickets is None:
            raise m.ApiError(m.ErrorCode.UNAVAILABLE, "the ticket service is not available")
        return self._tickets

    def wrap_up(self, agent: m.AgentProfile, msg: m.WrapUp, db_session_id: int | None,
                recording_id: int | None) -> tuple[int, str]:
        raise m.ApiError(m.ErrorCode.UNAVAILABLE, "the ticket service is not available")

    def tickets(self, agent: m.AgentProfile, filters: m.TicketFilters) -> m.TicketsResult:
        raise m.ApiError(m.ErrorCode.UNAVAILABLE, "the ticket service is not available")

    def ticket_detail(self, agent: m.AgentProfile, ticket_id: int) -> m.TicketDetail:
        raise m.ApiError(m.ErrorCode.UNAVAILABLE, "the ticket service is not available")

    # ------------------------------------------------------------ ratings

    def rating(self, customer_id: int | None, db_session_id: int | None, agent_id: int | None,
               score: int, comment: str) -> None:
        """Store the customer's satisfaction rating of a session."""
        if customer_id is None:
            log.info("rating %s from an unknown customer not stored", score)
            return
        with self._sf() as db, db.begin():
            db.add(SatisfactionRating(customer_id=customer_id, session_id=db_session_id,
                                      agent_id=agent_id, score=score, comment=comment))
