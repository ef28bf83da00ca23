"""The softphone-style ring panel: who is calling, how long they waited, Accept / Decline."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.api import messages as m
from app.screen_pop.profile import SlaTargets
from ui.look import icon, styled
from ui.sla_widgets import DueLine

CHANNEL_NAMES = {
    m.Channel.ASSIST: "Tandem Assist",
    m.Channel.PHONE: "Phone",
    m.Channel.WEB: "Web",
    m.Channel.EMBEDDED: "In-app",
}


def format_duration(seconds: float) -> str:
    """``m:ss`` below an hour, ``h:mm:ss`` above (wait timers and state timers)."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def tier_badge(tier: str, parent: QWidget | None = None) -> QLabel:
    """A small coloured badge for a customer tier (basic / VIP / SVIP)."""
    label = QLabel(tier.upper() if tier else "—", parent)
    styled(label, "badge", tier=(tier or "").lower())
    return label


class RingPanel(QFrame):
    """Shows one ringing contact with a live wait timer.

    Signals:
        accept_requested(str): the offer id the agent accepts.
        decline_requested(str): the offer id the agent declines.
    """

    accept_requested = Signal(str)
    decline_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        styled(self, "ring")
        self._ring: m.Ring | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(500)

        self._incoming = QLabel(self.tr("Incoming contact").upper())
        styled(self._incoming, "section")
        self._channel = QLabel()
        styled(self._channel, "badge", tone="info")
        self._caller = QLabel()
        styled(self._caller, "title")
        self._company = QLabel()
        styled(self._company, "heading")
        self._tier = tier_badge("")
        self._problem = QLabel()
        self._problem.setWordWrap(True)
        self._problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        styled(self._problem, "problem")
        self._wait = QLabel("0:00")
        styled(self._wait, "timer")
        self._wait_caption = QLabel(self.tr("waiting"))
        styled(self._wait_caption, "muted")
        self._expires = QLabel()
        styled(self._expires, "muted")
        self.due_line: DueLine | None = None
        self._due_box = QVBoxLayout()
        self._due_box.setContentsMargins(0, 0, 0, 0)
        self.accept_button = QPushButton(icon("accept", "#ffffff"), self.tr("Accept"))
        styled(self.accept_button, "accept")
        self.accept_button.setIconSize(QSize(18, 18))
        self.decline_button = QPushButton(icon("decline", "#b91c1c"), self.tr("Decline"))
        styled(self.decline_button, "decline")
        self.decline_button.setIconSize(QSize(18, 18))
        for button in (self.accept_button, self.decline_button):
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
        self._build_layout()
        self._connect_signals()

    def _build_layout(self) -> None:
        head = QHBoxLayout()
        head.addWidget(self._incoming)
        head.addStretch(1)
        head.addWidget(self._channel)

        who = QVBoxLayout()
        who.setSpacing(2)
        who.addWidget(self._caller)
        company_row = QHBoxLayout()
        company_row.setSpacing(8)
        company_row.addWidget(self._company)
        company_row.addWidget(self._tier)
        company_row.addStretch(1)
        who.addLayout(company_row)

        timer = QVBoxLayout()
        timer.setSpacing(0)
        timer.addWidget(self._wait, 0, Qt.AlignmentFlag.AlignRight)
        timer.addWidget(self._wait_caption, 0, Qt.AlignmentFlag.AlignRight)

        top = QHBoxLayout()
        top.addLayout(who, 1)
        top.addLayout(timer)

        buttons = QHBoxLayout()
        buttons.setSpacing(10)
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.decline_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 14)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addLayout(top)
        layout.addWidget(self._problem)
        layout.addLayout(self._due_box)
        layout.addWidget(self._expires)
        layout.addLayout(buttons)

    def _connect_signals(self) -> None:
        self._timer.timeout.connect(self.on_tick)
        self.accept_button.clicked.connect(self.on_accept_clicked)
        self.decline_button.clicked.connect(self.on_decline_clicked)

    @property
    def ring(self) -> m.Ring | None:
        return self._ring

    def show_ring(self, ring: m.Ring, who: str = "", sla: SlaTargets | None = None) -> None:
        """Show ``ring``; ``who`` names the caller better than ``ring.caller`` when the
        screen pop knows more (the matched contact person); ``sla`` (from the profile) adds
        the first-response due time."""
        self._ring = ring
        self._show_due(sla)
        self._caller.setText(who or ring.caller or self.tr("Unknown caller"))
        self._company.setText(ring.company or self.tr("Unknown company"))
        self._tier.setText((ring.tier or "—").upper())
        styled(self._tier, "badge", tier=(ring.tier or "").lower())
        self._channel.setText(CHANNEL_NAMES.get(ring.channel, str(ring.channel)))
        self._problem.setText(ring.problem or self.tr("(no problem description)"))
        self.accept_button.setEnabled(True)
        self.decline_button.setEnabled(True)
        self.on_tick()
        self._timer.start()
        self.show()

    def _show_due(self, sla: SlaTargets | None) -> None:
        if self.due_line is not None:
            self._due_box.removeWidget(self.due_line)
            self.due_line.deleteLater()
            self.due_line = None
        if sla is not None and sla.first_response_due_at is not None:
            self.due_line = DueLine(self.tr("First response"), sla.first_response_due_at,
                                    sla.first_response_minutes, sla.timezone)
            self._due_box.addWidget(self.due_line)

    def clear(self) -> None:
        self._ring = None
        self._timer.stop()
        self.hide()

    def on_tick(self) -> None:
        if self._ring is None:
            return
        now = datetime.now(UTC)
        self._wait.setText(format_duration((now - self._ring.queued_at).total_seconds()))
        if self.due_line is not None:
            self.due_line.refresh(now)
        left = (self._ring.expires_at - now).total_seconds()
        self._expires.setText(self.tr("Rings for another {0} s").format(max(0, int(left)))
                              if left > 0 else self.tr("Ring timed out"))

    def on_accept_clicked(self) -> None:
        if self._ring is not None:
            self.accept_button.setEnabled(False)
            self.decline_button.setEnabled(False)
            self.accept_requested.emit(self._ring.offer_id)

    def on_decline_clicked(self) -> None:
        if self._ring is not None:
            self.accept_button.setEnabled(False)
            self.decline_button.setEnabled(False)
            self.decline_requested.emit(self._ring.offer_id)
