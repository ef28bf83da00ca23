"""Helpers for the assist's end-to-end tests: a tandem-assist process, a minimal viewer,
a relay that forwards everything (to test the assist's own consent checks), a painter."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from remote import transport
from remote.codec.decoder import Framebuffer
from remote.protocol import messages as m
from remote.protocol.connection import Connection
from remote.protocol.messages import Role

ROOT = Path(__file__).resolve().parents[3]


class AssistProcess:
    """``python -m remote.assist.main --terminal ...`` with stdin/stdout pipes."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    @classmethod
    async def start(cls, hub: str, env: dict[str, str], *args: str) -> AssistProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "remote.assist.main", "--hub", hub, "--terminal",
            "--request-help", *args, env=env, cwd=str(ROOT), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=None)
        return cls(proc)

    async def read_until(self, text: str, timeout: float = 20.0) -> str:
        async def scan() -> str:
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    raise AssertionError(f"assist exited before printing {text!r}: {self.lines}")
                line = raw.decode(errors="replace").rstrip()
                self.lines.append(line)
                if text in line:
                    return line
        return await asyncio.wait_for(scan(), timeout)

    async def answer(self, line: str) -> None:
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()

    async def wait(self, timeout: float = 15.0) -> int:
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


def assist_env(display: str, config_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DISPLAY"] = display
    env["XDG_CONFIG_HOME"] = str(config_home)
    env["PYTHONPATH"] = str(ROOT)
    return env


class MiniViewer:
    """A viewer that decodes into a Framebuffer and acks every frame."""

    def __init__(self, sock: transport.MessageSocket) -> None:
        self.sock = sock
        self.fb: Framebuffer | None = None
        self.received: list[Any] = []
        self.encodings: set[Any] = set()

    @classmethod
    async def join(cls, url: str, code: str) -> MiniViewer:
        sock = await transport.connect(url, Role.VIEWER)
        await sock.send(m.ViewerJoin(code))
        return cls(sock)

    async def pump_until(self, done: Callable[[MiniViewer], bool], timeout: float = 20.0) -> None:
        async def pump() -> None:
            while not done(self):
                msg = await self.sock.receive()
                self.received.append(msg)
                if isinstance(msg, m.ScreenLayout):
                    self.fb = Framebuffer(msg.width, msg.height)
                elif isinstance(msg, m.FrameUpdate):
                    assert self.fb is not None
                    self.fb.apply(msg.rects)
                    self.encodings.update(r.encoding for r in msg.rects)
                    await self.sock.send(m.FrameAck(msg.seq))
        await asyncio.wait_for(pump(), timeout)

    def has(self, kind: type) -> bool:
        return any(isinstance(msg, kind) for msg in self.received)


class ForwardingRelay:
    """A relay that admits the assist and forwards anything the test sends, consent or not:
    it proves the assist enforces consent itself."""

    def __init__(self) -> None:
        self.sock: transport.MessageSocket | None = None
        self.received: list[Any] = []
        self.connected = asyncio.Event()
        self.closed = asyncio.Event()
        self._pongs: dict[int, asyncio.Future[None]] = {}
        self._nonce = 0
        self.server: Any = None
        self.error: Exception | None = None
        self.url = ""

    async def start(self) -> None:
        from websockets.asyncio.server import serve

        self.server = await serve(self._handle, "127.0.0.1", 0,
                                  **transport.websocket_options())
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}"

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def _handle(self, ws: Any) -> None:
        sock = transport.MessageSocket(ws, Connection(Role.RELAY), auto_pong=True)
        try:
            while not isinstance(await sock.receive(), (m.HelpRequest, m.SessionCode)):
                await sock.flush()  # the Connection answered the Hello; send that answer
            self.sock = sock
            await sock.send(m.Admitted("s1", "resume-1", "Agent Smith"))
            self.connected.set()
            while True:
                msg = await sock.receive()
                if isinstance(msg, m.Pong) and msg.nonce in self._pongs:
                    self._pongs.pop(msg.nonce).set_result(None)
                    continue
                self.received.append(msg)
        except transport.TransportError as exc:
            self.error = exc
        finally:
            self.closed.set()

    async def send(self, msg: Any) -> None:
        assert self.sock is not None
        await self.sock.send(msg)

    async def sync(self, timeout: float = 10.0) -> None:
        """Ping and wait for the Pong: the assist has handled everything sent before."""
        self._nonce += 1
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pongs[self._nonce] = future
        await self.send(m.Ping(self._nonce))
        await asyncio.wait_for(future, timeout)

    def screen_messages(self) -> list[Any]:
        return [msg for msg in self.received
                if isinstance(msg, (m.ScreenLayout, m.FrameUpdate, m.CursorShape, m.CursorPos))]

    def mark(self) -> int:
        """Position in ``received``: pass as ``since`` to wait only for later messages."""
        return len(self.received)

    async def wait_for(self, predicate: Callable[[Any], bool], timeout: float = 20.0,
                       since: int = 0) -> Any:
        async def scan() -> Any:
            seen = since
            while True:
                for msg in self.received[seen:]:
                    if predicate(msg):
                        return msg
                seen = len(self.received)
                await self.sync()
        return await asyncio.wait_for(scan(), timeout)


class Painter:
    """An X client that paints pixels into an override-redirect window at (0, 0)."""

    def __init__(self, display: str, width: int = 640, height: int = 400) -> None:
        from Xlib import display as xdisplay

        self.display = xdisplay.Display(display)
        screen = self.display.screen()
        self.window = screen.root.create_window(0, 0, width, height, 0, screen.root_depth,
                                                background_pixel=screen.white_pixel,
                                                override_redirect=True)
        self.gc = self.window.create_gc()
        self.window.map()
        self.display.sync()

    def put(self, x: int, y: int, bgrx: np.ndarray) -> None:
        from Xlib import X

        h, w = bgrx.shape[:2]
        step = max(1, 60000 // (w * 4))  # stay under the X request size limit
        for row in range(0, h, step):
            part = np.ascontiguousarray(bgrx[row:row + step])
            self.window.put_image(self.gc, x, y + row, w, part.shape[0], X.ZPixmap, 24, 0,
                                  part.tobytes())
        self.display.sync()

    def close(self) -> None:
        self.window.destroy()
        self.display.close()


def photo(h: int, w: int, phase: int = 0) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 4), np.uint8)
    img[..., 0] = (np.sin((xx + phase) / 13.0) * 100 + 120).astype(np.uint8)
    img[..., 1] = ((xx * 2 + yy + phase) % 256).astype(np.uint8)
    img[..., 2] = (np.cos((yy - phase) / 9.0) * 90 + 128).astype(np.uint8)
    return img


def screen(display: str) -> np.ndarray:
    from remote.capture.screen import ScreenGrabber

    with ScreenGrabber(0, display) as grabber:
        return grabber.grab().copy()


class DroppingProxy:
    """A TCP proxy whose connections the test can cut (a network drop, not a Bye)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.AbstractServer | None = None
        self.port = 0
        self.connections = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers += [writer, up_w]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))

    def drop_all(self) -> None:
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()

    async def stop(self) -> None:
        self.drop_all()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
