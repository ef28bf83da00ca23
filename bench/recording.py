"""Recording benchmark: a synthetic one-hour office session, recorded, then sought at random.

    python bench/recording.py [--minutes 60] [--json]

1. An office desktop (1920x1080: title bar, taskbar, a few applications with real text
   rendered by DejaVu fonts) goes through a seeded hour of typing, reading with scrolls,
   switching applications and idling. Each change is encoded by Tandem Assist's
   ``ScreenEncoder`` into a ``FrameUpdate`` exactly as it would cross the relay.
2. The messages are fed, time-compressed, to the hub's ``Recorder`` (the relay hook); once
   per simulated second the writer's background duties run (write + fsync, composite
   keyframe when needed). ``write_cpu_pct`` is the CPU of all that divided by the session's
   length.
3. Random seeks decode a full frame from the nearest anchor; ``open_ms`` opens the file.

Targets (issue 6): seek p95 <= 100 ms, <= 50 MB per hour, writing <= 5 % of a core.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from remote.codec.encoder import ScreenEncoder  # noqa: E402
from remote.protocol import (  # noqa: E402
    CursorPos,
    FrameUpdate,
    KeyEvent,
    Monitor,
    ScreenLayout,
    encode,
)
from remote.recording.reader import RecordingReader  # noqa: E402
from remote.recording.recorder import Recorder  # noqa: E402
from remote.relay.interfaces import Origin  # noqa: E402

W, H = 1920, 1080
WIN_X, WIN_Y, WIN_W, WIN_H = 120, 40, 1680, 980  # the application window
TITLE_H = 34
TEXT_X, TEXT_Y = WIN_X + 24, WIN_Y + TITLE_H + 50
LINE_H = 20
CHAR_W = 9
TEXT_COLS = (WIN_W - 48) // CHAR_W
TEXT_ROWS = (WIN_H - TITLE_H - 70) // LINE_H
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
WORDS = ("customer invoice printer driver update license server database backup "
         "configuration error message version module report export settings network "
         "timeout the a to of and is for with on please check restart open close save "
         "ticket support window user password account order shipment warehouse").split()


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
    """A BGRX screen with applications whose windows change like office work."""

    def __init__(self, rng: np.random.Generator, apps: int = 4) -> None:
        self.rng = rng
        self.mono = _font("DejaVuSansMono.ttf", 15)
        self.sans = _font("DejaVuSans.ttf", 14)
        self.screen = self._desktop()
        self.pages = [self._page(i) for i in range(apps)]
        self.current = 0
        self.caret = [0, 0]  # row, col in the text area
        self._glyphs: dict[str, np.ndarray] = {}
        self.screen[WIN_Y:WIN_Y + WIN_H, WIN_X:WIN_X + WIN_W] = self.pages[0]

    def _desktop(self) -> np.ndarray:
        img = Image.new("RGB", (W, H), (40, 70, 110))
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, H - 40, W, H), fill=(30, 34, 42))
        for i in range(8):
            draw.rounded_rectangle((12 + i * 52, H - 34, 52 + i * 52, H - 6), 5,
                                   fill=(70 + 15 * i, 90, 140))
        draw.text((W - 90, H - 28), "10:42", fill=(230, 230, 230), font=self.sans)
        return _bgrx(img)

    def _line(self) -> str:
        words = self.rng.choice(WORDS, size=int(self.rng.integers(4, 16)))
        return " ".join(words).capitalize()[:TEXT_COLS]

    def _page(self, index: int) -> np.ndarray:
        img = Image.new("RGB", (WIN_W, WIN_H), (250, 250, 250))
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, 0, WIN_W, TITLE_H), fill=(226, 232, 240))
        draw.text((14, 9), f"Application {index + 1} - document.txt", fill=(20, 30, 45),
                  font=self.sans)
        for i in range(10):
            draw.rectangle((14 + i * 86, TITLE_H + 8, 90 + i * 86, TITLE_H + 36),
                           outline=(180, 190, 200), fill=(244, 246, 248))
            draw.text((22 + i * 86, TITLE_H + 14), ("File", "Edit", "View", "Insert", "Format",
                                                   "Tools", "Table", "Window", "Help", "Find")[i],
                      fill=(40, 50, 60), font=self.sans)
        for row in range(TEXT_ROWS // 2):
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

    # ---- actions: each returns the changed (x, y, w, h) ---------------------------------

    def type_char(self) -> tuple[int, int, int, int]:
        row, col = self.caret
        if col >= TEXT_COLS - 1 or self.rng.random() < 0.02:
            return self.newline()
        ch = " " if self.rng.random() < 0.17 else chr(int(self.rng.integers(97, 123)))
        x, y = TEXT_X + col * CHAR_W, TEXT_Y + (TEXT_ROWS // 2 + row) * LINE_H
        if y + LINE_H > WIN_Y + WIN_H:
            return self.scroll(1)
        self.screen[y:y + LINE_H, x:x + CHAR_W] = self._glyph(ch)
        self.caret[1] += 1
        return x, y, CHAR_W, LINE_H

    def newline(self) -> tuple[int, int, int, int]:
        self.caret = [self.caret[0] + 1, 0]
        if TEXT_Y + (TEXT_ROWS // 2 + self.caret[0]) * LINE_H + LINE_H > WIN_Y + WIN_H:
            self.caret[0] -= 1
            return self.scroll(1)
        return TEXT_X, TEXT_Y, 1, 1

    def scroll(self, lines: int) -> tuple[int, int, int, int]:
        top, bottom = TEXT_Y, WIN_Y + WIN_H - 10
        dy = lines * LINE_H
        area = self.screen[top:bottom, WIN_X + 10:WIN_X + WIN_W - 10]
        area[:-dy] = area[dy:].copy()
        strip = Image.new("RGB", (area.shape[1], dy), (250, 250, 250))
        draw = ImageDraw.Draw(strip)
        for i in range(lines):
            draw.text((14, i * LINE_H), self._line(), fill=(25, 25, 25), font=self.mono)
        area[-dy:] = _bgrx(strip)
        return WIN_X + 10, top, WIN_W - 20, bottom - top

    def switch(self) -> tuple[int, int, int, int]:
        window = self.screen[WIN_Y:WIN_Y + WIN_H, WIN_X:WIN_X + WIN_W]
        self.pages[self.current] = window.copy()
        self.current = (self.current + 1 + int(self.rng.integers(0, len(self.pages) - 1))) \
            % len(self.pages)
        window[:] = self.pages[self.current]
        self.caret = [int(self.rng.integers(0, 10)), 0]
        return WIN_X, WIN_Y, WIN_W, WIN_H


@dataclass
class Message:
    t_ms: int
    origin: Origin
    message: object
    raw: bytes


def office_hour(seconds: int, seed: int) -> tuple[list[Message], float]:
    """The session's relayed messages, and how long the encoder spent."""
    rng = np.random.default_rng(seed)
    desk = OfficeDesktop(rng)
    encoder = ScreenEncoder(W, H, parallel=False)
    out: list[Message] = []
    seq = 0
    encode_s = 0.0

    def emit(t_ms: int, origin: Origin, message: object) -> None:
        out.append(Message(t_ms, origin, message, encode(message)))

    def frame(t_ms: int, dirty: tuple[int, int, int, int] | None) -> None:
        nonlocal seq, encode_s
        started = time.perf_counter()
        hints = None if dirty is None else [dirty]
        rects = encoder.encode(desk.screen, hints=hints, now=t_ms / 1000)
        encode_s += time.perf_counter() - started
        if rects:
            seq += 1
            emit(t_ms, Origin.ASSIST, FrameUpdate(seq, tuple(rects), full=dirty is None))

    emit(0, Origin.ASSIST, ScreenLayout((Monitor(0, 0, W, H, True, "Screen 1"),), 0, W, H))
    frame(0, None)
    t = 0.0
    end = seconds * 1000
    while t < end:
        kind = rng.choice(["type", "read", "idle", "switch"], p=[0.45, 0.25, 0.2, 0.1])
        if kind == "switch":
            t += 400
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
                         CursorPos(int(rng.integers(0, W)), int(rng.integers(0, H))))
                frame(int(t), desk.scroll(int(rng.integers(1, 4))))
            else:
                t = stop
            refresh = encoder.refresh(256_000, now=t / 1000)
            if refresh:
                seq += 1
                emit(int(t), Origin.ASSIST, FrameUpdate(seq, tuple(refresh)))
    out.sort(key=lambda m: m.t_ms)
    return out, encode_s


def record(messages: list[Message], path: Path) -> tuple[float, int]:
    """Feed the recorder; run the writer's once-a-second duties on simulated time."""
    recorder = Recorder(path, {"session_id": "bench"}, background=False)
    writer = recorder.writer
    next_second = 1000
    cpu0 = time.process_time()
    for m in messages:
        while m.t_ms >= next_second:
            writer.flush()
            writer._maybe_composite()
            next_second += 1000
        recorder.on_message(m.t_ms, m.origin, m.message, m.raw)
    recorder.close("ended")
    cpu = time.process_time() - cpu0
    return cpu, recorder.summary.record_count if recorder.summary else 0


def seeks(path: Path, count: int, seed: int) -> tuple[list[float], float]:
    rng = np.random.default_rng(seed)
    opens = []
    for _ in range(5):
        started = time.perf_counter()
        RecordingReader(path).close()
        opens.append((time.perf_counter() - started) * 1000)
    times = []
    with RecordingReader(path) as reader:
        for t in rng.integers(0, reader.duration_ms + 1, size=count):
            started = time.perf_counter()
            fb = reader.seek(int(t))
            times.append((time.perf_counter() - started) * 1000)
            assert fb is not None
    return times, statistics.median(opens)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="session length")
    parser.add_argument("--seeks", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    say = (lambda *_: None) if args.json else print
    seconds = int(args.minutes * 60)
    say(f"generating {args.minutes:g} min of office work at {W}x{H} ...")
    started = time.perf_counter()
    messages, encode_s = office_hour(seconds, args.seed)
    frames = sum(1 for m in messages if isinstance(m.message, FrameUpdate))
    say(f"  {len(messages)} messages, {frames} frames, encoder {encode_s:.1f} s, "
        f"{time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.trec"
        cpu_s, records = record(messages, path)
        size = path.stat().st_size
        with RecordingReader(path) as reader:
            anchors = reader.anchors
            duration_ms = reader.duration_ms
        seek_ms, open_ms = seeks(path, args.seeks, args.seed)
    per_hour = 3600_000 / max(duration_ms, 1)
    result = {
        "size_mb_per_hour": round(size / 1e6 * per_hour, 2),
        "write_cpu_pct": round(100 * cpu_s / (duration_ms / 1000), 3),
        "seek_p50_ms": round(statistics.median(seek_ms), 1),
        "seek_p95_ms": round(float(np.percentile(seek_ms, 95)), 1),
        "open_ms": round(open_ms, 2),
        "duration_s": round(duration_ms / 1000, 1),
        "frames": frames,
        "records": records,
        "virtual_keyframes": sum(1 for a in anchors if a.kind.name == "VKEY"),
        "composite_keyframes": sum(1 for a in anchors if a.kind.name == "KEYFRAME"),
        "seek_max_ms": round(max(seek_ms), 1),
        "screen": f"{W}x{H}",
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")
        print("targets: seek_p95_ms <= 100, size_mb_per_hour <= 50, write_cpu_pct <= 5")
    return 0


if __name__ == "__main__":
    sys.exit(main())
