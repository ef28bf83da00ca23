"""The live session: customer's screen with its toolbar and banner, chat beside it."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.chat_panel import ChatPanel
from ui.look import icon, set_prop, styled
from ui.screen_view import ScreenView


def _tool(icon_name: str, text: str, checkable: bool = False) -> QToolButton:
    button = QToolButton()
    button.setIcon(icon(icon_name))
    button.setText(text)
    button.setIconSize(QSize(18, 18))
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setCheckable(checkable)
    return button


class Banner(QFrame):
    """A one-line notice above the screen (view-only, session ended, reconnecting)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        styled(self, "banner", level="warn")
        self.label = QLabel()
        self.label.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self.label)
        self.hide()

    def show_message(self, text: str, level: str = "warn") -> None:
        set_prop(self, "level", level)
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


class SessionView(QWidget):
    """Toolbar, banner, the ``ScreenView`` (fit or 1:1 with scrolling) and the chat.

    Signals:
        control_toggled(bool): the agent switched control on or off.
        monitor_chosen(int): index of the customer's monitor to show.
        clipboard_send_requested(): send the local clipboard text to the customer.
        end_requested(): the agent ends the session.
        wrap_up_requested(): the agent goes to wrap-up.
    """

    control_toggled = Signal(bool)
    monitor_chosen = Signal(int)
    clipboard_send_requested = Signal()
    end_requested = Signal()
    wrap_up_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.screen = ScreenView()
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.screen)
        self.scroll.setWidgetResizable(True)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        screen_frame = QFrame()
        styled(screen_frame, "screen")
        frame_layout = QVBoxLayout(screen_frame)
        frame_layout.setContentsMargins(0, 0, 0, 0)
        frame_layout.addWidget(self.scroll)

        self.title = QLabel()
        styled(self.title, "heading")
        self.consent = QLabel()
        styled(self.consent, "badge", tone="warn")
        self.quality = QLabel("— fps · — KB/s · — ms")
        styled(self.quality, "muted")
        self.quality.setToolTip(self.tr("Frames per second, data rate, round trip"))
        self.fit_button = _tool("fit", self.tr("Fit"), checkable=True)
        self.fit_button.setChecked(True)
        self.fit_button.setToolTip(self.tr("Fit to window, or show 1:1 with scrolling"))
        self.monitor = QComboBox()
        self.monitor.setToolTip(self.tr("Customer's monitor"))
        self.monitor.setMinimumWidth(190)
        self.monitor.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        # Never narrower than its text: a clipped "1600×9" reads as a wrong resolution.
        self.monitor.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.control_button = _tool("control", self.tr("Control"), checkable=True)
        self.control_button.setEnabled(False)
        self.clipboard_button = _tool("clipboard", self.tr("Send clipboard"))
        self.clipboard_button.setToolTip(self.tr("Send your clipboard text to the customer"))
        self.end_button = _tool("end", self.tr("End"))
        self.end_button.setIcon(icon("end", "#b91c1c"))
        self.wrap_up_button = _tool("wrapup", self.tr("Wrap-up"))
        self.banner = Banner()
        self.consent_level = "waiting"
        self.chat = ChatPanel()
        self.chat.setMinimumWidth(260)

        head = QHBoxLayout()
        head.setSpacing(8)
        head.addWidget(self.title)
        head.addWidget(self.consent)
        head.addStretch(1)
        head.addWidget(self.quality)
        bar = QHBoxLayout()
        bar.setSpacing(4)
        bar.addWidget(self.monitor)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.control_button)
        bar.addWidget(self.clipboard_button)
        bar.addStretch(1)
        bar.addWidget(self.end_button)
        bar.addWidget(self.wrap_up_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(8)
        left_layout.addLayout(head)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.banner)
        left_layout.addWidget(screen_frame, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.chat)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setSizes([900, 300])
        self.splitter.setCollapsible(1, False)
        self.splitter.setHandleWidth(10)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.fit_button.toggled.connect(self.on_fit_toggled)
        self.control_button.toggled.connect(self.on_control_button_toggled)
        self.monitor.activated.connect(self.on_monitor_activated)
        self.clipboard_button.clicked.connect(self.clipboard_send_requested)
        self.end_button.clicked.connect(self.end_requested)
        self.wrap_up_button.clicked.connect(self.wrap_up_requested)

    # --- state from the controller ------------------------------------------------------

    def start(self, title: str) -> None:
        self.title.setText(title)
        self.banner.hide()
        self.chat.clear()
        self.set_consent("waiting")
        self.screen.set_screen_size(0, 0)
        self.monitor.clear()
        self.end_button.setEnabled(True)
        self.quality.setText("— fps · — KB/s · — ms")

    def set_consent(self, level: str) -> None:
        """``waiting``, ``none``, ``view`` or ``control``: what the customer allows."""
        texts = {"waiting": (self.tr("Waiting for consent"), "warn"),
                 "none": (self.tr("No consent"), "bad"),
                 "view": (self.tr("View only"), "info"),
                 "control": (self.tr("View and control"), "good")}
        self.consent_level = level
        text, tone = texts.get(level, (level, "info"))
        self.consent.setText(text)
        set_prop(self.consent, "tone", tone)
        allowed = level == "control"
        self.control_button.setEnabled(allowed)
        self.clipboard_button.setEnabled(allowed)
        if not allowed and self.control_button.isChecked():
            self.control_button.setChecked(False)

    def set_monitors(self, names: list[str], chosen: int) -> None:
        self.monitor.blockSignals(True)
        self.monitor.clear()
        self.monitor.addItems(names)
        self.monitor.setCurrentIndex(chosen)
        self.monitor.blockSignals(False)
        self.monitor.setEnabled(len(names) > 1)

    def set_quality(self, fps: float, kbps: float, rtt_ms: float | None) -> None:
        rtt = "—" if rtt_ms is None else f"{rtt_ms:.0f} ms"
        # A still screen sends nothing: say so rather than "0 fps", which reads as broken.
        rate = (self.tr("screen still") if fps < 0.5 and kbps < 0.5
                else f"{fps:.0f} fps · {kbps:.0f} KB/s")
        self.quality.setText(f"{rate} · {self.tr('round trip')} {rtt}")
        self.quality.setToolTip(self.tr("Frames per second, data received and round trip "
                                        "time to the customer's machine"))

    def ended(self, text: str) -> None:
        self.set_consent("none")
        self.consent.setText(self.tr("Ended"))
        self.banner.show_message(text, "error")
        self.end_button.setEnabled(False)

    # --- slots ----------------------------------------------------------------------------

    def on_fit_toggled(self, fit: bool) -> None:
        self.scroll.setWidgetResizable(fit)
        self.screen.set_fit(fit)
        self.fit_button.setText(self.tr("Fit") if fit else self.tr("1:1"))
        self.fit_button.setIcon(icon("fit" if fit else "actual"))

    def on_control_button_toggled(self, on: bool) -> None:
        self.screen.set_control(on)
        if on:
            self.screen.setFocus(Qt.FocusReason.OtherFocusReason)
        self.control_toggled.emit(on)

    def on_monitor_activated(self, index: int) -> None:
        self.monitor_chosen.emit(index)
