"""The screen pop: who is calling and what they run, shown while the contact still rings.

Rendered from the profile the hub sends with the ring (DATA's ``Profile.to_dict()``), as
plain widgets in a scroll area: company and contact person, tier and SLA due times,
products/modules/versions, this machine's environment and what changed, recent tickets and
sessions (with recordings), satisfaction history, notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
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

from ui.look import icon, styled
from ui.ring_panel import tier_badge

Data = Mapping[str, Any]


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
        self.show_empty()

    # --- public ----------------------------------------------------------------------------

    def show_empty(self, text: str = "") -> None:
        self._clear()
        card = self._card("empty")
        hint = _label(text or self.tr("The caller's profile appears here when a contact "
                                      "rings."), "muted", wrap=True)
        card.layout().addWidget(hint)
        self._layout.addStretch(1)

    def show_profile(self, profile: Data, company: str = "", tier: str = "") -> None:
        """Show ``profile``; ``company``/``tier`` (from the ring) fill in an unknown caller."""
        self._clear()
        customer = dict(_get(profile, "customer", default={}) or {})
        identity = _get(profile, "identity", default={}) or {}
        customer.setdefault("name", company or None)
        customer.setdefault("tier", tier or None)
        if not customer.get("code") and _get(identity, "customer_code"):
            customer["code"] = identity["customer_code"]
        if "machine" not in profile and _get(identity, "environment"):
            profile = {**profile, "machine": {"machine_id": _get(identity, "machine_id"),
                                              "environment": identity["environment"],
                                              "first_seen": profile.get("known") is False}}
        self._header(profile, customer)
        self._sla(profile, customer)
        self._products(profile)
        self._machine(profile)
        self._tickets(profile)
        self._sessions(profile)
        self._satisfaction(profile)
        self._notes(profile, customer)
        self._layout.addStretch(1)

    def section_text(self, name: str) -> str:
        """All label text of a section (tests read what the agent sees)."""
        frame = self.sections.get(name)
        if frame is None:
            return ""
        return "\n".join(w.text() for w in frame.findChildren(QLabel))

    # --- sections ----------------------------------------------------------------------------

    def _header(self, profile: Data, customer: Data) -> None:
        card = self._card("customer")
        row = QHBoxLayout()
        name = _label(_text(_get(customer, "name")), "title", wrap=True)
        row.addWidget(name, 1)
        tier = _get(customer, "tier", default="")
        row.addWidget(tier_badge(str(tier)), 0, Qt.AlignmentFlag.AlignTop)
        card.layout().addLayout(row)
        facts = [_get(customer, "code"), _get(customer, "region"), _get(customer, "timezone")]
        card.layout().addWidget(_label("  ·  ".join(_text(f) for f in facts if f), "muted"))
        person = _get(profile, "contact_person", "contact", default=None)
        if isinstance(person, Mapping):
            grid = self._grid(card)
            self._row(grid, self.tr("Contact"), _text(_get(person, "name")))
            for key, title in (("email", self.tr("Email")), ("phone", self.tr("Phone")),
                               ("role", self.tr("Role")), ("language", self.tr("Language"))):
                if _get(person, key):
                    self._row(grid, title, _text(person[key]))

    def _sla(self, profile: Data, customer: Data) -> None:
        sla = _get(profile, "sla", default=None)
        if not isinstance(sla, Mapping):
            return
        card = self._card("sla", self.tr("Service level"))
        grid = self._grid(card)
        plan = _get(sla, "name", "policy", "calendar")
        if plan:
            self._row(grid, self.tr("Plan"), _text(plan))
        for keys, title in ((("first_response_due_at", "first_response_due"),
                             self.tr("First response due")),
                            (("resolution_due_at", "resolution_due"),
                             self.tr("Resolution due")),
                            (("first_response_minutes",), self.tr("First response within")),
                            (("resolution_hours",), self.tr("Resolution within"))):
            value = _get(sla, *keys)
            if value is not None:
                suffix = (" min" if keys[0].endswith("minutes")
                          else " h" if keys[0].endswith("hours") else "")
                self._row(grid, title, _text(value) + suffix)

    def _products(self, profile: Data) -> None:
        products = _get(profile, "products", "installations", default=[]) or []
        if not products:
            return
        card = self._card("products", self.tr("Products"))
        grid = self._grid(card)
        for item in products:
            name = _get(item, "product", "name", default="?")
            version = _get(item, "version", default="")
            modules = _get(item, "modules", default=[]) or []
            module_text = ", ".join(str(_get(mod, "name", default=mod)) if isinstance(mod, Mapping)
                                    else str(mod) for mod in modules)
            module = _get(item, "module")
            if module:
                module_text = f"{module}" + (f", {module_text}" if module_text else "")
            self._row(grid, f"{name} {version}".strip(), module_text or "—")

    def _machine(self, profile: Data) -> None:
        machine = _get(profile, "machine", default=None)
        if not isinstance(machine, Mapping):
            return
        card = self._card("machine", self.tr("This machine"))
        env = _get(machine, "environment", "report", default={}) or {}
        grid = self._grid(card)
        for title, value in environment_rows(env):
            self._row(grid, self.tr(title), value)
        if _get(machine, "machine_id"):
            self._row(grid, self.tr("Machine ID"), _text(machine["machine_id"])[:12])
        changes = _get(machine, "changes", "changed", default=[]) or []
        if changes:
            card.layout().addWidget(_label(self.tr("Changed since last time"), "section"))
            for change in _change_lines(changes):
                card.layout().addWidget(_label("• " + change, wrap=True))
        elif _get(machine, "first_seen", "is_new"):
            card.layout().addWidget(_label(self.tr("First contact from this machine."), "muted"))

    def _tickets(self, profile: Data) -> None:
        tickets = _get(profile, "recent_tickets", "tickets", default=[]) or []
        card = self._card("tickets", self.tr("Recent tickets"))
        if not tickets:
            card.layout().addWidget(_label(self.tr("No tickets yet."), "muted"))
            return
        for ticket in tickets[:6]:
            row = QHBoxLayout()
            number = _get(ticket, "number", default="")
            title = _get(ticket, "title", default="")
            row.addWidget(_label(f"<b>{number}</b> {title}", wrap=True), 1)
            status = str(_get(ticket, "status", default=""))
            badge = QLabel(status.replace("_", " "))
            styled(badge, "badge", tone="good" if status in ("solved", "closed") else "info")
            row.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
            card.layout().addLayout(row)

    def _sessions(self, profile: Data) -> None:
        sessions = _get(profile, "recent_sessions", "sessions", default=[]) or []
        if not sessions:
            return
        card = self._card("sessions", self.tr("Recent sessions"))
        for session in sessions[:5]:
            row = QHBoxLayout()
            when = _text(_get(session, "started_at", "ended_at"))
            agent = _get(session, "agent", "agent_name", default="")
            row.addWidget(_label(f"{when}  {agent}", wrap=True), 1)
            recording_id = _get(session, "recording_id")
            if recording_id is not None:
                button = QPushButton(icon("play"), self.tr("Replay"))
                button.setProperty("recording_id", int(recording_id))
                button.clicked.connect(
                    lambda _=False, rid=int(recording_id): self.recording_requested.emit(rid))
                row.addWidget(button)
            card.layout().addLayout(row)

    def _satisfaction(self, profile: Data) -> None:
        ratings = _get(profile, "satisfaction", "ratings", default=None)
        if not ratings:
            return
        card = self._card("satisfaction", self.tr("Satisfaction"))
        if isinstance(ratings, Mapping):
            average = _get(ratings, "average", "mean")
            count = _get(ratings, "count", default=0)
            if average is not None:
                card.layout().addWidget(_label(f"{_stars(float(average))}  {float(average):.1f} "
                                               f"/ 5 ({count})"))
            ratings = _get(ratings, "recent", "history", default=[]) or []
        for rating in list(ratings)[:4]:
            score = int(_get(rating, "score", default=0) or 0)
            comment = _get(rating, "comment", default="")
            card.layout().addWidget(_label(f"{_stars(score)}  {comment}", wrap=True))

    def _notes(self, profile: Data, customer: Data) -> None:
        notes = _get(profile, "notes", default=None) or _get(customer, "notes")
        if not notes:
            return
        card = self._card("notes", self.tr("Notes"))
        if isinstance(notes, str):
            notes = [notes]
        for note in notes:
            card.layout().addWidget(_label(str(_get(note, "text", default=note))
                                           if isinstance(note, Mapping) else str(note),
                                           wrap=True))

    # --- building blocks -------------------------------------------------------------------

    def _clear(self) -> None:
        self.sections.clear()
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


def _stars(score: float) -> str:
    full = max(0, min(5, round(score)))
    return "★" * full + "☆" * (5 - full)


def _summary(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(_summary(v) for v in value)
    return _text(value)


def _change_lines(changes: Iterable[Any] | Mapping[str, Any]) -> Sequence[str]:
    if isinstance(changes, Mapping):
        changes = [{"field": k, **(v if isinstance(v, Mapping) else {"after": v})}
                   for k, v in changes.items()]
    lines = []
    for change in changes:
        if isinstance(change, Mapping):
            field = _get(change, "field", "key", "name", default="?")
            before = _get(change, "before", "old", "previous")
            after = _get(change, "after", "new", "current")
            lines.append(f"{field}: {_summary(before)} → {_summary(after)}")
        else:
            lines.append(str(change))
    return lines
