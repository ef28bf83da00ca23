"""A live session in the console against PROTO's standalone relay and a real Tandem Assist.

No hub here (the hub's ring/accept/wrap-up are in ``test_whole_loop.py``): the assist runs in
terminal mode on the session Xvfb display and the customer's answers are typed on its stdin.
The console's ``SessionLink`` joins with the relay's viewer code, exactly as it joins with the
hub's viewer token after Accept.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication

from app.api import messages as m
from tests.ui.support import (
    AssistTerminal,
    describe_difference,
    image_array,
    pointer_position,
    standalone_relay,
    xvfb_screen,
)
from ui.console import Console
from ui.main_window import MainWindow
from ui.session_link import SessionLink
from ui.worker import Worker

pytestmark = [pytest.mark.xvfb]


@dataclass
class Relay:
    server: Any
    loop: Worker

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def viewer_url(self) -> str:
        return self.server.viewer_url

    def call(self, coro: Any) -> Any:
        """Run a coroutine on the relay's loop (its broker lives there)."""
        return self.loop.submit(coro).result(30)


@pytest.fixture
def relay() -> Iterator[Relay]:
    host = Worker("relay-loop").start()
    try:
        with standalone_relay(host) as server:
            yield Relay(server, host)
    finally:
        host.stop()


@pytest.fixture
def desktop(xvfb, tmp_path) -> Iterator[Path]:
    """A terminal on the customer's screen that writes the first line typed into a file."""
    typed = tmp_path / "typed.txt"
    script = f"echo Tandem live session test; read line; printf %s \"$line\" > {typed}; " \
             "exec sleep 600"
    term = subprocess.Popen(["xterm", "-geometry", "70x16+30+30", "-e", "sh", "-c", script],
                            env=xvfb.env())
    yield typed
    term.terminate()
    term.wait()


@pytest.fixture
def window(qtbot, worker, settings) -> Iterator[MainWindow]:
    console = Console("ws://127.0.0.1:9", worker)
    win = MainWindow(console, settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    console.shutdown()


def join(qtbot, window: MainWindow, relay, xvfb) -> AssistTerminal:
    """Customer asks for help; the console joins the session; the customer allows control."""
    assist = AssistTerminal(relay.url, xvfb.env(), problem="Export crashes")
    ticket = relay.call(relay.server.broker.next_session(timeout=20))
    console = window.console
    now = datetime.now(UTC)
    console.current_contact = m.Ring(offer_id="", contact_id=1, caller="Customer",
                                     company="ACME", tier="basic", channel=m.Channel.ASSIST,
                                     problem="Export crashes", queued_at=now, expires_at=now)
    console.current_session = m.Accepted(offer_id="", contact_id=1, session_id=ticket.session_id,
                                         viewer_path="/viewer", viewer_token=ticket.viewer_code)
    window.on_session_started(console.current_session)
    console.session.open(relay.viewer_url, ticket.viewer_code)
    qtbot.waitUntil(lambda: assist.saw("see your screen?"), timeout=20000)
    assert window.session_view.consent.text() == "Waiting for consent"
    with qtbot.waitSignal(console.session.consent_changed, timeout=10000,
                          check_params_cb=lambda level: level == "control"):
        assist.type("2")
    return assist


def test_live_screen_control_chat_and_end(qtbot, xvfb, desktop, window: MainWindow,
                                          relay) -> None:
    view = window.session_view
    screen = view.screen
    assist = join(qtbot, window, relay, xvfb)
    try:
        assert view.control_button.isEnabled()
        qtbot.waitUntil(lambda: screen.screen_size().width() == xvfb.width, timeout=15000)

        # After the lossless refresh the viewer's image equals the Xvfb screen.
        def same_as_xvfb() -> bool:
            return np.array_equal(image_array(screen.image())[:, :, :3],
                                  xvfb_screen(xvfb.display)[:, :, :3])

        try:
            qtbot.waitUntil(same_as_xvfb, timeout=30000)
        except qtbot.TimeoutError:
            pytest.fail(describe_difference(screen.image(), xvfb.display))

        # A click in the viewer moves the pointer on the Xvfb display.
        view.control_button.setChecked(True)
        point = screen.to_widget(400, 300).toPoint()
        expected = screen.to_remote(point.toPointF())
        qtbot.mouseClick(screen, Qt.MouseButton.LeftButton, pos=point)
        qtbot.waitUntil(lambda: pointer_position(xvfb.env()) == expected, timeout=10000)

        # Keys typed in the viewer reach the customer's terminal (focus follows the pointer
        # on a bare X server, so click into the terminal first).
        qtbot.mouseClick(screen, Qt.MouseButton.LeftButton,
                         pos=screen.to_widget(120, 80).toPoint())
        for key in (Qt.Key.Key_O, Qt.Key.Key_K, Qt.Key.Key_Return):
            qtbot.keyClick(screen, key)
        qtbot.waitUntil(lambda: desktop.exists() and desktop.read_text() == "ok",
                        timeout=10000)

        # Chat both ways.
        view.chat.input.setText("Hello from the agent")
        qtbot.keyClick(view.chat.input, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: assist.saw("Hello from the agent"), timeout=10000)
        with qtbot.waitSignal(window.console.session.chat_received, timeout=10000):
            assist.type("c 你好, it crashes on export")
        assert view.chat.lines()[-1][1:] == ("你好, it crashes on export", False)

        # Clipboard from the agent to the customer (only under control).
        QGuiApplication.clipboard().setText("C:\\ERP\\fonts")
        qtbot.mouseClick(view.clipboard_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: assist.saw("clipboard text (12 characters)"), timeout=10000)

        # The customer drops to view only: control goes off, a banner says so.
        with qtbot.waitSignal(window.console.session.consent_changed, timeout=10000,
                              check_params_cb=lambda level: level == "view"):
            assist.type("v")
        assert not view.control_button.isEnabled() and not screen.control
        assert "view only" in view.banner.text()

        # The customer stops the session: the banner says it ended.
        with qtbot.waitSignal(window.console.session.closed, timeout=15000):
            assist.type("s")
        qtbot.waitUntil(lambda: "ended" in view.banner.text().lower(), timeout=5000)
        assert not view.end_button.isEnabled()
    finally:
        assist.stop()


def test_refused_code_and_bad_url_end_with_a_sentence(qtbot, worker, relay) -> None:
    """A wrong viewer code: the relay's refusal becomes the banner sentence and the reason."""
    link = SessionLink(worker)
    with qtbot.waitSignal(link.closed, timeout=10000) as closed:
        link.open(relay.viewer_url, "00000000")
    assert link.ended_reason == "refused"
    assert closed.args[0] and "Could not join" not in closed.args[0]
    with qtbot.waitSignal(link.closed, timeout=10000) as closed:
        link.open("http://127.0.0.1:9/viewer", "00000000")
    assert closed.args[0].startswith("Could not join the session:")
    link.close()


def test_a_replaced_connection_reports_nothing(qtbot, worker, relay) -> None:
    """open() while a join is under way: only the new connection may say the session ended.

    Otherwise the old connection's end would reach the console after the new session had
    started and end that one.
    """
    link = SessionLink(worker)
    seen: list[str] = []
    link.closed.connect(seen.append)
    link.open(relay.viewer_url, "00000000")  # would be refused, but is replaced first
    first_join = link._joining
    with qtbot.waitSignal(link.closed, timeout=10000):
        link.open("http://127.0.0.1:9/viewer", "00000000")
    qtbot.waitUntil(first_join.done, timeout=10000)
    QCoreApplication.processEvents()  # deliver anything the first join queued
    assert len(seen) == 1 and seen[0].startswith("Could not join the session:")
    link.close()
