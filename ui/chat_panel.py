"""Chat beside the customer's screen: the transcript and a line to type in."""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui.look import icon, styled


class ChatPanel(QFrame):
    """Transcript plus input; the controller sends what the agent types.

    Signals:
        message_sent(str): the agent pressed Enter or Send with this text.
    """

    message_sent = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        styled(self, "card")
        self._lines: list[tuple[str, str, bool]] = []
        title = QLabel(self.tr("Chat"))
        styled(title, "heading")
        self.transcript = QTextBrowser()
        self.transcript.setOpenExternalLinks(False)
        self.transcript.setStyleSheet("QTextBrowser { border: none; }")
        self.input = QLineEdit()
        self.input.setPlaceholderText(self.tr("Message to the customer…"))
        self.send_button = QPushButton(icon("send", "#ffffff"), "")
        self.send_button.setToolTip(self.tr("Send (Enter)"))
        self.send_button.setIconSize(QSize(16, 16))
        styled(self.send_button, "primary")

        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(self.transcript, 1)
        layout.addLayout(row)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.input.returnPressed.connect(self.on_send)
        self.send_button.clicked.connect(self.on_send)

    def on_send(self) -> None:
        text = self.input.text().strip()
        if not text:
            return
        self.input.clear()
        self.message_sent.emit(text)

    def add_line(self, sender: str, text: str, mine: bool, at: datetime | None = None) -> None:
        self._lines.append((sender, text, mine))
        stamp = (at or datetime.now()).strftime("%H:%M")
        colour = "#1f5fae" if mine else "#0f766e"
        self.transcript.append(
            f'<p style="margin:0 0 6px 0"><span style="color:{colour};font-weight:600">'
            f'{html.escape(sender)}</span> <span style="color:#94a3b8">{stamp}</span><br/>'
            f'{html.escape(text)}</p>')

    def add_notice(self, text: str) -> None:
        self.transcript.append(
            f'<p style="margin:0 0 6px 0;color:#64748b"><i>{html.escape(text)}</i></p>')

    def lines(self) -> list[tuple[str, str, bool]]:
        return list(self._lines)

    def clear(self) -> None:
        self._lines.clear()
        self.transcript.clear()
        self.input.clear()
