"""A synthetic office session: for the benchmark, demos and screenshots.

An office desktop (title bar, taskbar, applications with real text in DejaVu fonts) goes
through seeded typing, reading with scrolls, switching applications and idling. Each change
is encoded by Tandem Assist's ``ScreenEncoder`` into a ``FrameUpdate`` exactly as it would
cross the relay; ``write_demo_recording`` adds consent, chat and a rating around it and
records it through the hub's ``Recorder``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from remote.codec.encoder import ScreenEncoder
from remote.protocol import (
    AgentJoined,
    ChatLine,
    Consent,
    ConsentLevel,
    ConsentRequest,
    CursorPos,
    FrameUpdate,
    KeyEvent,
    Monitor,
    PointerEvent,
    Rating,
    ScreenLayout,
    encode,
)
from remote.recording.recorder import Recorder
from remote.relay.interfaces import Origin

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
LINE_H = 20
CHAR_W = 9
TITLE_H = 34
WORDS = ("customer invoice printer driver update license server database backup "
         "configuration error message version module report export settings network "
         "timeout the a to of and is for with on please check restart open close save "
         "ticket support window user password account order shipment warehouse").split()
MENU = ("File", "Edit", "View", "Insert", "Format", "Tools", "Table", "Window", "Help", "Find")


def _font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError:
        return ImageFont.load_default()


def _bgrx(image: Image.Image) -> np.ndarray:
    rgb = np.asarray(image.convert("RGB"))
    out = np.empty(rgb.shape[:2] + (4,), np.uint8)
    out[..., 0], out[..., 1], out[..., 2], out[..., 3] = rgb[..., 2], rgb[..., 1], rgb[..., 0], 255
    return out


class OfficeDesktop:
    """A BGRX screen with applications whose windows change like office work.

    Each action returns the changed area (x, y, w, h) for the encoder's hints.
    """

    def __init__(self, rng: np.random.Generator, width: int = 1920, height: int = 1080,
                 apps: int = 4) -> None:
        self.rng = rng
        self.width, self.height = width, height
        self.win = (width // 16, 40, width - width // 8, height - 100)  # x, y, w, h
        wx, wy, ww, wh = self.win
        self.text_x, self.text_y = wx + 24, wy + TITLE_H + 50
        self.cols = (ww - 48) // CHAR_W
        self.rows = (wh - TITLE_H - 70) // LINE_H
        self.mono = _font("DejaVuSansMono.ttf", 15)
        self.sans = _font("DejaVuSans.ttf", 14)
        self.screen = self._desktop()
        self.pages = [self._page(i) for i in range(apps)]
        self.current = 0
        self.caret = [0, 0]  # row, col below the page's existing text
        self._glyphs: dict[str, np.ndarray] = {}
        self._window()[:] = self.pages[0]

    def _window(self) -> np.ndarray:
        wx, wy, ww, wh = self.win
        return self.screen[wy:wy + wh, wx:wx + ww]

    def _desktop(self) -> np.ndarray:
        w, h = self.width, self.height
        img = Image.new("RGB", (w, h), (40, 70, 110))
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, h - 40, w, h), fill=(30, 34, 42))
        for i in range(8):
            draw.rounded_rectangle((12 + i * 52, h - 34, 52 + i * 52, h - 6), 5,
                                   fill=(70 + 15 * i, 90, 140))
        draw.text((w - 90, h - 28), "10:42", fill=(230, 230, 230), font=self.sans)
        return _bgrx(img)

    def _line(self) -> str:
        words = self.rng.choice(WORDS, size=int(self.rng.integers(4, 16)))
        return " ".join(words).capitalize()[:self.cols]

    def _page(self, index: int) -> np.ndarray:
        _wx, _wy, ww, wh = self.win
        img = Image.new("RGB", (ww, wh), (250, 250, 250))
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, 0, ww, TITLE_H), fill=(226, 232, 240))
        draw.text((14, 9), f"Application {index + 1} - document.txt", fill=(20, 30, 45),
                  font=self.sans)
        for i, label in enumerate(MENU):
            draw.rectangle((14 + i * 86, TITLE_H + 8, 90 + i * 86, TITLE_H + 36),
                           outline=(180, 190, 200), fill=(244, 246, 248))
            draw.text((22 + i * 86, TITLE_H + 14), label, fill=(40, 50, 60), font=self.sans)
        for row in range(self.rows // 2):
            draw.text((24, 50 + TITLE_H + row * LINE_H), self._line(), fill=(25, 25, 25),
                      font=self.mono)
        return _bgrx(img)

    def _glyph(self, ch: str) -> np.ndarray:
        glyph = self._glyphs.get(ch)
        if glyph is None:
            img = Image.new("RGB", (CHAR_W, LINE_H), (250, 250, 250))
            ImageDraw.Draw(img).text((0, 1), ch, fill=(25, 25, 25), font=self.mono)
            glyph = self._glyphs[ch] = _bgrx(img)
        return glyph

    def _bottom(self) -> int:
        return self.win[1] + self.win[3]

    def type_char(self) -> tuple[int, int, int, int]:
        row, col = self.caret
        if col >= self.cols - 1 or self.rng.random() < 0.02:
            return self.newline()
        ch = " " if self.rng.random() < 0.17 else chr(int(self.rng.integers(97, 123)))
        x, y = self.text_x + col * CHAR_W, self.text_y + (self.rows // 2 + row) * LINE_H
        if y + LINE_H > self._bottom():
            return self.scroll(1)
        self.screen[y:y + LINE_H, x:x + CHAR_W] = self._glyph(ch)
        self.caret[1] += 1
        return x, y, CHAR_W, LINE_H

    def newline(self) -> tuple[int, int, int, int]:
        self.caret = [self.caret[0] + 1, 0]
        if self.text_y + (self.rows // 2 + self.caret[0]) * LINE_H + LINE_H > self._bottom():
            self.caret[0] -= 1
            return self.scroll(1)
        return self.text_x, self.text_y, 1, 1

    def scroll(self, lines: int) -> tuple[int, int, int, int]:
        wx, _wy, ww, _wh = self.win
        top, bottom = self.text_y, self._bottom() - 10
        dy = lines * LINE_H
        area = self.screen[top:bottom, wx + 10:wx + ww - 10]
        area[:-dy] = area[dy:].copy()
        strip = Image.new("RGB", (area.shape[1], dy), (250, 250, 250))
        draw = ImageDraw.Draw(strip)
        for i in range(lines):
            draw.text((14, i * LINE_H), self._line(), fill=(25, 25, 25), font=self.mono)
        area[-dy:] = _bgrx(strip)
        return wx + 10, top, ww - 20, bottom - top

    def switch(self) -> tuple[int, int, int, int]:
        self.pages[self.current] = self._window().copy()
        self.current = (self.current + 1 + int(self.rng.integers(0, len(self.pages) - 1))) \
            % len(self.pages)
        self._window()[:] = self.pages[self.current]
        self.caret = [int(self.rng.integers(0, 10)), 0]
        return self.win


@dataclass(frozen=True, slots=True)
class Message:
    """One relayed message as the recorder receives it."""

    t_ms: int
    origin: Origin
    message: object
    raw: bytes


def office_session(seconds: int, seed: int = 1, width: int = 1920, height: int = 1080,
                   ) -> tuple[list[Message], float]:
    """The session's relayed messages (sorted by time) and the encoder's seconds."""
    import time

    rng = np.random.default_rng(seed)
    desk = OfficeDesktop(rng, width, height)
    encoder = ScreenEncoder(width, height, parallel=False)
    out: list[Message] = []
    seq = 0
    encode_s = 0.0

    def emit(t_ms: int, origin: Origin, message: object) -> None:
        out.append(Message(t_ms, origin, message, encode(message)))

    def frame(t_ms: int, dirty: tuple[int, int, int, int] | None) -> None:
        nonlocal seq, encode_s
        started = time.perf_counter()
        rects = encoder.encode(desk.screen, hints=None if dirty is None else [dirty],
                               now=t_ms / 1000)
        encode_s += time.perf_counter() - started
        if rects:
            seq += 1
            emit(t_ms, Origin.ASSIST, FrameUpdate(seq, tuple(rects), full=dirty is None))

    emit(0, Origin.ASSIST, ScreenLayout((Monitor(0, 0, width, height, True, "Screen 1"),), 0,
                                        width, height))
    frame(0, None)
    t = 0.0
    end = seconds * 1000
    while t < end:
        kind = rng.choice(["type", "read", "idle", "switch"], p=[0.45, 0.25, 0.2, 0.1])
        if kind == "switch":
            t += 400
            emit(int(t) - 100, Origin.VIEWER, PointerEvent(int(rng.integers(0, 400)),
                                                           height - 20, 1))
            emit(int(t) - 40, Origin.VIEWER, PointerEvent(int(rng.integers(0, 400)),
                                                          height - 20, 0))
            frame(int(t), desk.switch())
            continue
        length = {"type": rng.uniform(30, 120), "read": rng.uniform(20, 60),
                  "idle": rng.uniform(20, 120)}[kind] * 1000
        stop = min(t + length, end)
        while t < stop:
            if kind == "type":
                t += float(rng.lognormal(np.log(220), 0.4))
                if rng.random() < 0.03:
                    t += rng.uniform(1000, 4000)  # thinking
                frame(int(t), desk.type_char())
                if rng.random() < 0.3:  # the agent types too, now and then
                    emit(int(t), Origin.VIEWER, KeyEvent(0x61, True))
                    emit(int(t) + 60, Origin.VIEWER, KeyEvent(0x61, False))
            elif kind == "read":
                t += rng.uniform(1500, 4000)
                for i in range(10):  # the pointer drifts while reading
                    emit(int(t) - 900 + 90 * i, Origin.ASSIST,
                         CursorPos(int(rng.integers(0, width)), int(rng.integers(0, height))))
                frame(int(t), desk.scroll(int(rng.integers(1, 4))))
            else:
                t = stop
            refresh = encoder.refresh(256_000, now=t / 1000)
            if refresh:
                seq += 1
                emit(int(t), Origin.ASSIST, FrameUpdate(seq, tuple(refresh)))
    out.sort(key=lambda m: m.t_ms)
    return out, encode_s


CONVERSATION = (
    (1_500, Origin.VIEWER, "Alice", "Hello, this is Alice from support. How can I help?"),
    (6_000, Origin.ASSIST, "Customer", "The invoice export stops with an error."),
    (12_000, Origin.VIEWER, "Alice", "Can you confirm your customer number, please?"),
    (18_000, Origin.ASSIST, "Customer", "ACME-042"),
    (24_000, Origin.VIEWER, "Alice", "Thanks. May I take control of your screen?"),
)


def write_demo_recording(path: Path | str, seconds: int = 120, seed: int = 3,
                         width: int = 1280, height: int = 800) -> Path:
    """A short recorded session with consent, chat, control and a rating."""
    messages, _ = office_session(seconds, seed, width, height)
    extra = [Message(0, Origin.RELAY, AgentJoined("Alice"), b""),
             Message(500, Origin.ASSIST, CursorPos(width * 2 // 3, height // 3), b""),
             Message(1_000, Origin.VIEWER, ConsentRequest(ConsentLevel.VIEW), b""),
             Message(1_200, Origin.ASSIST, Consent(ConsentLevel.VIEW), b""),
             Message(25_000, Origin.VIEWER, ConsentRequest(ConsentLevel.CONTROL), b""),
             Message(27_000, Origin.ASSIST, Consent(ConsentLevel.CONTROL), b""),
             Message(seconds * 1000 - 8_000, Origin.ASSIST, Consent(ConsentLevel.VIEW), b""),
             Message(seconds * 1000 - 2_000, Origin.ASSIST, Rating(5, "Quick and friendly"),
                     b"")]
    extra += [Message(t, origin, ChatLine(sender, text), b"")
              for t, origin, sender, text in CONVERSATION if t < seconds * 1000]
    # the agent types only once the customer allowed control
    messages = [m for m in messages if not isinstance(m.message, KeyEvent)
                or 27_000 < m.t_ms < seconds * 1000 - 8_000]
    everything = sorted(messages + [Message(m.t_ms, m.origin, m.message, encode(m.message))
                                    for m in extra], key=lambda m: m.t_ms)
    recorder = Recorder(path, {"session_id": "demo", "agent": "Alice", "customer": "ACME"},
                        background=False)
    feed(recorder, everything)
    recorder.close("ended_by_agent")
    return Path(path)


def feed(recorder: Recorder, messages: list[Message]) -> None:
    """Pass messages to a recorder faster than real time, doing the writer's per-second
    duties on the session's clock (the recorder was made with ``background=False``)."""
    next_second = 1000
    for m in messages:
        while m.t_ms >= next_second:
            recorder.writer.maintain()
            next_second += 1000
        recorder.on_message(m.t_ms, m.origin, m.message, m.raw)
