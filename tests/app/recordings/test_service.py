"""RecordingService on a real, migrated SQLite file: attach, access, integrity, retention, QA."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.agents.models import Agent, AgentRole
from app.contacts.models import Session as RemoteSession
from app.customers.models import Customer, CustomerTier
from app.db.engine import make_engine, make_session_factory
from app.db.migrate import upgrade
from app.recordings.models import RecordingStatus
from app.recordings.service import (
    DEFAULT_CRITERIA,
    RecordingAccessDenied,
    RecordingMismatch,
    RecordingService,
    ReviewFilter,
    ReviewInvalid,
    parse_retention,
)
from app.tickets.models import Classification, Ticket
from remote.recording.format import RecordType
from remote.recording.verify import recover_recordings
from remote.recording.writer import RecordingWriter


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tandem.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


class World:
    """A few agents, customers, sessions and tickets."""

    def __init__(self, factory: sessionmaker[Session], root: Path) -> None:
        self.root = root
        with factory.begin() as db:
            def agent(login: str, role: AgentRole) -> Agent:
                a = Agent(login=login, display_name=login.title(), password_hash="x", role=role)
                db.add(a)
                return a

            self.alice, self.bob = agent("alice", AgentRole.AGENT), agent("bob", AgentRole.AGENT)
            self.quinn, self.lee = agent("quinn", AgentRole.QA), agent("lee", AgentRole.LEAD)
            self.basic = Customer(code="ACME", name="Acme", tier=CustomerTier.BASIC)
            self.vip = Customer(code="WIDG", name="Widgets", tier=CustomerTier.VIP)
            db.add_all([self.basic, self.vip])
            db.flush()
            self.sessions = [RemoteSession(agent_id=self.alice.id), RemoteSession(
                agent_id=self.bob.id)]
            db.add_all(self.sessions)
            self.ticket = Ticket(number="T-1", customer_id=self.basic.id, title="Printing fails",
                                 classification=Classification.BUG)
            db.add(self.ticket)
            db.flush()
            self.ids = {name: getattr(self, name).id
                        for name in ("alice", "bob", "quinn", "lee", "basic", "vip", "ticket")}
            self.session_ids = [s.id for s in self.sessions]


def write_file(path: Path, chats: int = 3) -> RecordingWriter:
    writer = RecordingWriter(path, {"session_id": path.stem}, background=False)
    writer.append_json(RecordType.START, 0, {})
    for i in range(chats):
        writer.append_json(RecordType.CHAT, 1000 * (i + 1), {"sender": "a", "text": str(i)})
    return writer


@pytest.fixture
def world(factory: sessionmaker[Session], tmp_path: Path) -> World:
    return World(factory, tmp_path)


def make_recording(service: RecordingService, world: World, name: str, *, agent: str = "alice",
                   customer: str = "basic", ticket: bool = True, session: int = 0,
                   started_at: datetime | None = None) -> int:
    path = world.root / f"{name}.trec"
    writer = write_file(path)
    rid = service.started(path, session_id=world.session_ids[session],
                          agent_id=world.ids[agent], customer_id=world.ids[customer],
                          started_at=started_at)
    service.finished(rid, writer.close("ended"), ended_at=started_at)
    if ticket:
        service.link_ticket(world.session_ids[session], world.ids["ticket"])
    return rid


def test_attach_and_access_rules(factory: sessionmaker[Session], world: World) -> None:
    service = RecordingService(factory)
    rid = make_recording(service, world, "one")
    info = service.get(world.ids["alice"], rid)
    assert (info.ticket_number, info.classification, info.agent_name, info.customer_code) == \
        ("T-1", "bug", "Alice", "ACME")
    assert info.status == "complete" and info.size_bytes > 0 and info.duration_ms == 3000
    as_dict = info.to_dict()
    assert as_dict["id"] == rid and as_dict["started_at"].endswith("+00:00")
    assert service.can_view(world.ids["quinn"], rid) and service.can_view(world.ids["lee"], rid)
    assert not service.can_view(world.ids["bob"], rid)
    with pytest.raises(RecordingAccessDenied):
        service.get(world.ids["bob"], rid)
    with pytest.raises(RecordingAccessDenied):
        service.open_checked(world.ids["bob"], rid)
    assert service.open_checked(world.ids["quinn"], rid) == world.root / "one.trec"


def test_swapped_or_truncated_file_is_caught(factory: sessionmaker[Session],
                                             world: World) -> None:
    service = RecordingService(factory)
    rid = make_recording(service, world, "one")
    path = world.root / "one.trec"
    service.check_file(rid)
    # swap: another valid, intact recording under the same name
    other = world.root / "other.trec"
    write_file(other, chats=4).close("ended")
    original = path.read_bytes()
    path.write_bytes(other.read_bytes())
    with pytest.raises(RecordingMismatch, match="not the recorded one"):
        service.open_checked(world.ids["quinn"], rid)
    # truncation
    path.write_bytes(original[:len(original) - 40])
    with pytest.raises(RecordingMismatch, match="truncated"):
        service.check_file(rid)
    path.unlink()
    with pytest.raises(RecordingMismatch, match="missing"):
        service.check_file(rid)


def test_recovered_rows_are_marked_repaired(factory: sessionmaker[Session],
                                            world: World) -> None:
    service = RecordingService(factory)
    path = world.root / "rec" / "killed.trec"
    path.parent.mkdir()
    writer = write_file(path)
    rid = service.started(path, session_id=world.session_ids[0], agent_id=world.ids["alice"],
                          customer_id=world.ids["basic"])
    writer.flush()
    data = path.read_bytes()
    writer.close()
    path.write_bytes(data)  # as if the hub died before closing
    assert service.recovered(recover_recordings(path.parent)) == [rid]
    info = service.get(world.ids["lee"], rid)
    assert info.status == RecordingStatus.REPAIRED.value and info.duration_ms == 3000
    service.check_file(rid)  # the row now matches the repaired file


def test_retention_per_tier(factory: sessionmaker[Session], world: World) -> None:
    service = RecordingService(factory, retention_days=parse_retention("basic=30,vip=365"))
    now = datetime(2026, 6, 1, tzinfo=UTC)
    old_basic = make_recording(service, world, "b1", started_at=now - timedelta(days=40))
    new_basic = make_recording(service, world, "b2", started_at=now - timedelta(days=10))
    old_vip = make_recording(service, world, "v1", customer="vip",
                             started_at=now - timedelta(days=40))
    dry = service.cleanup(now, dry_run=True)
    assert dry.deleted == (old_basic,) and (world.root / "b1.trec").exists()
    report = service.cleanup(now)
    assert report.deleted == (old_basic,) and report.freed_bytes > 0
    assert not (world.root / "b1.trec").exists()
    remaining = {r.id for r in service.review_list(world.ids["lee"])}
    assert remaining == {new_basic, old_vip}
    with pytest.raises(ValueError):
        parse_retention("gold=3")


def test_scorecard_reviews_and_rules(factory: sessionmaker[Session], world: World) -> None:
    service = RecordingService(factory)
    rid = make_recording(service, world, "one")
    card = service.scorecard()
    assert [c.key for c in card.criteria] == [c["key"] for c in DEFAULT_CRITERIA]
    review = service.submit_review(world.ids["quinn"], rid,
                                   {"greeting": 5, "consent_asked": 5, "resolution": 3},
                                   "Good, but slow to resolve")
    assert review.percent == round(100 * (5 + 10 + 9) / (5 + 10 + 15), 1)
    with pytest.raises(RecordingAccessDenied):
        service.submit_review(world.ids["bob"], rid, {"greeting": 1})
    with pytest.raises(ReviewInvalid):
        service.submit_review(world.ids["quinn"], rid, {"greeting": 9})
    with pytest.raises(ReviewInvalid):
        service.submit_review(world.ids["quinn"], rid, {"nonsense": 1})
    listed = service.reviews(world.ids["alice"], rid)
    assert [(r.reviewer_name, r.comment) for r in listed] == [("Quinn", "Good, but slow to resolve")]
    with pytest.raises(RecordingAccessDenied):
        service.set_criteria(world.ids["quinn"], [{"key": "x", "label": "X"}])
    new = service.set_criteria(world.ids["lee"], [{"key": "empathy", "label": "Empathy",
                                                   "max": 3}])
    assert [c.key for c in service.scorecard().criteria] == ["empathy"] and new.id != card.id
    assert service.reviews(world.ids["lee"], rid)[0].percent == review.percent  # old card kept


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tandem.db'}"
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = request.getfixturevalue("postgres_url")
    name = f"rec_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def test_review_list_filters_on_each_backend(any_database: str, tmp_path: Path) -> None:
    eng = make_engine(any_database)
    upgrade(eng)
    try:
        factory = make_session_factory(eng)
        check_review_list_filters(factory, World(factory, tmp_path))
    finally:
        eng.dispose()


def check_review_list_filters(factory: sessionmaker[Session], world: World) -> None:
    service = RecordingService(factory)
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    a = make_recording(service, world, "a", started_at=t0)
    b = make_recording(service, world, "b", agent="bob", customer="vip", ticket=False, session=1,
                       started_at=t0 + timedelta(days=2))
    service.submit_review(world.ids["quinn"], a, {"greeting": 4})
    lee = world.ids["lee"]

    def ids(**kw: object) -> list[int]:
        return [r.id for r in service.review_list(lee, ReviewFilter(**kw))]  # type: ignore[arg-type]

    assert ids() == [b, a]
    assert ids(agent_id=world.ids["bob"]) == [b]
    assert ids(customer_id=world.ids["basic"]) == [a]
    assert ids(date_from=t0 + timedelta(days=1)) == [b]
    assert ids(date_to=t0 + timedelta(days=1)) == [a]
    assert ids(classification="bug") == [a]
    assert ids(unscored=True) == [b]
    scored = service.review_list(lee)[1]
    assert scored.reviews == 1 and scored.last_score == 80.0
    # an agent sees only their own
    assert [r.id for r in service.review_list(world.ids["alice"])] == [a]
