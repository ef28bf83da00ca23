"""Ratings through the hub go through ROUTE's TicketService: once per ticket, once per
session, and a rating given before the wrap-up counts for the ticket (no second ask)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.api import messages as api
from app.notify.models import OutboxMessage, RatingInvitation
from app.tickets.models import SatisfactionRating
from remote.protocol import messages as pm
from tests.app.hub.support import Console, request_help, run


def test_rating_before_the_wrap_up_is_the_tickets_and_no_second_ask(
        hub_factory, db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    import app.hub.upkeep as upkeep

    monkeypatch.setattr(upkeep, "NOTICES_EVERY_S", 0.1)
    hub = hub_factory()

    def ratings() -> list[SatisfactionRating]:
        with db() as s:
            return list(s.scalars(select(SatisfactionRating)).all())

    async def scenario() -> int:
        alice = await Console.sign_in(hub.url, "alice")
        await alice.ready()
        assist, _ = await request_help(hub.url)
        ring = await alice.next(api.Ring)
        accepted = await alice.client.call(api.Accept(offer_id=ring.offer_id), api.Accepted)
        await assist.send(pm.Rating(4, "helpful"))  # rated in the session, no ticket yet
        await assist.send(pm.Rating(1, "again"))  # a second answer for the session: refused
        for _ in range(250):
            if ratings():
                break
            await asyncio.sleep(0.02)
        await alice.client.call(api.EndSession(session_id=accepted.session_id), api.Ok)
        done = await alice.client.call(api.WrapUp(
            contact_id=accepted.contact_id, session_id=accepted.session_id,
            fields=api.WrapUpFields(classification=api.Classification.HOW_TO, solved=True,
                                    resolution="Explained the report filter")),
            api.WrapUpDone)
        # The customer's next assist is not asked again: the ticket counts as rated.
        again, _ = await request_help(hub.url, problem="")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(_until(again, pm.RatingRequest), 1.0)
        await again.close()
        await alice.close()
        return done.ticket_id

    ticket_id = run(scenario())
    [rating] = ratings()
    assert rating.ticket_id == ticket_id and rating.score == 4 and rating.comment == "helpful"
    with db() as s:
        invitation = s.scalars(select(RatingInvitation)
                               .where(RatingInvitation.ticket_id == ticket_id)).one()
        assert invitation.status == "rated"
        asks = s.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id,
                                                     OutboxMessage.kind == "rating_request"))
        assert asks.all() == []


async def _until(sock, cls):  # type: ignore[no-untyped-def]
    while True:
        msg = await sock.receive()
        if isinstance(msg, cls):
            return msg
