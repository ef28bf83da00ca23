"""Turn what an assist reports (HelpRequest / SessionCode) into a Contact row.

Who the customer is and the machine's environment report are DATA's screen pop's job
(``ScreenPopService.lookup`` records the report, keeping the previous one, and resolves
the customer by code, vendor code or machine); this module only writes the contact with
what the lookup found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.contacts.models import Channel, Contact, ContactStatus
from app.customers.models import Machine
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

    def identity(self) -> dict[str, Any]:
        """Keyword arguments of DATA's ``ContactIdentity``."""
        return {"customer_code": self.customer_code or None,
                "machine_id": self.machine_id or None,
                "environment": dict(self.environment or {}) or None}

    @property
    def caller(self) -> str:
        hostname = str((self.environment or {}).get("hostname") or "")
        return (hostname or self.machine_id or self.customer_code or "Tandem Assist")[:254]


@dataclass(frozen=True)
class Identified:
    """What the screen pop found about a contact."""

    profile: dict[str, Any]
    customer_id: int | None = None
    contact_person_id: int | None = None


@dataclass(frozen=True)
class NewContact:
    contact_id: int
    customer_id: int | None
    machine_db_id: int | None
    caller: str


def record_contact(session_factory: sessionmaker[Session], report: AssistReport,
                   who: Identified, *, channel: Channel = Channel.ASSIST,
                   status: ContactStatus = ContactStatus.NEW, agent_id: int | None = None,
                   existing_contact_id: int | None = None) -> NewContact:
    """Insert the Contact; with ``existing_contact_id`` refresh that waiting contact."""
    now = utcnow()
    with session_factory() as db, db.begin():
        machine_db_id = None
        if report.machine_id:
            machine_db_id = db.scalar(select(Machine.id).where(
                Machine.machine_id == report.machine_id))
        if existing_contact_id is not None:
            existing = db.get(Contact, existing_contact_id)
            if existing is not None:
                if report.problem:
                    existing.problem = report.problem
                return NewContact(existing.id, existing.customer_id, existing.machine_id,
                                  existing.caller)
        contact = Contact(channel=channel, status=status, customer_id=who.customer_id,
                          contact_person_id=who.contact_person_id, machine_id=machine_db_id,
                          caller=report.caller, problem=report.problem, created_at=now,
                          agent_id=agent_id,
                          answered_at=now if status is ContactStatus.ANSWERED else None)
        db.add(contact)
        db.flush()
        return NewContact(contact.id, contact.customer_id, machine_db_id, contact.caller)


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
