"""A real hub for each test: SQLite file in a tmp data dir, websockets on 127.0.0.1:0."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.agents.models import AgentRole, SupportLevel
from app.auth.service import create_agent
from app.auth.throttle import ThrottlePolicy
from app.config import Config, defaults
from app.customers.models import Customer, CustomerTier
from app.db.engine import make_engine, make_session_factory
from app.db.migrate import upgrade
from app.hub.embedded import EmbeddedHub
from tests.app.hub.support import PASSWORD


def hub_config(data_dir: Path, **overrides: object) -> Config:
    settings: dict[str, object] = {"port": 0, "max_message_bytes": 256 * 1024, **overrides}
    return defaults(data_dir=data_dir, **settings)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once: migrated, agents alice and bob, QA quinn, customer ACME (VIP)."""
    path = tmp_path_factory.mktemp("hub-template") / "tandem.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sf = make_session_factory(engine)
    for login in ("alice", "bob"):
        create_agent(sf, login, PASSWORD, display_name=login.title())
    create_agent(sf, "quinn", PASSWORD, display_name="Quinn QA", role=AgentRole.QA,
                 level=SupportLevel.L2)
    with sf() as s, s.begin():
        s.add(Customer(code="ACME", name="Acme Trading Ltd", tier=CustomerTier.VIP))
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def db(data_dir: Path, template_db: Path) -> Iterator[sessionmaker[Session]]:
    """This test's copy of the template database (the hub's database file)."""
    shutil.copyfile(template_db, data_dir / "tandem.db")
    engine = make_engine(hub_config(data_dir).resolved_database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def hub_factory(data_dir: Path, db: sessionmaker[Session]) -> Iterator:
    """Start hubs on ``data_dir`` (same database across restarts); all stopped at the end."""
    hubs: list[EmbeddedHub] = []

    def start(**overrides: object) -> EmbeddedHub:
        hub = EmbeddedHub(hub_config(data_dir, **overrides),
                          throttle_policy=ThrottlePolicy(base_delay_s=2.0))
        hub.start()
        hubs.append(hub)
        return hub

    yield start
    for hub in hubs:
        hub.stop()


@pytest.fixture
def hub(hub_factory) -> EmbeddedHub:
    return hub_factory()
