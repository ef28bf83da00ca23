"""The real Tk window on Xvfb: the consent dialog's buttons decide what the agent gets."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

tk = pytest.importorskip("tkinter")
standalone = pytest.importorskip("remote.relay.standalone")

from remote.assist.session import AssistOptions  # noqa: E402
from remote.assist.ui_tk import TkApp  # noqa: E402
from remote.assist.vendor import VendorConfig  # noqa: E402
from remote.protocol import messages as m  # noqa: E402
from remote.protocol.messages import ConsentLevel  # noqa: E402
from tests.remote.assist.support import MiniViewer  # noqa: E402

pytestmark = pytest.mark.xvfb


class RelayThread:
    """The standalone relay on its own thread and loop (Tk owns the test's main thread)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready: Future[Any] = Future()
        self._stop: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.server = self.ready.result(timeout=10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self._stop = asyncio.Event()
            async with standalone.serve() as server:
                self.ready.set_result(server)
                await self._stop.wait()

        self.loop.run_until_complete(main())

    def call(self, coro: Any) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)  # type: ignore[union-attr]
        self.thread.join(timeout=10)


@pytest.fixture
def relay() -> Iterator[RelayThread]:
    r = RelayThread()
    yield r
    r.stop()


def pump(app: TkApp, until: Callable[[], bool], timeout: float = 20.0) -> None:
    """Run the Tk event loop until ``until()`` holds."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached while running Tk")
        tick = tk.BooleanVar(master=app.root)
        app.root.after(10, tick.set, True)
        app.root.wait_variable(tick)  # runs the Tk event loop for 10 ms


def wait(app: TkApp, future: Future[Any], timeout: float = 20.0) -> Any:
    pump(app, future.done, timeout)
    return future.result()


def test_consent_dialog_buttons_and_stop(xvfb, relay: RelayThread, tmp_path: Path,
                                         monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    options = AssistOptions(hub=relay.server.assist_url, problem="printer", display=xvfb.display)
    from remote.assist.main import make_report

    root = tk.Tk(screenName=xvfb.display)
    app = TkApp(options, make_report(VendorConfig(name="Acme"), xvfb.display),
                VendorConfig(name="Acme"), root=root)
    try:
        assert app.root.title() == "Tandem Assist — Acme"
        app.request_button.invoke()
        ticket = wait(app, relay.call(relay.server.broker.next_session(timeout=20)))
        assert ticket.request.problem == "printer"
        viewer: MiniViewer = wait(app, relay.call(MiniViewer.join(relay.server.viewer_url,
                                                                  ticket.viewer_code)))
        pump(app, lambda: app.consent_dialog is not None)
        assert set(app.consent_buttons) == {"view", "control", "decline"}
        app.consent_buttons["view"].invoke()
        assert app.consent_dialog is None

        def framed(v: MiniViewer) -> bool:
            return any(msg == m.Consent(ConsentLevel.VIEW) for msg in v.received) \
                and v.has(m.FrameUpdate)

        wait(app, relay.call(viewer.pump_until(framed)))
        pump(app, lambda: app.session_bar.winfo_ismapped())
        assert "SESSION ON" in app.session_var.get()

        app.stop_button.invoke()
        pump(app, lambda: app.result is not None)
        assert app.result == "You ended the session."
        pump(app, lambda: not app.session_bar.winfo_ismapped())
    finally:
        if app.session is not None:
            app.session.stop()
        root.destroy()
