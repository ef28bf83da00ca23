"""The console's logic object: the hub connection and the agent's workflow, no widgets.

``Console`` lives on the GUI thread; its ``HubClient`` lives on the worker's asyncio loop.
Requests go out through ``OpRunner`` (Anki's ``CollectionOp`` pattern: one line per command,
the result handled on the GUI thread). Events the hub pushes arrive on the worker, cross to the
GUI thread through one queued signal and are dispatched through a handler table. Widgets only
listen to the signals below; the main window wires them in ``_connect_signals()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from app.api import messages as m
from app.api.client import (
    ConnectionLost,
    ConnectionRestored,
    HubClient,
    HubUnavailable,
    LoginRefused,
    SignedOut,
)
from ui.session_link import SessionLink
from ui.worker import OpRunner, Worker

log = logging.getLogger(__name__)


class Console(QObject):
    """What one signed-in agent is doing: state, the ringing contact, the session, wrap-up.

    Signals:
        signed_in(object): ``LoginOk`` after sign-in.
        sign_in_refused(str, float): reason and seconds before the hub accepts a retry.
        state_changed(object, object, object): ``AgentState``, reason or None, since.
        ring_started(object): the ``Ring`` (with its screen-pop profile dict).
        ring_ended(str, str): offer id and why (accepted, declined, timeout, taken, abandoned).
        session_started(object): ``Accepted`` (or a redeemed code) for the session now live.
        session_ended(str, str): session id and reason (customer_ended, agent_ended, ...).
        wrap_up_started(object): the ``Ring`` of the contact being wrapped up.
        wrap_up_saved(object): ``WrapUpDone`` with the ticket number.
        wrap_up_failed(str): why the wrap-up could not be saved.
        connection_changed(bool, str): connected or not, and a sentence for the status bar.
        queue_changed(int, float, int): contacts waiting, longest wait (s), agents ready.
        sla_alert(object): an ``SlaAlert``: one of the agent's tickets is near or past a due
            time.
        error(str, str): an operation's title and its error message.
    """

    signed_in = Signal(object)
    sign_in_refused = Signal(str, float)
    state_changed = Signal(object, object, object)
    ring_started = Signal(object)
    ring_ended = Signal(str, str)
    session_started = Signal(object)
    session_ended = Signal(str, str)
    wrap_up_started = Signal(object)
    wrap_up_saved = Signal(object)
    wrap_up_failed = Signal(str)
    connection_changed = Signal(bool, str)
    queue_changed = Signal(int, float, int)
    sla_alert = Signal(object)
    error = Signal(str, str)

    _hub_event = Signal(object)  # worker thread -> GUI thread (queued)

    def __init__(self, hub_url: str, worker: Worker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.hub_url = hub_url
        self.worker = worker
        self.ops = OpRunner(worker, self)
        self.client = HubClient(hub_url)
        self.client.add_listener(self._hub_event.emit)
        self.session = SessionLink(worker, self)
        self.login: m.LoginOk | None = None
        self.state = m.AgentState.OFFLINE
        self.ring: m.Ring | None = None
        self.current_contact: m.Ring | None = None
        self.current_session: m.Accepted | None = None
        self._session_over = False
        self._handlers: dict[type, Callable[[Any], None]] = {
            m.Ring: self.on_ring,
            m.RingCancelled: self.on_ring_cancelled,
            m.StatusChanged: self.on_status_changed,
            m.SessionEnded: self.on_session_ended,
            m.CodeRedeemed: self.on_code_redeemed,
            m.Error: self.on_hub_error,
            m.QueueStats: self.on_queue_stats,
            m.SlaAlert: self.sla_alert.emit,
            ConnectionLost: self.on_connection_lost,
            ConnectionRestored: self.on_connection_restored,
            SignedOut: self.on_signed_out,
        }
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._hub_event.connect(self.on_hub_event, Qt.ConnectionType.QueuedConnection)
        self.ops.op_failed.connect(self.error)
        self.session.closed.connect(self.on_viewer_closed)

    # --- commands (one line each, run on the worker) --------------------------------------

    def sign_in(self, login: str, password: str) -> None:
        self.ops.run(self.tr("Sign in"), self.client.login(login, password),
                     self.on_login_ok, self.on_login_failed)

    def set_state(self, state: m.AgentState, reason: str | None = None) -> None:
        self.ops.run(self.tr("Change state"),
                     self.client.call(m.SetStatus(status=state, reason=reason), m.StatusChanged),
                     self.on_status_changed)

    def accept(self, offer_id: str) -> None:
        self.ops.run(self.tr("Accept"), self.client.request(m.Accept(offer_id=offer_id)),
                     self.on_accept_reply, self.on_accept_error)

    def decline(self, offer_id: str) -> None:
        self._end_ring(offer_id, "declined")
        self.ops.run(self.tr("Decline"), self.client.request(m.Decline(offer_id=offer_id)))

    def end_session(self) -> None:
        if self.current_session is None:
            return
        session_id = self.current_session.session_id
        self.ops.run(self.tr("End session"),
                     self.client.request(m.EndSession(session_id=session_id)),
                     lambda _reply: self.on_session_ended(
                         m.SessionEnded(session_id=session_id,
                                        contact_id=self.current_session.contact_id
                                        if self.current_session else 0,
                                        reason="agent_ended")))

    def start_wrap_up(self) -> None:
        """Leave the session (ending it if still live) and show the wrap-up form."""
        if self.current_session is not None and self.session.live:
            self.end_session()
        if self.current_contact is not None:
            self.wrap_up_started.emit(self.current_contact)

    def wrap_up(self, fields: m.WrapUpFields) -> None:
        if self.current_contact is None:
            self.wrap_up_failed.emit(self.tr("There is no contact to wrap up."))
            return
        request = m.WrapUp(contact_id=self.current_contact.contact_id, fields=fields,
                           session_id=self.current_session.session_id
                           if self.current_session else None)
        self.ops.run(self.tr("Wrap-up"), self.client.call(request, m.WrapUpDone),
                     self.on_wrap_up_done, lambda exc: self.wrap_up_failed.emit(str(exc)))

    def query_tickets(self, filters: m.TicketFilters,
                      on_result: Callable[[m.TicketsResult], None]) -> None:
        self.ops.run(self.tr("Tickets"),
                     self.client.call(m.TicketsQuery(filters=filters), m.TicketsResult),
                     on_result)

    def ticket_detail(self, ticket_id: int,
                      on_result: Callable[[m.TicketDetail], None]) -> None:
        self.ops.run(self.tr("Ticket"),
                     self.client.call(m.TicketDetailRequest(ticket_id=ticket_id),
                                      m.TicketDetail), on_result)

    def open_recording(self, recording_id: int,
                       on_result: Callable[[m.RecordingOpened], None]) -> None:
        self.ops.run(self.tr("Recording"),
                     self.client.call(m.RecordingOpen(recording_id=recording_id),
                                      m.RecordingOpened), on_result)

    def shutdown(self) -> None:
        """Close the session and the hub connection (bounded wait; the worker stops after)."""
        self.session.close()
        if self.worker.running:
            try:
                self.worker.submit(self.client.close()).result(timeout=3)
            except Exception as exc:  # closing is best effort at exit
                log.info("closing the hub connection: %s", exc)

    # --- replies --------------------------------------------------------------------------

    def on_login_ok(self, reply: m.LoginOk) -> None:
        self.login = reply
        self.signed_in.emit(reply)
        self.connection_changed.emit(True, self.tr("Connected to {0}").format(self.hub_url))
        self._set_state(reply.status, None, datetime.now(UTC))

    def on_login_failed(self, exc: BaseException) -> None:
        if isinstance(exc, LoginRefused):
            self.sign_in_refused.emit(exc.reason, float(exc.retry_after_s))
        elif isinstance(exc, HubUnavailable):
            self.sign_in_refused.emit(self.tr("Cannot reach the hub: {0}").format(exc), 0.0)
        else:
            self.sign_in_refused.emit(str(exc), 0.0)

    def on_accept_reply(self, reply: m.Message) -> None:
        if isinstance(reply, m.AcceptFailed):
            self._end_ring(reply.offer_id, reply.reason)
            self.error.emit(self.tr("Accept"), self.tr("The contact is no longer available "
                                                       "({0}).").format(reply.reason))
            return
        if not isinstance(reply, m.Accepted):
            return
        self.current_contact = self.ring
        self.current_session = reply
        self._session_over = False
        self._end_ring(reply.offer_id, "accepted")
        self._set_state(m.AgentState.BUSY, None, datetime.now(UTC))
        self.session_started.emit(reply)
        self.session.open(self.client.url_for(reply.viewer_path), reply.viewer_token)

    def on_accept_error(self, exc: BaseException) -> None:
        if self.ring is not None:
            self._end_ring(self.ring.offer_id, "failed")
        self.error.emit(self.tr("Accept"), str(exc))

    def on_wrap_up_done(self, reply: m.WrapUpDone) -> None:
        self.current_contact = None
        self.current_session = None
        self.wrap_up_saved.emit(reply)
        self._set_state(m.AgentState.READY, None, datetime.now(UTC))

    # --- pushed events ----------------------------------------------------------------------

    def on_hub_event(self, event: object) -> None:
        handler = self._handlers.get(type(event))
        if handler is None:
            log.debug("console ignores %s", type(event).__name__)
            return
        handler(event)

    def on_ring(self, ring: m.Ring) -> None:
        self.ring = ring
        self.ring_started.emit(ring)

    def on_queue_stats(self, msg: m.QueueStats) -> None:
        self.queue_changed.emit(msg.waiting, msg.longest_wait_s, msg.agents_ready)

    def on_ring_cancelled(self, msg: m.RingCancelled) -> None:
        self._end_ring(msg.offer_id, msg.reason)

    def on_status_changed(self, msg: m.StatusChanged) -> None:
        self._set_state(msg.status, msg.reason, msg.since)

    def on_session_ended(self, msg: m.SessionEnded) -> None:
        if self.current_session is None or msg.session_id != self.current_session.session_id:
            return
        self.session.close()
        if not self._session_over:
            self._session_over = True
            self.session_ended.emit(msg.session_id, msg.reason)
        if self.state is m.AgentState.BUSY:
            self._set_state(m.AgentState.WRAP_UP, None, datetime.now(UTC))

    def on_code_redeemed(self, msg: m.CodeRedeemed) -> None:
        accepted = m.Accepted(offer_id="", contact_id=msg.contact_id, session_id=msg.session_id,
                              viewer_path=msg.viewer_path, viewer_token=msg.viewer_token)
        now = datetime.now(UTC)
        profile = msg.profile or {}
        self.ring = m.Ring(offer_id="", contact_id=msg.contact_id, caller="",
                           company=str(profile.get("customer", {}).get("name", "")
                                       if isinstance(profile.get("customer"), dict) else ""),
                           tier="", channel=m.Channel.ASSIST, problem="", queued_at=now,
                           expires_at=now, profile=profile)
        self.on_accept_reply(accepted)

    def on_viewer_closed(self, text: str) -> None:
        """The viewer connection ended (customer ended, dropped); the hub may say so too."""
        if self.current_session is not None and not self._session_over:
            self._session_over = True
            self.session_ended.emit(self.current_session.session_id,
                                    self.session.ended_reason or text)

    def on_hub_error(self, msg: m.Error) -> None:
        self.error.emit(self.tr("Hub"), msg.text)

    def on_connection_lost(self, event: ConnectionLost) -> None:
        self.connection_changed.emit(False, self.tr("Hub connection lost; reconnecting…"))

    def on_connection_restored(self, event: ConnectionRestored) -> None:
        self.connection_changed.emit(True, self.tr("Connected to {0}").format(self.hub_url))
        if event.login is not None:
            self._set_state(event.login.status, None, datetime.now(UTC))

    def on_signed_out(self, event: SignedOut) -> None:
        self.connection_changed.emit(False, self.tr("Signed out: {0}").format(event.reason))

    # --- helpers ------------------------------------------------------------------------------

    def _end_ring(self, offer_id: str, reason: str) -> None:
        if self.ring is not None and self.ring.offer_id == offer_id:
            if reason != "accepted":
                self.ring = None
            self.ring_ended.emit(offer_id, reason)

    def _set_state(self, state: m.AgentState, reason: str | None, since: datetime) -> None:
        self.state = state
        self.state_changed.emit(state, reason, since)
