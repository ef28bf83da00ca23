"""The screen pop: who is calling and what they run, shown while the contact still rings.

Rendered from DATA's ``Profile`` (the hub sends ``Profile.to_dict()`` with the ring), as
plain widgets in a scroll area: company and contact person, tier and SLA due times,
products/modules/versions, this machine's environment and what changed, recent tickets and
sessions (with recordings), satisfaction history, notes.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.screen_pop.profile import Profile
from ui.look import icon, styled
from ui.ring_panel import tier_badge
from ui.sla_widgets import DueLine
from ui.tickets_view import label

Data = Mapping[str, Any]
log = logging.getLogger(__name__)


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and len(value) >= 16 and value[4] == "-" and "T" in value:
        try:
            return datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return str(value)


def _get(data: Any, *names: str, default: Any = None) -> Any:
    """First present key (profiles are dicts from JSON; names tolerate small variations)."""
    if not isinstance(data, Mapping):
        return default
    for name in names:
        if data.get(name) not in (None, ""):
            return data[name]
    return default


def _label(text: str, role: str | None = None, wrap: bool = False) -> QLabel:
    label = QLabel(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(wrap)
    if role:
        styled(label, role)
    return label


class ProfileView(QScrollArea):
    """The customer profile. ``show_profile(dict)`` replaces what is shown.

    Signals:
        recording_requested(int): the agent wants to replay this recording id.
        ticket_requested(int): the agent wants to open this ticket id.
    """

    recording_requested = Signal(int)
    ticket_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._body = QWidget()
        self._layout = QVBoxLayout(self._body)
        self._layout.setContentsMargins(0, 0, 4, 0)
        self._layout.setSpacing(10)
        self.setWidget(self._body)
        self.viewport().setAutoFillBackground(False)
        self._body.setAutoFillBackground(False)
        self.setStyleSheet("QScrollArea { background: transparent; border: none; }")
        self.sections: dict[str, QFrame] = {}
        self.due_lines: list[DueLine] = []
        self._due_timer = QTimer(self)
        self._due_timer.setInterval(15_000)
        self._due_timer.timeout.connect(self.refresh_due_times)
        self.show_empty()

    # --- public ----------------------------------------------------------------------------

    def show_empty(self, text: str = "") -> None:
        self._clear()
        card = self._card("empty")
        hint = _label(text or self.tr("The caller's profile appears here when a contact "
                                      "rings."), "muted", wrap=True)
        card.layout().addWidget(hint)
        self._layout.addStretch(1)

    def show_profile(self, profile: Profile, company: str = "", tier: str = "") -> None:
        """Show ``profile``; ``company``/``tier`` (from the ring) name an unknown caller."""
        self._clear()
        self._header(profile, company, tier)
        self._sla(profile)
        self._products(profile)
        self._machine(profile)
        self._tickets(profile)
        self._sessions(profile)
        self._satisfaction(profile)
        self._notes(profile)
        self._layout.addStretch(1)

    def show_profile_dict(self, data: Mapping[str, Any], company: str = "",
                          tier: str = "") -> None:
        """The profile as the hub sends it with the ring (``Profile.to_dict()``)."""
        if not data:
            self.show_profile(Profile(known=False, matched_by=None, caller_phone=None,
                                      caller_email=None), company, tier)
            return
        try:
            profile = Profile.from_dict(data)
        except (TypeError, ValueError, KeyError):
            # The agent cannot act on a Python message; the log keeps it for whoever can.
            log.exception("unreadable screen-pop profile")
            self.show_empty(self.tr("The caller's profile could not be read (the hub may be "
                                    "a different version). The ring above shows who is "
                                    "calling."))
            return
        self.show_profile(profile, company, tier)

    def refresh_due_times(self) -> None:
        """Count the SLA due times down (and re-colour them) while the profile is shown."""
        for line in self.due_lines:
            line.refresh()

    def section_text(self, name: str) -> str:
        """All label text of a section (tests read what the agent sees)."""
        frame = self.sections.get(name)
        if frame is None:
            return ""
        return "\n".join(w.text() for w in frame.findChildren(QLabel) if w.text())

    # --- sections ----------------------------------------------------------------------------

    def _header(self, profile: Profile, company_name: str, tier: str) -> None:
        card = self._card("customer")
        company = profile.company
        row = QHBoxLayout()
        name = company.name if company else (company_name or self.tr("Unknown caller"))
        row.addWidget(_label(name, "title", wrap=True), 1)
        row.addWidget(tier_badge(company.tier if company else tier), 0,
                      Qt.AlignmentFlag.AlignTop)
        card.layout().addLayout(row)
        if company:
            facts = [company.code, company.region, company.timezone]
            card.layout().addWidget(_label("  ·  ".join(f for f in facts if f), "muted"))
        else:
            card.layout().addWidget(_label(self.tr("Not matched to a customer yet; check who "
                                                   "is calling."), "muted", wrap=True))
        person = profile.person
        grid = self._grid(card)
        if person is not None:
            title = f"{person.name} · {person.job_title}" if person.job_title else person.name
            self._row(grid, self.tr("Contact"), title)
            for value, label in ((person.phone, self.tr("Phone")),
                                 (person.mobile, self.tr("Mobile")),
                                 (person.email, self.tr("Email"))):
                if value:
                    self._row(grid, label, value)
        others = [p.name for p in profile.contact_persons if person is None or p.id != person.id]
        if others:
            self._row(grid, self.tr("Also") if person else self.tr("Contacts"),
                      ", ".join(others[:4]))
        for value, label in ((profile.caller_phone, self.tr("Caller phone")),
                             (profile.caller_email, self.tr("Caller email"))):
            if value and (person is None or value not in (person.phone, person.mobile,
                                                          person.email)):
                self._row(grid, label, value)

    def _sla(self, profile: Profile) -> None:
        sla = profile.sla
        if sla is None:
            return
        card = self._card("sla", self.tr("Service level"))
        grid = self._grid(card)
        hours = sla.calendar
        if sla.timezone and hours.endswith(f" ({sla.timezone})"):
            hours = hours[: -len(sla.timezone) - 3]  # the zone is in the header already
        self._row(grid, self.tr("Plan"), f"{sla.tier.upper()} · {hours}")
        for title, due, minutes in (
                (self.tr("First response"), sla.first_response_due_at,
                 sla.first_response_minutes),
                (self.tr("Resolution"), sla.resolution_due_at, sla.resolution_minutes)):
            within = self.tr("within {0} of working time").format(_minutes(minutes))
            if due is None:
                self._row(grid, title, within)
                continue
            line = DueLine("", due, minutes, sla.timezone,
                           detail=self.tr("{0} target").format(_minutes(minutes)), short=True)
            line.setToolTip(self.tr("Due at {0} (your time) for a contact arriving now")
                            .format(_text(due)))
            self.due_lines.append(line)
            row = grid.rowCount()
            grid.addWidget(_label(title, "muted"), row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(line, row, 1)
        self._due_timer.start()

    def _products(self, profile: Profile) -> None:
        if not profile.products:
            return
        card = self._card("products", self.tr("Products"))
        grid = self._grid(card)
        for item in profile.products:
            name = f"{item.product_name} {item.version or ''}".strip()
            self._row(grid, name, ", ".join(item.modules) or "—")

    def _machine(self, profile: Profile) -> None:
        machine = profile.machine
        if machine is None:
            return
        card = self._card("machine", self.tr("This machine"))
        grid = self._grid(card)
        for title, value in environment_rows(machine.environment or {}):
            self._row(grid, self.tr(title), value)
        if machine.reported_at:
            self._row(grid, self.tr("Reported"), _text(machine.reported_at))
        if machine.changes:
            card.layout().addWidget(_label(self.tr("CHANGED SINCE LAST TIME"), "section"))
            for change in machine.changes:
                card.layout().addWidget(_label(
                    f"• {change.label}: {change.before or '—'} → {change.after or '—'}",
                    wrap=True))
        elif not machine.seen_before:
            card.layout().addWidget(_label(self.tr("First contact from this machine."),
                                           "muted"))

    def _tickets(self, profile: Profile) -> None:
        card = self._card("tickets", self.tr("Recent tickets"))
        if not profile.tickets:
            card.layout().addWidget(_label(self.tr("No tickets yet."), "muted"))
            return
        for ticket in profile.tickets[:5]:
            row = QHBoxLayout()
            text = QLabel(f"<b>{html.escape(ticket.number)}</b> {html.escape(ticket.title)}")
            text.setWordWrap(True)
            text.setToolTip(" · ".join(v for v in (ticket.classification, ticket.product,
                                                   ticket.module, ticket.assignee) if v))
            row.addWidget(text, 1)
            badge = QLabel(label(ticket.status))
            styled(badge, "badge", tone="good" if ticket.status in ("solved", "closed")
                   else "info")
            row.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
            card.layout().addLayout(row)
        if len(profile.tickets) > 5:
            card.layout().addWidget(_label(self.tr("and {0} more").format(
                len(profile.tickets) - 5), "muted"))

    def _sessions(self, profile: Profile) -> None:
        if not profile.sessions:
            return
        card = self._card("sessions", self.tr("Recent sessions"))
        for session in profile.sessions[:4]:
            row = QHBoxLayout()
            who = " · ".join(v for v in (_text(session.started_at), session.agent,
                                         session.ticket_number) if v)
            row.addWidget(_label(who, wrap=True), 1)
            for recording_id in session.recording_ids[:1]:
                button = QPushButton(icon("play"), self.tr("Replay"))
                button.setProperty("recording_id", recording_id)
                button.clicked.connect(
                    lambda _=False, rid=recording_id: self.recording_requested.emit(rid))
                row.addWidget(button)
            card.layout().addLayout(row)

    def _satisfaction(self, profile: Profile) -> None:
        sat = profile.satisfaction
        if sat is None or not sat.count:
            return
        card = self._card("satisfaction", self.tr("Satisfaction"))
        if sat.mean is not None:
            card.layout().addWidget(_label(f"{_stars(sat.mean)}  {sat.mean:.1f} / 5 "
                                           f"({sat.count})"))
        for rating in sat.recent[:3]:
            text = f"{_stars(rating.score)}  {rating.comment}".rstrip()
            card.layout().addWidget(_label(text, "muted", wrap=True))

    def _notes(self, profile: Profile) -> None:
        notes = [n for n in (*profile.notes, profile.company.notes if profile.company else "")
                 if n]
        if not notes:
            return
        card = self._card("notes", self.tr("Notes"))
        for note in dict.fromkeys(notes):
            card.layout().addWidget(_label(note, wrap=True))

    # --- building blocks -------------------------------------------------------------------

    def _clear(self) -> None:
        self.sections.clear()
        self.due_lines.clear()
        self._due_timer.stop()
        while self._layout.count():
            item = self._layout.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
            elif item.layout() is not None:
                _delete_layout(item.layout())

    def _card(self, name: str, title: str = "") -> QFrame:
        frame = QFrame()
        styled(frame, "card")
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(14, 10, 14, 12)
        layout.setSpacing(6)
        if title:
            layout.addWidget(_label(title.upper(), "section"))
        self._layout.addWidget(frame)
        self.sections[name] = frame
        return frame

    @staticmethod
    def _grid(card: QFrame) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(1, 1)
        card.layout().addLayout(grid)
        return grid

    @staticmethod
    def _row(grid: QGridLayout, title: str, value: str) -> None:
        row = grid.rowCount()
        grid.addWidget(_label(title, "muted"), row, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(_label(value, wrap=True), row, 1)


def _delete_layout(layout: Any) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            item.widget().hide()
            item.widget().deleteLater()
        elif item.layout() is not None:
            _delete_layout(item.layout())


def environment_rows(env: Data) -> list[tuple[str, str]]:
    """The environment report as (title, value) lines an agent reads at a glance."""
    rows: list[tuple[str, str]] = []
    vendor = _get(env, "vendor", default={}) or {}
    product = " ".join(str(v) for v in (_get(vendor, "product"), _get(vendor, "version")) if v)
    if product or _get(env, "product"):
        rows.append(("Product", product or " ".join(
            str(v) for v in (_get(env, "product"), _get(env, "version")) if v)))
    if _get(env, "hostname"):
        rows.append(("Host", str(env["hostname"])))
    os_info = _get(env, "os")
    if isinstance(os_info, Mapping):
        name = _get(os_info, "distribution") or " ".join(
            str(v) for v in (_get(os_info, "system"), _get(os_info, "release")) if v)
        rows.append(("OS", f"{name} ({_get(os_info, 'machine', default='')})".replace(" ()", "")))
    elif os_info:
        rows.append(("OS", " ".join(str(v) for v in (os_info, _get(env, "os_version")) if v)))
    cpu = _get(env, "cpu")
    if isinstance(cpu, Mapping):
        rows.append(("CPU", f"{_get(cpu, 'model', default='?')} · {_get(cpu, 'cores', default='?')}"
                     " cores"))
    elif cpu:
        rows.append(("CPU", str(cpu)))
    memory = _get(env, "memory_bytes")
    if memory:
        rows.append(("Memory", f"{int(memory) / 2**30:.1f} GB"))
    elif _get(env, "memory_mb"):
        rows.append(("Memory", f"{int(env['memory_mb']) / 1024:.1f} GB"))
    screens = _get(env, "screens")
    if isinstance(screens, list | tuple) and screens:
        rows.append(("Screens", ", ".join(
            f"{_get(sc, 'width')}×{_get(sc, 'height')}" if isinstance(sc, Mapping) else str(sc)
            for sc in screens)))
    locale = _get(env, "locale")
    zone = _get(env, "time_zone")
    parts = [str(_get(locale, "language", default="")) if isinstance(locale, Mapping) else
             str(locale or ""),
             str(_get(zone, "name", default="")) if isinstance(zone, Mapping) else str(zone or "")]
    if any(parts):
        rows.append(("Locale", " · ".join(p for p in parts if p)))
    return rows


def _minutes(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440} d"
    if minutes % 60 == 0 or minutes > 180:
        return f"{minutes / 60:g} h"
    return f"{minutes} min"


def _stars(score: float) -> str:
    full = max(0, min(5, round(score)))
    return "★" * full + "☆" * (5 - full)
