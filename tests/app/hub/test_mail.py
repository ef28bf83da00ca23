"""Customer e-mail from a real hub to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.api import messages as api
from app.customers.models import ContactPerson, Customer
from app.hub.server import HubConfigError, check_listen
from app.notify.models import OutboxChannel, OutboxMessage, OutboxStatus
from app.tickets.models import Ticket
from tests.app.hub.conftest import hub_config
from tests.app.hub.support import Console, request_help, run

CUSTOMER_EMAIL = "li.wei@acme.example"


class Inbox:
    """aiosmtpd handler keeping what it was given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(message_from_bytes(envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 2.0.0 OK"


@pytest.fixture
def smtp(free_port: int) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port)
    controller.start()
    try:
        yield inbox, free_port
    finally:
        controller.stop()


@pytest.fixture
def acme_contact(db: sessionmaker[Session]) -> None:
    with db() as s, s.begin():
        acme = s.scalars(select(Customer).where(Customer.code == "ACME")).one()
        s.add(ContactPerson(customer_id=acme.id, name="Li Wei", email=CUSTOMER_EMAIL,
                            email_normalized=CUSTOMER_EMAIL, is_primary=True))


async def solve_one_contact(url: str) -> api.WrapUpDone:
    alice = await Console.sign_in(url, "alice")
    await alice.ready()
    assist, _ = await request_help(url)
    ring = await alice.next(api.Ring)
    accepted = await alice.client.call(api.Accept(offer_id=ring.offer_id), api.Accepted)
    await alice.client.call(api.EndSession(session_id=accepted.session_id), api.Ok)
    done = await alice.client.call(api.WrapUp(
        contact_id=accepted.contact_id, session_id=accepted.session_id,
        fields=api.WrapUpFields(classification=api.Classification.HOW_TO, solved=True,
                                resolution="Explained the report filter")), api.WrapUpDone)
    await assist.close()
    await alice.close()
    return done


def test_solved_ticket_e_mails_the_customer(hub_factory, db, acme_contact, smtp,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import app.hub.mail as mail

    monkeypatch.setattr(mail, "MAIL_EVERY_S", 0.1)
    inbox, port = smtp
    hub = hub_factory(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                      smtp_sender="Acme Support <support@vendor.example>")

    async def scenario() -> api.WrapUpDone:
        done = await solve_one_contact(hub.url)
        for _ in range(500):  # the server has it, then the outbox marks it sent
            if any(done.number in (m["Subject"] or "") for m in inbox.messages) and sent(done):
                break
            await asyncio.sleep(0.02)
        return done

    def sent(done: api.WrapUpDone) -> bool:
        with db() as s:
            return s.scalars(select(OutboxMessage.id).where(
                OutboxMessage.channel == OutboxChannel.EMAIL,
                OutboxMessage.ticket_id == done.ticket_id,
                OutboxMessage.status == OutboxStatus.SENT)).first() is not None

    done = run(scenario())
    [solved] = [m for m in inbox.messages if done.number in (m["Subject"] or "")]
    assert solved["To"] == CUSTOMER_EMAIL and inbox.recipients[-1] == [CUSTOMER_EMAIL]
    assert solved["From"] == "Acme Support <support@vendor.example>"
    assert "Explained the report filter" in solved.get_payload(decode=True).decode()
    with db() as s:
        row = s.scalars(select(OutboxMessage).where(
            OutboxMessage.channel == OutboxChannel.EMAIL,
            OutboxMessage.message_id == solved["Message-ID"])).one()
        assert row.status == OutboxStatus.SENT and row.ticket_id == done.ticket_id
    assert hub.hub.mailer is not None and hub.hub.mailer.running
    hub.stop()
    assert not hub.hub.mailer.running and hub.hub.mailer.stopped_cleanly


def test_without_smtp_host_mail_stays_in_the_outbox(hub_factory, db, acme_contact,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="app.hub.mail")
    hub = hub_factory()
    done = run(solve_one_contact(hub.url))
    with db() as s:
        ticket = s.get(Ticket, done.ticket_id)
        assert ticket is not None
        rows = s.scalars(select(OutboxMessage).where(
            OutboxMessage.channel == OutboxChannel.EMAIL,
            OutboxMessage.ticket_id == done.ticket_id)).all()
        assert rows and all(r.status == OutboxStatus.PENDING for r in rows)
    off = [r for r in caplog.records if "e-mail delivery is off" in r.getMessage()]
    assert len(off) == 1


def test_mail_in_clear_off_loopback_is_refused(data_dir) -> None:
    with pytest.raises(HubConfigError, match="smtp"):
        check_listen(hub_config(data_dir, smtp_host="mail.example.com", smtp_starttls=False))
    check_listen(hub_config(data_dir, smtp_host="mail.example.com"))  # STARTTLS: fine
