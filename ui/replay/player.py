"""``ReplayPlayer``: the QA replay widget (play/pause, timeline, speed, idle skip, events, chat).

The widget only paints and handles input; ``ReplayEngine`` decodes on a worker thread and
sends back images through queued signals. One request is in flight at a time: while the
engine works, newer seek positions replace the pending one, so dragging the slider never
queues a backlog.
"""

from __future__ import annotations

import bisect
from pathlib import Path

from PySide6.QtCore import (
    QElapsedTimer,
    QPointF,
    QRect,
    QSize,
    Qt,
    QThread,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPolygonF
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QSlider,
    QSplitter,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.replay.engine import ReplayEngine, ReplayInfo

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0)
TICK_MS = 33

EVENT_COLOURS = {
    "consent": "#1f5fae", "control": "#b45309", "chat": "#166534", "click": "#7c3aed",
    "keys": "#475569", "start": "#0f172a", "end": "#0f172a", "recovered": "#b91c1c",
    "event": "#334155", "layout": "#64748b",
}


def format_ms(t_ms: int) -> str:
    seconds = max(0, t_ms) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class ScreenCanvas(QWidget):
    """Paints one framebuffer QImage, fitted to the widget with its aspect ratio kept."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.framebuffer = QImage()
        self.cursor: tuple[int, int] | None = None
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_image(self, image: QImage) -> None:
        if self.framebuffer.size() != image.size():
            self.framebuffer = QImage(image.size(), QImage.Format.Format_RGB32)
        painter = QPainter(self.framebuffer)
        painter.drawImage(0, 0, image)
        painter.end()
        self.update()

    def show_cursor(self, cursor: tuple[int, int] | None) -> None:
        if cursor != self.cursor:
            self.cursor = cursor
            self.update()

    def target_rect(self) -> QRect:
        if self.framebuffer.isNull():
            return QRect()
        size = self.framebuffer.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        return QRect((self.width() - size.width()) // 2, (self.height() - size.height()) // 2,
                     size.width(), size.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt name
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#1e293b"))
        if self.framebuffer.isNull():
            painter.setPen(QColor("#94a3b8"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No picture yet")
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        target = self.target_rect()
        painter.drawImage(target, self.framebuffer)
        if self.cursor is not None:
            scale = target.width() / max(1, self.framebuffer.width())
            x = target.x() + self.cursor[0] * scale
            y = target.y() + self.cursor[1] * scale
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QColor("#ffffff"))
            painter.setBrush(QColor("#0f172a"))
            painter.drawPolygon(QPolygonF([QPointF(x, y), QPointF(x, y + 17),
                                           QPointF(x + 4.5, y + 13), QPointF(x + 11.5, y + 12.5)]))

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(800, 500)


class ReplayPlayer(QWidget):
    """Plays one recording file.

    Signals:
        opened(int): duration in ms, once the recording is open.
        position_changed(int): the play head moved (ms).
        frame_shown(int): a picture for this time was painted.
        playing_changed(bool)
        failed(str): the recording could not be opened or read.
    """

    opened = Signal(int)
    position_changed = Signal(int)
    frame_shown = Signal(int)
    playing_changed = Signal(bool)
    failed = Signal(str)

    _request_open = Signal(str)
    _request_seek = Signal(int)
    _request_advance = Signal(int)

    def __init__(self, path: Path | str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info: ReplayInfo | None = None
        self.position = 0
        self.speed = 1.0
        self._busy = False
        self._pending_seek: int | None = None
        self._clock = QElapsedTimer()
        self._clock_base = 0
        self._chat_shown = 0
        self._build()
        self._engine_thread = QThread(self)
        self._engine_thread.setObjectName("replay-engine")
        self._engine = ReplayEngine()
        self._engine.moveToThread(self._engine_thread)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._connect_signals()
        self._engine_thread.start()
        if path is not None:
            self.open(path)

    # ---- layout -------------------------------------------------------------------------

    def _build(self) -> None:
        self.canvas = ScreenCanvas()
        style = self.style()
        self.play_button = QToolButton()
        self.play_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.setShortcut(Qt.Key.Key_Space)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setToolTip("Drag to seek anywhere")
        self.time_label = QLabel("00:00 / 00:00")
        self.time_label.setProperty("role", "muted")
        self.speed_box = QComboBox()
        for speed in SPEEDS:
            self.speed_box.addItem(f"{speed:g}x", speed)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.setToolTip("Playback speed")
        self.skip_idle = QCheckBox("Skip idle")
        self.skip_idle.setChecked(True)
        self.skip_idle.setToolTip("Jump over stretches where nothing happens")

        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        controls.addWidget(self.speed_box)
        controls.addWidget(self.skip_idle)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.canvas, 1)
        left_layout.addLayout(controls)

        self.events_list = QListWidget()
        self.events_list.setToolTip("Click an event to jump there")
        self.events_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.events_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chat_list = QListWidget()
        self.chat_list.setWordWrap(True)
        self.chat_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.status_label = QLabel("")
        self.status_label.setProperty("role", "muted")
        self.status_label.setWordWrap(True)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        for title, widget, stretch in (("EVENTS", self.events_list, 3),
                                       ("CHAT", self.chat_list, 2)):
            label = QLabel(title)
            label.setProperty("role", "section")
            side_layout.addWidget(label)
            side_layout.addWidget(widget, stretch)
        side_layout.addWidget(self.status_label)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([800, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(splitter)

    def _connect_signals(self) -> None:
        self._request_open.connect(self._engine.open)
        self._request_seek.connect(self._engine.seek)
        self._request_advance.connect(self._engine.advance)
        self._engine.opened.connect(self.on_engine_opened)
        self._engine.shown.connect(self.on_engine_shown)
        self._engine.failed.connect(self.on_engine_failed)
        self._engine_thread.finished.connect(self._engine.deleteLater)
        self._timer.timeout.connect(self.on_tick)
        self.play_button.clicked.connect(self.toggle_play)
        self.slider.sliderMoved.connect(self.seek)
        self.slider.sliderReleased.connect(lambda: self.seek(self.slider.value()))
        self.slider.valueChanged.connect(self.on_slider_value)
        self.speed_box.currentIndexChanged.connect(
            lambda i: self.set_speed(float(self.speed_box.itemData(i))))
        self.events_list.itemClicked.connect(self.on_event_clicked)

    # ---- public API ------------------------------------------------------------------------

    def open(self, path: Path | str) -> None:
        self.pause()
        self.info = None
        self._busy = True
        self._request_open.emit(str(path))

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def play(self) -> None:
        if self.info is None or self.playing:
            return
        if self.position >= self.info.duration_ms:
            self.seek(0)
        self._rebase_clock()
        self._timer.start()
        self.play_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause))
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if not self.playing:
            return
        self._timer.stop()
        self.play_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.playing_changed.emit(False)

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, speed: float) -> None:
        if speed not in SPEEDS:
            raise ValueError(f"speed must be one of {SPEEDS}")
        self.speed = speed
        self._rebase_clock()
        index = SPEEDS.index(speed)
        if self.speed_box.currentIndex() != index:
            self.speed_box.setCurrentIndex(index)

    def seek(self, t_ms: int) -> None:
        """Show the screen at ``t_ms`` (decoded from the nearest keyframe on the worker)."""
        if self.info is None:
            return
        t_ms = max(0, min(int(t_ms), self.info.duration_ms))
        self._set_position(t_ms)
        self._rebase_clock()
        if self._busy:
            self._pending_seek = t_ms
        else:
            self._busy = True
            self._request_seek.emit(t_ms)

    def shutdown(self) -> None:
        """Stop the worker thread (also on close)."""
        self._timer.stop()
        if self._engine_thread.isRunning():
            self._engine_thread.quit()
            self._engine_thread.wait(5000)

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001
        self.shutdown()
        super().closeEvent(event)

    # ---- engine results ----------------------------------------------------------------------

    @Slot(object)
    def on_engine_opened(self, info: ReplayInfo) -> None:
        self.info = info
        self._busy = False
        self.slider.setRange(0, info.duration_ms)
        self.slider.setSingleStep(1000)
        self.slider.setPageStep(10_000)
        self.events_list.clear()
        for event in info.events:
            item = QListWidgetItem(f"{format_ms(event.t_ms)}   {event.text}")
            item.setData(Qt.ItemDataRole.UserRole, event.t_ms)
            item.setToolTip(event.text)
            item.setForeground(QColor(EVENT_COLOURS.get(event.kind, "#334155")))
            self.events_list.addItem(item)
        self._chat_events = [e for e in info.events if e.kind == "chat"]
        self._chat_times = [e.t_ms for e in self._chat_events]
        self._event_times = [e.t_ms for e in info.events]
        self._chat_shown = -1
        state = "" if info.complete else "This recording was not closed cleanly; " \
                                         "it plays up to its last whole record."
        self.status_label.setText(state)
        self.opened.emit(info.duration_ms)
        self.seek(0)

    @Slot(int, object, object)
    def on_engine_shown(self, t_ms: int, image: QImage | None,
                        cursor: tuple[int, int] | None) -> None:
        self._busy = False
        self.canvas.show_cursor(cursor)
        if image is not None:
            self.canvas.show_image(image)
            self.frame_shown.emit(t_ms)
        if self._pending_seek is not None:
            target, self._pending_seek = self._pending_seek, None
            self.seek(target)

    @Slot(str)
    def on_engine_failed(self, text: str) -> None:
        self._busy = False
        self.pause()
        self.status_label.setText(text)
        self.failed.emit(text)

    # ---- playing -------------------------------------------------------------------------------

    def _rebase_clock(self) -> None:
        self._clock.restart()
        self._clock_base = self.position

    @Slot()
    def on_tick(self) -> None:
        if self.info is None:
            return
        t_ms = self._clock_base + int(self._clock.elapsed() * self.speed)
        if self.skip_idle.isChecked():
            target = self.info.idle_skip_target(t_ms)
            if target is not None and target > t_ms:
                t_ms = target
                self._clock_base, _ = t_ms, self._clock.restart()
        if t_ms >= self.info.duration_ms:
            t_ms = self.info.duration_ms
            self.pause()
        self._set_position(t_ms)
        if not self._busy:
            self._busy = True
            self._request_advance.emit(t_ms)

    def _set_position(self, t_ms: int) -> None:
        self.position = t_ms
        if not self.slider.isSliderDown():
            self.slider.blockSignals(True)
            self.slider.setValue(t_ms)
            self.slider.blockSignals(False)
        duration = self.info.duration_ms if self.info else 0
        self.time_label.setText(f"{format_ms(t_ms)} / {format_ms(duration)}")
        self._sync_side_panels(t_ms)
        self.position_changed.emit(t_ms)

    def _sync_side_panels(self, t_ms: int) -> None:
        if self.info is None:
            return
        shown = bisect.bisect_right(self._chat_times, t_ms)
        if shown != self._chat_shown:
            self._chat_shown = shown
            self.chat_list.clear()
            for event in self._chat_events[:shown]:
                self.chat_list.addItem(f"{format_ms(event.t_ms)}  {event.text}")
            self.chat_list.scrollToBottom()
        current = bisect.bisect_right(self._event_times, t_ms) - 1
        if current != self.events_list.currentRow():
            self.events_list.blockSignals(True)
            self.events_list.setCurrentRow(current)
            self.events_list.blockSignals(False)

    # ---- user input ---------------------------------------------------------------------------

    @Slot(QListWidgetItem)
    def on_event_clicked(self, item: QListWidgetItem) -> None:
        self.seek(int(item.data(Qt.ItemDataRole.UserRole)))

    @Slot(int)
    def on_slider_value(self, value: int) -> None:
        """Keyboard and page clicks on the slider (our own updates block signals)."""
        if not self.slider.isSliderDown():
            self.seek(value)
