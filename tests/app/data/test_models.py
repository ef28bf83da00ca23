"""The data model on SQLite and PostgreSQL: migration == metadata, UTC, enums by value,
foreign keys, constraints, and a full object graph round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from app.agents.models import Agent, AgentRole, AgentSkill, AgentStatus, SupportLevel
from app.contacts.models import Channel, ConsentLevel, Contact, ContactStatus, Queue, QueueStrategy
from app.contacts.models import Session as AssistSession
from app.customers.models import (
    ContactPerson,
    Customer,
    CustomerTier,
    Installation,
    InstallationModule,
    Machine,
    Module,
    Product,
    ProductVersion,
)
from app.db.migrate import alembic_config, current_revision, head_revision, upgrade
from app.db.models import metadata
from app.recordings.models import QAReview, QAScorecard, Recording, RecordingStatus
from app.tickets.models import (
    Classification,
    SatisfactionRating,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketSession,
    TicketStatus,
)

BEIJING = timezone(timedelta(hours=8))


def test_migration_head_matches_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_first_revision_is_0001_core() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_base() == "0001_core"


def _customer(code: str = "C0000001", **kw: object) -> Customer:
    return Customer(code=code, name="北京华信软件有限公司", tier=CustomerTier.VIP, region="CN-North",
                    timezone="Asia/Shanghai", **kw)


def test_datetimes_come_back_aware_utc(session_factory: sessionmaker[Session]) -> None:
    local = datetime(2025, 3, 1, 9, 30, tzinfo=BEIJING)
    with session_factory() as s:
        s.add(_customer(created_at=local))
        s.commit()
    with session_factory() as s:
        got = s.scalars(select(Customer.created_at)).one()
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)
    assert got == local
    assert got.hour == 1


def test_naive_datetime_is_refused(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        s.add(_customer(created_at=datetime(2025, 3, 1, 9, 30)))
        with pytest.raises(StatementError, match="naive datetime"):
            s.commit()


def test_enums_are_stored_by_value(session_factory: sessionmaker[Session], engine: Engine) -> None:
    with session_factory() as s:
        c = _customer()
        s.add(c)
        s.flush()
        s.add(Ticket(number="T1", customer_id=c.id, title="x", status=TicketStatus.WAITING_CUSTOMER,
                     classification=Classification.HOW_TO))
        s.commit()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT tier FROM customers")).scalar() == "vip"
        row = conn.execute(text("SELECT status, classification, level, priority FROM tickets")).one()
    assert tuple(row) == ("waiting_customer", "how_to", "L1", "normal")


def test_foreign_keys_are_enforced(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        s.add(ContactPerson(customer_id=424242, name="Nobody"))
        with pytest.raises(IntegrityError):
            s.commit()


def test_rating_score_must_be_1_to_5(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        c = _customer()
        s.add(c)
        s.flush()
        s.add(SatisfactionRating(customer_id=c.id, score=6))
        with pytest.raises(IntegrityError):
            s.commit()


def test_unique_customer_code(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        s.add_all([_customer("C1"), _customer("C1")])
        with pytest.raises(IntegrityError):
            s.commit()


def test_whole_graph_round_trip(session_factory: sessionmaker[Session]) -> None:
    t0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    env = {"os": "Windows 11 23H2", "memory_mb": 16384, "screens": [[1920, 1080]]}
    with session_factory() as s:
        cust = _customer(notes="Prefers calls after 14:00")
        erp = Product(code="ERP", name="Huaxin ERP")
        gl = Module(product=erp, code="GL", name="General Ledger")
        v = ProductVersion(product=erp, version="8.2.1", released_at=t0)
        person = ContactPerson(customer=cust, name="王芳", phone="010 6552 1234",
                               phone_e164="+861065521234", email="Wang.Fang@huaxin.cn",
                               email_normalized="wang.fang@huaxin.cn", is_primary=True)
        inst = Installation(customer=cust, product=erp, version=v, licences=25)
        s.add_all([cust, erp, gl, v, person, inst])
        s.flush()
        s.add(InstallationModule(installation_id=inst.id, module_id=gl.id))
        machine = Machine(machine_id="m-1", customer=cust, contact_person=person, hostname="FIN-PC-07",
                          environment=env, environment_reported_at=t0)
        agent = Agent(login="li", display_name="李雷", password_hash="x", level=SupportLevel.L2,
                      role=AgentRole.AGENT, languages=["zh", "en"],
                      skills=[AgentSkill(product_id=erp.id, module_id=gl.id, level=4)])
        queue = Queue(name="erp-zh", strategy=QueueStrategy.SKILLS, product_id=erp.id, language="zh")
        s.add_all([machine, agent, queue])
        s.flush()
        ticket = Ticket(number="T2025-000001", customer_id=cust.id, contact_person_id=person.id,
                        product_id=erp.id, module_id=gl.id, version_id=v.id, assignee_id=agent.id,
                        title="月结报错", status=TicketStatus.SOLVED, classification=Classification.BUG,
                        created_at=t0, solved_at=t0 + timedelta(hours=3))
        s.add(ticket)
        s.flush()
        contact = Contact(channel=Channel.ASSIST, status=ContactStatus.ENDED, customer_id=cust.id,
                          contact_person_id=person.id, machine_id=machine.id, queue_id=queue.id,
                          agent_id=agent.id, ticket_id=ticket.id, problem="closing fails",
                          created_at=t0, queued_at=t0, offered_at=t0 + timedelta(seconds=5),
                          answered_at=t0 + timedelta(seconds=9), ended_at=t0 + timedelta(minutes=12))
        s.add(contact)
        s.flush()
        sess = AssistSession(contact_id=contact.id, agent_id=agent.id, machine_id=machine.id,
                             consent=ConsentLevel.CONTROL, started_at=t0, end_reason="agent_ended")
        s.add(sess)
        s.flush()
        rec = Recording(session_id=sess.id, ticket_id=ticket.id, agent_id=agent.id, customer_id=cust.id,
                        path="rec/1.tdr", status=RecordingStatus.COMPLETE, chain_head="ab" * 32,
                        record_count=10, started_at=t0)
        card = QAScorecard(name="Standard", criteria=[{"key": "greeting", "label": "Greeting",
                                                       "weight": 1, "max": 5}])
        s.add_all([
            TicketEvent(ticket_id=ticket.id, agent_id=agent.id, kind=TicketEventKind.CREATED,
                        details={"channel": "assist"}, created_at=t0),
            TicketSession(ticket_id=ticket.id, session_id=sess.id),
            SatisfactionRating(customer_id=cust.id, ticket_id=ticket.id, session_id=sess.id,
                               agent_id=agent.id, score=5, comment="很好"),
            rec, card,
        ])
        s.flush()
        s.add(QAReview(recording_id=rec.id, scorecard_id=card.id, reviewer_id=agent.id,
                       scores={"greeting": 5}))
        s.commit()

    with session_factory() as s:
        got = s.scalars(select(Machine).where(Machine.machine_id == "m-1")).one()
        assert got.environment == env
        assert got.customer is not None and got.customer.name == "北京华信软件有限公司"
        agent = s.scalars(select(Agent).where(Agent.login == "li")).one()
        assert agent.languages == ["zh", "en"] and agent.status is AgentStatus.OFFLINE
        assert [(k.level, k.module_id is not None) for k in agent.skills] == [(4, True)]
        t = s.scalars(select(Ticket)).one()
        assert t.solved_at - t.created_at == timedelta(hours=3)
        assert [e.kind for e in t.events] == [TicketEventKind.CREATED]
        c = s.scalars(select(Contact)).one()
        assert c.channel is Channel.ASSIST and c.answered_at - c.queued_at == timedelta(seconds=9)
        assert [x.consent for x in c.sessions] == [ConsentLevel.CONTROL]
        inst = s.scalars(select(Installation)).one()
        assert [m.module.code for m in inst.modules] == ["GL"]
        review = s.scalars(select(QAReview)).one()
        assert review.scores == {"greeting": 5}
        assert s.scalars(select(SatisfactionRating.comment)).one() == "很好"


def test_sqlite_connection_settings(tmp_path: object) -> None:
    from app.db.engine import make_engine

    eng = make_engine(f"sqlite:///{tmp_path}/sub/dir/t.db")  # the directory is created
    try:
        with eng.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        eng.dispose()


def test_plain_postgresql_url_uses_psycopg() -> None:
    from app.db.engine import normalize_url

    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"
