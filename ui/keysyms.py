"""Qt key events to X keysyms, the key codes the assist injects (RFB's convention).

On X11 ``QKeyEvent.nativeVirtualKey()`` already is the keysym. Elsewhere (Windows, macOS, the
offscreen platform in tests) it is not, so the keysym comes from this table or the typed text
(``remote.viewer.keys.keysym_for_char``, the same mapping ``tandem-view --type`` uses).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent

from remote.viewer.keys import keysym_for_char

K = Qt.Key
_SPECIAL: dict[int, int] = {
    K.Key_Backspace: 0xFF08, K.Key_Tab: 0xFF09, K.Key_Backtab: 0xFF09, K.Key_Return: 0xFF0D,
    K.Key_Enter: 0xFF8D, K.Key_Escape: 0xFF1B, K.Key_Delete: 0xFFFF, K.Key_Home: 0xFF50,
    K.Key_Left: 0xFF51, K.Key_Up: 0xFF52, K.Key_Right: 0xFF53, K.Key_Down: 0xFF54,
    K.Key_PageUp: 0xFF55, K.Key_PageDown: 0xFF56, K.Key_End: 0xFF57, K.Key_Insert: 0xFF63,
    K.Key_Shift: 0xFFE1, K.Key_Control: 0xFFE3, K.Key_Meta: 0xFFEB, K.Key_Alt: 0xFFE9,
    K.Key_AltGr: 0xFE03, K.Key_CapsLock: 0xFFE5, K.Key_NumLock: 0xFF7F, K.Key_Menu: 0xFF67,
    K.Key_Print: 0xFF61, K.Key_Pause: 0xFF13, K.Key_ScrollLock: 0xFF14, K.Key_Space: 0x20,
    **{K.Key_F1 + i: 0xFFBE + i for i in range(12)},
}


def _is_x11() -> bool:
    return QGuiApplication.platformName() == "xcb"


def keysym_for(event: QKeyEvent) -> int | None:
    """The X keysym for a key event, or None when it has no meaning on the remote side."""
    if _is_x11() and event.nativeVirtualKey():
        return int(event.nativeVirtualKey())
    key = event.key()
    if key in _SPECIAL:
        return _SPECIAL[key]
    text = event.text()
    if len(text) == 1 and text.isprintable():
        return keysym_for_char(text)
    if K.Key_A <= key <= K.Key_Z:
        return ord("a") + key - K.Key_A
    if 0x20 <= key < 0x7F:
        return key
    return None
