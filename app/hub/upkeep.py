"""The hub's slow periodic work: SLA checks and notices to customers' assists.

- Every ``SLA_EVERY_S``: ROUTE's ``SlaService.check()`` sets breach flags and returns the
  warnings due now; each goes to the assignee's console as ``SlaAlert``.
- Every ``NOTICES_EVERY_S`` (and when an assist connects): ROUTE's ``AssistInbox`` notices
  pending for a customer whose assist is connected go out on the relay (a rating request
  as ``RatingRequest``, the rest as a chat line from "Tandem") and are marked delivered.

The work runs in worker threads; only the pushes happen on the hub's loop.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.api import messages as m
from app.hub.desk import Desk, LiveSession
from app.notify.assist import AssistInbox, AssistNotice
from app.sla.service import SlaService
from remote.protocol.messages import ChatLine, RatingRequest

log = logging.getLogger(__name__)

SLA_EVERY_S = 60.0
NOTICES_EVERY_S = 5.0
NOTICE_SENDER = "Tandem"


class Upkeep:
    def __init__(self, session_factory: sessionmaker[Session], desk: Desk) -> None:
        self.desk = desk
        self.sla = SlaService(session_factory)
        self.inbox = AssistInbox(session_factory)

    async def run(self) -> None:
        """Forever (cancelled at hub stop)."""
        since_sla = SLA_EVERY_S  # first SLA check right after start
        while True:
            if since_sla >= SLA_EVERY_S:
                since_sla = 0.0
                await self._guard(self.check_sla())
            await self._guard(self.deliver_notices())
            await asyncio.sleep(NOTICES_EVERY_S)
            since_sla += NOTICES_EVERY_S

    async def _guard(self, coro: Any) -> None:
        try:
            await coro
        except Exception:  # the database may be briefly unavailable: next round
            log.exception("hub upkeep failed")

    async def check_sla(self) -> None:
        for alert in await asyncio.to_thread(self.sla.check):
            if alert.agent_id is not None:
                self.desk.registry.push(alert.agent_id, m.SlaAlert(
                    ticket_id=alert.ticket_id, number=alert.number, target=alert.target,
                    fraction=alert.fraction, threshold_at=alert.threshold_at))

    async def deliver_notices(self, only: LiveSession | None = None) -> None:
        """Pending notices of every connected customer (or of ``only``'s customer)."""
        sessions = [only] if only else self.desk.live_sessions()
        done: set[int] = set()
        for live in sessions:
            customer_id = live.customer_id
            if customer_id is None or customer_id in done or live.ended:
                continue
            done.add(customer_id)
            notices = await asyncio.to_thread(self.inbox.pending_for_customer, customer_id)
            delivered = [n.message_id for n in notices if await self._send(live, n)]
            if delivered:
                await asyncio.to_thread(self.inbox.mark_delivered, delivered)

    async def _send(self, live: LiveSession, notice: AssistNotice) -> bool:
        relay = self.desk.relay
        if relay is None:
            return False
        if notice.kind == "rating_request":
            message: Any = RatingRequest(notice.body or notice.subject)
            live.rating_ticket = notice.ticket_id
        else:
            message = ChatLine(NOTICE_SENDER, f"{notice.subject}\n{notice.body}".strip())
        try:
            return bool(await relay.send_to_assist(live.session_id, message))
        except Exception as exc:  # not joined yet, or the assist is gone: next round
            log.debug("notice %s not delivered yet: %s", notice.message_id, exc)
            return False
