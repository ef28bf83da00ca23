"""tandem-view as a real process against a live relay and a scripted assist."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from PIL import Image

from remote.protocol import messages as m
from remote.protocol.encodings import EncodedRect, Encoding
from remote.protocol.messages import ConsentLevel
from remote.relay.standalone import serve
from remote.viewer.cli import build_parser, input_steps
from remote.viewer.keys import keysym
from tests.remote.relay.support import LAYOUT, receive_until, run, start_assist


async def tandem_view(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "remote.viewer", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


def test_snapshot_script_and_stats(tmp_path: Path) -> None:
    png = tmp_path / "shot.png"
    script = tmp_path / "steps.json"
    script.write_text(json.dumps([
        {"wait_consent": "control", "timeout": 20},
        {"click": [30, 40]},
        {"type": "hi"},
        {"key": "Return"},
        {"chat": "done"},
    ]))

    async def scenario() -> tuple[bytes, bytes, int]:
        async with serve() as server:
            assist, _, code = await start_assist(server)
            proc = await tandem_view(server.url, "--code", code, "--snapshot", str(png),
                                     "--request-control", "--script", str(script), "--stats")
            try:
                await receive_until(assist, m.ConsentRequest, timeout=20)
                await assist.send(m.Consent(ConsentLevel.CONTROL))
                await assist.send(LAYOUT)
                await assist.send(m.FrameUpdate(1, (
                    EncodedRect(0, 0, 640, 480, Encoding.SOLID, b"\x00\x00\xff"),
                    EncodedRect(100, 50, 20, 10, Encoding.SOLID, b"\xff\x80\x00"),
                ), full=True))
                received = []
                while not received or received[-1] != m.ChatLine("Agent", "done"):
                    msg = await assist.receive()
                    if isinstance(msg, m.PointerEvent | m.KeyEvent | m.ChatLine):
                        received.append(msg)
                assert received == [
                    m.PointerEvent(30, 40, m.Buttons.LEFT), m.PointerEvent(30, 40, 0),
                    m.KeyEvent(ord("h"), True), m.KeyEvent(ord("h"), False),
                    m.KeyEvent(ord("i"), True), m.KeyEvent(ord("i"), False),
                    m.KeyEvent(0xFF0D, True), m.KeyEvent(0xFF0D, False),
                    m.ChatLine("Agent", "done"),
                ]
                out, err = await asyncio.wait_for(proc.communicate(), 20)
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            return out, err, proc.returncode

    out, err, status = run(scenario(), timeout=60)
    assert status == 0, err.decode()
    stats = json.loads(out.decode().strip().splitlines()[-1])
    assert stats["frames"] >= 1 and stats["bytes"] > 0
    image = Image.open(png)
    assert image.size == (640, 480)
    assert image.getpixel((0, 0)) == (0, 0, 255)
    assert image.getpixel((105, 55)) == (255, 128, 0)


def test_refused_code_exits_2() -> None:
    async def scenario() -> tuple[int, bytes]:
        async with serve() as server:
            proc = await tandem_view(server.url, "--code", "00000000")
            _, err = await asyncio.wait_for(proc.communicate(), 20)
            return proc.returncode, err

    status, err = run(scenario())
    assert status == 2
    assert b"wrong, expired or used" in err


def test_simple_flags_wait_for_control_first() -> None:
    args = build_parser().parse_args(["ws://127.0.0.1:1", "--code", "1", "--click", "3,4",
                                      "--type", "x", "--key", "F5"])
    assert input_steps(args) == [{"wait_consent": "control", "timeout": 60.0},
                                 {"click": [3, 4]}, {"type": "x"}, {"key": "F5"}]
    assert keysym("F5") == 0xFFC2 and keysym("é") == 0xE9 and keysym("中") == 0x0100_4E2D
