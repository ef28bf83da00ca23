"""The console API's handlers: one entry per message type, each calling a service.

``ConsoleApi.handle`` looks the message type up in ``HANDLERS``; requests other than
``Login``/``Resume``/``Ping`` need a signed-in agent, and some a role permission. A
handler returns the reply (the request id is copied in) or raises ``ApiError``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from app.api import messages as m
from app.auth.roles import Permission, allowed
from app.auth.service import AuthFailure, AuthService, SignedIn
from app.hub.console import ConsoleConnection
from app.hub.presence import ConsoleRegistry

if TYPE_CHECKING:
    from app.hub.desk import Desk

log = logging.getLogger(__name__)

Handler = Callable[["ConsoleApi", ConsoleConnection, Any], Awaitable[m.Message | None]]

PUBLIC = frozenset({m.Login, m.Resume, m.Ping})
"""Requests accepted before sign-in."""

NEEDS: dict[type[m.Message], Permission] = {
    m.Accept: Permission.TAKE_CONTACTS,
    m.Decline: Permission.TAKE_CONTACTS,
    m.WrapUp: Permission.TAKE_CONTACTS,
    m.SessionCodeRequest: Permission.TAKE_CONTACTS,
    m.EndSession: Permission.TAKE_CONTACTS,
    m.TicketsQuery: Permission.VIEW_TICKETS,
    m.TicketDetailRequest: Permission.VIEW_TICKETS,
    m.SaveReview: Permission.REVIEW,
}


class ConsoleApi:
    """Handlers of the console API for one hub."""

    def __init__(self, auth: AuthService, registry: ConsoleRegistry, desk: Desk) -> None:
        self.auth = auth
        self.registry = registry
        self.desk = desk

    async def handle(self, console: ConsoleConnection, msg: m.Message) -> None:
        handler = HANDLERS.get(type(msg))
        try:
            if handler is None:
                raise m.ApiError(m.ErrorCode.UNKNOWN_TYPE,
                                 f"the hub does not accept {msg.TYPE} from a console")
            if type(msg) not in PUBLIC:
                if console.agent is None:
                    raise m.ApiError(m.ErrorCode.UNAUTHENTICATED, "sign in first")
                permission = NEEDS.get(type(msg))
                if permission is not None and not allowed(console.agent.role, permission):
                    raise m.ApiError(m.ErrorCode.FORBIDDEN,
                                     f"role {console.agent.role} may not {msg.TYPE}")
            reply = await handler(self, console, msg)
        except m.ApiError as exc:
            reply = m.error_for(exc)
        except Exception:
            log.exception("console-API handler for %s failed", msg.TYPE)
            reply = m.Error(code=m.ErrorCode.INTERNAL,
                            text="the hub failed to handle this request (see the hub log)")
        if reply is not None:
            console.push(m.reply_to(msg, reply))

    async def disconnected(self, console: ConsoleConnection) -> None:
        """The console went away: the agent goes offline, its rings go back to the queue."""
        agent_id = console.agent_id
        if agent_id is not None and self.registry.detach(agent_id, console):
            await self.desk.agent_disconnected(agent_id)

    # ------------------------------------------------------------ sign in

    async def on_login(self, console: ConsoleConnection, msg: m.Login) -> m.Message:
        try:
            signed = await asyncio.to_thread(self.auth.login, msg.login, msg.password,
                                             console.peer)
        except AuthFailure as exc:
            return m.LoginFailed(reason=exc.reason, retry_after_s=round(exc.retry_after_s, 1))
        return await self._signed_in(console, signed)

    async def on_resume(self, console: ConsoleConnection, msg: m.Resume) -> m.Message:
        try:
            signed = await asyncio.to_thread(self.auth.resume, msg.token)
        except AuthFailure as exc:
            return m.LoginFailed(reason=exc.reason)
        return await self._signed_in(console, signed, resumed=True)

    async def _signed_in(self, console: ConsoleConnection, signed: SignedIn,
                         resumed: bool = False) -> m.Message:
        if console.agent is not None and console.agent.agent_id != signed.profile.agent_id:
            raise m.ApiError(m.ErrorCode.CONFLICT, "this console is signed in as someone else")
        console.agent = signed.profile
        console.token = signed.token
        self.registry.attach(signed.profile.agent_id, console)
        status, since = await self.desk.agent_signed_in(signed.profile, resumed)
        log.info("%s signed in (%s)", console.describe(), "resumed" if resumed else "password")
        return m.LoginOk(token=signed.token, agent=signed.profile, expires_at=signed.expires_at,
                         status=status, notice=self.desk.notice_for(signed.profile))

    async def on_logout(self, console: ConsoleConnection, msg: m.Logout) -> m.Message:
        if console.token:
            self.auth.logout(console.token)
        await self.disconnected(console)
        console.agent = None
        console.token = None
        return m.Ok()

    async def on_ping(self, console: ConsoleConnection, msg: m.Ping) -> m.Message:
        return m.Pong()

    # ------------------------------------------------------------ desk (presence, rings...)

    async def on_set_status(self, console: ConsoleConnection, msg: m.SetStatus) -> m.Message:
        assert console.agent is not None
        if msg.status in (m.AgentState.READY, m.AgentState.WRAP_UP) and not allowed(
                console.agent.role, Permission.TAKE_CONTACTS):
            raise m.ApiError(m.ErrorCode.FORBIDDEN, f"role {console.agent.role} takes no contacts")
        if msg.status in (m.AgentState.BUSY, m.AgentState.OFFLINE):
            raise m.ApiError(m.ErrorCode.BAD_FIELD,
                             f"{msg.status} is set by the hub, not chosen by the agent")
        return await self.desk.set_status(console.agent.agent_id, msg.status, msg.reason)

    async def on_accept(self, console: ConsoleConnection, msg: m.Accept) -> m.Message:
        assert console.agent is not None
        return await self.desk.accept(console.agent, msg.offer_id)

    async def on_decline(self, console: ConsoleConnection, msg: m.Decline) -> m.Message:
        assert console.agent is not None
        await self.desk.decline(console.agent.agent_id, msg.offer_id)
        return m.Ok()

    async def on_end_session(self, console: ConsoleConnection, msg: m.EndSession) -> m.Message:
        assert console.agent is not None
        await self.desk.end_session(console.agent.agent_id, msg.session_id, msg.reason)
        return m.Ok()

    async def on_session_code(self, console: ConsoleConnection,
                              msg: m.SessionCodeRequest) -> m.Message:
        assert console.agent is not None
        return self.desk.issue_session_code(console.agent, msg.problem)

    async def on_screen_pop(self, console: ConsoleConnection,
                            msg: m.ScreenPopRequest) -> m.Message:
        profile = await self.desk.profile_for_contact(msg.contact_id)
        return m.ScreenPop(contact_id=msg.contact_id, profile=profile)

    async def on_wrap_up(self, console: ConsoleConnection, msg: m.WrapUp) -> m.Message:
        assert console.agent is not None
        return await self.desk.wrap_up(console.agent, msg)

    async def on_tickets_query(self, console: ConsoleConnection,
                               msg: m.TicketsQuery) -> m.Message:
        assert console.agent is not None
        return await self.desk.tickets(console.agent, msg.filters)

    async def on_ticket_detail(self, console: ConsoleConnection,
                               msg: m.TicketDetailRequest) -> m.Message:
        assert console.agent is not None
        return await self.desk.ticket_detail(console.agent, msg.ticket_id)

    # ------------------------------------------------------------ recordings and QA

    async def on_recording_list(self, console: ConsoleConnection,
                                msg: m.RecordingListQuery) -> m.Message:
        assert console.agent is not None
        return await self.desk.recordings.list(console.agent, msg.filters)

    async def on_recording_open(self, console: ConsoleConnection,
                                msg: m.RecordingOpen) -> m.Message:
        assert console.agent is not None
        return await self.desk.recordings.open(console.agent, msg.recording_id)

    async def on_recording_chunk(self, console: ConsoleConnection,
                                 msg: m.RecordingChunkRequest) -> m.Message:
        assert console.agent is not None
        return await self.desk.recordings.chunk(console.agent, msg.recording_id, msg.offset,
                                                msg.length)

    async def on_scorecard(self, console: ConsoleConnection,
                           msg: m.ScorecardRequest) -> m.Message:
        return await self.desk.recordings.scorecard()

    async def on_save_review(self, console: ConsoleConnection, msg: m.SaveReview) -> m.Message:
        assert console.agent is not None
        return await self.desk.recordings.save_review(console.agent, msg.recording_id,
                                                      msg.scores, msg.comment)

    async def on_reviews(self, console: ConsoleConnection, msg: m.ReviewsQuery) -> m.Message:
        assert console.agent is not None
        return await self.desk.recordings.reviews(console.agent, msg.recording_id)


HANDLERS: dict[type[m.Message], Handler] = {
    m.Login: ConsoleApi.on_login,
    m.Resume: ConsoleApi.on_resume,
    m.Logout: ConsoleApi.on_logout,
    m.Ping: ConsoleApi.on_ping,
    m.SetStatus: ConsoleApi.on_set_status,
    m.Accept: ConsoleApi.on_accept,
    m.Decline: ConsoleApi.on_decline,
    m.EndSession: ConsoleApi.on_end_session,
    m.SessionCodeRequest: ConsoleApi.on_session_code,
    m.ScreenPopRequest: ConsoleApi.on_screen_pop,
    m.WrapUp: ConsoleApi.on_wrap_up,
    m.TicketsQuery: ConsoleApi.on_tickets_query,
    m.TicketDetailRequest: ConsoleApi.on_ticket_detail,
    m.RecordingListQuery: ConsoleApi.on_recording_list,
    m.RecordingOpen: ConsoleApi.on_recording_open,
    m.RecordingChunkRequest: ConsoleApi.on_recording_chunk,
    m.ScorecardRequest: ConsoleApi.on_scorecard,
    m.SaveReview: ConsoleApi.on_save_review,
    m.ReviewsQuery: ConsoleApi.on_reviews,
}
