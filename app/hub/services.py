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
from app.hub.intake import Identified
from app.hub.tickets_api import TicketsApi
from app.recordings.service import RecordingService
from app.screen_pop.profile import ContactIdentity
from app.screen_pop.service import ScreenPopService
from app.tickets.service import TicketService
from app.tickets.types import TicketError

log = logging.getLogger(__name__)


class Services:
    def __init__(self, session_factory: sessionmaker[Session], recordings: RecordingService,
                 recordings_api: Any, notice: str = "") -> None:
        self._sf = session_factory
        self.recordings = recordings
        self.recordings_api = recordings_api
        self.notice = notice
        self._screen_pop = ScreenPopService(session_factory)
        self.tickets_api = TicketsApi(session_factory, TicketService(session_factory),
                                      recordings)

    # ------------------------------------------------------------ screen pop

    def identify(self, identity: dict[str, Any]) -> Identified:
        """DATA's screen pop for a contact's identity (records a reported environment)."""
        profile = self._screen_pop.lookup(ContactIdentity(**identity))
        return Identified(profile.to_dict(),
                          profile.company.id if profile.company else None,
                          profile.person.id if profile.person else None)

    # ------------------------------------------------------------ customers

    def customer_id_of(self, code: str) -> int | None:
        with self._sf() as db:
            return db.scalar(select(Customer.id).where(Customer.code == code))

    # ------------------------------------------------------------ tickets

    def wrap_up(self, agent: m.AgentProfile, msg: m.WrapUp, db_session_id: int | None,
                recording_id: int | None) -> tuple[int, str]:
        return self.tickets_api.wrap_up(agent, msg, db_session_id, recording_id)

    def tickets(self, agent: m.AgentProfile, filters: m.TicketFilters) -> m.TicketsResult:
        return self.tickets_api.tickets(agent, filters)

    def ticket_detail(self, agent: m.AgentProfile, ticket_id: int) -> m.TicketDetail:
        return self.tickets_api.ticket_detail(agent, ticket_id)

    # ------------------------------------------------------------ ratings

    def rating(self, ticket_id: int | None, customer_id: int | None,
               db_session_id: int | None, agent_id: int | None, score: int,
               comment: str) -> None:
        """The customer's satisfaction rating: of the ticket they were invited to rate,
        else of this session (its ticket, or kept for the wrap-up to adopt). ROUTE's
        ``TicketService`` keeps the rules: once per ticket, once per session."""
        service = self.tickets_api.service
        try:
            if ticket_id is not None:
                service.rate(ticket_id, score, comment, db_session_id)
            elif db_session_id is not None:
                service.rate_session(db_session_id, score, comment, customer_id=customer_id,
                                     agent_id=agent_id)
            else:
                log.info("rating %s outside a session with an agent not stored", score)
        except TicketError as exc:
            log.info("rating %s not stored: %s", score, exc)
