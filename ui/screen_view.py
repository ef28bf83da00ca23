"""The customer's live screen: one framebuffer QImage, rectangles composed in, input forwarded.

The worker decodes each frame update into the decoder's numpy framebuffer and hands the GUI
only the changed rectangles (each a small BGRX array). ``compose()`` paints them into the one
RGB32 ``QImage`` this widget owns, repaints only those areas with ``update(rect)``, and then
emits ``frame_composed`` so that the frame is acknowledged after it is on screen (the assist
keeps a small window of unacknowledged frames, so acks pace the stream). Fit-to-window scales
in ``paintEvent`` with ``SmoothPixmapTransform``; nothing is ever ``scaled()`` per paint
(findings.md section 3).

Input is forwarded only while control is on: keys as X keysyms (``nativeVirtualKey()`` on X11,
a table for the rest), every pressed key released when focus leaves, pointer motion coalesced
to one event per ~17 ms while button changes go out at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPolygonF,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui.keysyms import keysym_for

MOTION_INTERVAL_MS = 17
BACKGROUND = QColor("#1e293b")

# VNC-style button mask bits: left, middle, right, wheel up, wheel down.
_BUTTON_BITS = {
    Qt.MouseButton.LeftButton: 1,
    Qt.MouseButton.MiddleButton: 2,
    Qt.MouseButton.RightButton: 4,
}
WHEEL_UP, WHEEL_DOWN = 8, 16


@dataclass(frozen=True, slots=True)
class Tile:
    """A decoded rectangle: where it goes and its pixels (h x w x 4, B G R X, C-contiguous)."""

    x: int
    y: int
    pixels: np.ndarray

    @property
    def rect(self) -> QRect:
        h, w = self.pixels.shape[:2]
        return QRect(self.x, self.y, w, h)


class ScreenView(QWidget):
    """Paints the remote framebuffer and turns local input into remote input events.

    Signals:
        frame_composed(int): a frame's sequence number, emitted after it was painted in.
        pointer_moved(int, int, int): remote x, y and button mask (coalesced motion).
        pointer_pressed(int, int, int): remote x, y and button mask after a button change.
        key_changed(int, bool): X keysym and whether it went down.
    """

    frame_composed = Signal(int)
    pointer_moved = Signal(int, int, int)
    pointer_pressed = Signal(int, int, int)
    key_changed = Signal(int, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = QImage()
        self._pixels_owner: np.ndarray | None = None  # keeps a wrapped array alive
        self._fit = True
        self._control = False
        self._buttons = 0
        self._pressed_keys: set[int] = set()
        self._pending_motion: tuple[int, int] | None = None
        self._remote_cursor: QPoint | None = None
        self._motion_timer = QTimer(self)
        self._motion_timer.setSingleShot(True)
        self._motion_timer.setInterval(MOTION_INTERVAL_MS)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 200)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._motion_timer.timeout.connect(self.on_motion_timer)

    # --- framebuffer ---------------------------------------------------------------------

    def set_screen_size(self, width: int, height: int) -> None:
        """Start a new framebuffer (new session or the customer switched monitors)."""
        self._pixels_owner = None
        if width <= 0 or height <= 0:
            self._image = QImage()
        else:
            self._image = QImage(width, height, QImage.Format.Format_RGB32)
            self._image.fill(BACKGROUND)
        self._apply_size_mode()
        self.update()

    def screen_size(self) -> QSize:
        return self._image.size()

    def compose(self, seq: int, tiles: Iterable[Tile]) -> None:
        """Paint decoded rectangles into the framebuffer, repaint only them, then ack.

        A tile covering the whole screen becomes the framebuffer itself (its array was copied
        for us by the worker, so wrapping it is safe and saves a full-screen copy).
        """
        tiles = list(tiles)
        if len(tiles) == 1 and tiles[0].rect == self._image.rect() and not self._image.isNull():
            pixels = tiles[0].pixels
            if pixels.flags.c_contiguous and pixels.flags.writeable:
                self._pixels_owner = pixels
                self._image = QImage(pixels.data, pixels.shape[1], pixels.shape[0],
                                     pixels.strides[0], QImage.Format.Format_RGB32)
                self.update()
                self.frame_composed.emit(seq)
                return
        if not self._image.isNull():
            painter = QPainter(self._image)
            dirty: list[QRect] = []
            for tile in tiles:
                pixels = tile.pixels
                h, w = pixels.shape[:2]
                if w == 0 or h == 0:
                    continue
                if not pixels.flags.c_contiguous:
                    pixels = np.ascontiguousarray(pixels)
                view = QImage(pixels.data, w, h, pixels.strides[0], QImage.Format.Format_RGB32)
                painter.drawImage(QPoint(tile.x, tile.y), view)
                dirty.append(QRect(tile.x, tile.y, w, h))
            painter.end()
            for rect in dirty:
                self.update(self._to_widget(rect))
        self.frame_composed.emit(seq)

    def image(self) -> QImage:
        """A copy of the framebuffer (tests and screenshots)."""
        return self._image.copy()

    def set_remote_cursor(self, x: int, y: int) -> None:
        old = self._remote_cursor
        self._remote_cursor = QPoint(x, y)
        for point in (old, self._remote_cursor):
            if point is not None:
                self.update(self._to_widget(QRect(point.x() - 2, point.y() - 2, 20, 24)))

    # --- scaling -------------------------------------------------------------------------

    def set_fit(self, fit: bool) -> None:
        """Fit-to-window (scaled, aspect kept) or 1:1 (the parent scroll area scrolls)."""
        self._fit = fit
        self._apply_size_mode()
        self.update()

    @property
    def fit(self) -> bool:
        return self._fit

    def _apply_size_mode(self) -> None:
        if not self._fit and not self._image.isNull():
            self.setFixedSize(self._image.size())
        else:
            self.setMinimumSize(320, 200)
            self.setMaximumSize(16777215, 16777215)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return self._image.size() if not self._image.isNull() else QSize(960, 600)

    def _target(self) -> QRectF:
        """Where the framebuffer is drawn in widget coordinates."""
        if self._image.isNull():
            return QRectF()
        iw, ih = self._image.width(), self._image.height()
        if not self._fit:
            return QRectF(0, 0, iw, ih)
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def _to_widget(self, rect: QRect) -> QRect:
        target = self._target()
        if target.isNull():
            return self.rect()
        sx = target.width() / self._image.width()
        sy = target.height() / self._image.height()
        mapped = QRectF(target.x() + rect.x() * sx, target.y() + rect.y() * sy,
                        rect.width() * sx, rect.height() * sy)
        return mapped.toAlignedRect().adjusted(-1, -1, 1, 1)

    def to_remote(self, pos: QPointF) -> tuple[int, int] | None:
        """Remote screen coordinates of a widget position (None outside the picture)."""
        target = self._target()
        if target.isNull() or not target.contains(pos):
            return None
        x = (pos.x() - target.x()) * self._image.width() / target.width()
        y = (pos.y() - target.y()) * self._image.height() / target.height()
        return (min(int(x), self._image.width() - 1), min(int(y), self._image.height() - 1))

    def to_widget(self, x: int, y: int) -> QPointF:
        """Centre of remote pixel (x, y) in widget coordinates (tests use it to click)."""
        target = self._target()
        sx = target.width() / self._image.width()
        sy = target.height() / self._image.height()
        return QPointF(target.x() + (x + 0.5) * sx, target.y() + (y + 0.5) * sy)

    # --- painting ------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        target = self._target()
        painter.fillRect(event.rect(), BACKGROUND)
        if not target.isNull():
            if self._fit and target.width() != self._image.width():
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, self._image, QRectF(self._image.rect()))
            if self._remote_cursor is not None and not self._control:
                self._paint_cursor(painter)
        painter.end()

    def _paint_cursor(self, painter: QPainter) -> None:
        tip = self.to_widget(self._remote_cursor.x(), self._remote_cursor.y())
        arrow = QPolygonF([QPointF(0, 0), QPointF(0, 16), QPointF(4.5, 12), QPointF(8, 19),
                           QPointF(10.5, 18), QPointF(7, 11), QPointF(12, 11)])
        arrow.translate(tip)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor("#ffffff"))
        painter.setBrush(QColor("#0f172a"))
        painter.drawPolygon(arrow)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.update()

    # --- control -------------------------------------------------------------------------

    def set_control(self, on: bool) -> None:
        """Forward input only while on; turning off releases whatever is held down."""
        if self._control and not on:
            self.release_all()
        self._control = on
        self.update()

    @property
    def control(self) -> bool:
        return self._control

    def release_all(self) -> None:
        """Release pressed keys and buttons so nothing stays stuck on the customer's machine."""
        for keysym in sorted(self._pressed_keys):
            self.key_changed.emit(keysym, False)
        self._pressed_keys.clear()
        if self._buttons and self._remote_cursor is not None:
            self._buttons = 0
            self.pointer_pressed.emit(self._remote_cursor.x(), self._remote_cursor.y(), 0)
        self._buttons = 0

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self._control:
            return super().keyPressEvent(event)
        keysym = keysym_for(event)
        if keysym is None:
            return
        self._pressed_keys.add(keysym)
        self.key_changed.emit(keysym, True)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self._control:
            return super().keyReleaseEvent(event)
        if event.isAutoRepeat():
            return
        keysym = keysym_for(event)
        if keysym is None:
            return
        self._pressed_keys.discard(keysym)
        self.key_changed.emit(keysym, False)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        self.release_all()
        super().focusOutEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002
        # Tab belongs to the customer's screen while control is on.
        return False if self._control else super().focusNextPrevChild(next)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self._button_event(event, pressed=True)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._button_event(event, pressed=False)

    def _button_event(self, event: QMouseEvent, pressed: bool) -> None:
        if not self._control:
            return
        pos = self.to_remote(event.position())
        bit = _BUTTON_BITS.get(event.button(), 0)
        if pos is None or not bit:
            return
        self._buttons = self._buttons | bit if pressed else self._buttons & ~bit
        # A pending motion goes first so the click lands where the pointer is.
        self._motion_timer.stop()
        self._pending_motion = None
        self._remote_cursor = QPoint(*pos)
        self.pointer_pressed.emit(pos[0], pos[1], self._buttons)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self._control:
            return
        pos = self.to_remote(event.position())
        if pos is None:
            return
        self._pending_motion = pos
        if not self._motion_timer.isActive():
            self._motion_timer.start()

    def on_motion_timer(self) -> None:
        if self._pending_motion is None or not self._control:
            return
        x, y = self._pending_motion
        self._pending_motion = None
        self._remote_cursor = QPoint(x, y)
        self.pointer_moved.emit(x, y, self._buttons)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if not self._control:
            return super().wheelEvent(event)
        pos = self.to_remote(event.position())
        if pos is None:
            return
        bit = WHEEL_UP if event.angleDelta().y() > 0 else WHEEL_DOWN
        steps = max(1, abs(event.angleDelta().y()) // 120)
        for _ in range(steps):
            self.pointer_pressed.emit(pos[0], pos[1], self._buttons | bit)
            self.pointer_pressed.emit(pos[0], pos[1], self._buttons)


def tiles_from_framebuffer(pixels: np.ndarray,
                           rects: Sequence[tuple[int, int, int, int]]) -> list[Tile]:
    """Copy only the changed rectangles out of the decoder's framebuffer (worker side)."""
    return [Tile(x, y, np.ascontiguousarray(pixels[y:y + h, x:x + w])) for x, y, w, h in rects]
