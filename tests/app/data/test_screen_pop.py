"""Screen pop: each identifier kind, environment changes, unknown and malformed callers,
JSON round trip, and a bounded number of queries whatever the history size."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.agents.models import Agent
from app.contacts.models import Channel, ConsentLevel, Contact, ContactStatus
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
from app.db.engine import make_engine, make_session_factory
from app.db.migrate import upgrade
from app.recordings.models import Recording
from app.sample_data import generate_preset
from app.screen_pop.profile import ContactIdentity, Profile
from app.screen_pop.service import ScreenPopService, normalize_phone
from app.tickets.models import SatisfactionRating, Ticket, TicketStatus

NOW = datetime(2026, 6, 1, tzinfo=UTC)
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
MACHINE = "0123456789abcdef0123456789abcdef"
OLD_ENV: dict[str, Any] = {
    "os": {"system": "Windows", "release": "10", "version": "10.0.19045",
           "distribution": "Windows 10 22H2"},
    "cpu": {"model": "Intel Core i5-10400", "cores": 6},
    "memory_bytes": 8 << 30,
    "screens": [{"index": 1, "width": 1920, "height": 1080, "name": "A"}],
    "hostname": "FIN-PC-07",
    "time_zone": {"name": "Asia/Shanghai", "utc_offset_min": 480, "abbreviation": "CST"},
    "vendor": {"name": "Huaxin", "product": "Huaxin ERP", "version": "9.0", "customer_code": "HX-42"},
}


def new_env(**changes: Any) -> dict[str, Any]:
    env = json.loads(json.dumps(OLD_ENV))
    env["os"]["version"] = "10.0.22631"
    env["os"]["distribution"] = "Windows 11 23H2"
    env["memory_bytes"] = 16 << 30
    env["screens"].append({"index": 2, "width": 2560, "height": 1440, "name": "B"})
    env["vendor"]["version"] = "9.1"
    env["time_zone"]["abbreviation"] = "XYZ"  # noise, not a change
    env.update(changes)
    return env


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("pop") / "pop.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    generate_preset(engine, "demo", seed=5, now=NOW)
    factory = make_session_factory(engine)
    with factory() as s:
        _known_customer(s)
        s.commit()
    yield engine
    engine.dispose()


def _known_customer(s: Session) -> None:
    erp = s.scalars(select(Product).where(Product.code == "ERP")).one()
    gl, ap = s.scalars(select(Module).where(Module.product_id == erp.id).order_by(Module.id).limit(2))
    v = s.scalars(select(ProductVersion).where(ProductVersion.product_id == erp.id)
                  .order_by(ProductVersion.id.desc())).first()
    agent = s.scalars(select(Agent).where(Agent.login == "demo")).one()
    c = Customer(code="HX-42", name="上海恒通物流有限公司", tier=CustomerTier.SVIP, region="CN-East",
                 timezone="Asia/Shanghai", language="zh", notes="月结期间优先处理", created_at=T0)
    wang = ContactPerson(customer=c, name="王芳", job_title="财务经理", phone="021-6552 1234",
                         phone_e164="+862165521234", mobile="138 1234 5678",
                         mobile_e164="+8613812345678", email="Wang.Fang@HengTong-Logistics.cn",
                         email_normalized="wang.fang@hengtong-logistics.cn", language="zh",
                         is_primary=True, notes="只接受下午的远程协助")
    li = ContactPerson(customer=c, name="李强", job_title="IT工程师", mobile="139 0000 1111",
                       mobile_e164="+8613900001111", email="li.qiang@hengtong-logistics.cn",
                       email_normalized="li.qiang@hengtong-logistics.cn", language="zh")
    inst = Installation(customer=c, product=erp, version=v, licences=30, installed_at=T0)
    s.add_all([c, wang, li, inst])
    s.flush()
    s.add_all([InstallationModule(installation_id=inst.id, module_id=gl.id),
               InstallationModule(installation_id=inst.id, module_id=ap.id)])
    machine = Machine(machine_id=MACHINE, customer=c, contact_person=li, hostname="FIN-PC-07",
                      environment=OLD_ENV, environment_reported_at=T0, first_seen_at=T0,
                      last_seen_at=T0)
    s.add(machine)
    s.flush()
    for i in range(14):  # more than the ten the profile shows
        t = Ticket(number=f"HX42-{i:03d}", customer_id=c.id, contact_person_id=wang.id,
                   product_id=erp.id, module_id=gl.id, title=f"问题 {i}",
                   status=TicketStatus.CLOSED if i < 12 else TicketStatus.IN_PROGRESS,
                   assignee_id=agent.id, created_at=T0 + timedelta(days=i))
        s.add(t)
        s.flush()
        if i < 4:
            s.add(SatisfactionRating(customer_id=c.id, ticket_id=t.id, agent_id=agent.id,
                                     score=(5, 4, 2, 5)[i], comment="好" if i == 3 else "",
                                     created_at=T0 + timedelta(days=i, hours=5)))
        if i == 13:
            contact = Contact(channel=Channel.ASSIST, status=ContactStatus.ENDED, customer_id=c.id,
                              machine_id=machine.id, agent_id=agent.id, ticket_id=t.id,
                              created_at=t.created_at)
            s.add(contact)
            s.flush()
            sess = AssistSession(contact_id=contact.id, agent_id=agent.id, machine_id=machine.id,
                                 consent=ConsentLevel.CONTROL, started_at=t.created_at,
                                 ended_at=t.created_at + timedelta(minutes=9), end_reason="agent_ended")
            s.add(sess)
            s.flush()
            s.add(Recording(session_id=sess.id, ticket_id=t.id, customer_id=c.id, path="r/1.tdr",
                            started_at=t.created_at))
    # a second customer sharing Wang's switchboard number (an ambiguous phone)
    other = Customer(code="HX-43", name="恒通国际货运代理有限公司", created_at=T0)
    s.add_all([other, ContactPerson(customer=other, name="前台", phone="021-6552 1234",
                                    phone_e164="+862165521234")])


@pytest.fixture
def service(database: Engine) -> ScreenPopService:
    return ScreenPopService(make_session_factory(database), clock=lambda: NOW)


@pytest.fixture
def factory(database: Engine) -> sessionmaker[Session]:
    return make_session_factory(database)


def test_by_customer_code(service: ScreenPopService) -> None:
    p = service.lookup(ContactIdentity(customer_code="HX-42"))
    assert p.known and p.matched_by == "customer_code"
    assert p.company is not None and p.company.name == "上海恒通物流有限公司"
    assert p.sla is not None and p.sla.tier == "svip" and p.sla.first_response_minutes == 15
    assert [x.name for x in p.contact_persons] == ["王芳", "李强"]
    assert p.person is None  # the code names the company, not who calls
    (erp,) = p.products
    assert erp.product_code == "ERP" and erp.licences == 30 and len(erp.modules) == 2
    assert [t.number for t in p.tickets] == [f"HX42-{i:03d}" for i in range(13, 3, -1)]
    assert p.tickets[0].status == "in_progress" and p.tickets[0].assignee == "Demo Agent 演示坐席"
    assert p.satisfaction is not None and p.satisfaction.count == 4 and p.satisfaction.mean == 4.0
    assert [r.score for r in p.satisfaction.recent] == [5, 2, 4, 5]
    assert p.notes == ("月结期间优先处理", "王芳: 只接受下午的远程协助")


@pytest.mark.parametrize("written", [
    "+86 138 1234 5678", "13812345678", "138-1234-5678", "0086 138 1234 5678", "+8613812345678",
])
def test_by_mobile_in_any_written_form(service: ScreenPopService, written: str) -> None:
    p = service.lookup(ContactIdentity(phone=written))
    assert p.known and p.matched_by == "phone"
    assert p.person is not None and p.person.name == "王芳"
    assert p.caller_phone == "+8613812345678"


@pytest.mark.parametrize("written", ["021-6552 1234", "(021) 65521234", "+86 21 6552 1234"])
def test_by_landline_shared_by_two_customers(service: ScreenPopService, written: str) -> None:
    p = service.lookup(ContactIdentity(phone=written))
    assert p.known and p.company is not None and p.company.code == "HX-42"  # the older match
    assert p.other_matches == 1


def test_by_email_any_case(service: ScreenPopService) -> None:
    p = service.lookup(ContactIdentity(email="  WANG.fang@hengtong-LOGISTICS.cn "))
    assert p.known and p.matched_by == "email"
    assert p.person is not None and p.person.name == "王芳"


def test_code_and_phone_together_identify_the_person(service: ScreenPopService) -> None:
    p = service.lookup(ContactIdentity(customer_code="HX-42", phone="13900001111"))
    assert p.matched_by == "customer_code" and p.person is not None and p.person.name == "李强"


def test_by_machine_id_with_a_new_report(service: ScreenPopService, factory: sessionmaker[Session]) -> None:
    env = new_env()
    p = service.lookup(ContactIdentity(machine_id=MACHINE, environment=env))
    assert p.known and p.matched_by == "customer_code"  # the report carries vendor.customer_code
    assert p.person is not None and p.person.name == "李强"  # the machine's usual user
    m = p.machine
    assert m is not None and m.seen_before and m.reported_at == NOW and m.previous_reported_at == T0
    changes = {c.key: (c.before, c.after) for c in m.changes}
    assert changes == {
        "os.distribution": ("Windows 10 22H2", "Windows 11 23H2"),
        "os.version": ("10.0.19045", "10.0.22631"),
        "vendor.version": ("9.0", "9.1"),
        "memory_bytes": ("8 GiB", "16 GiB"),
        "screens": ("1920x1080", "1920x1080 + 2560x1440"),
    }
    with factory() as s:
        row = s.scalars(select(Machine).where(Machine.machine_id == MACHINE)).one()
        assert row.environment == env and row.previous_environment == OLD_ENV
        assert row.environment_reported_at == NOW and row.previous_environment_reported_at == T0
    (session,) = p.sessions
    assert session.consent == "control" and session.ticket_number == "HX42-013"
    assert len(session.recording_ids) == 1

    # Without a new report (or an empty one, as a hub passes when the assist sent none) the
    # profile still says what changed at the last one.
    again = service.lookup(ContactIdentity(machine_id=MACHINE, environment={}, customer_code=""))
    assert again.machine is not None and len(again.machine.changes) == 5
    assert again.matched_by == "machine_id"


def test_unknown_caller_is_a_profile_not_an_error(service: ScreenPopService) -> None:
    p = service.lookup(ContactIdentity(phone="+44 20 7946 0999", email="nobody@example.org"))
    assert not p.known and p.company is None and p.tickets == ()
    assert p.caller_phone == "+442079460999" and p.caller_email == "nobody@example.org"
    assert service.lookup(ContactIdentity()).known is False


def test_unknown_machine_is_remembered(service: ScreenPopService, factory: sessionmaker[Session]) -> None:
    env = new_env(vendor={"product": "X", "customer_code": "NO-SUCH"})
    first = service.lookup(ContactIdentity(machine_id="f" * 32, environment=env))
    assert not first.known
    assert first.machine is not None and not first.machine.seen_before
    assert first.machine.environment == env and first.machine.changes == ()
    second = service.lookup(ContactIdentity(machine_id="f" * 32, environment=OLD_ENV | {"vendor": {}}))
    assert second.machine is not None and second.machine.seen_before
    assert {c.key for c in second.machine.changes} >= {"memory_bytes", "os.version"}
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Machine)
                        .where(Machine.machine_id == "f" * 32)) == 1


@pytest.mark.parametrize("identity", [
    ContactIdentity(phone="not a number"),
    ContactIdentity(phone="+"),
    ContactIdentity(phone="1" * 5000),
    ContactIdentity(email="no-at-sign"),
    ContactIdentity(email="x@" + "y" * 5000),
    ContactIdentity(customer_code="z" * 5000),
    ContactIdentity(customer_code="   "),
    ContactIdentity(machine_id="m" * 5000),
    ContactIdentity(environment={"k": 1}),
    ContactIdentity(environment=["not", "a", "mapping"]),  # type: ignore[arg-type]
    ContactIdentity(phone=13812345678, email=5, customer_code=7, machine_id=1.5),  # type: ignore[arg-type]
])
def test_malformed_identifiers_give_unknown(service: ScreenPopService, identity: ContactIdentity) -> None:
    p = service.lookup(identity)
    assert p.known is False and p.company is None


def test_profile_round_trips_through_json(service: ScreenPopService) -> None:
    p = service.lookup(ContactIdentity(machine_id=MACHINE, phone="13812345678"))
    data = json.loads(json.dumps(p.to_dict(), ensure_ascii=False))
    assert Profile.from_dict(data) == p
    unknown = service.lookup(ContactIdentity(phone="123"))
    assert Profile.from_dict(json.loads(json.dumps(unknown.to_dict()))) == unknown


def test_query_count_does_not_grow_with_history(service: ScreenPopService, database: Engine) -> None:
    """No N+1: a customer with 14 tickets costs the same statements as one with a few."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    with database.connect() as conn:
        small = conn.scalar(select(Customer.code).where(Customer.code.like("C%")).order_by(Customer.id))
    service.lookup(ContactIdentity(customer_code=small))  # SLA policies and calendars cached
    event.listen(database, "before_cursor_execute", count)
    try:
        service.lookup(ContactIdentity(customer_code="HX-42"))
        big = len(statements)
        statements.clear()
        service.lookup(ContactIdentity(customer_code=small))
        few = len(statements)
    finally:
        event.remove(database, "before_cursor_execute", count)
    assert big == few and big <= 10


@pytest.mark.parametrize(("raw", "e164"), [
    ("010-6552 1234", "+861065521234"), ("+1 (212) 555-0123", "+12125550123"),
    ("0044 20 7946 0123", "+442079460123"), ("", None), ("abc", None),
])
def test_normalize_phone(raw: str, e164: str | None) -> None:
    assert normalize_phone(raw) == e164


def test_on_postgresql(postgres_url: str) -> None:
    """The same lookups on PostgreSQL (JSONB reports, numeric averages, expanding IN)."""
    from tests.app.data.support import fresh_postgres_database

    engine = make_engine(fresh_postgres_database(postgres_url))
    try:
        upgrade(engine)
        generate_preset(engine, "demo", seed=5, now=NOW)
        factory = make_session_factory(engine)
        with factory() as s:
            _known_customer(s)
            s.commit()
        pg = ScreenPopService(factory, clock=lambda: NOW)
        by_code = pg.lookup(ContactIdentity(customer_code="HX-42"))
        assert by_code.satisfaction is not None and by_code.satisfaction.mean == 4.0
        assert pg.lookup(ContactIdentity(phone="0086 138 1234 5678")).person is not None
        p = pg.lookup(ContactIdentity(machine_id=MACHINE, environment=new_env()))
        assert p.machine is not None and len(p.machine.changes) == 5
        assert len(p.sessions) == 1 and len(p.sessions[0].recording_ids) == 1
        assert not pg.lookup(ContactIdentity(email="x@nowhere.example")).known
        fresh_machine = ContactIdentity(machine_id="a" * 32, environment=OLD_ENV)
        first, second = pg.lookup(fresh_machine), pg.lookup(fresh_machine)
        assert first.machine is not None and not first.machine.seen_before
        assert second.machine is not None and second.machine.seen_before
        assert first.company is not None and first.company.code == "HX-42"  # vendor code
    finally:
        engine.dispose()


def test_machine_recorded_twice_at_once_is_not_an_error(database: Engine) -> None:
    """Two rings from one new machine: the second insert yields, it does not raise."""
    from app.screen_pop.service import insert_machine_if_absent

    values = {"machine_id": "e" * 32, "customer_id": None, "contact_person_id": None,
              "hostname": "H", "environment": {"hostname": "H"}, "environment_reported_at": NOW,
              "first_seen_at": NOW, "last_seen_at": NOW}
    with database.begin() as conn:
        assert insert_machine_if_absent(conn, values) is True
        assert insert_machine_if_absent(conn, values | {"hostname": "other"}) is False
        assert conn.scalar(select(Machine.hostname).where(Machine.machine_id == "e" * 32)) == "H"
