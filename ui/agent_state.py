"""The agent's state in the status bar: Ready / Not ready (reason) / Wrap-up, with its timer."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

from app.api import messages as m
from ui.look import styled
from ui.ring_panel import format_duration

STATE_LABELS: dict[m.AgentState, str] = {
    m.AgentState.READY: QT_TRANSLATE_NOOP("AgentStateWidget", "Ready"),
    m.AgentState.NOT_READY: QT_TRANSLATE_NOOP("AgentStateWidget", "Not ready"),
    m.AgentState.BUSY: QT_TRANSLATE_NOOP("AgentStateWidget", "In session"),
    m.AgentState.WRAP_UP: QT_TRANSLATE_NOOP("AgentStateWidget", "Wrap-up"),
    m.AgentState.OFFLINE: QT_TRANSLATE_NOOP("AgentStateWidget", "Offline"),
}
STATE_COLOURS: dict[m.AgentState, str] = {
    m.AgentState.READY: "#16a34a",
    m.AgentState.NOT_READY: "#dc2626",
    m.AgentState.BUSY: "#1f5fae",
    m.AgentState.WRAP_UP: "#d97706",
    m.AgentState.OFFLINE: "#94a3b8",
}
NOT_READY_REASONS = ("Break", "Lunch", "Meeting", "Training", "Admin work")


def dot(colour: str, size: int = 10) -> QIcon:
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(2, 2, size * 2 - 4, size * 2 - 4)
    painter.end()
    pixmap.setDevicePixelRatio(2)
    return QIcon(pixmap)


class AgentStateWidget(QWidget):
    """Shows the current state and how long it has lasted; a menu to change it.

    Signals:
        state_requested(object, object): the ``AgentState`` and reason (str or None) chosen.
    """

    state_requested = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = m.AgentState.OFFLINE
        self._reason: str | None = None
        self._since = datetime.now(UTC)
        self.button = QToolButton()
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.timer_label = QLabel("0:00")
        styled(self.timer_label, "muted")
        self._menu = QMenu(self)
        self._ready_action = QAction(dot(STATE_COLOURS[m.AgentState.READY]), self.tr("Ready"),
                                     self)
        self._menu.addAction(self._ready_action)
        self._menu.addSeparator()
        self._reason_actions: list[QAction] = []
        for reason in NOT_READY_REASONS:
            action = QAction(dot(STATE_COLOURS[m.AgentState.NOT_READY]),
                             self.tr("Not ready: {0}").format(self.tr(reason)), self)
            action.setData(reason)
            self._menu.addAction(action)
            self._reason_actions.append(action)
        self.button.setMenu(self._menu)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.button)
        layout.addWidget(self.timer_label)
        self._connect_signals()
        self.set_state(m.AgentState.OFFLINE)
        self._clock.start()

    def _connect_signals(self) -> None:
        self._clock.timeout.connect(self.on_tick)
        self._ready_action.triggered.connect(self.on_ready_chosen)
        for action in self._reason_actions:
            action.triggered.connect(self.on_not_ready_chosen)

    @property
    def state(self) -> m.AgentState:
        return self._state

    @property
    def reason(self) -> str | None:
        return self._reason

    def set_state(self, state: m.AgentState, reason: str | None = None,
                  since: datetime | None = None) -> None:
        self._state, self._reason = state, reason
        self._since = since or datetime.now(UTC)
        label = self.tr(STATE_LABELS[state])
        if state is m.AgentState.NOT_READY and reason:
            label = f"{label}: {self.tr(reason)}"
        self.button.setText(label)
        self.button.setIcon(dot(STATE_COLOURS[state]))
        # Only Ready and Not ready are the agent's choice; the hub sets the others.
        choosable = state in (m.AgentState.READY, m.AgentState.NOT_READY)
        for action in (self._ready_action, *self._reason_actions):
            action.setEnabled(choosable)
        self.on_tick()

    def text(self) -> str:
        return self.button.text()

    def on_tick(self) -> None:
        self.timer_label.setText(format_duration((datetime.now(UTC) - self._since)
                                                 .total_seconds()))

    def on_ready_chosen(self) -> None:
        self.state_requested.emit(m.AgentState.READY, None)

    def on_not_ready_chosen(self) -> None:
        action = self.sender()
        self.state_requested.emit(m.AgentState.NOT_READY, action.data())
