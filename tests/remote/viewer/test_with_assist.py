"""The viewer against the real Tandem Assist on Xvfb: exact pixels, and again after the
viewer's connection drops and resumes (the relay asks the assist for a full refresh)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

Xlib = pytest.importorskip("Xlib")

from Xlib import X  # noqa: E402
from Xlib import display as xdisplay  # noqa: E402

from remote.protocol.messages import ConsentLevel  # noqa: E402
from remote.relay.standalone import serve  # noqa: E402
from remote.viewer import Resumed, ViewerClient  # noqa: E402
from tests.remote.relay.support import run  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]


class Screen:
    """Draws on and reads back the Xvfb root window."""

    def __init__(self, name: str) -> None:
        self.display = xdisplay.Display(name)
        self.root = self.display.screen().root
        geometry = self.root.get_geometry()
        self.width, self.height = geometry.width, geometry.height

    def fill(self, x: int, y: int, w: int, h: int, rgb: int) -> None:
        gc = self.root.create_gc(foreground=rgb, subwindow_mode=X.IncludeInferiors)
        self.root.fill_rectangle(gc, x, y, w, h)
        gc.free()
        self.display.sync()

    def grab(self) -> np.ndarray:
        image = self.root.get_image(0, 0, self.width, self.height, X.ZPixmap, 0xFFFFFFFF)
        return np.frombuffer(image.data, dtype=np.uint8).reshape(self.height, self.width, 4)

    def close(self) -> None:
        self.display.close()


def same_screen(client: ViewerClient, target: np.ndarray) -> bool:
    fb = client.framebuffer
    return fb is not None and fb.pixels.shape == target.shape and bool(
        np.array_equal(fb.pixels[..., :3], target[..., :3]))


@pytest.mark.xvfb
def test_exact_pixels_survive_a_viewer_reconnect(xvfb, tmp_path: Path) -> None:
    screen = Screen(xvfb.display)
    env = dict(os.environ, DISPLAY=xvfb.display, XDG_CONFIG_HOME=str(tmp_path),
               PYTHONPATH=str(ROOT))

    async def scenario() -> None:
        async with serve() as server:
            assist = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "remote.assist.main", "--hub", server.url, "--terminal",
                "--request-help", "--auto-consent", "control", "--log-level", "WARNING",
                env=env, cwd=str(ROOT), stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=None)
            try:
                ticket = await server.broker.next_session(30)
                async with ViewerClient(server.url, ticket.viewer_code,
                                        ping_interval_s=None) as client:
                    await client.wait_until(lambda c: c.consent is ConsentLevel.CONTROL, 30)
                    screen.fill(100, 80, 300, 200, 0x3366CC)
                    screen.fill(150, 120, 50, 40, 0xFFAA00)
                    target = screen.grab()
                    await client.wait_until(lambda c: same_screen(c, target), 30)

                    events = client.events()
                    client._sock.ws.transport.abort()  # the viewer's network drops
                    async for event in events:
                        if isinstance(event, Resumed):
                            break
                    screen.fill(500, 300, 120, 90, 0x20C040)
                    target = screen.grab()
                    await client.wait_until(lambda c: same_screen(c, target), 30)
                    await client.close(end_session=True)
                assert await asyncio.wait_for(assist.wait(), 20) == 0
            finally:
                if assist.returncode is None:
                    assist.kill()
                    await assist.wait()

    try:
        run(scenario(), timeout=90)
    finally:
        screen.close()
