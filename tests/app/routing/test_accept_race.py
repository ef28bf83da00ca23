"""Concurrent accepts of rings for one contact: exactly one wins, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.contacts.models import Contact, ContactStatus
from app.db.base import utcnow
from app.db.engine import make_engine, make_session_factory
from app.db.migrate import upgrade
from app.routing.claim import claim_offer
from app.routing.models import OfferStatus, RoutingOffer
from tests.app.routing.dbsupport import Factory, fresh_postgres_url

RACERS = 6


def race(sf: sessionmaker[Session], rounds: int = 5) -> None:
    f = Factory(sf)
    queue_id = f.queue()
    agents = [f.agent() for _ in range(RACERS)]
    for round_no in range(rounds):
        contact_id = f.contact(f.customer(), queue_id)
        now = utcnow()
        with sf() as s, s.begin():
            s.get(Contact, contact_id).status = ContactStatus.OFFERED  # type: ignore[union-attr]
            for i, agent_id in enumerate(agents):
                # Stale rings (e.g. from before a restart) all still "ringing" at once.
                s.add(RoutingOffer(id=round_no * 100 + i + 1, contact_id=contact_id,
                                   agent_id=agent_id, expires_at=now + dt.timedelta(seconds=20)))
        barrier = threading.Barrier(RACERS)

        def accept(i: int, contact_id: int = contact_id, round_no: int = round_no,
                   barrier: threading.Barrier = barrier) -> int | None:
            barrier.wait(timeout=10)
            with sf() as s, s.begin():
                return claim_offer(s, round_no * 100 + i + 1, agents[i], utcnow())

        with ThreadPoolExecutor(RACERS) as pool:
            results = list(pool.map(accept, range(RACERS)))
        winners = [i for i, r in enumerate(results) if r == contact_id]
        assert len(winners) == 1, results
        assert results.count(None) == RACERS - 1
        with sf() as s:
            contact = s.get(Contact, contact_id)
            assert contact is not None
            assert contact.status == ContactStatus.ANSWERED
            assert contact.agent_id == agents[winners[0]]
            statuses = s.scalars(select(RoutingOffer.status)
                                 .where(RoutingOffer.contact_id == contact_id)).all()
            assert sorted(statuses) == sorted(
                [OfferStatus.ACCEPTED] + [OfferStatus.CANCELLED] * (RACERS - 1))


def test_concurrent_accepts_on_sqlite_file(session_factory: sessionmaker[Session]) -> None:
    race(session_factory)


@pytest.mark.postgres
def test_concurrent_accepts_on_postgresql(postgres_url: str) -> None:
    engine: Engine = make_engine(fresh_postgres_url(postgres_url), pool_size=RACERS + 2)
    try:
        upgrade(engine)
        race(make_session_factory(engine))
    finally:
        engine.dispose()
