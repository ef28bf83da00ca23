"""Sample data: deterministic by seed (even across backends), realistic, merge-friendly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from sqlalchemy import Engine, func, select

from app.agents.models import Agent, AgentRole
from app.auth.passwords import hash_password, verify_password
from app.contacts.models import Channel, Contact, ContactStatus
from app.customers.models import ContactPerson, Customer, Machine
from app.db.base import Base
from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.sample_data import DEMO_CUSTOMER_CODE, SampleDataError, generate, generate_preset, main
from app.tickets.models import Ticket

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SKIP_COLUMNS = {("agents", "password_hash")}  # argon2 salts every hash


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.c if (table.name, c.name) not in SKIP_COLUMNS]
            order = list(table.primary_key.columns)
            out[table.name] = [tuple(r) for r in conn.execute(select(*cols).order_by(*order))]
    return out


def fresh(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = fresh(tmp_path_factory.mktemp("demo") / "demo.db")
    generate_preset(engine, "demo", seed=3, now=NOW)
    return engine


def test_demo_has_every_kind_of_row(demo_db: Engine) -> None:
    counts = {name: len(rows) for name, rows in dump(demo_db).items()}
    for table in ("customers", "contact_persons", "products", "modules", "product_versions",
                  "installations", "installation_modules", "machines", "agents", "agent_skills",
                  "queues", "tickets", "ticket_events", "contacts", "sessions", "ticket_sessions",
                  "satisfaction_ratings", "qa_scorecards"):
        assert counts[table] > 0, table
    assert counts["customers"] == 12


def test_demo_sign_ins(demo_db: Engine) -> None:
    with demo_db.connect() as conn:
        agents = {a.login: a for a in conn.execute(select(Agent.login, Agent.password_hash, Agent.role))}
    assert verify_password(agents["demo"].password_hash, "demo")
    assert verify_password(agents["admin"].password_hash, "admin")
    assert verify_password(agents["qa"].password_hash, "qa")
    assert agents["admin"].role is AgentRole.ADMIN and agents["qa"].role is AgentRole.QA
    assert not verify_password(agents["demo"].password_hash, "admin")


def test_chinese_and_english_customers(demo_db: Engine) -> None:
    with demo_db.connect() as conn:
        rows = conn.execute(select(Customer.code, Customer.name, Customer.language)).all()
    languages = {r.language for r in rows}
    assert languages == {"zh", "en"}
    assert any("公司" in r.name or "医院" in r.name for r in rows if r.language == "zh")
    assert DEMO_CUSTOMER_CODE in {r.code for r in rows}


def test_phone_numbers_are_valid_e164_of_their_display_form(demo_db: Engine) -> None:
    with demo_db.connect() as conn:
        rows = conn.execute(select(ContactPerson.phone, ContactPerson.phone_e164,
                                   ContactPerson.mobile, ContactPerson.mobile_e164,
                                   ContactPerson.email, ContactPerson.email_normalized)).all()
    for phone, e164, mobile, mobile_e164, email, email_norm in rows:
        for raw, expected in ((phone, e164), (mobile, mobile_e164)):
            if raw is None:
                assert expected is None
                continue
            parsed = phonenumbers.parse(raw, "CN")
            assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == expected
        assert email is not None and email.lower() == email_norm


def test_history_is_in_the_past_and_tickets_reference_installed_products(demo_db: Engine) -> None:
    with demo_db.connect() as conn:
        newest = conn.scalar(select(func.max(Ticket.created_at)))
        oldest = conn.scalar(select(func.min(Ticket.created_at)))
        env = conn.scalar(select(Machine.environment).limit(1))
    assert newest <= NOW and (NOW - oldest).days > 300
    assert {"os", "memory_bytes", "screens", "vendor", "hostname"} <= set(env)


def test_same_seed_same_data_different_seed_different(tmp_path: Path, demo_db: Engine) -> None:
    again = fresh(tmp_path / "again.db")
    other = fresh(tmp_path / "other.db")
    generate_preset(again, "demo", seed=3, now=NOW)
    generate_preset(other, "demo", seed=4, now=NOW)
    assert dump(again) == dump(demo_db)
    assert dump(other)["customers"] != dump(demo_db)["customers"]


def test_postgresql_gets_the_same_rows(postgres_url: str, demo_db: Engine) -> None:
    """The portable writer (PostgreSQL) and the SQLite fast path produce identical data."""
    from tests.app.data.support import fresh_postgres_database

    engine = make_engine(fresh_postgres_database(postgres_url))
    try:
        upgrade(engine)
        generate_preset(engine, "demo", seed=3, now=NOW)
        assert dump(engine) == dump(demo_db)
        # sequences were moved past the explicit ids: a normal insert works
        with engine.begin() as conn:
            conn.execute(Customer.__table__.insert().values(code="NEW", name="n", tier="basic",
                                                             region="", timezone="UTC", language="en",
                                                             notes="", created_at=NOW))
    finally:
        engine.dispose()


def test_keeps_an_existing_admin_and_appends_on_a_second_run(tmp_path: Path) -> None:
    engine = fresh(tmp_path / "t.db")
    with engine.begin() as conn:
        conn.execute(Agent.__table__.insert().values(
            login="admin", display_name="Hub admin", password_hash=hash_password("s3cret"),
            level="L3", role="admin", languages=[], max_chats=1, status="offline", active=True,
            created_at=NOW))
    generate(engine, customers=3, seed=1, agents=5, now=NOW)
    generate(engine, customers=2, seed=1, agents=5, now=NOW)
    with engine.connect() as conn:
        admin_hash = conn.scalar(select(Agent.password_hash).where(Agent.login == "admin"))
        codes = list(conn.scalars(select(Customer.code).order_by(Customer.id)))
        agents = conn.scalar(select(func.count()).select_from(Agent))
    assert verify_password(admin_hash, "s3cret")
    assert codes == ["C0000001", "C0000002", "C0000003", "C0000004", "C0000005"]
    assert agents == 5


def test_unmigrated_database_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SampleDataError, match="not migrated"):
        generate(engine, customers=1, seed=1, now=NOW)


def test_counts_scale_with_options(tmp_path: Path) -> None:
    engine = fresh(tmp_path / "t.db")
    report = generate(engine, customers=200, seed=9, tickets_per_customer=3, agents=6, now=NOW)
    assert report.counts["customers"] == 200
    assert 400 <= report.counts["tickets"] <= 800  # uniform 0..6 per customer, mean 3
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Ticket)) == report.counts["tickets"]
        contacts = conn.execute(select(Contact.status, Contact.channel, Contact.caller,
                                       Contact.agent_id, Contact.abandoned_at, Contact.answered_at)).all()
    abandoned = [c for c in contacts if c.status is ContactStatus.ABANDONED]
    assert 0 < len(abandoned) < 0.15 * len(contacts)
    assert all(c.abandoned_at and c.agent_id is None and c.answered_at is None for c in abandoned)
    assert all(c.caller.startswith("+") for c in contacts if c.channel is Channel.PHONE)


def test_cli_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["--customers", "4", "--seed", "2", "--agents", "4", "--database-url", url]) == 0
    assert "4 customers" in capsys.readouterr().out
    assert main(["--customers", "-1", "--database-url", url]) == 2


def test_bulk_load_rebuilds_exactly_the_migrated_indexes(tmp_path: Path) -> None:
    """The big-load path drops and rebuilds indexes; the schema must still equal the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.db.models import metadata

    engine = fresh(tmp_path / "bulk.db")
    generate(engine, customers=30, seed=2, agents=4, now=NOW, rebuild_indexes=True)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM contact_persons WHERE email_normalized = 'x'").all()
    assert "ix_contact_persons_email_normalized" in str(plan)
