"""Scripted input for ``tandem-view --script file.json``: a list of steps, run in order.

Each step is an object with one action key, for example::

    [{"wait_consent": "control", "timeout": 30},
     {"click": [100, 200]}, {"type": "hello\\n"}, {"key": "Return"},
     {"wait": 0.5}, {"snapshot": "after.png"}, {"chat": "done"}]

Actions: wait (seconds), wait_frame (timeout), wait_consent (level), request_consent (level),
move [x, y], click [x, y] (+ "button": left/middle/right, "count": n), scroll [x, y]
(+ "dy": lines, negative = up), type (text), key / key_down / key_up (name or keysym),
chat (text), clipboard (text), snapshot (path), stats (print the stats JSON line).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from remote.protocol.messages import Buttons, ConsentLevel
from remote.viewer.client import ViewerClient
from remote.viewer.keys import keysym, keysym_for_char
from remote.viewer.snapshot import save_png

BUTTONS = {"left": Buttons.LEFT, "middle": Buttons.MIDDLE, "right": Buttons.RIGHT}
TYPE_INTERVAL_S = 0.01


class ScriptError(ValueError):
    pass


def load_script(path: str | Path) -> list[dict[str, Any]]:
    try:
        steps = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScriptError(f"cannot read script {path}: {exc}") from exc
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise ScriptError("a script is a JSON list of objects")
    for step in steps:
        if not any(key in ACTIONS for key in step):
            raise ScriptError(f"no known action in step {step!r}")
    return steps


async def run_script(client: ViewerClient, steps: list[dict[str, Any]]) -> None:
    for step in steps:
        action = next(key for key in step if key in ACTIONS)
        await ACTIONS[action](client, step)


async def _wait(client: ViewerClient, step: dict[str, Any]) -> None:
    await asyncio.sleep(float(step["wait"]))


async def _wait_frame(client: ViewerClient, step: dict[str, Any]) -> None:
    await client.wait_frame(timeout=float(step["wait_frame"] or 10))


async def _wait_consent(client: ViewerClient, step: dict[str, Any]) -> None:
    level = ConsentLevel(step["wait_consent"])
    order = list(ConsentLevel)
    await client.wait_until(lambda c: order.index(c.consent) >= order.index(level),
                            timeout=float(step.get("timeout", 60)))


async def _request_consent(client: ViewerClient, step: dict[str, Any]) -> None:
    await client.request_consent(ConsentLevel(step["request_consent"]))


def _point(value: Any) -> tuple[int, int]:
    x, y = value
    return int(x), int(y)


async def _move(client: ViewerClient, step: dict[str, Any]) -> None:
    await client.send_pointer(*_point(step["move"]))


async def _click(client: ViewerClient, step: dict[str, Any]) -> None:
    x, y = _point(step["click"])
    button = BUTTONS[step.get("button", "left")]
    for _ in range(int(step.get("count", 1))):
        await client.send_pointer(x, y, button)
        await client.send_pointer(x, y, 0)


async def _scroll(client: ViewerClient, step: dict[str, Any]) -> None:
    x, y = _point(step["scroll"])
    dy = int(step.get("dy", 1))
    button = Buttons.WHEEL_DOWN if dy > 0 else Buttons.WHEEL_UP
    for _ in range(abs(dy)):
        await client.send_pointer(x, y, button)
        await client.send_pointer(x, y, 0)


async def _type(client: ViewerClient, step: dict[str, Any]) -> None:
    for char in str(step["type"]):
        await client.tap_key(keysym_for_char(char))
        await asyncio.sleep(float(step.get("interval", TYPE_INTERVAL_S)))


async def _key(client: ViewerClient, step: dict[str, Any]) -> None:
    await client.tap_key(keysym(step["key"]))


async def _key_down(client: ViewerClient, step: dict[str, Any]) -> None:
    await client.send_key(keysym(step["key_down"]), True)


async def _key_up(client: ViewerClient, step: dict[str, Any]) -> None:
    await client.send_key(keysym(step["key_up"]), False)


async def _chat(client: ViewerClient, step: dict[str, Any]) -> None:
    await client.send_chat(str(step["chat"]))


async def _clipboard(client: ViewerClient, step: dict[str, Any]) -> None:
    await client.send_clipboard(str(step["clipboard"]))


async def _snapshot(client: ViewerClient, step: dict[str, Any]) -> None:
    if client.framebuffer is None:
        await client.wait_frame(timeout=float(step.get("timeout", 10)))
    assert client.framebuffer is not None
    save_png(client.framebuffer, step["snapshot"])


async def _stats(client: ViewerClient, step: dict[str, Any]) -> None:
    print(json.dumps(client.stats.as_dict()), file=sys.stdout, flush=True)


ACTIONS: dict[str, Callable[[ViewerClient, dict[str, Any]], Awaitable[None]]] = {
    "wait": _wait, "wait_frame": _wait_frame, "wait_consent": _wait_consent,
    "request_consent": _request_consent, "move": _move, "click": _click, "scroll": _scroll,
    "type": _type, "key": _key, "key_down": _key_down, "key_up": _key_up, "chat": _chat,
    "clipboard": _clipboard, "snapshot": _snapshot, "stats": _stats,
}
