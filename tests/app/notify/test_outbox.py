"""The outbox against a real aiosmtpd server on loopback: failures, recovery, no loss, no copies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.notify.assist import AssistInbox
from app.notify.models import DeliveryAttempt, OutboxChannel, OutboxMessage, OutboxStatus
from app.notify.outbox import enqueue
from app.notify.smtp import EmailOutbox, RetryPolicy, SmtpSettings
from app.notify.templates import NotificationKind
from app.tickets.models import Ticket
from tests.app.routing.dbsupport import Factory


class Mailbox:
    """aiosmtpd handler: stores messages; can answer 4xx/5xx or drop the connection."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.mode = "ok"  # ok | 451 | 550 | drop
        self.failures_left = 0

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.failures_left > 0:
            self.failures_left -= 1
            if self.mode == "drop":
                server.transport.close()
                return "421 4.3.2 closing"
            if self.mode == "550":
                return "550 5.1.1 no such mailbox"
            return "451 4.3.0 try again later"
        self.messages.append(envelope.content)
        return "250 2.0.0 OK"

    def message_ids(self) -> list[str]:
        return [message_from_bytes(m)["Message-ID"] for m in self.messages]


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.mailbox = Mailbox()
        self.port = port
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(free_port: int) -> Iterator[SmtpServer]:
    server = SmtpServer(free_port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def make_messages(sf: sessionmaker[Session], count: int, clock: Clock) -> list[str]:
    f = Factory(sf)
    customer = f.customer()
    person = f.person(customer)
    ids = []
    with sf() as s, s.begin():
        for i in range(count):
            ticket = Ticket(number=f"T-{i:04d}", customer_id=customer, contact_person_id=person,
                            title=f"Problem {i}")
            s.add(ticket)
            s.flush()
            for row in enqueue(s, ticket, NotificationKind.SOLVED, "e1", reopen_days=7):
                row.next_attempt_at = clock.now
                if row.channel is OutboxChannel.EMAIL:
                    ids.append(row.message_id)
    return ids


def outbox(sf: sessionmaker[Session], server: SmtpServer, clock: Clock) -> EmailOutbox:
    return EmailOutbox(sf, SmtpSettings(port=server.port, timeout_s=5),
                       RetryPolicy(max_attempts=5, base_s=30, claim_s=120), clock=clock)


def statuses(sf: sessionmaker[Session]) -> list[OutboxStatus]:
    with sf() as s:
        return list(s.scalars(select(OutboxMessage.status)
                              .where(OutboxMessage.channel == OutboxChannel.EMAIL)))


def test_delivers_with_stable_message_id(session_factory: sessionmaker[Session],
                                         smtp_server: SmtpServer) -> None:
    clock = Clock()
    ids = make_messages(session_factory, 3, clock)
    report = outbox(session_factory, smtp_server, clock).deliver_due()
    assert report.sent == 3
    assert sorted(smtp_server.mailbox.message_ids()) == sorted(ids)
    assert statuses(session_factory) == [OutboxStatus.SENT] * 3
    first = message_from_bytes(smtp_server.mailbox.messages[0])
    assert first["Subject"].startswith("[T-0000]") and first["To"] == "it@example.com"


def test_temporary_failures_are_retried_with_backoff(session_factory: sessionmaker[Session],
                                                     smtp_server: SmtpServer) -> None:
    clock = Clock()
    ids = make_messages(session_factory, 4, clock)
    box = outbox(session_factory, smtp_server, clock)
    smtp_server.mailbox.mode, smtp_server.mailbox.failures_left = "451", 2
    assert box.deliver_due().retried == 1  # first message: 451; stop, the server is sick
    assert box.deliver_due().retried == 1  # second message: 451 too
    assert box.deliver_due().sent == 2  # the other two go; the failed ones wait
    assert box.deliver_due().sent == 0
    clock.advance(30)
    assert box.deliver_due().sent == 2
    assert sorted(smtp_server.mailbox.message_ids()) == sorted(ids)  # none lost, none twice
    with session_factory() as s:
        outcomes = s.scalars(select(DeliveryAttempt.outcome).order_by(DeliveryAttempt.id)).all()
    assert outcomes.count("retry") == 2 and outcomes.count("sent") == 4


def test_backoff_doubles(session_factory: sessionmaker[Session], smtp_server: SmtpServer) -> None:
    clock = Clock()
    [mid] = make_messages(session_factory, 1, clock)
    box = outbox(session_factory, smtp_server, clock)
    smtp_server.mailbox.mode, smtp_server.mailbox.failures_left = "451", 2
    assert box.deliver_due().retried == 1
    clock.advance(30)
    assert box.deliver_due().retried == 1
    clock.advance(59)
    assert box.deliver_due().sent == 0  # back-off doubled to 60 s
    clock.advance(1)
    assert box.deliver_due().sent == 1
    assert smtp_server.mailbox.message_ids() == [mid]


def test_server_down_then_dropping_then_recovered(session_factory: sessionmaker[Session],
                                                  smtp_server: SmtpServer) -> None:
    clock = Clock()
    ids = make_messages(session_factory, 5, clock)
    box = outbox(session_factory, smtp_server, clock)
    smtp_server.stop()
    assert box.deliver_due().retried == 1  # connection refused
    smtp_server.start()
    smtp_server.mailbox.mode, smtp_server.mailbox.failures_left = "drop", 1
    report = box.deliver_due()
    assert report.retried == 1 and report.sent == 0  # the server closed on us mid-message
    for _ in range(6):
        clock.advance(300)
        box.deliver_due()
    assert statuses(session_factory) == [OutboxStatus.SENT] * 5
    assert sorted(smtp_server.mailbox.message_ids()) == sorted(ids)


def test_permanent_failure_is_not_retried(session_factory: sessionmaker[Session],
                                          smtp_server: SmtpServer) -> None:
    clock = Clock()
    make_messages(session_factory, 1, clock)
    smtp_server.mailbox.mode, smtp_server.mailbox.failures_left = "550", 1
    box = outbox(session_factory, smtp_server, clock)
    assert box.deliver_due().failed == 1
    clock.advance(3600)
    assert box.deliver_due().sent == 0
    assert statuses(session_factory) == [OutboxStatus.FAILED]


def test_gives_up_after_max_attempts(session_factory: sessionmaker[Session],
                                     smtp_server: SmtpServer) -> None:
    clock = Clock()
    make_messages(session_factory, 1, clock)
    smtp_server.mailbox.mode, smtp_server.mailbox.failures_left = "451", 99
    box = outbox(session_factory, smtp_server, clock)
    for _ in range(5):
        box.deliver_due()
        clock.advance(3600)
    assert statuses(session_factory) == [OutboxStatus.FAILED]
    assert smtp_server.mailbox.messages == []


def test_crash_between_send_and_mark_resends_same_message_id(
        session_factory: sessionmaker[Session], smtp_server: SmtpServer) -> None:
    clock = Clock()
    [mid] = make_messages(session_factory, 1, clock)
    crashed = outbox(session_factory, smtp_server, clock)
    claimed = crashed._claim_next(clock.now)
    assert claimed is not None
    crashed._send(claimed)  # the server has it ... and the worker dies before marking it
    crashed._disconnect()
    box = outbox(session_factory, smtp_server, clock)
    assert box.deliver_due().sent == 0  # still claimed by the dead worker
    clock.advance(121)
    assert box.deliver_due().sent == 1
    assert smtp_server.mailbox.message_ids() == [mid, mid]  # same id: receivers drop the copy
    assert len(set(smtp_server.mailbox.message_ids())) == 1
    with session_factory() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.message_id == mid)).one()
        assert row.status == OutboxStatus.SENT and row.attempts == 2


def test_enqueue_is_idempotent_and_assist_inbox(session_factory: sessionmaker[Session]) -> None:
    f = Factory(session_factory)
    customer = f.customer()
    person = f.person(customer, email=None, language="zh")
    ticket_id = f.ticket(customer, person, title="打印失败")
    with session_factory() as s, s.begin():
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        first = enqueue(s, ticket, NotificationKind.WAITING_CUSTOMER, "e7", note="请发送日志")
        again = enqueue(s, ticket, NotificationKind.WAITING_CUSTOMER, "e7")
    assert [m.channel for m in first] == [OutboxChannel.ASSIST] and again == []  # no e-mail
    inbox = AssistInbox(session_factory)
    [notice] = inbox.pending_for_customer(customer)
    assert notice.kind == "waiting_customer" and "请发送日志" in notice.body
    assert "打印失败" in notice.body
    assert inbox.mark_delivered([notice.message_id]) == 1
    assert inbox.pending_for_customer(customer) == []
    assert inbox.mark_delivered([notice.message_id]) == 0


def test_ticket_changes_reach_the_customer_by_mail(session_factory: sessionmaker[Session],
                                                   smtp_server: SmtpServer) -> None:
    """End to end: ticket service writes the outbox, the SMTP worker delivers it."""
    from app.tickets.service import TicketService

    clock = Clock()
    f = Factory(session_factory)
    customer = f.customer("vip")
    person = f.person(customer, email="ops@example.cn")
    agent = f.agent()
    tickets = TicketService(session_factory, clock=clock, mail_domain="support.example")
    tid = tickets.open_ticket(customer, "Backup job fails", contact_person_id=person)
    tickets.assign(tid, agent)
    tickets.wait_for_customer(tid, agent, note="Which version?")
    tickets.customer_replied(tid, "4.2")
    tickets.solve(tid, agent, "Patch 4.2.1")
    report = outbox(session_factory, smtp_server, clock).deliver_due()
    assert report.sent == 3
    subjects = [message_from_bytes(m)["Subject"] for m in smtp_server.mailbox.messages]
    assert [s.split("] ")[1] for s in subjects] == [
        "Your request is being handled", "We need your reply", "Your request is solved"]
    assert all(mid.endswith("@support.example>") for mid in smtp_server.mailbox.message_ids())
    # Tandem Assist gets the same three plus the rating invitation
    kinds = [n.kind for n in AssistInbox(session_factory).pending_for_customer(customer)]
    assert kinds == ["assigned", "waiting_customer", "solved", "rating_request"]


def test_smtp_settings_refuse_plaintext_off_loopback() -> None:
    with pytest.raises(ValueError):
        SmtpSettings(host="mail.example.com")
    with pytest.raises(ValueError):
        SmtpSettings(host="10.0.0.5", username="u", password="p", allow_plaintext=True)
    assert SmtpSettings(host="mail.example.com", starttls=True).starttls
    assert SmtpSettings(host="::1").host == "::1"
