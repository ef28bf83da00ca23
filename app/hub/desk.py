"""The support desk's live state on the hub: rings, accepted contacts, live sessions.

It is the one place that composes the services: DATA's models and screen pop, ROUTE's
``Dispatcher`` (offers, timeouts, presence) and ``TicketService`` (wrap-up), REC's
recorder and recordings service, PROTO's ``Relay`` (talking to the customer's assist).
Everything runs on the hub's asyncio loop, single-threaded, so the in-memory maps here
never need locks; slow work (screen pop lookups) goes to worker threads.

Relay session ids are random strings made here; each maps to a contact (and, once an
agent accepted, to a ``sessions`` row and a viewer token).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.agents.models import Agent
from app.api import messages as m
from app.config import Config
from app.contacts.models import Channel, Contact, ContactStatus
from app.contacts.models import Session as SessionRow
from app.customers.models import Customer, Machine
from app.db.base import utcnow
from app.hub.codes import CodeRefused, SessionCodes
from app.hub.intake import AssistReport, find_waiting_contact, record_contact
from app.hub.presence import ConsoleRegistry
from app.routing.dispatcher import Dispatcher
from app.routing.engine import RoutingError
from app.routing.types import (
    Action,
    AgentPresenceChanged,
    LeaveTicket,
    Offer,
    OfferCancelled,
    OfferExpired,
    Overflowed,
)

log = logging.getLogger(__name__)

VIEWER_PATH = "/viewer"
ORPHAN_GRACE_S = 120.0


@dataclass
class LiveSession:
    """A customer's assist on the relay and what the hub knows of it."""

    session_id: str
    contact_id: int
    customer_id: int | None
    machine_db_id: int | None
    report: AssistReport
    agent_id: int | None = None
    agent_name: str = ""
    db_session_id: int | None = None
    viewer_token: str | None = None
    recording_id: int | None = None
    recorder: Any = None
    ended: bool = False
    queue_sent: tuple[int, int] | None = None
    routed: bool = False  # already in routing (waited through a hub restart)
    rating_ticket: int | None = None  # the ticket a rating request was sent for


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class Desk:
    """See the module docstring. ``relay`` is attached after construction (it needs the
    broker, which needs the desk)."""

    def __init__(self, config: Config, session_factory: sessionmaker[Session],
                 registry: ConsoleRegistry, dispatcher: Dispatcher, services: Any) -> None:
        self.config = config
        self._sf = session_factory
        self.registry = registry
        self.dispatcher = dispatcher
        self.services = services  # app.hub.services.Services (screen pop, tickets, recordings)
        self.recordings = services.recordings_api
        self.relay: Any = None
        self.codes = SessionCodes(config.session_code_ttl_s)
        self._offers: dict[int, Offer] = {}
        self._live: dict[str, LiveSession] = {}
        self._by_contact: dict[int, str] = {}
        self._by_viewer_token: dict[str, str] = {}
        self._profiles: dict[int, dict[str, Any]] = {}
        self._orphans: dict[int, float] = {}  # recovered contact id -> loop-time deadline
        self._stats_sent: m.QueueStats | None = None
        self._handlers: dict[type, Callable[[Any], Awaitable[None]]] = {
            Offer: self._on_offer,
            OfferExpired: self._on_offer_expired,
            OfferCancelled: self._on_offer_cancelled,
            Overflowed: self._on_overflowed,
            LeaveTicket: self._on_leave_ticket,
            AgentPresenceChanged: self._on_presence,
        }

    # ------------------------------------------------------------ routing actions

    async def apply(self, actions: list[Action]) -> None:
        """Carry out what routing decided: ring consoles, stop rings, tell customers."""
        for action in actions:
            handler = self._handlers.get(type(action))
            if handler is None:
                log.warning("no handler for routing action %r", action)
                continue
            try:
                await handler(action)
            except Exception:
                log.exception("failed to carry out %r", action)

    async def _on_offer(self, offer: Offer) -> None:
        self._offers[offer.offer_id] = offer
        ring = await self._ring(offer)
        if not self.registry.push(offer.agent_id, ring):
            log.info("offer %s to agent %s: no console connected", offer.offer_id,
                     offer.agent_id)

    async def _on_offer_expired(self, action: OfferExpired) -> None:
        self._offers.pop(action.offer_id, None)
        self.registry.push(action.agent_id, m.RingCancelled(offer_id=str(action.offer_id),
                                                            reason="timeout"))

    async def _on_offer_cancelled(self, action: OfferCancelled) -> None:
        self._offers.pop(action.offer_id, None)
        self.registry.push(action.agent_id, m.RingCancelled(offer_id=str(action.offer_id),
                                                            reason=action.reason))

    async def _on_overflowed(self, action: Overflowed) -> None:
        log.info("contact %s overflowed from %s to %s", action.contact_id, action.from_queue,
                 action.to_queue)

    async def _on_leave_ticket(self, action: LeaveTicket) -> None:
        session_id = self._by_contact.get(action.contact_id)
        if session_id is not None and self.relay is not None:
            from remote.protocol.messages import ByeReason
            await self.relay.end_session(session_id, ByeReason.NORMAL,
                                         "No agent is free right now. Please leave a ticket; "
                                         "we will get back to you.")

    async def _on_presence(self, action: AgentPresenceChanged) -> None:
        self.registry.push(action.agent_id, m.StatusChanged(
            status=m.AgentState(action.presence.value), since=utcnow(),
            reason=action.reason or None))

    async def tick(self) -> None:
        """Ring timeouts, aging, overflow; queue positions to waiting customers."""
        await self.apply(self.dispatcher.tick())
        if self._orphans:
            await self._abandon_orphans()
        await self._send_queue_status()
        stats = self.queue_stats()
        if stats != self._stats_sent:
            self._stats_sent = stats
            for agent_id in self.registry.agent_ids():
                self.registry.push(agent_id, stats)

    def queue_stats(self) -> m.QueueStats:
        """Contacts waiting (not ringing, not answered), the longest wait, agents ready."""
        summary = self.dispatcher.queue_summary()
        return m.QueueStats(waiting=summary.waiting,
                            longest_wait_s=float(round(summary.longest_wait_s)),
                            agents_ready=summary.ready_agents)

    async def _send_queue_status(self) -> None:
        if self.relay is None:
            return
        from remote.protocol.messages import QueueStatus
        for live in list(self._live.values()):
            if live.agent_id is not None or live.ended:
                continue
            try:
                position, eta = self.dispatcher.queue_position(live.contact_id)
            except Exception:  # the contact left the routing engine (e.g. leave-a-ticket)
                continue
            status = (int(position), int(eta))
            if status == live.queue_sent:
                continue
            try:
                sent = await self.relay.send_to_assist(
                    live.session_id, QueueStatus(position=status[0], eta_s=status[1]))
            except Exception as exc:  # e.g. the assist's Admitted is still in its outbox
                log.debug("queue status for session %s not sent yet: %s", live.session_id, exc)
                continue
            if sent:
                live.queue_sent = status

    # ------------------------------------------------------------ rings and profiles

    async def _ring(self, offer: Offer) -> m.Ring:
        with self._sf() as db:
            contact = db.get(Contact, offer.contact_id)
            if contact is None:
                raise RoutingError(f"offer {offer.offer_id} for unknown contact")
            customer = db.get(Customer, contact.customer_id) if contact.customer_id else None
            channel, caller, problem = contact.channel.value, contact.caller, contact.problem
            queued_at = contact.queued_at or contact.created_at
        profile = await self.profile_for_contact(offer.contact_id)
        return m.Ring(offer_id=str(offer.offer_id), contact_id=offer.contact_id,
                      caller=caller or "", company=customer.name if customer else "",
                      tier=customer.tier.value if customer else "",
                      channel=m.Channel(channel), problem=problem or "",
                      queued_at=queued_at, expires_at=_dt(offer.expires_at), profile=profile)

    async def profile_for_contact(self, contact_id: int) -> dict[str, Any]:
        """DATA's screen-pop profile of a contact (cached: computed once at arrival)."""
        cached = self._profiles.get(contact_id)
        if cached is not None:
            return cached
        identity = self._identity_of(contact_id)
        who = await asyncio.to_thread(self.services.identify, identity)
        self._profiles[contact_id] = who.profile
        return who.profile

    def _identity_of(self, contact_id: int) -> dict[str, Any]:
        session_id = self._by_contact.get(contact_id)
        live = self._live.get(session_id) if session_id else None
        if live is not None:  # no environment: the report was recorded at arrival
            return {**live.report.identity(), "environment": None}
        with self._sf() as db:
            contact = db.get(Contact, contact_id)
            if contact is None:
                raise m.ApiError(m.ErrorCode.NOT_FOUND, f"no contact {contact_id}")
            machine = db.get(Machine, contact.machine_id) if contact.machine_id else None
            customer = db.get(Customer, contact.customer_id) if contact.customer_id else None
            return {"customer_code": customer.code if customer else None,
                    "machine_id": machine.machine_id if machine else None,
                    "environment": None}

    # ------------------------------------------------------------ presence

    async def agent_signed_in(self, profile: m.AgentProfile,
                              resumed: bool) -> tuple[m.AgentState, datetime]:
        """A console signed in: the agent comes online (Not ready; back in a session if one
        is still live for them)."""
        busy = any(s.agent_id == profile.agent_id and not s.ended for s in self._live.values())
        wanted = m.AgentState.BUSY if busy else m.AgentState.NOT_READY
        with self._sf() as db:
            agent = db.get(Agent, profile.agent_id)
            current = m.AgentState(agent.status.value) if agent else m.AgentState.OFFLINE
            since = (agent.status_since if agent else None) or utcnow()
        if current is m.AgentState.OFFLINE or (busy and current is not m.AgentState.BUSY):
            await self.apply(self.dispatcher.agent_state_changed(profile.agent_id, wanted.value,
                                                                 "signed in"))
            return wanted, utcnow()
        # Still online (another console of the same agent was replaced): keep the state and
        # ring again what is ringing for them.
        for offer in [o for o in self._offers.values() if o.agent_id == profile.agent_id]:
            self.registry.push(profile.agent_id, await self._ring(offer))
        return current, since

    def notice_for(self, profile: m.AgentProfile) -> str:
        """Start-up notice (first admin's password file, demo sign-in) for admins only."""
        return self.services.notice if profile.role is m.Role.ADMIN or self.config.demo else ""

    async def set_status(self, agent_id: int, status: m.AgentState,
                         reason: str | None) -> m.StatusChanged:
        actions = self.dispatcher.agent_state_changed(agent_id, status.value, reason)
        await self.apply([a for a in actions if not isinstance(a, AgentPresenceChanged)
                          or a.agent_id != agent_id])
        return m.StatusChanged(status=status, since=utcnow(), reason=reason)

    async def agent_disconnected(self, agent_id: int) -> None:
        """The agent's console is gone: offline, and their rings go back to the queue."""
        log.info("agent %s went offline (console disconnected)", agent_id)
        for offer_id in [o.offer_id for o in self._offers.values() if o.agent_id == agent_id]:
            self._offers.pop(offer_id, None)
        await self.apply(self.dispatcher.agent_disconnected(agent_id))

    # ------------------------------------------------------------ accept / decline

    async def accept(self, agent: m.AgentProfile, offer_id: str) -> m.Message:
        try:
            oid = int(offer_id)
        except ValueError:
            return m.AcceptFailed(offer_id=offer_id, reason="unknown offer")
        offer = self._offers.get(oid)
        if offer is None or offer.agent_id != agent.agent_id:
            return m.AcceptFailed(offer_id=offer_id,
                                  reason="This contact is no longer ringing for you.")
        session_id = self._by_contact.get(offer.contact_id)
        live = self._live.get(session_id) if session_id else None
        if live is None or live.ended:
            reason = ("The customer is reconnecting after a hub restart; try again shortly."
                      if offer.contact_id in self._orphans else "The customer has left.")
            return m.AcceptFailed(offer_id=offer_id, reason=reason)
        result = self.dispatcher.offer_accepted(oid, agent.agent_id)
        self._offers.pop(oid, None)
        if not result.ok:
            return m.AcceptFailed(offer_id=offer_id, reason=result.reason or "already taken")
        await self.apply(result.actions)
        self.registry.push(agent.agent_id, m.StatusChanged(
            status=m.AgentState.BUSY, since=utcnow(), reason="contact accepted"))
        await self._start_session(live, agent)
        log.info("%s accepted contact %s (session %s)", agent.login, live.contact_id,
                 live.session_id)
        assert live.viewer_token is not None
        return m.Accepted(offer_id=offer_id, contact_id=live.contact_id,
                          session_id=live.session_id, viewer_path=VIEWER_PATH,
                          viewer_token=live.viewer_token)

    async def _start_session(self, live: LiveSession, agent: m.AgentProfile) -> None:
        """The agent has the contact: a ``sessions`` row, a viewer token, the customer told."""
        now = utcnow()
        with self._sf() as db, db.begin():
            row = SessionRow(contact_id=live.contact_id, agent_id=agent.agent_id,
                             machine_id=live.machine_db_id, started_at=now)
            db.add(row)
            db.flush()
            live.db_session_id = row.id
        live.agent_id = agent.agent_id
        live.agent_name = agent.display_name
        live.viewer_token = secrets.token_urlsafe(24)
        self._by_viewer_token[live.viewer_token] = live.session_id
        # The relay tells the customer "<agent> joined" when the viewer connects.
        if live.recorder is not None:
            live.recording_id = await asyncio.to_thread(
                self.services.recordings.started, live.recorder.path,
                session_id=live.db_session_id, agent_id=agent.agent_id,
                customer_id=live.customer_id, started_at=now)

    async def decline(self, agent_id: int, offer_id: str) -> None:
        try:
            oid = int(offer_id)
        except ValueError:
            raise m.ApiError(m.ErrorCode.NOT_FOUND, "unknown offer") from None
        offer = self._offers.get(oid)
        if offer is None or offer.agent_id != agent_id:
            return  # already gone (timed out, taken): nothing to decline
        self._offers.pop(oid, None)
        await self.apply(self.dispatcher.offer_declined(oid, agent_id))

    # ------------------------------------------------------------ session codes

    def issue_session_code(self, agent: m.AgentProfile, problem: str) -> m.SessionCode:
        issued = self.codes.issue(agent.agent_id, agent.display_name, problem)
        expires = utcnow().timestamp() + self.codes.ttl_s
        return m.SessionCode(code=issued.code, expires_at=_dt(expires))

    # ------------------------------------------------------------ relay broker side

    async def assist_arrived(self, report: AssistReport, peer: str) -> str:
        """A customer pressed "Request help": screen pop (which also records the machine's
        environment report), then the contact; routing starts once the relay has the
        session (``session_started``)."""
        who = await asyncio.to_thread(self.services.identify, report.identity())
        waiting = find_waiting_contact(self._sf, report.machine_id, set(self._by_contact))
        if waiting is not None and waiting in self._orphans:
            # Queued before a hub restart: the customer keeps their place in the queue.
            del self._orphans[waiting]
            contact = await asyncio.to_thread(record_contact, self._sf, report, who,
                                              existing_contact_id=waiting)
            live = self._new_live(contact.contact_id, contact.customer_id,
                                  contact.machine_db_id, report)
            live.routed = True
            log.info("contact %s: the customer came back after a hub restart", waiting)
        else:
            contact = await asyncio.to_thread(record_contact, self._sf, report, who)
            live = self._new_live(contact.contact_id, contact.customer_id,
                                  contact.machine_db_id, report)
        self._profiles[contact.contact_id] = who.profile
        log.info("contact %s from %s (%s) waiting in session %s", contact.contact_id, peer,
                 contact.caller, live.session_id)
        return live.session_id

    async def code_redeemed(self, code: str, report: AssistReport, peer: str) -> str:
        """A customer typed a session code: the session belongs to the agent who issued it."""
        issued = self.codes.redeem(code, peer)
        with self._sf() as db:
            agent_row = db.get(Agent, issued.agent_id)
            if agent_row is None or not agent_row.active:
                raise CodeRefused("That session code is no longer valid.")
            agent = m.AgentProfile(agent_id=agent_row.id, login=agent_row.login,
                                   display_name=agent_row.display_name,
                                   role=m.Role(agent_row.role.value))
        report = AssistReport(report.problem or issued.problem, report.environment,
                              report.machine_id, report.customer_code)
        who = await asyncio.to_thread(self.services.identify, report.identity())
        contact = await asyncio.to_thread(record_contact, self._sf, report, who,
                                          status=ContactStatus.ANSWERED,
                                          agent_id=issued.agent_id)
        self._profiles[contact.contact_id] = who.profile
        live = self._new_live(contact.contact_id, contact.customer_id, contact.machine_db_id,
                              report)
        await self._start_session(live, agent)
        # No routing for a code session: keep the agent out of rings until wrap-up.
        await self.apply(self.dispatcher.agent_state_changed(issued.agent_id, "not_ready",
                                                             "session by code"))
        assert live.viewer_token is not None
        self.registry.push(issued.agent_id, m.CodeRedeemed(
            code=issued.code, contact_id=contact.contact_id, session_id=live.session_id,
            viewer_path=VIEWER_PATH, viewer_token=live.viewer_token, profile=who.profile))
        return live.session_id

    def _new_live(self, contact_id: int, customer_id: int | None, machine_db_id: int | None,
                  report: AssistReport) -> LiveSession:
        live = LiveSession(session_id=secrets.token_hex(8), contact_id=contact_id,
                           customer_id=customer_id, machine_db_id=machine_db_id, report=report)
        self._live[live.session_id] = live
        self._by_contact[contact_id] = live.session_id
        return live

    def viewer_admission(self, token: str) -> LiveSession | None:
        session_id = self._by_viewer_token.get(token)
        live = self._live.get(session_id) if session_id else None
        return live if live is not None and not live.ended else None

    def live(self, session_id: str) -> LiveSession | None:
        return self._live.get(session_id)

    def live_sessions(self) -> list[LiveSession]:
        return [s for s in self._live.values() if not s.ended]

    async def session_started(self, live: LiveSession) -> None:
        if live.agent_id is not None:
            return  # joined by code: already the agent's
        if live.routed:
            # Waited through a hub restart: held in its place until now; ring from there.
            await self.apply(self.dispatcher.release(live.contact_id))
            return
        try:
            actions = self.dispatcher.contact_arrived(live.contact_id)
        except RoutingError:
            log.exception("routing refused contact %s", live.contact_id)
            return
        await self.apply(actions)

    async def consent_changed(self, live: LiveSession, level: str) -> None:
        if live.db_session_id is None:
            return
        from app.contacts.models import ConsentLevel
        with self._sf() as db, db.begin():
            row = db.get(SessionRow, live.db_session_id)
            if row is not None:
                row.consent = ConsentLevel(level)

    async def session_ended(self, live: LiveSession, reason: str, text: str) -> None:
        """The relay ended the session (customer, agent, drop, shutdown)."""
        if live.ended:
            return
        live.ended = True
        if live.viewer_token:
            self._by_viewer_token.pop(live.viewer_token, None)
        now = utcnow()
        if live.db_session_id is not None:
            with self._sf() as db, db.begin():
                row = db.get(SessionRow, live.db_session_id)
                if row is not None and row.ended_at is None:
                    row.ended_at, row.end_reason = now, reason[:64]
        if live.agent_id is None and reason == "hub_stopped":
            # The hub is stopping: the contact stays queued for the next start (recover).
            self._forget(live)
            return
        if live.agent_id is None:
            # Still waiting for an agent: the customer left (abandoned), rings stop.
            for offer in [o for o in self._offers.values() if o.contact_id == live.contact_id]:
                self._offers.pop(offer.offer_id, None)
                self.registry.push(offer.agent_id, m.RingCancelled(
                    offer_id=str(offer.offer_id), reason="abandoned"))
            try:
                await self.apply(self.dispatcher.contact_abandoned(live.contact_id))
            except RoutingError:
                log.info("contact %s was not in routing any more", live.contact_id)
            self._forget(live)
            return
        self.registry.push(live.agent_id, m.SessionEnded(
            session_id=live.session_id, contact_id=live.contact_id, reason=reason))
        # The contact stays the agent's until wrap-up (WrapUp → contact_finished).
        await self.apply(self.dispatcher.agent_state_changed(live.agent_id, "wrap_up",
                                                             "session ended"))
        self.registry.push(live.agent_id, m.StatusChanged(status=m.AgentState.WRAP_UP,
                                                          since=now, reason="session ended"))

    def _forget(self, live: LiveSession) -> None:
        self._live.pop(live.session_id, None)
        if self._by_contact.get(live.contact_id) == live.session_id:
            del self._by_contact[live.contact_id]
        self._profiles.pop(live.contact_id, None)

    async def end_session(self, agent_id: int, session_id: str, reason: str) -> None:
        live = self._live.get(session_id)
        if live is None or live.agent_id != agent_id:
            raise m.ApiError(m.ErrorCode.NOT_FOUND, "no such session of yours")
        if not live.ended and self.relay is not None:
            from remote.protocol.messages import ByeReason
            await self.relay.end_session(session_id, ByeReason.ENDED_BY_AGENT,
                                         "the agent ended the session")
        if not live.ended:  # the relay did not know it (assist gone): end it here
            await self.session_ended(live, "agent_ended", "")

    async def rating_given(self, live: LiveSession, score: int, comment: str) -> None:
        await asyncio.to_thread(self.services.rating, live.rating_ticket,
                                live.customer_id, live.db_session_id, live.agent_id, score,
                                comment)

    # ------------------------------------------------------------ wrap-up and tickets

    async def wrap_up(self, agent: m.AgentProfile, msg: m.WrapUp) -> m.WrapUpDone:
        live = self._live.get(msg.session_id) if msg.session_id else None
        if live is None:
            sid = self._by_contact.get(msg.contact_id)
            live = self._live.get(sid) if sid else None
        with self._sf() as db:
            contact = db.get(Contact, msg.contact_id)
            if contact is None:
                raise m.ApiError(m.ErrorCode.NOT_FOUND, f"no contact {msg.contact_id}")
            if contact.agent_id != agent.agent_id:
                raise m.ApiError(m.ErrorCode.FORBIDDEN, "only the agent who took this contact "
                                 "wraps it up")
            if msg.ticket_id is None and contact.ticket_id is not None:
                # Wrapped up before (e.g. the reply was lost): update that ticket, no twin.
                msg = dataclasses.replace(msg, ticket_id=contact.ticket_id)
            db_session_id = live.db_session_id if live else db.scalar(
                select(SessionRow.id).where(SessionRow.contact_id == msg.contact_id)
                .order_by(SessionRow.id.desc()))
        if live is not None and not live.ended and self.relay is not None:
            from remote.protocol.messages import ByeReason
            await self.relay.end_session(live.session_id, ByeReason.ENDED_BY_AGENT,
                                         "the agent wrapped up")
        recording_id = live.recording_id if live else None
        ticket_id, number = await asyncio.to_thread(
            self.services.wrap_up, agent, msg, db_session_id, recording_id)
        if db_session_id is not None:
            await asyncio.to_thread(self.services.recordings.link_ticket, db_session_id,
                                    ticket_id)
        try:
            await self.apply(self.dispatcher.contact_finished(msg.contact_id, wrap_up=True))
        except RoutingError:
            log.info("contact %s was not in routing (session by code?)", msg.contact_id)
        if live is not None:
            self._forget(live)
        with self._sf() as db, db.begin():
            contact = db.get(Contact, msg.contact_id)
            if contact is not None:
                contact.ticket_id = ticket_id
        next_status = msg.next_status
        if next_status in (m.AgentState.BUSY, m.AgentState.OFFLINE):
            next_status = m.AgentState.READY
        status = await self.set_status(agent.agent_id, next_status, None)
        self.registry.push(agent.agent_id, status)
        log.info("%s wrapped up contact %s into ticket %s", agent.login, msg.contact_id, number)
        return m.WrapUpDone(ticket_id=ticket_id, number=number)

    async def tickets(self, agent: m.AgentProfile, filters: m.TicketFilters) -> m.TicketsResult:
        return await asyncio.to_thread(self.services.tickets, agent, filters)

    async def ticket_detail(self, agent: m.AgentProfile, ticket_id: int) -> m.TicketDetail:
        return await asyncio.to_thread(self.services.ticket_detail, agent, ticket_id)

    # ------------------------------------------------------------ life

    async def recover(self) -> None:
        """Hub start: routing rebuilds its queues from the database. Assist contacts that
        were waiting keep their place for ``ORPHAN_GRACE_S`` while the customers' assists
        reconnect; after that they count as abandoned."""
        await self.apply(self.dispatcher.recover())
        deadline = asyncio.get_running_loop().time() + ORPHAN_GRACE_S
        with self._sf() as db:
            waiting = db.scalars(select(Contact.id).where(
                Contact.channel == Channel.ASSIST,
                Contact.status.in_((ContactStatus.QUEUED, ContactStatus.OFFERED)))).all()
        for contact_id in waiting:
            self._orphans[contact_id] = deadline
            # Nobody can answer it until the assist is back: no rings (a missed ring would
            # set the agent Not ready for a customer who is not there).
            await self.apply(self.dispatcher.hold(contact_id))
        if self._orphans:
            log.info("%d queued contact(s) recovered; waiting for their assists to reconnect",
                     len(self._orphans))

    async def _abandon_orphans(self) -> None:
        now = asyncio.get_running_loop().time()
        for contact_id in [c for c, t in self._orphans.items() if t <= now]:
            del self._orphans[contact_id]
            for offer in [o for o in self._offers.values() if o.contact_id == contact_id]:
                self._offers.pop(offer.offer_id, None)
                self.registry.push(offer.agent_id, m.RingCancelled(
                    offer_id=str(offer.offer_id), reason="abandoned"))
            log.info("contact %s: the customer did not come back after the restart", contact_id)
            try:
                await self.apply(self.dispatcher.contact_abandoned(contact_id))
            except RoutingError:
                pass

    async def close(self) -> None:
        """Hub stop: forget live state (the relay has ended every session)."""
        self._offers.clear()
        self._live.clear()
        self._by_contact.clear()
        self._by_viewer_token.clear()
