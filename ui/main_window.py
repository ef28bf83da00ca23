"""The console's main window: ring panel and profile on the left, session / wrap-up on the right.

Widgets stay thin; ``Console`` holds the workflow. Every connection between them is made in
``_connect_signals()`` (qutebrowser's rule), so the whole flow reads in one place.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QT_TRANSLATE_NOOP, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QStackedWidget,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.api import messages as m
from app.screen_pop.profile import Profile
from ui.agent_state import AgentStateWidget
from ui.console import Console
from ui.look import icon, styled
from ui.profile_view import ProfileView
from ui.replay_window import RecordingsPage, ReplayWindow
from ui.ring_panel import RingPanel, format_duration
from ui.ringer import Ringer
from ui.session_view import SessionView
from ui.sla_widgets import SlaAlertsButton
from ui.tickets_view import TicketsView
from ui.wrapup_form import WrapUpForm

log = logging.getLogger(__name__)

SHORTCUTS = {
    "accept": "Ctrl+Shift+A",
    "decline": "Ctrl+Shift+D",
    "control": "F9",
    "end": "Ctrl+Shift+E",
    "wrap_up": "Ctrl+Shift+W",
}

RING_END_TEXTS = {
    "timeout": QT_TRANSLATE_NOOP("MainWindow", "The contact was not answered in time and went back to the queue."),
    "abandoned": QT_TRANSLATE_NOOP("MainWindow", "The customer stopped waiting."),
    "taken": QT_TRANSLATE_NOOP("MainWindow", "Another agent took the contact."),
    "declined": QT_TRANSLATE_NOOP("MainWindow", "You declined the contact; it went back to the queue."),
}

SESSION_END_TEXTS = {
    "customer_ended": QT_TRANSLATE_NOOP("MainWindow", "The customer ended the session. Wrap up when you are ready."),
    "ended_by_customer": QT_TRANSLATE_NOOP("MainWindow", "The customer ended the session. Wrap up when you are ready."),
    "agent_ended": QT_TRANSLATE_NOOP("MainWindow", "You ended the session. Wrap up when you are ready."),
    "ended_by_agent": QT_TRANSLATE_NOOP("MainWindow", "You ended the session. Wrap up when you are ready."),
    "peer_lost": QT_TRANSLATE_NOOP("MainWindow", "The customer's connection was lost. Wrap up when you are ready."),
}


class IdlePanel(QFrame):
    """What the right side shows between contacts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        styled(self, "card")
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel()
        styled(self.title, "title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = QLabel()
        styled(self.hint, "muted")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.picture)
        layout.addSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addStretch(2)
        self.show_picture("monitor", "#94a3b8")

    def show_picture(self, name: str, colour: str) -> None:
        """A large icon over the title, so the waiting area reads as intended, not empty."""
        self.picture.setPixmap(icon(name, colour, 56).pixmap(QSize(56, 56)))

    def show_ringing(self, hint: str) -> None:
        self.show_picture("accept", "#1f5fae")
        self.title.setText(self.tr("Contact ringing"))
        self.hint.setText(hint)

    def show_state(self, state: m.AgentState) -> None:
        texts = {
            m.AgentState.READY: (self.tr("Ready for the next contact"),
                                 self.tr("A contact rings here with the caller's profile.")),
            m.AgentState.NOT_READY: (self.tr("Not ready"),
                                     self.tr("Set yourself Ready in the status bar to take "
                                             "contacts.")),
            m.AgentState.OFFLINE: (self.tr("Offline"), self.tr("Not connected to the hub.")),
        }
        title, hint = texts.get(state, (self.tr("Working"), ""))
        self.show_picture("monitor", "#94a3b8")
        self.title.setText(title)
        self.hint.setText(hint)


class MainWindow(QMainWindow):
    """The agent's console window. Owns no network code; ``Console`` does."""

    def __init__(self, console: Console, settings: QSettings | None = None) -> None:
        super().__init__()
        self.console = console
        self.settings = settings or QSettings()
        self.setWindowTitle(self.tr("Tandem console"))
        self.setMinimumSize(QSize(1100, 700))

        self.ring_panel = RingPanel()
        self.ring_panel.hide()
        self.ring_note = QLabel()
        styled(self.ring_note, "muted")
        self.ring_note.setWordWrap(True)
        self.ring_note.hide()
        self.profile = ProfileView()
        self.idle = IdlePanel()
        self.session_view = SessionView()
        self.wrap_up_form = WrapUpForm()
        self.tickets = TicketsView()
        self.ringer = Ringer(self, self)

        left = QWidget()
        left.setFixedWidth(400)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(10)
        left_layout.addWidget(self.ring_panel)
        left_layout.addWidget(self.ring_note)
        profile_title = QLabel(self.tr("CUSTOMER PROFILE"))
        styled(profile_title, "section")
        left_layout.addWidget(profile_title)
        left_layout.addWidget(self.profile, 1)

        self.work = QStackedWidget()
        self.work.addWidget(self.idle)
        self.work.addWidget(self.session_view)
        wrap_page = QWidget()
        wrap_layout = QVBoxLayout(wrap_page)
        wrap_layout.setContentsMargins(0, 0, 0, 0)
        self.wrap_banner = QLabel()
        styled(self.wrap_banner, "muted")
        self.wrap_banner.setWordWrap(True)
        wrap_layout.addWidget(self.wrap_banner)
        wrap_layout.addWidget(self.wrap_up_form)
        # The session's chat under the form: what was said, to copy into the notes.
        chat_card = QFrame()
        styled(chat_card, "card")
        chat_layout = QVBoxLayout(chat_card)
        chat_layout.setContentsMargins(14, 10, 14, 12)
        chat_title = QLabel(self.tr("Chat in this session").upper())
        styled(chat_title, "section")
        self.wrap_chat = QTextBrowser()
        self.wrap_chat.setFrameShape(QFrame.Shape.NoFrame)
        chat_layout.addWidget(chat_title)
        chat_layout.addWidget(self.wrap_chat, 1)
        wrap_layout.addWidget(chat_card, 1)
        self.work.addWidget(wrap_page)
        self._wrap_page = wrap_page

        contact_page = QWidget()
        contact_layout = QHBoxLayout(contact_page)
        contact_layout.setContentsMargins(12, 12, 12, 12)
        contact_layout.setSpacing(12)
        contact_layout.addWidget(left)
        contact_layout.addWidget(self.work, 1)

        tickets_page = QWidget()
        tickets_layout = QVBoxLayout(tickets_page)
        tickets_layout.setContentsMargins(12, 12, 12, 12)
        tickets_layout.addWidget(self.tickets)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(contact_page, icon("accept"), self.tr("Contacts"))
        self.tabs.addTab(tickets_page, icon("ticket"), self.tr("Tickets"))
        self.recordings = RecordingsPage(console, self.on_recording_requested)
        self.tabs.addTab(self.recordings, icon("recording"), self.tr("Recordings"))
        self.replay_windows: list[ReplayWindow] = []
        self.setCentralWidget(self.tabs)

        self.state_widget = AgentStateWidget()
        self.connection_label = QLabel()
        styled(self.connection_label, "muted")
        self.agent_label = QLabel()
        self.queue_label = QLabel()
        styled(self.queue_label, "muted")
        self.message_label = QLabel()
        self.sla_alerts = SlaAlertsButton()
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        status = self.statusBar()
        status.setSizeGripEnabled(False)
        # Permanent widgets: showMessage() would hide the agent's state, so messages get
        # their own label instead.
        status.addPermanentWidget(self.state_widget)
        status.addPermanentWidget(self.connection_label)
        status.addPermanentWidget(self.message_label, 1)
        status.addPermanentWidget(self.sla_alerts)
        status.addPermanentWidget(self.queue_label)
        status.addPermanentWidget(self.agent_label)

        self.shortcuts = {name: QShortcut(QKeySequence(keys), self)
                          for name, keys in SHORTCUTS.items()}
        self._tooltips()
        self.idle.show_state(m.AgentState.OFFLINE)
        self.profile.show_empty()
        self._connect_signals()
        self._restore()

    def _tooltips(self) -> None:
        self.ring_panel.accept_button.setToolTip(self.tr("Accept ({0})")
                                                 .format(SHORTCUTS["accept"]))
        self.ring_panel.decline_button.setToolTip(self.tr("Decline ({0})")
                                                  .format(SHORTCUTS["decline"]))
        self.session_view.control_button.setToolTip(
            self.tr("Control the customer's mouse and keyboard ({0}); only when they "
                    "allowed it").format(SHORTCUTS["control"]))
        self.session_view.end_button.setToolTip(self.tr("End the session ({0})")
                                                .format(SHORTCUTS["end"]))
        self.session_view.wrap_up_button.setToolTip(self.tr("Wrap up ({0})")
                                                    .format(SHORTCUTS["wrap_up"]))

    def _connect_signals(self) -> None:
        console, session, view = self.console, self.console.session, self.session_view
        # console -> window
        console.signed_in.connect(self.on_signed_in)
        console.state_changed.connect(self.on_state_changed)
        console.ring_started.connect(self.on_ring_started)
        console.ring_ended.connect(self.on_ring_ended)
        console.session_started.connect(self.on_session_started)
        console.session_ended.connect(self.on_session_ended)
        console.wrap_up_started.connect(self.on_wrap_up_started)
        console.wrap_up_saved.connect(self.on_wrap_up_saved)
        console.wrap_up_failed.connect(self.wrap_up_form.submit_failed)
        console.connection_changed.connect(self.on_connection_changed)
        console.queue_changed.connect(self.on_queue_changed)
        console.sla_alert.connect(self.on_sla_alert)
        console.error.connect(self.on_error)
        # session link -> session view
        session.layout_changed.connect(self.on_layout_changed)
        session.frame_ready.connect(view.screen.compose)
        session.consent_changed.connect(self.on_consent_changed)
        session.chat_received.connect(self.on_chat_received)
        session.clipboard_received.connect(self.on_clipboard_received)
        session.cursor_moved.connect(view.screen.set_remote_cursor)
        session.quality.connect(view.set_quality)
        # session view -> session link
        view.screen.frame_composed.connect(session.ack)
        view.screen.pointer_moved.connect(session.pointer)
        view.screen.pointer_pressed.connect(session.pointer)
        view.screen.key_changed.connect(session.key)
        view.chat.message_sent.connect(self.on_chat_sent)
        view.monitor_chosen.connect(self.on_monitor_chosen)
        view.clipboard_send_requested.connect(self.on_clipboard_send)
        view.end_requested.connect(console.end_session)
        view.wrap_up_requested.connect(console.start_wrap_up)
        # widgets -> console
        self.ring_panel.accept_requested.connect(console.accept)
        self.ring_panel.decline_requested.connect(console.decline)
        self.state_widget.state_requested.connect(console.set_state)
        self.wrap_up_form.submitted.connect(console.wrap_up)
        self.tickets.query_requested.connect(self.on_tickets_query)
        self.tickets.detail_requested.connect(self.on_ticket_detail)
        self.tickets.recording_requested.connect(self.on_recording_requested)
        self.profile.recording_requested.connect(self.on_recording_requested)
        self.tabs.currentChanged.connect(self.on_tab_changed)
        self.sla_alerts.ticket_requested.connect(self.on_alert_ticket)
        self._message_timer.timeout.connect(self.message_label.clear)
        # shortcuts
        self.shortcuts["accept"].activated.connect(self.ring_panel.on_accept_clicked)
        self.shortcuts["decline"].activated.connect(self.ring_panel.on_decline_clicked)
        self.shortcuts["control"].activated.connect(self.on_control_shortcut)
        self.shortcuts["end"].activated.connect(console.end_session)
        self.shortcuts["wrap_up"].activated.connect(console.start_wrap_up)

    # --- console events -----------------------------------------------------------------------

    def on_signed_in(self, login: m.LoginOk) -> None:
        self.agent_label.setText(f"{login.agent.display_name} · {login.agent.level}")
        self.setWindowTitle(self.tr("Tandem console — {0}").format(login.agent.display_name))

    def on_state_changed(self, state: m.AgentState, reason: str | None, since) -> None:
        self.state_widget.set_state(state, reason, since)
        if self.work.currentWidget() is self.idle:
            self.idle.show_state(state)

    def on_ring_started(self, ring: m.Ring) -> None:
        self.ring_note.hide()
        profile = _profile_of(ring)
        self.ring_panel.show_ring(ring, self._caller_name(ring),
                                  profile.sla if profile is not None else None)
        self.profile.show_profile_dict(ring.profile or {}, company=ring.company, tier=ring.tier)
        self.tabs.setCurrentIndex(0)
        if self.work.currentWidget() is self.idle:
            self.idle.show_ringing(self.tr("Accept ({0}) to ask the customer for consent and "
                                           "see their screen here.").format(SHORTCUTS["accept"]))
        self.ringer.start(self.tr("Contact ringing"), f"{ring.caller} · {ring.company}")

    def _caller_name(self, ring: m.Ring) -> str:
        """The matched contact person; else say the caller is unknown on which machine."""
        profile = _profile_of(ring)
        if profile is None:
            return ""
        if profile.person is not None:
            return profile.person.name
        if profile.machine is not None and ring.caller == profile.machine.hostname:
            return self.tr("Caller at {0}").format(ring.caller)
        return ""

    def on_ring_ended(self, offer_id: str, reason: str) -> None:
        self.ringer.stop()
        self.ring_panel.clear()
        if reason != "accepted":
            self.ring_note.setText(self.tr(RING_END_TEXTS.get(reason, reason)))
            self.ring_note.show()
            self.profile.show_empty()
            if self.work.currentWidget() is self.idle:
                self.idle.show_state(self.console.state)

    def on_session_started(self, accepted: m.Accepted) -> None:
        contact = self.console.current_contact
        who = (self._caller_name(contact) or contact.caller) if contact else ""
        title = f"{who} · {contact.company}" if contact else ""
        self.session_view.start(title)
        self.work.setCurrentWidget(self.session_view)

    def on_session_ended(self, session_id: str, reason: str) -> None:
        text = SESSION_END_TEXTS.get(reason)
        if text is None:
            text = (reason if reason.endswith(".") else f"The session ended ({reason}).")
            text += " Wrap up when you are ready."
        self.session_view.ended(self.tr(text))
        self.session_view.chat.add_notice(self.tr("Session ended."))

    def on_wrap_up_started(self, contact: m.Ring) -> None:
        products: list[tuple[str, str, str]] = []  # (product, module, version)
        profile = _profile_of(contact)
        for item in profile.products if profile else ():
            for module in item.modules or ("",):
                products.append((item.product_name, module, item.version or ""))
        environment = (profile.machine.environment or {}) if profile and profile.machine else {}
        vendor = environment.get("vendor") if isinstance(environment, dict) else None
        if isinstance(vendor, dict) and vendor.get("product"):
            # The product on this machine first: it is most likely what the contact was about.
            name, version = str(vendor["product"]), str(vendor.get("version") or "")
            own = [entry for entry in products if entry[0] == name]
            products = own + [entry for entry in products if entry[0] != name]
            if not own:
                products.insert(0, (name, "", version))
        names = [p for p, _, _ in products]
        first = names[0] if names else ""
        first_modules = [mod for p, mod, _ in products if p == first and mod]
        modules = first_modules + [mod for _, mod, _ in products if mod]
        versions = [v for p, _, v in products if v and p == first]
        title = (contact.problem or "").splitlines()[0][:120] if contact.problem else ""
        unknown = profile is None or not profile.known or profile.company is None
        self.wrap_up_form.prefill(title=title, products=names, modules=modules,
                                  versions=versions,
                                  module=first_modules[0] if len(first_modules) == 1 else "",
                                  needs_customer=unknown,
                                  customer_codes=self._recent_customer_codes())
        who = self._caller_name(contact) or contact.caller or self.tr("an unknown caller")
        if unknown:
            text = self.tr("Wrapping up the contact from {0}. The caller was not recognised: "
                           "enter their customer code so the ticket, this session and its "
                           "recording belong to the right customer.").format(who)
        else:
            text = self.tr("Wrapping up the contact from {0} ({1}). Saving creates their "
                           "ticket with this session and its recording linked, and sets you "
                           "Ready.").format(who, contact.company)
        self.wrap_banner.setText(text)
        chat = self.session_view.chat
        if chat.lines():
            self.wrap_chat.setHtml(chat.transcript.toHtml())
        else:
            self.wrap_chat.setHtml(f"<p style='color:#64748b'>"
                                   f"{self.tr('No chat in this session.')}</p>")
        self.work.setCurrentWidget(self._wrap_page)

    def _recent_customer_codes(self) -> list[str]:
        value = self.settings.value("wrapup/recent_customer_codes") or []
        return [str(v) for v in (value if isinstance(value, list) else [value])][:10]

    def on_wrap_up_saved(self, done: m.WrapUpDone) -> None:
        code = self.wrap_up_form.fields().customer_code
        if code:
            recent = [code, *(c for c in self._recent_customer_codes() if c != code)]
            self.settings.setValue("wrapup/recent_customer_codes", recent[:10])
        self.show_message(self.tr("Ticket {0} saved.").format(done.number))
        self.profile.show_empty()
        self.ring_note.hide()
        self.work.setCurrentWidget(self.idle)
        self.idle.show_state(self.console.state)
        if self.tabs.currentIndex() == 1:
            self.tickets.refresh()

    def on_connection_changed(self, connected: bool, text: str) -> None:
        self.connection_label.setText(text)
        styled(self.connection_label, "muted" if connected else "error")
        if not connected and self.work.currentWidget() is self.session_view:
            self.session_view.banner.show_message(text, "warn")
        elif connected and self.session_view.banner.text() == self.tr(
                "Hub connection lost; reconnecting…"):
            self.session_view.banner.hide()

    def on_queue_changed(self, waiting: int, longest_s: float, ready: int) -> None:
        text = self.tr("Queue: {0} waiting").format(waiting)
        if waiting:
            text += self.tr(", longest {0}").format(format_duration(longest_s))
        ready_text = (self.tr("1 agent ready") if ready == 1
                      else self.tr("{0} agents ready").format(ready))
        self.queue_label.setText(f"{text} · {ready_text}")

    def on_sla_alert(self, alert: m.SlaAlert) -> None:
        """Non-blocking: a status-bar notice and the list behind the SLA alerts button."""
        text = self.sla_alerts.add(alert)
        self.show_message(self.tr("SLA alert: {0}").format(text), error=alert.fraction >= 1.0,
                          timeout_ms=20000)

    def on_alert_ticket(self, ticket_id: int) -> None:
        self.tabs.setCurrentIndex(1)
        self.on_ticket_detail(ticket_id)

    def on_error(self, title: str, text: str) -> None:
        self.show_message(f"{title}: {text}", error=True)

    def show_message(self, text: str, error: bool = False, timeout_ms: int = 10000) -> None:
        """A transient note in the status bar that leaves the agent's state visible."""
        self.message_label.setText(text)
        styled(self.message_label, "error" if error else "muted")
        self._message_timer.start(timeout_ms)

    # --- session events -----------------------------------------------------------------------

    def on_layout_changed(self, width: int, height: int, names: list, chosen: int) -> None:
        self.session_view.screen.set_screen_size(width, height)
        self.session_view.set_monitors(list(names), chosen)

    def on_consent_changed(self, level: str) -> None:
        view = self.session_view
        previous = view.consent_level
        if level == "none" and previous in ("waiting", "none"):
            # The relay reports "none" until the customer answers: still waiting.
            view.set_consent("waiting")
            return
        view.set_consent(level)
        if level == "view" and previous == "control":
            view.banner.show_message(
                self.tr("The customer switched to view only: you can watch but not control."))
        elif level == "view":
            view.banner.show_message(
                self.tr("View only: the customer did not allow control."), "info")
        elif level == "none":
            view.banner.show_message(
                self.tr("The customer withdrew consent: the screen is hidden."), "error")
        else:
            view.banner.hide()

    def on_chat_received(self, sender: str, text: str) -> None:
        self.session_view.chat.add_line(sender or self.tr("Customer"), text, mine=False)

    def on_chat_sent(self, text: str) -> None:
        from remote.protocol.messages import ChatLine

        name = self.console.login.agent.display_name if self.console.login else "Agent"
        self.console.session.send(ChatLine(name, text))
        self.session_view.chat.add_line(name, text, mine=True)

    def on_clipboard_received(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.session_view.chat.add_notice(self.tr("Customer's clipboard copied here "
                                                  "({0} characters).").format(len(text)))

    def on_clipboard_send(self) -> None:
        from remote.protocol.messages import ClipboardText

        text = QGuiApplication.clipboard().text()
        if text:
            self.console.session.send(ClipboardText(text))
            self.session_view.chat.add_notice(self.tr("Clipboard sent ({0} characters).")
                                              .format(len(text)))

    def on_monitor_chosen(self, index: int) -> None:
        from remote.protocol.messages import MonitorSelect

        self.console.session.send(MonitorSelect(index))

    def on_control_shortcut(self) -> None:
        button = self.session_view.control_button
        if button.isEnabled():
            button.toggle()

    # --- tickets ----------------------------------------------------------------------------

    def on_tab_changed(self, index: int) -> None:
        if self.console.login is None:
            return
        if index == 1:
            self.tickets.refresh()
        elif index == 2:
            self.recordings.refresh()

    def on_tickets_query(self, filters: m.TicketFilters) -> None:
        self.console.query_tickets(filters, self.tickets.show_results)

    def on_ticket_detail(self, ticket_id: int) -> None:
        self.console.ticket_detail(ticket_id, self.tickets.show_detail)

    def on_recording_requested(self, recording_id: int) -> None:
        self.console.open_recording(recording_id, self.on_recording_opened)

    def on_recording_opened(self, opened: m.RecordingOpened) -> None:
        window = ReplayWindow(self.console, opened, self)
        self.replay_windows.append(window)
        window.destroyed.connect(lambda _=None, w=window: self.replay_windows.remove(w)
                                 if w in self.replay_windows else None)
        window.show()

    # --- geometry ---------------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1360, 860)
        splitter = self.settings.value("window/session_splitter")
        if splitter is not None:
            self.session_view.splitter.restoreState(splitter)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/session_splitter", self.session_view.splitter.saveState())
        self.ringer.stop()
        super().closeEvent(event)


def _profile_of(ring: m.Ring) -> Profile | None:
    """The screen-pop profile that came with the ring (None when absent or unreadable)."""
    try:
        return Profile.from_dict(ring.profile) if ring.profile else None
    except (TypeError, ValueError, KeyError):
        return None
