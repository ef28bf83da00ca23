"""Sign-in dialog: login and password, a clear message on failure, retries slowed by the hub."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.look import resource_path, styled


class SignInDialog(QDialog):
    """Asks for credentials; the controller answers with ``signed_in()`` or ``refused()``.

    Signals:
        sign_in_requested(str, str): login and password to try.
    """

    sign_in_requested = Signal(str, str)

    def __init__(self, hub_url: str, notice: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Sign in to Tandem"))
        self.setWindowIcon(QIcon(str(resource_path("logo.svg"))))
        self.setModal(True)
        self.setMinimumWidth(380)
        self._retry_left = 0
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)

        title = QLabel(self.tr("Tandem console"))
        styled(title, "title")
        hub = QLabel(self.tr("Hub: {0}").format(hub_url))
        styled(hub, "muted")
        self.notice = QLabel(notice)
        self.notice.setWordWrap(True)
        styled(self.notice, "muted")
        self.notice.setVisible(bool(notice))
        self.login = QLineEdit()
        self.login.setPlaceholderText(self.tr("login"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel()
        self.error.setWordWrap(True)
        styled(self.error, "error")
        self.error.hide()
        self.sign_in_button = QPushButton(self.tr("Sign in"))
        styled(self.sign_in_button, "primary")
        self.sign_in_button.setDefault(True)
        cancel = QPushButton(self.tr("Quit"))
        cancel.clicked.connect(self.reject)

        form = QFormLayout()
        form.setVerticalSpacing(8)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(self.tr("Login"), self.login)
        form.addRow(self.tr("Password"), self.password)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.sign_in_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(hub)
        layout.addWidget(self.notice)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.sign_in_button.clicked.connect(self.on_sign_in_clicked)
        self.password.returnPressed.connect(self.on_sign_in_clicked)
        self._countdown.timeout.connect(self.on_countdown)

    def on_sign_in_clicked(self) -> None:
        if self._retry_left > 0 or not self.sign_in_button.isEnabled():
            return
        login = self.login.text().strip()
        if not login:
            self._show_error(self.tr("Enter your login."))
            return
        self.sign_in_button.setEnabled(False)
        self.error.hide()
        self.sign_in_requested.emit(login, self.password.text())

    def refused(self, reason: str, retry_after_s: float = 0.0) -> None:
        """Show why sign-in failed; block the button while the hub slows retries."""
        self.password.clear()
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)
        self._retry_left = math.ceil(retry_after_s)
        self._reason = reason
        if self._retry_left > 0:
            self.on_countdown(first=True)
            self._countdown.start()
        else:
            self.sign_in_button.setEnabled(True)
            self._show_error(reason)

    def on_countdown(self, first: bool = False) -> None:
        if not first:
            self._retry_left -= 1
        if self._retry_left <= 0:
            self._countdown.stop()
            self.sign_in_button.setEnabled(True)
            self._show_error(self._reason)
            return
        self.sign_in_button.setEnabled(False)
        self._show_error(self.tr("{0} Try again in {1} s.").format(self._reason,
                                                                 self._retry_left))

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def signed_in(self) -> None:
        self._countdown.stop()
        self.accept()
