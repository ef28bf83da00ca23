"""tandem-view --window on Xvfb: the screen is shown and real X input is forwarded."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys

import pytest

from remote.protocol import messages as m
from remote.protocol.encodings import EncodedRect, Encoding
from remote.protocol.messages import ByeReason, ConsentLevel
from remote.relay.standalone import serve
from tests.remote.relay.support import LAYOUT, receive_until, run, start_assist


async def xdotool(display: str, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        "xdotool", *args, env=dict(os.environ, DISPLAY=display),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    return out.decode().strip()


async def shown_at(display: str, window: str, size: str) -> None:
    """Return once ``window`` has ``size`` (each xdotool call takes a few ms)."""
    while f"Geometry: {size}" not in await xdotool(display, "getwindowgeometry", window):
        pass


@pytest.mark.xvfb
def test_window_shows_the_screen_and_forwards_input(xvfb) -> None:
    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is not installed")

    async def scenario() -> int:
        async with serve() as server:
            assist, _, code = await start_assist(server)
            await assist.send(m.Consent(ConsentLevel.CONTROL))
            await assist.send(LAYOUT)
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "remote.viewer", server.url, "--code", code, "--window",
                env=dict(os.environ, DISPLAY=xvfb.display),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            try:
                await receive_until(assist, m.RefreshRequest, timeout=20)  # the viewer joined
                await assist.send(m.FrameUpdate(1, (
                    EncodedRect(0, 0, 640, 480, Encoding.SOLID, b"\x40\x80\xc0"),), full=True))
                assert await receive_until(assist, m.FrameAck, timeout=20) == m.FrameAck(1)
                window = await xdotool(xvfb.display, "search", "--sync", "--onlyvisible",
                                       "--name", "Tandem viewer")
                window = window.splitlines()[0]
                # The window maps before its first image is shown; click only once it is.
                await asyncio.wait_for(shown_at(xvfb.display, window, "640x480"), 20)
                await xdotool(xvfb.display, "mousemove", "--window", window, "30", "40",
                              "click", "1")
                pointer = await receive_until(assist, m.PointerEvent)
                while pointer.buttons == 0:
                    pointer = await receive_until(assist, m.PointerEvent)
                assert (pointer.x, pointer.y, pointer.buttons) == (30, 40, m.Buttons.LEFT)
                await xdotool(xvfb.display, "windowfocus", "--sync", window)
                await xdotool(xvfb.display, "key", "b")
                assert await receive_until(assist, m.KeyEvent) == m.KeyEvent(ord("b"), True)
                assert await receive_until(assist, m.KeyEvent) == m.KeyEvent(ord("b"), False)
                await assist.close(ByeReason.ENDED_BY_CUSTOMER)  # the window closes with it
                return await asyncio.wait_for(proc.wait(), 20)
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()

    assert run(scenario(), timeout=90) in (0, 1)
