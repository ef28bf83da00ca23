"""The screen-pop lookup: from what a contact arrives with to the whole customer profile.

One database session and about ten indexed queries per lookup, whatever the size of the
customer base: point lookups on unique or normalized columns (customer code, machine id,
E.164 phone, lower-cased e-mail), then bounded range scans on (customer_id, created_at)
indexes for the recent tickets, sessions and ratings. No ORM object graphs are loaded, so
there is no lazy loading and no N+1.

A machine that reports an environment has it stored as its latest report, with the one
before kept as the previous report, so the profile can say what changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import phonenumbers
from sqlalchemy import Connection, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from app.agents.models import Agent
from app.contacts.models import Contact
from app.contacts.models import Session as AssistSession
from app.customers.models import (
    ContactPerson,
    Customer,
    Installation,
    InstallationModule,
    Machine,
    Module,
    Product,
    ProductVersion,
)
from app.db.base import utcnow
from app.recordings.models import Recording
from app.screen_pop import environment as env_diff
from app.screen_pop.profile import (
    Company,
    ContactIdentity,
    InstalledProduct,
    MachineInfo,
    Person,
    Profile,
    RatingSummary,
    Satisfaction,
    SessionSummary,
    SlaTargets,
    TicketSummary,
)
from app.sla.models import CustomerCalendar
from app.sla.terms import CachedSlaTerms
from app.tickets.models import SatisfactionRating, Ticket

log = logging.getLogger(__name__)

MAX_IDENTIFIER_CHARS = 254
MAX_ENVIRONMENT_KEYS = 200


def normalize_phone(raw: str | None, default_region: str = "CN") -> str | None:
    """E.164 (``+8613812345678``) for a number in any usual written form, else None.

    Accepts international (+86 ..., 0086 ...), national (010-6552 1234, 138 1234 5678) and
    spaced/dashed/bracketed forms; national forms are read in ``default_region``.
    """
    if not isinstance(raw, str) or not raw or len(raw) > 64:
        return None
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not number.national_number:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str | None) -> str | None:
    if not isinstance(raw, str) or not raw:
        return None
    email = raw.strip().lower()
    if email.startswith("mailto:"):
        email = email[7:]
    if "@" not in email or len(email) > MAX_IDENTIFIER_CHARS:
        return None
    return email


def _clean(raw: str | None) -> str | None:
    if not isinstance(raw, str):
        return None
    value = raw.strip()
    return value if value and len(value) <= MAX_IDENTIFIER_CHARS else None


# Statements are built once (bound parameters by name): per lookup only the values change,
# so SQLAlchemy's compiled cache is hit without rebuilding expressions every time.
_MACHINE = select(
    Machine.id, Machine.customer_id, Machine.contact_person_id, Machine.hostname,
    Machine.environment, Machine.environment_reported_at,
    Machine.previous_environment, Machine.previous_environment_reported_at,
).where(Machine.machine_id == bindparam("machine_id"))
_CUSTOMER_BY_CODE = select(Customer.id).where(Customer.code == bindparam("code"))
_PERSON_BY_PHONE = (
    select(ContactPerson.id, ContactPerson.customer_id)
    .where(or_(ContactPerson.phone_e164 == bindparam("phone"),
               ContactPerson.mobile_e164 == bindparam("phone")))
    .order_by(ContactPerson.id).limit(20)
)
_PERSON_BY_EMAIL = (
    select(ContactPerson.id, ContactPerson.customer_id)
    .where(ContactPerson.email_normalized == bindparam("email"))
    .order_by(ContactPerson.id).limit(20)
)
_CUSTOMER = select(
    Customer.id, Customer.code, Customer.name, Customer.tier, Customer.region, Customer.timezone,
    Customer.language, Customer.notes, CustomerCalendar.calendar_id,
).outerjoin(CustomerCalendar, CustomerCalendar.customer_id == Customer.id).where(
    Customer.id == bindparam("cid"))
_PERSONS = select(
    ContactPerson.id, ContactPerson.name, ContactPerson.job_title, ContactPerson.phone,
    ContactPerson.mobile, ContactPerson.email, ContactPerson.language, ContactPerson.is_primary,
    ContactPerson.notes,
).where(ContactPerson.customer_id == bindparam("cid")).order_by(ContactPerson.id).limit(20)
_PRODUCTS = (
    select(Installation.id, Product.code, Product.name, ProductVersion.version,
           Installation.licences, Installation.installed_at, Module.name.label("module"))
    .join(Product, Product.id == Installation.product_id)
    .outerjoin(ProductVersion, ProductVersion.id == Installation.version_id)
    .outerjoin(InstallationModule, InstallationModule.installation_id == Installation.id)
    .outerjoin(Module, Module.id == InstallationModule.module_id)
    .where(Installation.customer_id == bindparam("cid"))
    .order_by(Installation.id, Module.id)
)
_TICKETS = (
    select(Ticket.id, Ticket.number, Ticket.title, Ticket.status, Ticket.priority,
           Ticket.classification, Product.name.label("product"), Module.name.label("module"),
           Agent.display_name, Ticket.created_at, Ticket.solved_at)
    .outerjoin(Product, Product.id == Ticket.product_id)
    .outerjoin(Module, Module.id == Ticket.module_id)
    .outerjoin(Agent, Agent.id == Ticket.assignee_id)
    .where(Ticket.customer_id == bindparam("cid"))
    .order_by(Ticket.created_at.desc(), Ticket.id.desc())
    .limit(bindparam("limit"))
)
_SESSIONS = (
    select(AssistSession.id, Contact.channel, Agent.display_name, AssistSession.consent,
           AssistSession.started_at, AssistSession.ended_at, AssistSession.end_reason, Ticket.number)
    .select_from(Contact)
    .join(AssistSession, AssistSession.contact_id == Contact.id)
    .outerjoin(Agent, Agent.id == AssistSession.agent_id)
    .outerjoin(Ticket, Ticket.id == Contact.ticket_id)
    .where(Contact.customer_id == bindparam("cid"))
    .order_by(Contact.created_at.desc(), AssistSession.id.desc())
    .limit(bindparam("limit"))
)
_RECORDINGS = (
    select(Recording.id, Recording.session_id)
    .where(Recording.session_id.in_(bindparam("session_ids", expanding=True)))
    .order_by(Recording.id)
)
_RATING_STATS = select(func.count(SatisfactionRating.id), func.avg(SatisfactionRating.score)).where(
    SatisfactionRating.customer_id == bindparam("cid"))
_RATINGS = (
    select(SatisfactionRating.score, SatisfactionRating.comment, SatisfactionRating.created_at,
           Ticket.number)
    .outerjoin(Ticket, Ticket.id == SatisfactionRating.ticket_id)
    .where(SatisfactionRating.customer_id == bindparam("cid"))
    .order_by(SatisfactionRating.created_at.desc(), SatisfactionRating.id.desc())
    .limit(bindparam("limit"))
)


class ScreenPopService:
    """``lookup(identity) -> Profile``; never raises for unknown or malformed identifiers."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        default_region: str = "CN",
        tickets: int = 10,
        sessions: int = 5,
        ratings: int = 5,
        clock: Callable[[], datetime] = utcnow,
        sla: CachedSlaTerms | None = None,
    ) -> None:
        self._sessions = session_factory
        #: SLA policies and calendars (app/sla), cached: they change rarely.
        self.sla = sla or CachedSlaTerms()
        self._region = default_region
        self._n_tickets = tickets
        self._n_sessions = sessions
        self._n_ratings = ratings
        self._clock = clock

    # --- entry point -------------------------------------------------------------------------
    def lookup(self, identity: ContactIdentity) -> Profile:
        now = self._clock()
        environment = _environment(identity.environment)
        code = _clean(identity.customer_code) or _clean(_vendor_code(environment))
        machine_key = _clean(identity.machine_id)
        phone = normalize_phone(identity.phone, self._region)
        caller_phone = phone or _clean(identity.phone)
        email = normalize_email(identity.email)

        with self._sessions() as db:
            conn = db.connection()
            customer_id: int | None = None
            matched_by: str | None = None
            person_id: int | None = None
            other = 0

            machine = None
            if machine_key:
                machine = conn.execute(_MACHINE, {"machine_id": machine_key}).first()
            if code:
                customer_id = conn.execute(_CUSTOMER_BY_CODE, {"code": code}).scalar()
                matched_by = "customer_code" if customer_id else None
            if customer_id is None and machine is not None and machine.customer_id:
                customer_id, matched_by = machine.customer_id, "machine_id"
            if machine is not None and machine.contact_person_id and machine.customer_id == customer_id:
                person_id = machine.contact_person_id

            for kind, stmt, params in (("phone", _PERSON_BY_PHONE, {"phone": phone} if phone else None),
                                       ("email", _PERSON_BY_EMAIL, {"email": email} if email else None)):
                if params is None or (person_id is not None and customer_id is not None):
                    continue
                rows = conn.execute(stmt, params).all()
                if not rows:
                    continue
                chosen = next((r for r in rows if r.customer_id == customer_id), rows[0])
                if customer_id is None:
                    customer_id, matched_by = chosen.customer_id, kind
                    other = len({r.customer_id for r in rows}) - 1
                if chosen.customer_id == customer_id:
                    person_id = chosen.id

            machine_info = None
            if machine_key:
                machine_info = self._record_machine(db, machine_key, machine, environment,
                                                    customer_id, person_id, now)
                db.commit()

            if customer_id is None:
                return Profile(known=False, matched_by=None, caller_phone=caller_phone,
                               caller_email=email or _clean(identity.email), machine=machine_info,
                               looked_up_at=now)
            return self._profile(db, customer_id, person_id, matched_by, caller_phone,
                                 email, machine_info, other, now)

    # --- the machine and its reports --------------------------------------------------------------
    @staticmethod
    def _record_machine(db: Session, machine_key: str, machine: Any,
                        environment: dict[str, Any] | None, customer_id: int | None,
                        person_id: int | None, now: datetime) -> MachineInfo:
        """Store a new report (latest -> previous) and return the machine with its changes."""
        if machine is None:
            hostname = str((environment or {}).get("hostname") or "")[:255]
            if environment is None and customer_id is None:
                return MachineInfo(machine_key, hostname, None, None, None, (), False)
            conn = db.connection()
            if insert_machine_if_absent(conn, {
                "machine_id": machine_key, "customer_id": customer_id,
                "contact_person_id": person_id, "hostname": hostname, "environment": environment,
                "environment_reported_at": now if environment is not None else None,
                "first_seen_at": now, "last_seen_at": now,
            }):
                return MachineInfo(machine_key, hostname, environment,
                                   now if environment is not None else None, None, (), False)
            # Another lookup recorded this machine a moment ago: update that row instead.
            machine = conn.execute(_MACHINE, {"machine_id": machine_key}).one()

        values: dict[str, Any] = {"last_seen_at": now}
        if customer_id is not None and machine.customer_id is None:
            values["customer_id"] = customer_id
        if person_id is not None and machine.contact_person_id is None:
            values["contact_person_id"] = person_id
        latest, latest_at = machine.environment, machine.environment_reported_at
        previous, previous_at = machine.previous_environment, machine.previous_environment_reported_at
        hostname = machine.hostname
        if environment is not None:
            previous, previous_at = latest, latest_at
            latest, latest_at = environment, now
            hostname = str(environment.get("hostname") or hostname)[:255]
            values.update(environment=latest, environment_reported_at=latest_at,
                          previous_environment=previous, previous_environment_reported_at=previous_at,
                          hostname=hostname)
        db.execute(update(Machine).where(Machine.id == machine.id).values(**values))
        return MachineInfo(machine_key, hostname, latest, latest_at, previous_at,
                           env_diff.diff(previous, latest), True)

    # --- the profile ------------------------------------------------------------------------
    def _profile(self, db: Session, customer_id: int, person_id: int | None,
                 matched_by: str | None, caller_phone: str | None, email: str | None,
                 machine: MachineInfo | None, other: int, now: datetime) -> Profile:
        conn = db.connection()
        cid = {"cid": customer_id}
        c = conn.execute(_CUSTOMER, cid).one()
        company = Company(c.id, c.code, c.name, c.tier.value, c.region, c.timezone, c.language, c.notes)
        person_rows = conn.execute(_PERSONS, cid).all()
        persons = tuple(Person(p.id, p.name, p.job_title, p.phone, p.mobile, p.email, p.language,
                               p.is_primary) for p in person_rows)
        person = next((p for p in persons if p.id == person_id), None)
        notes = tuple([company.notes] if company.notes else []) + tuple(
            f"{p.name}: {p.notes}" for p in person_rows if p.notes)
        return Profile(
            known=True, matched_by=matched_by, caller_phone=caller_phone, caller_email=email,
            company=company, person=person, contact_persons=persons,
            sla=self._sla(db, company, c.calendar_id, now),
            products=self._products(conn, cid), machine=machine,
            tickets=self._tickets(conn, cid), sessions=self._recent_sessions(conn, cid),
            satisfaction=self._satisfaction(conn, cid), notes=notes, other_matches=other,
            looked_up_at=now,
        )

    def _sla(self, db: Session, company: Company, calendar_id: int | None,
             now: datetime) -> SlaTargets | None:
        """The tier's targets and due times for a contact arriving now (app/sla's policies)."""
        try:
            p = self.sla.promise(db, company.tier, company.timezone, calendar_id, now)
        except Exception:  # a broken stored calendar must not cost the agent the whole profile
            log.exception("SLA terms for customer %s", company.code)
            return None
        return SlaTargets(
            p.policy.tier, int(p.policy.first_response.total_seconds() // 60),
            int(p.policy.resolution.total_seconds() // 60), p.calendar_text,
            p.first_response_due_at, p.resolution_due_at, p.calendar.timezone)

    @staticmethod
    def _products(conn: Connection, cid: dict[str, int]) -> tuple[InstalledProduct, ...]:
        grouped: dict[int, list[Any]] = {}
        for r in conn.execute(_PRODUCTS, cid):
            grouped.setdefault(r.id, []).append(r)
        return tuple(
            InstalledProduct(rs[0].code, rs[0].name, rs[0].version, rs[0].licences,
                             tuple(r.module for r in rs if r.module), rs[0].installed_at)
            for rs in grouped.values()
        )

    def _tickets(self, conn: Connection, cid: dict[str, int]) -> tuple[TicketSummary, ...]:
        return tuple(
            TicketSummary(r.id, r.number, r.title, r.status.value, r.priority.value,
                          r.classification.value if r.classification else None, r.product, r.module,
                          r.display_name, r.created_at, r.solved_at)
            for r in conn.execute(_TICKETS, cid | {"limit": self._n_tickets})
        )

    def _recent_sessions(self, conn: Connection, cid: dict[str, int]) -> tuple[SessionSummary, ...]:
        rows = conn.execute(_SESSIONS, cid | {"limit": self._n_sessions}).all()
        recordings: dict[int, list[int]] = {}
        if rows:
            for rec_id, session_id in conn.execute(_RECORDINGS, {"session_ids": [r.id for r in rows]}):
                recordings.setdefault(session_id, []).append(rec_id)
        return tuple(
            SessionSummary(r.id, r.channel.value if r.channel else None, r.display_name,
                           r.consent.value, r.started_at, r.ended_at, r.end_reason, r.number,
                           tuple(recordings.get(r.id, ())))
            for r in rows
        )

    def _satisfaction(self, conn: Connection, cid: dict[str, int]) -> Satisfaction:
        count, mean = conn.execute(_RATING_STATS, cid).one()
        recent: Sequence[Any] = ()
        if count:
            recent = conn.execute(_RATINGS, cid | {"limit": self._n_ratings}).all()
        return Satisfaction(
            int(count), round(float(mean), 2) if mean is not None else None,
            tuple(RatingSummary(r.score, r.comment, r.created_at, r.number) for r in recent),
        )


def insert_machine_if_absent(conn: Connection, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT (machine_id) DO NOTHING; True when this call created the row.

    Two rings from a new machine at once must not turn into a unique-constraint error.
    """
    dialect_insert = _CONFLICT_INSERTS.get(conn.dialect.name)
    if dialect_insert is None:  # other backends: check, then insert
        if conn.execute(_MACHINE, {"machine_id": values["machine_id"]}).first() is not None:
            return False
        conn.execute(insert(Machine), values)
        return True
    stmt = (dialect_insert(Machine).values(**values)
            .on_conflict_do_nothing(index_elements=[Machine.machine_id]).returning(Machine.id))
    return conn.execute(stmt).first() is not None


_CONFLICT_INSERTS: dict[str, Callable[..., Any]] = {
    "sqlite": sqlite_insert, "postgresql": postgresql_insert}


def _environment(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The report as a plain dict, or None when absent, empty or not a sane mapping."""
    if not raw or not isinstance(raw, Mapping) or len(raw) > MAX_ENVIRONMENT_KEYS:
        return None
    return dict(raw)


def _vendor_code(environment: Mapping[str, Any] | None) -> str | None:
    vendor = (environment or {}).get("vendor")
    code = vendor.get("customer_code") if isinstance(vendor, Mapping) else None
    return code if isinstance(code, str) else None
