"""Turn what an assist reports (HelpRequest / SessionCode) into a Contact row.

The machine is recorded by its Tandem Assist machine id with its environment report
(the previous report is kept so the screen pop can say what changed); the customer is
found by the vendor customer code from the assist's vendor configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.contacts.models import Channel, Contact, ContactStatus
from app.customers.models import Customer, Machine
from app.db.base import utcnow


@dataclass(frozen=True)
class AssistReport:
    """The identifying part of an assist's HelpRequest or SessionCode message."""

    problem: str = ""
    environment: Mapping[str, Any] | None = None
    machine_id: str = ""
    customer_code: str = ""

    @classmethod
    def of(cls, message: Any) -> AssistReport:
        return cls(problem=getattr(message, "problem", "") or "",
                   environment=dict(getattr(message, "environment", {}) or {}),
                   machine_id=getattr(message, "machine_id", "") or "",
                   customer_code=getattr(message, "customer_code", "") or "")


@dataclass(frozen=True)
class NewContact:
    contact_id: int
    customer_id: int | None
    machine_db_id: int | None
    caller: str


def record_contact(session_factory: sessionmaker[Session], report: AssistReport,
                   channel: Channel = Channel.ASSIST,
                   status: ContactStatus = ContactStatus.NEW,
                   existing_contact_id: int | None = None) -> NewContact:
    """Insert the Contact (and upsert its Machine) in one transaction; with
    ``existing_contact_id`` the machine's report refreshes that waiting contact instead."""
    now = utcnow()
    env = dict(report.environment or {})
    hostname = str(env.get("hostname", ""))[:255]
    with session_factory() as db, db.begin():
        customer = None
        if report.customer_code:
            customer = db.scalar(select(Customer).where(Customer.code == report.customer_code))
        machine = None
        if report.machine_id:
            machine = db.scalar(select(Machine).where(Machine.machine_id == report.machine_id))
            if machine is None:
                machine = Machine(machine_id=report.machine_id, first_seen_at=now)
                db.add(machine)
            elif env and machine.environment != env:
                machine.previous_environment = machine.environment
                machine.previous_environment_reported_at = machine.environment_reported_at
            if env:
                machine.environment = env
                machine.environment_reported_at = now
            machine.hostname = hostname or machine.hostname or ""
            machine.last_seen_at = now
            if customer is not None and machine.customer_id is None:
                machine.customer_id = customer.id
            db.flush()
            if customer is None and machine.customer_id is not None:
                customer = db.get(Customer, machine.customer_id)
        caller = hostname or report.machine_id or report.customer_code or "Tandem Assist"
        if existing_contact_id is not None:
            existing = db.get(Contact, existing_contact_id)
            if existing is not None:
                if report.problem:
                    existing.problem = report.problem
                return NewContact(existing.id, existing.customer_id, existing.machine_id,
                                  existing.caller)
        contact = Contact(channel=channel, status=status,
                          customer_id=customer.id if customer else None,
                          machine_id=machine.id if machine else None,
                          contact_person_id=machine.contact_person_id if machine else None,
                          caller=caller[:254], problem=report.problem, created_at=now)
        db.add(contact)
        db.flush()
        return NewContact(contact.id, contact.customer_id, contact.machine_id, caller)


def find_waiting_contact(session_factory: sessionmaker[Session], machine_id: str,
                         exclude: set[int]) -> int | None:
    """The newest assist contact of this machine still waiting in the queue (e.g. queued
    before a hub restart), unless its contact id is in ``exclude`` (already connected)."""
    if not machine_id:
        return None
    with session_factory() as db:
        rows = db.scalars(
            select(Contact.id).join(Machine, Machine.id == Contact.machine_id)
            .where(Machine.machine_id == machine_id, Contact.channel == Channel.ASSIST,
                   Contact.status.in_((ContactStatus.QUEUED, ContactStatus.OFFERED)))
            .order_by(Contact.id.desc())).all()
    return next((cid for cid in rows if cid not in exclude), None)
