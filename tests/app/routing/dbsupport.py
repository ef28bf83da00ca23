"""Database fixtures and small factories shared by ROUTE's test areas.

A migrated SQLite file is made once per test session and copied for each test (migrating per
test would cost most of the area's time budget).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.agents.models import Agent, AgentSkill, AgentStatus, SupportLevel
from app.contacts.models import Channel, Contact, Queue, QueueStrategy
from app.customers.models import ContactPerson, Customer, CustomerTier
from app.db.engine import make_engine, make_session_factory
from app.db.migrate import upgrade
from app.tickets.models import Ticket
from tests.support.postgres import fresh_database


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("route-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def db_file(migrated_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "tandem.db"
    shutil.copyfile(migrated_template, path)
    return path


@pytest.fixture
def engine(db_file: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{db_file}")
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def fresh_postgres_url(server_url: str) -> str:
    return fresh_database(server_url, "route")


class Factory:
    """Creates rows with sensible defaults; every call commits."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.sf = session_factory
        self._n = 0

    def _add(self, row: object) -> int:
        with self.sf() as s, s.begin():
            s.add(row)
            s.flush()
            return row.id  # type: ignore[attr-defined, no-any-return]

    def customer(self, tier: str = "basic", timezone: str = "UTC") -> int:
        self._n += 1
        return self._add(Customer(code=f"C{self._n:04d}", name=f"Customer {self._n}",
                                  tier=CustomerTier(tier), timezone=timezone))

    def agent(self, level: str = "L1", status: str = "offline", max_chats: int = 1,
              skills: dict[tuple[int, int | None], int] | None = None) -> int:
        self._n += 1
        agent = Agent(login=f"agent{self._n}", display_name=f"Agent {self._n}",
                      password_hash="x", level=SupportLevel(level),
                      status=AgentStatus(status), max_chats=max_chats)
        agent_id = self._add(agent)
        for (product, module), lvl in (skills or {}).items():
            self._add(AgentSkill(agent_id=agent_id, product_id=product, module_id=module,
                                 level=lvl))
        return agent_id

    def queue(self, name: str = "support", strategy: str = "longest_idle", **kw: object) -> int:
        return self._add(Queue(name=name, strategy=QueueStrategy(strategy), **kw))

    def contact(self, customer_id: int | None = None, queue_id: int | None = None,
                channel: str = "assist", problem: str = "It does not start",
                **kw: object) -> int:
        return self._add(Contact(channel=Channel(channel), customer_id=customer_id,
                                 queue_id=queue_id, problem=problem, **kw))

    def person(self, customer_id: int, email: str | None = "it@example.com",
               language: str = "en") -> int:
        return self._add(ContactPerson(customer_id=customer_id, name="Li Lei", email=email,
                                       language=language, is_primary=True))

    def ticket(self, customer_id: int, person_id: int | None = None, title: str = "Crash") -> int:
        self._n += 1
        return self._add(Ticket(number=f"T-TEST-{self._n}", customer_id=customer_id,
                                contact_person_id=person_id, title=title))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_session_factory(request: pytest.FixtureRequest,
                            session_factory: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """The SQLite file, or a fresh migrated database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield session_factory
        return
    eng = make_engine(fresh_postgres_url(request.getfixturevalue("postgres_url")))
    try:
        upgrade(eng)
        yield make_session_factory(eng)
    finally:
        eng.dispose()
