"""Console-API side of tickets: wrap-up, lists and detail over ROUTE's ``TicketService``.

The console speaks product/module/version by code or name and customers by code; the
ticket service wants ids. This module resolves them and enriches ROUTE's summaries with
the names the console shows. Lifecycle rules stay in ``TicketService``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from app.agents.models import Agent
from app.api import messages as m
from app.contacts.models import Queue
from app.contacts.models import Session as SessionRow
from app.customers.models import Customer, Module, Product, ProductVersion
from app.recordings.models import Recording
from app.recordings.service import RecordingAccessDenied, RecordingService
from app.tickets.models import Ticket, TicketPriority, TicketSession
from app.tickets.service import TicketService
from app.tickets.types import TicketError, TicketQuery, WrapUp

PRIORITIES = {p.value for p in TicketPriority}


class TicketsApi:
    def __init__(self, session_factory: sessionmaker[Session], tickets: TicketService,
                 recordings: RecordingService) -> None:
        self._sf = session_factory
        self.service = tickets
        self.recordings = recordings

    # ------------------------------------------------------------ wrap-up

    def wrap_up(self, agent: m.AgentProfile, msg: m.WrapUp, db_session_id: int | None,
                recording_id: int | None) -> tuple[int, str]:
        f = msg.fields
        if f.priority not in PRIORITIES:
            raise m.ApiError(m.ErrorCode.BAD_FIELD, f"priority must be one of "
                             f"{', '.join(sorted(PRIORITIES))}")
        product_id, module_id, version_id = self._catalogue_ids(f.product, f.module, f.version)
        customer_id = None
        if f.customer_code:
            with self._sf() as db:
                customer_id = db.scalar(select(Customer.id).where(
                    Customer.code == f.customer_code))
            if customer_id is None:
                raise m.ApiError(m.ErrorCode.BAD_FIELD,
                                 f"unknown customer code {f.customer_code!r}")
        request = WrapUp(
            agent_id=agent.agent_id, customer_id=customer_id, ticket_id=msg.ticket_id, session_id=db_session_id,
            contact_id=msg.contact_id, recording_id=recording_id, title=f.title,
            notes=f.notes, classification=f.classification.value, product_id=product_id,
            module_id=module_id, version_id=version_id, priority=f.priority,
            resolution=f.resolution, solved=f.solved)
        try:
            ticket_id = self.service.wrap_up(request)
        except TicketError as exc:
            text = str(exc)
            if "needs a customer" in text:
                text = ("This caller is not a known customer: enter the customer's code in "
                        "the wrap-up to create the ticket.")
            raise m.ApiError(m.ErrorCode.CONFLICT, text) from None
        with self._sf() as db:
            number = db.scalar(select(Ticket.number).where(Ticket.id == ticket_id)) or ""
        return ticket_id, number

    def _catalogue_ids(self, product: str | None, module: str | None,
                       version: str | None) -> tuple[int | None, int | None, int | None]:
        if not product:
            return None, None, None
        with self._sf() as db:
            product_id = db.scalar(select(Product.id).where(
                or_(Product.code == product, Product.name == product)))
            if product_id is None:
                raise m.ApiError(m.ErrorCode.BAD_FIELD, f"unknown product {product!r}")
            module_id = version_id = None
            if module:
                module_id = db.scalar(select(Module.id).where(
                    Module.product_id == product_id,
                    or_(Module.code == module, Module.name == module)))
                if module_id is None:
                    raise m.ApiError(m.ErrorCode.BAD_FIELD, f"unknown module {module!r}")
            if version:
                version_id = db.scalar(select(ProductVersion.id).where(
                    ProductVersion.product_id == product_id, ProductVersion.version == version))
                if version_id is None:
                    raise m.ApiError(m.ErrorCode.BAD_FIELD, f"unknown version {version!r}")
        return product_id, module_id, version_id

    # ------------------------------------------------------------ lists and detail

    def tickets(self, agent: m.AgentProfile, f: m.TicketFilters) -> m.TicketsResult:
        customer_id = None
        if f.customer_code:
            with self._sf() as db:
                customer_id = db.scalar(select(Customer.id).where(
                    Customer.code == f.customer_code))
            if customer_id is None:
                return m.TicketsResult(tickets=(), total=0)
        queue_id = None
        if f.queue:
            with self._sf() as db:
                queue_id = db.scalar(select(Queue.id).where(Queue.name == f.queue))
            if queue_id is None:
                raise m.ApiError(m.ErrorCode.NOT_FOUND, f"no queue {f.queue!r}")
        limit = max(1, min(f.limit, 500))
        rows = self.service.search(TicketQuery(
            assignee_id=agent.agent_id if f.mine else None, queue_id=queue_id,
            statuses=f.status,
            customer_id=customer_id, text=f.text or None, limit=limit, offset=f.offset))
        summaries = self._summaries([r.id for r in rows])
        result = [summaries[r.id] for r in rows if r.id in summaries]
        if f.classification is not None:
            result = [t for t in result if t.classification == f.classification.value]
        more = len(rows) == limit
        return m.TicketsResult(tickets=tuple(result),
                               total=f.offset + len(result) + (1 if more else 0))

    def _summaries(self, ids: list[int]) -> dict[int, m.TicketSummary]:
        if not ids:
            return {}
        with self._sf() as db:
            rows = db.execute(
                select(Ticket, Customer.code, Customer.name, Agent.display_name)
                .outerjoin(Customer, Customer.id == Ticket.customer_id)
                .outerjoin(Agent, Agent.id == Ticket.assignee_id)
                .where(Ticket.id.in_(ids))).all()
            return {t.id: _summary(t, code, name, assignee) for t, code, name, assignee in rows}

    def ticket_detail(self, agent: m.AgentProfile, ticket_id: int) -> m.TicketDetail:
        summary = self._summaries([ticket_id]).get(ticket_id)
        if summary is None:
            raise m.ApiError(m.ErrorCode.NOT_FOUND, f"no ticket {ticket_id}")
        with self._sf() as db:
            ticket = db.get(Ticket, ticket_id)
            assert ticket is not None
            product = db.get(Product, ticket.product_id) if ticket.product_id else None
            module = db.get(Module, ticket.module_id) if ticket.module_id else None
            version = db.get(ProductVersion, ticket.version_id) if ticket.version_id else None
            names = dict(db.execute(select(Agent.id, Agent.display_name)).all())
            sessions = db.execute(
                select(SessionRow).join(TicketSession, TicketSession.session_id == SessionRow.id)
                .where(TicketSession.ticket_id == ticket_id).order_by(SessionRow.id)).scalars()
            session_items = tuple(m.SessionItem(
                session_id=s.id, started_at=s.started_at, ended_at=s.ended_at,
                agent=names.get(s.agent_id), end_reason=s.end_reason) for s in sessions)
            recording_ids = db.scalars(select(Recording.id).where(
                Recording.ticket_id == ticket_id).order_by(Recording.id)).all()
            description, resolution = ticket.description, ticket.resolution
        events = tuple(_event(e, names) for e in self.service.history(ticket_id))
        recordings = []
        from app.hub.recordings_api import summary_of
        for rid in recording_ids:
            try:
                recordings.append(summary_of(self.recordings.get(agent.agent_id, rid)))
            except RecordingAccessDenied:
                continue
        return m.TicketDetail(
            ticket=summary, description=description, resolution=resolution,
            product=product.name if product else None, module=module.name if module else None,
            version=version.version if version else None, events=events,
            sessions=session_items, recordings=tuple(recordings))


def _summary(t: Ticket, code: str | None, name: str | None,
             assignee: str | None) -> m.TicketSummary:
    return m.TicketSummary(
        ticket_id=t.id, number=t.number, title=t.title, status=t.status.value,
        priority=t.priority.value,
        classification=t.classification.value if t.classification else None,
        customer_code=code, customer_name=name, assignee=assignee, created_at=t.created_at,
        updated_at=t.updated_at, resolution_due_at=t.resolution_due_at,
        breached=t.first_response_breached or t.resolution_breached)


def _event(raw: dict[str, Any], names: dict[int, str]) -> m.TicketEventItem:
    details = {k: _jsonable(v) for k, v in raw.items() if k not in ("kind", "agent_id", "at")}
    who = names.get(raw.get("agent_id")) if raw.get("agent_id") else details.get("by")
    return m.TicketEventItem(at=raw["at"], kind=str(raw["kind"]),
                             who=str(who) if who else None, details=details)


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)
