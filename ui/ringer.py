"""Makes a ringing contact noticed: the ring sound, and a tray message when not focused.

QtMultimedia (``QSoundEffect``) is used when installed; PySide6-Essentials lacks it, so the
fallback is ``QApplication.beep()`` on each ring cycle. Nothing here blocks the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from ui.look import resource_path

RING_CYCLE_MS = 2500

try:  # optional: PySide6-Addons
    from PySide6.QtMultimedia import QSoundEffect  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the installed wheel
    QSoundEffect = None  # noqa: N816


class Ringer(QObject):
    """Start with ``start(title, text)`` while a contact rings; ``stop()`` when it ends."""

    def __init__(self, window: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self._timer = QTimer(self)
        self._timer.setInterval(RING_CYCLE_MS)
        self._timer.timeout.connect(self.on_cycle)
        self._effect = None
        if QSoundEffect is not None:
            self._effect = QSoundEffect(self)
            self._effect.setSource(QUrl.fromLocalFile(str(resource_path("ring.wav"))))
            self._effect.setVolume(0.6)
        self._tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self._tray = QSystemTrayIcon(QIcon(str(resource_path("logo.svg"))), self)
        self.muted = False

    @property
    def ringing(self) -> bool:
        return self._timer.isActive()

    def start(self, title: str, text: str) -> None:
        self.on_cycle()
        self._timer.start()
        if self._tray is not None and not self._window.isActiveWindow():
            self._tray.show()
            self._tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 10000)

    def stop(self) -> None:
        self._timer.stop()
        if self._effect is not None:
            self._effect.stop()

    def on_cycle(self) -> None:
        if self.muted:
            return
        if self._effect is not None:
            self._effect.play()
        else:
            QApplication.beep()
        if not self._window.isActiveWindow():
            QApplication.alert(self._window, RING_CYCLE_MS)
