"""The capture thread on a real Xvfb, without a network: what it emits, applied in order,
ends equal to the screen, also after full-screen changes that use the grab pipeline."""

from __future__ import annotations

import queue
import time
from typing import Any

import numpy as np
import pytest

pytest.importorskip("Xlib")

from remote.assist.consent import ConsentGate  # noqa: E402
from remote.assist.flow import FlowControl  # noqa: E402
from remote.assist.streamer import ScreenStreamer  # noqa: E402
from remote.codec.decoder import Framebuffer  # noqa: E402
from remote.protocol import messages as m  # noqa: E402
from remote.protocol.encodings import Encoding  # noqa: E402
from remote.protocol.messages import ConsentLevel  # noqa: E402
from tests.remote.assist.support import Painter, photo, screen  # noqa: E402

pytestmark = pytest.mark.xvfb


class Viewer:
    """Applies what the streamer emits and acks at once (on the test thread)."""

    def __init__(self, flow: FlowControl) -> None:
        self.flow = flow
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.fb: Framebuffer | None = None
        self.encodings: set[Encoding] = set()
        self.frames = 0

    def send(self, msg: Any) -> None:  # called on the capture thread
        self.inbox.put(msg)

    def pump_until(self, done, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("condition not reached")
            try:
                msg = self.inbox.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if isinstance(msg, m.ScreenLayout):
                self.fb = Framebuffer(msg.width, msg.height)
            elif isinstance(msg, m.FrameUpdate):
                assert self.fb is not None
                self.fb.apply(msg.rects)
                self.encodings.update(r.encoding for r in msg.rects)
                self.frames += 1
                self.flow.on_ack(msg.seq)


def test_full_screen_changes_end_exact(xvfb) -> None:
    gate = ConsentGate()
    gate.set(ConsentLevel.VIEW)
    flow = FlowControl()
    viewer = Viewer(flow)
    streamer = ScreenStreamer(gate, flow, viewer.send, display=xvfb.display)
    painter = Painter(xvfb.display, 1280, 800)
    streamer.start()
    try:
        viewer.pump_until(lambda: viewer.frames >= 1)
        for phase in range(0, 60, 6):
            painter.put(0, 0, photo(800, 1280, phase))
            viewer.inbox.put(None)  # keep pumping between paints
            viewer.pump_until(lambda: viewer.inbox.empty())
        target = screen(xvfb.display)

        def exact() -> bool:
            return viewer.fb is not None and bool(
                np.array_equal(viewer.fb.pixels[..., :3], target[..., :3]))

        viewer.pump_until(exact)
        assert Encoding.JPEG in viewer.encodings  # the lossy path and its refresh were used
    finally:
        streamer.stop()
        painter.close()
    assert streamer.error is None
