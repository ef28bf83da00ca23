"""SLA on screen: a due-time line (ring panel, profile) and the SLA alert notices.

``DueLine`` reads "First response due 09:00 Mon" with a coloured pill "in 2 h 14 min"
(green, amber when little time remains, red when overdue) and the customer's wall-clock time
under it. ``SlaAlertsButton`` sits in the status bar: hidden until the hub pushes an
``SlaAlert``, then "SLA alerts: N" with a list the agent opens when they choose (never a
modal dialog in the middle of a session).
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.api import messages as m
from ui.look import styled
from ui.sla_text import Urgency, clock_text, due_text, span

TARGET_NAMES = {"first_response": "First response", "resolution": "Resolution"}


class DueLine(QWidget):
    """One due time, refreshed by ``refresh(now)`` (the ring panel's tick, a profile timer)."""

    def __init__(self, caption: str, due: datetime, target_minutes: int | None = None,
                 customer_timezone: str | None = None, detail: str = "", short: bool = False,
                 parent: QWidget | None = None) -> None:
        """``detail`` leads the note under the line; ``short`` names the customer's time
        without the zone (where the zone is shown nearby)."""
        super().__init__(parent)
        self.caption, self.due, self.detail, self.short = caption, due, detail, short
        self._target, self._zone = target_minutes, customer_timezone
        self.when = QLabel()
        self.left = QLabel()
        self.note = QLabel()
        styled(self.note, "muted")
        self.note.setWordWrap(True)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        row.addWidget(self.when)
        row.addWidget(self.left, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addLayout(row)
        layout.addWidget(self.note)
        self.urgency = Urgency.OK
        self.refresh()

    def refresh(self, now: datetime | None = None) -> None:
        text = due_text(self.due, now or datetime.now(UTC), self._target, self._zone)
        self.when.setText(self.tr("{0} due {1}").format(self.caption, text.when)
                          if self.caption else text.when)
        self.left.setText(text.left)
        if text.urgency is not self.urgency or self.left.property("tone") is None:
            styled(self.left, "badge", tone=text.urgency.value)
        self.urgency = text.urgency
        customer = text.customer_note()
        if self.short:
            customer = (self.tr("customer's time {0}").format(text.customer_when)
                        if text.customer_when else "")
        note = " · ".join(t for t in (self.detail, customer) if t)
        self.note.setText(note)
        self.note.setVisible(bool(note))

    def text(self) -> str:
        parts = [self.when.text(), f"({self.left.text()})"]
        if self.note.text():
            parts.append(f"· {self.note.text()}")
        return " ".join(parts)


def alert_text(alert: m.SlaAlert, local: object = None) -> str:
    """``T000000123 · First response overdue since 09:00 Mon`` / ``… 75 % of the time used``."""
    target = TARGET_NAMES.get(alert.target, alert.target.replace("_", " ").capitalize())
    at = alert.threshold_at.astimezone(local) if local is not None else \
        alert.threshold_at.astimezone()
    when = clock_text(at, datetime.now(at.tzinfo))
    if alert.fraction >= 1.0:
        return f"{alert.number} · {target} overdue since {when}"
    return f"{alert.number} · {target}: {alert.fraction:.0%} of the time used (at {when})"


class SlaAlertsDialog(QDialog):
    """The alerts so far, newest first; double-click (or Open) shows the ticket."""

    ticket_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("SLA alerts"))
        self.setModal(False)
        self.resize(520, 320)
        self.list = QListWidget()
        self.list.setAlternatingRowColors(True)
        hint = QLabel(self.tr("Tickets assigned to you that are near or past a due time."))
        styled(hint, "muted")
        self.open_button = QPushButton(self.tr("Open ticket"))
        styled(self.open_button, "primary")
        self.clear_button = QPushButton(self.tr("Clear list"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.list.itemActivated.connect(self.on_item_activated)
        self.open_button.clicked.connect(self.on_open_clicked)

    def add(self, alert: m.SlaAlert) -> None:
        item = QListWidgetItem(alert_text(alert))
        item.setData(Qt.ItemDataRole.UserRole, alert.ticket_id)
        item.setForeground(Qt.GlobalColor.darkRed if alert.fraction >= 1.0
                           else Qt.GlobalColor.black)
        self.list.insertItem(0, item)
        self.list.setCurrentRow(0)

    def on_item_activated(self, item: QListWidgetItem) -> None:
        self.ticket_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def on_open_clicked(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.on_item_activated(item)


class SlaAlertsButton(QToolButton):
    """Status-bar notice: hidden without alerts, "SLA alerts: N" (red when one is overdue).

    Signals:
        ticket_requested(int): the agent chose an alert's ticket.
    """

    ticket_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dialog = SlaAlertsDialog(self)
        self.alerts: list[m.SlaAlert] = []
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.hide()
        self.clicked.connect(self.open_list)
        self.dialog.ticket_requested.connect(self.ticket_requested)
        self.dialog.clear_button.clicked.connect(self.clear)

    def add(self, alert: m.SlaAlert) -> str:
        """Record ``alert``; returns the one-line text for the status bar message."""
        self.alerts.append(alert)
        self.dialog.add(alert)
        overdue = any(a.fraction >= 1.0 for a in self.alerts)
        self.setText(self.tr("⚠ SLA alerts: {0}").format(len(self.alerts)))
        self.setToolTip(self.tr("Open the list of SLA alerts"))
        styled(self, "alerts", tone="bad" if overdue else "warn")
        self.show()
        return alert_text(alert)

    def clear(self) -> None:
        self.alerts.clear()
        self.dialog.list.clear()
        self.dialog.hide()
        self.hide()

    def open_list(self) -> None:
        self.dialog.show()
        self.dialog.raise_()


__all__ = ["DueLine", "SlaAlertsButton", "SlaAlertsDialog", "alert_text", "span"]
