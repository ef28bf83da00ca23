"""Real parts for console tests: Tandem Assist in terminal mode, a standalone relay, screens."""

from __future__ import annotations

import asyncio
import concurrent.futures
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from PySide6.QtGui import QImage

from ui.main import assist_command


class AssistTerminal:
    """``tandem-assist --terminal`` as a subprocess: the customer typing and reading.

    Its stdout lines are collected by a thread; ``type(line)`` answers prompts and sends
    commands (``2`` consent to control, ``c TEXT`` chat, ``v`` view only, ``s`` stop).
    """

    def __init__(self, hub_url: str, env: dict[str, str], problem: str = "",
                 extra: tuple[str, ...] = ()) -> None:
        args = [*assist_command(), "--hub", hub_url, "--terminal", "--request-help",
                "--problem", problem, *extra]
        self.process = subprocess.Popen(args, env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, bufsize=1)
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def saw(self, text: str) -> bool:
        with self._lock:
            return any(text in line for line in self.lines)

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def output(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


@contextmanager
def standalone_relay(worker: Any) -> Iterator[Any]:
    """PROTO's standalone relay served on ``worker``'s loop for the duration of the block."""
    from remote.relay.standalone import serve

    ready: concurrent.futures.Future[Any] = concurrent.futures.Future()
    stop: dict[str, asyncio.Event] = {}

    async def run() -> None:
        stop["event"] = asyncio.Event()
        async with serve("127.0.0.1", 0) as server:
            ready.set_result(server)
            await stop["event"].wait()

    done = worker.submit(run())
    concurrent.futures.wait([ready, done], timeout=10,
                            return_when=concurrent.futures.FIRST_COMPLETED)
    if done.done():
        done.result()  # raises why the relay did not start
    server = ready.result(0)
    try:
        yield server
    finally:
        worker.call_soon(stop["event"].set)
        done.result(10)


def xvfb_screen(display: str) -> np.ndarray:
    """The X root window as an h x w x 4 BGRX array (mss, as the assist grabs it)."""
    import mss

    factory = getattr(mss, "MSS", None) or mss.mss
    with factory(display=display) as grabber:
        shot = grabber.grab(grabber.monitors[1])
        return np.frombuffer(shot.bgra, np.uint8).reshape(shot.height, shot.width, 4).copy()


def image_array(image: QImage) -> np.ndarray:
    """A QImage (RGB32) as an h x w x 4 BGRX array copy."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return arr.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :image.width()].copy()


def pointer_position(env: dict[str, str]) -> tuple[int, int]:
    out = subprocess.run(["xdotool", "getmouselocation", "--shell"], env=env,
                         capture_output=True, text=True, check=True).stdout
    values = dict(line.split("=", 1) for line in out.split() if "=" in line)
    return int(values["X"]), int(values["Y"])


def describe_difference(image: QImage, display: str) -> str:
    """Where the viewer's image and the X screen differ (for a failing comparison)."""
    a = image_array(image)[:, :, :3].astype(int)
    b = xvfb_screen(display)[:, :, :3].astype(int)
    if a.shape != b.shape:
        return f"viewer image {a.shape[1]}x{a.shape[0]}, screen {b.shape[1]}x{b.shape[0]}"
    diff = np.abs(a - b).sum(axis=2)
    ys, xs = np.nonzero(diff)
    if not len(ys):
        return "no difference at the end"
    return (f"{len(ys)} pixels differ in x {xs.min()}..{xs.max()}, y {ys.min()}..{ys.max()}, "
            f"largest channel-sum difference {diff.max()}")
