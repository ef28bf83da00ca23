"""The relay: admits assists and viewers, pairs them by session, forwards between them.

It never decodes pixels: FrameUpdates pass as the bytes they arrived in (merged only when a
viewer falls behind). It enforces the customer's consent (screen only while consent allows
view, input only while it allows control), offers every message to the session's recorder,
and tells the broker what happens. Each connection has its own ``Outbox``, so a stalled peer
never blocks the assist or another session. A party that drops may ``Resume`` within
``grace_s``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from remote.protocol import messages as m
from remote.protocol.codec import DEFAULT_MAX_MESSAGE_BYTES, encode
from remote.protocol.connection import Connection
from remote.protocol.messages import ByeReason, ConsentLevel, ErrorCode, Role
from remote.relay import interfaces as ev
from remote.relay.interfaces import Origin, Refused, SessionBroker, SessionRecorder
from remote.relay.outbox import Outbox
from remote.transport import MessageSocket, PeerClosed, ProtocolFailure

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RelaySettings:
    """Limits and timers of a relay (defaults suit the hub)."""

    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    join_timeout_s: float = 10.0  # Hello and the join message must arrive within this
    grace_s: float = 30.0  # a dropped party may Resume within this
    stall_timeout_s: float = 10.0  # a peer that accepts nothing for this long is closed
    viewer_queue_bytes: int = 4 * DEFAULT_MAX_MESSAGE_BYTES
    assist_queue_bytes: int = 4 * 1024 * 1024


_JOIN_MESSAGES: dict[Role, frozenset[type]] = {
    Role.ASSIST: frozenset({m.HelpRequest, m.SessionCode, m.Resume}),
    Role.VIEWER: frozenset({m.ViewerJoin, m.Resume}),
}


@dataclass(eq=False)
class Peer:
    """One admitted connection (an assist or a viewer) and its outbox."""

    sock: MessageSocket
    origin: Origin
    outbox: Outbox
    resume_token: str
    agent_name: str = ""


@dataclass(eq=False)
class Session:
    session_id: str
    started: float
    recorder: SessionRecorder | None
    assist: Peer | None = None
    assist_token: str = ""
    viewers: dict[str, Peer] = field(default_factory=dict)  # resume token -> viewer
    viewer_names: dict[str, str] = field(default_factory=dict)  # resume token -> agent name
    consent: ConsentLevel = ConsentLevel.NONE
    layout: tuple[m.ScreenLayout, bytes] | None = None
    cursor: tuple[m.CursorShape, bytes] | None = None
    last_ack: int = -1
    ever_viewed: bool = False
    grace: dict[str, asyncio.TimerHandle] = field(default_factory=dict)  # token -> timer
    ended: bool = False


class Relay:
    """Pairs assists and viewers by session; the hub mounts ``handle_assist`` at ``/assist``
    and ``handle_viewer`` at ``/viewer`` (websockets 17 asyncio handlers)."""

    def __init__(self, broker: SessionBroker, settings: RelaySettings | None = None,
                 *, clock: Callable[[], float] = time.monotonic) -> None:
        self.broker = broker
        self.settings = settings or RelaySettings()
        self.clock = clock
        self.sessions: dict[str, Session] = {}
        self._tokens: dict[str, tuple[Session, Origin]] = {}

    # --- entry points --------------------------------------------------------------------

    async def handle_assist(self, ws: Any) -> None:
        await self._serve(ws, Role.ASSIST)

    async def handle_viewer(self, ws: Any) -> None:
        await self._serve(ws, Role.VIEWER)

    async def send_to_assist(self, session_id: str, message: Any) -> bool:
        """Send a hub message (QueueStatus, AgentJoined, RatingRequest, ChatLine, ...) to the
        session's assist. False when the session or its assist is not connected; raises
        ``ProtocolUsageError`` for a message the relay may not send to an assist."""
        session = self.sessions.get(session_id)
        if session is None or session.assist is None:
            return False
        session.assist.sock.conn.check_send(message)
        raw = encode(message)
        self._record(session, Origin.RELAY, message, raw)
        session.assist.outbox.put(message, raw)
        return True

    async def send_to_viewers(self, session_id: str, message: Any) -> bool:
        """Send a hub message (e.g. a ChatLine) to every viewer of the session."""
        session = self.sessions.get(session_id)
        if session is None or not session.viewers:
            return False
        next(iter(session.viewers.values())).sock.conn.check_send(message)
        raw = encode(message)
        self._record(session, Origin.RELAY, message, raw)
        for viewer in session.viewers.values():
            viewer.outbox.put(message, raw)
        return True

    async def end_session(self, session_id: str, reason: ByeReason = ByeReason.NORMAL,
                          text: str = "") -> None:
        """End a session from the hub's side (e.g. the contact was abandoned)."""
        session = self.sessions.get(session_id)
        if session is not None:
            await self._end(session, reason, text)

    async def close(self) -> None:
        """Hub shutdown: say Bye(SHUTDOWN) to everyone and end every session."""
        for session in list(self.sessions.values()):
            await self._end(session, ByeReason.SHUTDOWN, "the hub is stopping")

    # --- connection life ------------------------------------------------------------------

    async def _serve(self, ws: Any, role: Role) -> None:
        conn = Connection(Role.RELAY, max_message_bytes=self.settings.max_message_bytes,
                          software="tandem-relay")
        sock = MessageSocket(ws, conn)
        try:
            joined = await asyncio.wait_for(self._join(sock, role), self.settings.join_timeout_s)
        except TimeoutError:
            await sock.fail(ErrorCode.TIMEOUT, "no Hello and join within "
                            f"{self.settings.join_timeout_s:g} s")
            return
        except (PeerClosed, ProtocolFailure):
            return
        if joined is None:
            return
        session, peer = joined
        try:
            await self._pump(session, peer)
        finally:
            await self._left(session, peer)

    async def _join(self, sock: MessageSocket, role: Role) -> tuple[Session, Peer] | None:
        hello = await sock.receive()
        await sock.flush()  # our Hello (or the version error)
        if hello.role is not role:
            await sock.fail(ErrorCode.UNEXPECTED, f"this endpoint is for {role}s, not "
                            f"{hello.role}s")
            return None
        request = await sock.receive()
        handler = self._JOIN_HANDLERS.get(type(request))
        if handler is None or type(request) not in _JOIN_MESSAGES[role]:
            await sock.fail(ErrorCode.UNEXPECTED, f"{type(request).__name__} cannot open a "
                            f"{role} connection")
            return None
        try:
            return await handler(self, sock, request)
        except Refused as exc:
            log.info("refused %s %s: %s", role, sock.peer, exc.text)
            await sock.fail(exc.code, exc.text)
            return None
        except Exception:  # a broker failure must cost this peer only, with no internals
            log.exception("admission of %s %s failed", role, sock.peer)
            await sock.fail(ErrorCode.INTERNAL, "the hub could not admit this connection")
            return None

    async def _join_help_request(self, sock: MessageSocket, request: m.HelpRequest
                                 ) -> tuple[Session, Peer]:
        admission = await self.broker.assist_request(request, sock.peer)
        return await self._admit_assist(sock, admission.session_id, request)

    async def _join_session_code(self, sock: MessageSocket, request: m.SessionCode
                                 ) -> tuple[Session, Peer]:
        admission = await self.broker.assist_code(request, sock.peer)
        return await self._admit_assist(sock, admission.session_id, request)

    async def _join_viewer(self, sock: MessageSocket, request: m.ViewerJoin
                           ) -> tuple[Session, Peer]:
        admission = await self.broker.viewer_join(request.token, sock.peer)
        session = self.sessions.get(admission.session_id)
        if session is None or session.ended:
            raise Refused(ErrorCode.REFUSED, "the customer is not connected to this session")
        token = secrets.token_urlsafe(24)
        session.viewer_names[token] = admission.agent_name
        self._tokens[token] = (session, Origin.VIEWER)
        peer = self._attach_viewer(session, sock, token, resumed=False)
        await self._event(session, ev.ViewerJoined(admission.agent_name))
        return session, peer

    async def _join_resume(self, sock: MessageSocket, request: m.Resume) -> tuple[Session, Peer]:
        found = self._tokens.get(request.resume_token)
        role = sock.conn.peer_role
        wanted = Origin.ASSIST if role is Role.ASSIST else Origin.VIEWER
        if found is None or found[1] is not wanted or found[0].ended:
            raise Refused(ErrorCode.REFUSED, "unknown or expired resume token; the session is "
                          "over or the grace period has passed")
        session = found[0]
        timer = session.grace.pop(request.resume_token, None)
        if timer is not None:
            timer.cancel()
        if wanted is Origin.ASSIST:
            peer = self._attach_assist(session, sock, resumed=True)
        else:
            peer = self._attach_viewer(session, sock, request.resume_token, resumed=True)
        await self._event(session, ev.PeerResumed(wanted))
        return session, peer

    _JOIN_HANDLERS: dict[type, Any] = {
        m.HelpRequest: _join_help_request,
        m.SessionCode: _join_session_code,
        m.ViewerJoin: _join_viewer,
        m.Resume: _join_resume,
    }

    async def _admit_assist(self, sock: MessageSocket, session_id: str, request: Any
                            ) -> tuple[Session, Peer]:
        if session_id in self.sessions:
            raise Refused(ErrorCode.REFUSED, "this session already has an assist")
        try:
            recorder = self.broker.recorder(session_id)
        except Exception:
            log.exception("recorder for session %s failed to start", session_id)
            recorder = None
        session = Session(session_id, self.clock(), recorder)
        session.assist_token = secrets.token_urlsafe(24)
        self.sessions[session_id] = session
        self._tokens[session.assist_token] = (session, Origin.ASSIST)
        self._record(session, Origin.ASSIST, request, encode(request))
        peer = self._attach_assist(session, sock, resumed=False)
        await self._event(session, ev.SessionStarted())
        return session, peer

    def _attach_assist(self, session: Session, sock: MessageSocket, *, resumed: bool) -> Peer:
        old = session.assist
        if old is not None:
            old.outbox.finish(ByeReason.REPLACED, "the assist reconnected")
        outbox = Outbox(sock, max_bytes=self.settings.assist_queue_bytes,
                        stall_timeout_s=self.settings.stall_timeout_s,
                        name=f"assist {session.session_id}")
        peer = Peer(sock, Origin.ASSIST, outbox, session.assist_token)
        session.assist = peer
        session.last_ack = -1  # a new assist connection may number its frames afresh
        self._send(session, peer, m.Admitted(session.session_id, session.assist_token))
        if resumed:
            self._to_viewers(session, m.PeerStatus(Role.ASSIST, True))
        for viewer in session.viewers.values():
            self._send(session, peer, m.AgentJoined(viewer.agent_name))
        if session.viewers:
            self._send(session, peer, m.RefreshRequest())
        return peer

    def _attach_viewer(self, session: Session, sock: MessageSocket, token: str, *,
                       resumed: bool) -> Peer:
        old = session.viewers.get(token)
        if old is not None:
            old.outbox.finish(ByeReason.REPLACED, "the viewer reconnected")
        name = session.viewer_names.get(token, "")
        outbox = Outbox(sock, max_bytes=self.settings.viewer_queue_bytes,
                        stall_timeout_s=self.settings.stall_timeout_s,
                        name=f"viewer {name!r} {session.session_id}")
        peer = Peer(sock, Origin.VIEWER, outbox, token, name)
        session.viewers[token] = peer
        session.ever_viewed = True
        self._send(session, peer, m.Admitted(session.session_id, token, name))
        self._send(session, peer, m.PeerStatus(Role.ASSIST, session.assist is not None))
        self._send(session, peer, m.Consent(session.consent))
        if session.consent.allows_view:
            self._send_screen_state(session, peer)
        assist = session.assist
        if assist is not None:
            if not resumed:
                self._send(session, assist, m.AgentJoined(name), record=True)
            else:
                self._send(session, assist, m.PeerStatus(Role.VIEWER, True))
            if session.consent.allows_view:
                self._send(session, assist, m.RefreshRequest())
        return peer

    def _send_screen_state(self, session: Session, peer: Peer) -> None:
        if session.layout is not None:
            peer.outbox.put(*session.layout)
        if session.cursor is not None:
            peer.outbox.put(*session.cursor)

    async def _pump(self, session: Session, peer: Peer) -> None:
        handlers = self._ASSIST_HANDLERS if peer.origin is Origin.ASSIST else self._VIEWER_HANDLERS
        sock = peer.sock
        while not session.ended and self._is_current(session, peer):
            try:
                msg, raw = await sock.receive_raw()
            except PeerClosed as exc:
                bye = exc.bye
                if bye is not None and self._is_current(session, peer):
                    raw = encode(bye)
                    self._record(session, peer.origin, bye, raw)
                    await self._on_bye(session, peer, bye)
                return
            except ProtocolFailure:
                return
            self._record(session, peer.origin, msg, raw)
            handler = handlers.get(type(msg))
            if handler is not None:
                await handler(self, session, peer, msg, raw)

    def _is_current(self, session: Session, peer: Peer) -> bool:
        if peer.origin is Origin.ASSIST:
            return session.assist is peer
        return session.viewers.get(peer.resume_token) is peer

    async def _left(self, session: Session, peer: Peer) -> None:
        """The peer's receive loop ended: Bye, error, drop, or it was replaced."""
        peer.outbox.finish(ByeReason.NORMAL)  # no-op if it is already finishing
        try:
            await asyncio.wait_for(peer.outbox.wait_closed(), self.settings.stall_timeout_s)
        except TimeoutError:
            peer.outbox.cancel()
        if session.ended or not self._is_current(session, peer):
            return
        # Dropped without Bye (or after a protocol error): keep its place for grace_s.
        if peer.origin is Origin.ASSIST:
            session.assist = None
            self._to_viewers(session, m.PeerStatus(Role.ASSIST, False))
        else:
            del session.viewers[peer.resume_token]
            if not session.viewers and session.assist is not None:
                self._send(session, session.assist, m.PeerStatus(Role.VIEWER, False))
        await self._event(session, ev.PeerDisconnected(peer.origin))
        loop = asyncio.get_running_loop()
        session.grace[peer.resume_token] = loop.call_later(
            self.settings.grace_s, lambda: loop.create_task(self._grace_over(session, peer)))

    async def _grace_over(self, session: Session, peer: Peer) -> None:
        session.grace.pop(peer.resume_token, None)
        if session.ended:
            return
        if peer.origin is Origin.ASSIST:
            if session.assist is None:
                await self._end(session, ByeReason.PEER_LOST, "the customer's assist did not "
                                "come back")
            return
        if peer.resume_token in session.viewers:
            return
        self._tokens.pop(peer.resume_token, None)
        await self._event(session, ev.ViewerLeft(peer.agent_name))
        if not session.viewers and not session.grace:
            await self._end(session, ByeReason.PEER_LOST, "the agent's viewer did not come back")

    async def _on_bye(self, session: Session, peer: Peer, bye: m.Bye) -> None:
        if peer.origin is Origin.ASSIST:
            reason = bye.reason if bye.reason is not ByeReason.NORMAL else \
                ByeReason.ENDED_BY_CUSTOMER
            await self._end(session, reason, bye.text or "the customer ended the session")
            return
        if bye.reason is ByeReason.ENDED_BY_AGENT:
            await self._end(session, ByeReason.ENDED_BY_AGENT, bye.text or
                            "the agent ended the session")
            return
        # A viewer leaving without ending the session (an observer, or a console closing).
        del session.viewers[peer.resume_token]
        self._tokens.pop(peer.resume_token, None)
        await self._event(session, ev.ViewerLeft(peer.agent_name))
        if session.assist is not None and not session.viewers:
            self._send(session, session.assist, m.PeerStatus(Role.VIEWER, False))
        if not session.viewers and not session.grace:
            await self._end(session, ByeReason.ENDED_BY_AGENT, "the agent left")

    async def _end(self, session: Session, reason: ByeReason, text: str) -> None:
        if session.ended:
            return
        session.ended = True
        self.sessions.pop(session.session_id, None)
        for timer in session.grace.values():
            timer.cancel()
        session.grace.clear()
        for token in [t for t, (s, _) in self._tokens.items() if s is session]:
            del self._tokens[token]
        bye = m.Bye(reason, text)
        self._record(session, Origin.RELAY, bye, encode(bye))
        peers = ([session.assist] if session.assist else []) + list(session.viewers.values())
        for peer in peers:
            peer.outbox.finish(reason, text)
        log.info("session %s ended: %s %s", session.session_id, reason.name, text)
        await self._event(session, ev.SessionEnded(reason, text))
        if session.recorder is not None:
            try:
                session.recorder.close(reason.name.lower())
            except Exception:
                log.exception("recorder of session %s failed to close", session.session_id)

    # --- forwarding: assist -> viewers ----------------------------------------------------

    async def _from_assist_consent(self, session: Session, peer: Peer, msg: m.Consent,
                                   raw: bytes) -> None:
        before = session.consent
        session.consent = msg.level
        self._to_viewers(session, msg, raw)
        if msg.level.allows_view and not before.allows_view:
            for viewer in session.viewers.values():
                self._send_screen_state(session, viewer)
            if session.viewers:
                self._send(session, peer, m.RefreshRequest())
        if msg.level != before:
            await self._event(session, ev.ConsentChanged(msg.level))

    async def _from_assist_layout(self, session: Session, peer: Peer, msg: m.ScreenLayout,
                                  raw: bytes) -> None:
        session.layout = (msg, raw)
        if session.consent.allows_view:
            self._to_viewers(session, msg, raw)

    async def _from_assist_cursor_shape(self, session: Session, peer: Peer,
                                        msg: m.CursorShape, raw: bytes) -> None:
        session.cursor = (msg, raw)
        if session.consent.allows_view:
            self._to_viewers(session, msg, raw)

    async def _from_assist_screen(self, session: Session, peer: Peer, msg: Any,
                                  raw: bytes) -> None:
        if session.consent.allows_view and session.layout is not None:
            self._to_viewers(session, msg, raw)

    async def _from_assist_forward(self, session: Session, peer: Peer, msg: Any,
                                   raw: bytes) -> None:
        self._to_viewers(session, msg, raw)

    async def _from_assist_chat(self, session: Session, peer: Peer, msg: m.ChatLine,
                                raw: bytes) -> None:
        self._to_viewers(session, msg, raw)
        await self._event(session, ev.ChatPosted(Origin.ASSIST, msg.sender, msg.text))

    async def _from_assist_rating(self, session: Session, peer: Peer, msg: m.Rating,
                                  raw: bytes) -> None:
        await self._event(session, ev.RatingGiven(msg.score, msg.comment))

    _ASSIST_HANDLERS: dict[type, Any] = {
        m.Consent: _from_assist_consent,
        m.ScreenLayout: _from_assist_layout,
        m.CursorShape: _from_assist_cursor_shape,
        m.FrameUpdate: _from_assist_screen,
        m.CursorPos: _from_assist_screen,
        m.ClipboardText: _from_assist_forward,
        m.ChatLine: _from_assist_chat,
        m.Rating: _from_assist_rating,
    }

    # --- forwarding: viewer -> assist -----------------------------------------------------

    async def _from_viewer_ack(self, session: Session, peer: Peer, msg: m.FrameAck,
                               raw: bytes) -> None:
        # The fastest viewer sets the pace; slower ones are served by merging in their outbox.
        if msg.seq > session.last_ack and session.assist is not None:
            session.last_ack = msg.seq
            session.assist.outbox.put(msg, raw)

    async def _from_viewer_input(self, session: Session, peer: Peer, msg: Any,
                                 raw: bytes) -> None:
        if not session.consent.allows_control:
            log.debug("dropped %s from a viewer: consent is %s", type(msg).__name__,
                      session.consent)
            return
        if session.assist is not None:
            session.assist.outbox.put(msg, raw)

    async def _from_viewer_forward(self, session: Session, peer: Peer, msg: Any,
                                   raw: bytes) -> None:
        if session.assist is not None:
            session.assist.outbox.put(msg, raw)

    async def _from_viewer_refresh(self, session: Session, peer: Peer, msg: Any,
                                   raw: bytes) -> None:
        if session.assist is not None and session.consent.allows_view:
            session.assist.outbox.put(msg, raw)

    async def _from_viewer_chat(self, session: Session, peer: Peer, msg: m.ChatLine,
                                raw: bytes) -> None:
        if session.assist is not None:
            session.assist.outbox.put(msg, raw)
        for other in session.viewers.values():
            if other is not peer:
                other.outbox.put(msg, raw)
        await self._event(session, ev.ChatPosted(Origin.VIEWER, msg.sender, msg.text))

    _VIEWER_HANDLERS: dict[type, Any] = {
        m.FrameAck: _from_viewer_ack,
        m.PointerEvent: _from_viewer_input,
        m.KeyEvent: _from_viewer_input,
        m.ClipboardText: _from_viewer_input,
        m.ConsentRequest: _from_viewer_forward,
        m.MonitorSelect: _from_viewer_forward,
        m.RefreshRequest: _from_viewer_refresh,
        m.ChatLine: _from_viewer_chat,
    }

    # --- helpers --------------------------------------------------------------------------

    def _send(self, session: Session, peer: Peer, msg: Any, *, record: bool = False) -> None:
        raw = encode(msg)
        if record:
            self._record(session, Origin.RELAY, msg, raw)
        peer.outbox.put(msg, raw)

    def _to_viewers(self, session: Session, msg: Any, raw: bytes | None = None) -> None:
        raw = raw if raw is not None else encode(msg)
        for viewer in session.viewers.values():
            viewer.outbox.put(msg, raw)

    def _record(self, session: Session, origin: Origin, msg: Any, raw: bytes) -> None:
        recorder = session.recorder
        if recorder is None:
            return
        t_ms = int((self.clock() - session.started) * 1000)
        try:
            recorder.on_message(t_ms, origin, msg, raw)
        except Exception:
            log.exception("recorder of session %s failed; recording stops", session.session_id)
            session.recorder = None

    async def _event(self, session: Session, event: ev.SessionEvent) -> None:
        try:
            await self.broker.session_event(session.session_id, event)
        except Exception:
            log.exception("broker failed on %s for session %s", type(event).__name__,
                          session.session_id)

