"""The whole loop through the console, with real parts only.

A real ``EmbeddedHub`` on a temp SQLite file (demo data: agent demo/demo) and a real Tandem
Assist subprocess capturing the session's Xvfb display; the console (offscreen Qt) signs in,
goes Ready, rings with the profile, accepts; the customer's consent arrives; frames reach
the viewer widget until its image equals the Xvfb screen; a click in the viewer moves the
pointer on the Xvfb display; chat goes both ways; wrap-up creates a ticket with the session
linked. Then: decline, ring timeout, customer ends the session, hub lost and restored.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QUrl

from app import config as app_config
from app.api import messages as m
from tests.ui.support import (
    AssistTerminal,
    describe_difference,
    image_array,
    pointer_position,
    xvfb_screen,
)
from ui.console import Console
from ui.main import AssistProcess, write_demo_vendor_config
from ui.main_window import MainWindow
from ui.signin_dialog import SignInDialog

embedded = pytest.importorskip("app.hub.embedded", reason="HUB's EmbeddedHub not there yet")
pytest.importorskip("remote.assist.main", reason="ASSIST's tandem-assist not there yet")

pytestmark = [pytest.mark.xvfb, pytest.mark.slow]

PROBLEM = "Export crashes since the update"


@pytest.fixture
def hub_config(tmp_path: Path, free_port: int) -> app_config.Config:
    return app_config.defaults(data_dir=tmp_path / "hub", port=free_port, demo=True,
                               ring_timeout_s=60.0)


@pytest.fixture
def hub(hub_config) -> Iterator[object]:
    hub_config.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded.EmbeddedHub(hub_config)
    server.url = server.start()
    yield server
    server.stop()


@pytest.fixture
def desktop(xvfb) -> Iterator[None]:
    """Something to look at on the customer's screen: a terminal with text."""
    term = subprocess.Popen(["xterm", "-geometry", "80x20+40+40", "-e",
                             "echo Tandem whole loop; exec sleep 600"], env=xvfb.env())
    yield None
    term.terminate()
    term.wait()


@pytest.fixture
def window(qtbot, worker, settings, hub) -> Iterator[MainWindow]:
    console = Console(hub.url, worker)
    win = MainWindow(console, settings)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(console.signed_in, timeout=20000):
        console.sign_in("demo", "demo")
    with qtbot.waitSignal(console.state_changed, timeout=10000,
                          check_params_cb=lambda s, *_: s is m.AgentState.READY):
        console.set_state(m.AgentState.READY)
    yield win
    console.shutdown()


@pytest.fixture
def start_assist(xvfb, hub) -> Iterator:
    """Start Tandem Assist in terminal mode; the test types the customer's answers."""
    started: list[AssistTerminal] = []

    vendor = write_demo_vendor_config(hub.config.resolved_data_dir)

    def start() -> AssistTerminal:
        assist = AssistTerminal(hub.url, xvfb.env(), problem=PROBLEM,
                                extra=("--vendor-config", str(vendor)))
        started.append(assist)
        return assist

    yield start
    for assist in started:
        assist.stop()


def ring(qtbot, window: MainWindow, start_assist):
    console = window.console
    with qtbot.waitSignal(console.ring_started, timeout=30000) as blocker:
        assist = start_assist()
    return assist, blocker.args[0]


def accept(qtbot, window: MainWindow, assist: AssistTerminal) -> None:
    """Accept, then the customer answers the real consent prompt: 2 = view and control."""
    console = window.console
    with qtbot.waitSignal(console.session_started, timeout=15000):
        qtbot.mouseClick(window.ring_panel.accept_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: assist.saw("see your screen?"), timeout=20000)
    with qtbot.waitSignal(console.session.consent_changed, timeout=10000,
                          check_params_cb=lambda level: level == "control"):
        assist.type("2")


def test_whole_loop(qtbot, xvfb, desktop, window: MainWindow, start_assist) -> None:
    console, view = window.console, window.session_view
    assist, ringing = ring(qtbot, window, start_assist)
    # Screen pop at the ring, before accept.
    assert window.ring_panel.isVisible()
    assert PROBLEM in window.ring_panel._problem.text()
    assert ringing.company and ringing.company in window.profile.section_text("customer")
    # SLA due times computed by the hub's screen pop (app/sla), shown at the ring.
    sla = ringing.profile["sla"]
    assert sla["first_response_due_at"] and sla["resolution_due_at"] and sla["timezone"]
    assert window.ring_panel.due_line is not None
    assert window.ring_panel.due_line.when.text().startswith("First response due ")
    assert len(window.profile.due_lines) == 2

    accept(qtbot, window, assist)
    assert view.control_button.isEnabled()
    screen = view.screen
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
    target = (321, 234)
    point = screen.to_widget(*target).toPoint()
    assert screen.to_remote(point.toPointF()) is not None
    expected = screen.to_remote(point.toPointF())
    qtbot.mouseClick(screen, Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: pointer_position(xvfb.env()) == expected, timeout=10000)

    # Chat both ways.
    view.chat.input.setText("Hello from the agent")
    qtbot.keyClick(view.chat.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: assist.saw("Hello from the agent"), timeout=10000)
    with qtbot.waitSignal(console.session.chat_received, timeout=10000):
        assist.type("c 谢谢, thanks")
    assert view.chat.lines()[-1][1:] == ("谢谢, thanks", False)

    # Wrap-up creates a ticket with the session linked; the agent is Ready again.
    session_id = console.current_session.session_id
    console.start_wrap_up()
    form = window.wrap_up_form
    form.title_edit.setText("Export crash")
    form.classification.setCurrentIndex(form.classification.findData(m.Classification.BUG))
    form.resolution.setPlainText("Reinstalled the font")
    form.solved.setChecked(True)
    with qtbot.waitSignal(console.wrap_up_saved, timeout=15000) as saved:
        qtbot.mouseClick(form.submit_button, Qt.MouseButton.LeftButton)
    done: m.WrapUpDone = saved.args[0]
    qtbot.waitUntil(lambda: console.state is m.AgentState.READY, timeout=5000)

    details: list[m.TicketDetail] = []
    console.ticket_detail(done.ticket_id, details.append)
    qtbot.waitUntil(lambda: bool(details), timeout=10000)
    detail = details[0]
    assert detail.ticket.number == done.number
    assert detail.ticket.classification == "bug"
    assert len(detail.sessions) == 1, f"session {session_id} not linked: {detail.sessions}"

    # The tickets view finds it among mine, shows its detail, and replays its recording.
    tickets = window.tickets
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: done.ticket_id in tickets.ticket_ids(), timeout=10000)
    row = tickets.ticket_ids().index(done.ticket_id)
    tickets.table.selectRow(row)
    qtbot.waitUntil(lambda: done.number in tickets.detail.toPlainText(), timeout=10000)
    assert detail.recordings, "the session's recording is not linked to the ticket"
    with qtbot.waitSignal(tickets.recording_requested, timeout=1000):
        tickets.on_link(QUrl(f"recording:{detail.recordings[0].recording_id}"))
    qtbot.waitUntil(lambda: bool(window.replay_windows), timeout=10000)
    replay = window.replay_windows[0]
    qtbot.waitUntil(lambda: replay.duration_ms is not None, timeout=20000)
    assert replay.duration_ms > 0
    replay.close()


def test_decline_sends_the_contact_back(qtbot, window: MainWindow, start_assist) -> None:
    console = window.console
    ring(qtbot, window, start_assist)
    with qtbot.waitSignal(console.ring_ended, timeout=5000) as ended:
        qtbot.mouseClick(window.ring_panel.decline_button, Qt.MouseButton.LeftButton)
    assert ended.args[1] == "declined"
    assert not window.ring_panel.isVisible()
    assert console.current_session is None


def test_ring_timeout(qtbot, tmp_path, free_port, xvfb, worker, settings) -> None:
    config = app_config.defaults(data_dir=tmp_path / "hub", port=free_port, demo=True,
                                 ring_timeout_s=1.0)
    config.resolved_data_dir.mkdir(parents=True)
    server = embedded.EmbeddedHub(config)
    url = server.start()
    console = Console(url, worker)
    win = MainWindow(console, settings)
    qtbot.addWidget(win)
    assist = None
    try:
        with qtbot.waitSignal(console.signed_in, timeout=20000):
            console.sign_in("demo", "demo")
        with qtbot.waitSignal(console.state_changed, timeout=10000,
                              check_params_cb=lambda s, *_: s is m.AgentState.READY):
            console.set_state(m.AgentState.READY)
        with qtbot.waitSignal(console.ring_started, timeout=30000):
            assist = AssistProcess(url, problem=PROBLEM).start(xvfb.env())
        with qtbot.waitSignal(console.ring_ended, timeout=15000,
                              check_params_cb=lambda _o, reason: reason == "timeout"):
            pass
        assert "not answered in time" in win.ring_note.text()
    finally:
        if assist is not None:
            assist.stop()
        console.shutdown()
        server.stop()


def test_customer_ends_the_session(qtbot, xvfb, window: MainWindow, start_assist) -> None:
    console, view = window.console, window.session_view
    assist, _ = ring(qtbot, window, start_assist)
    accept(qtbot, window, assist)
    with qtbot.waitSignal(console.session_ended, timeout=20000):
        assist.type("s")  # the customer stops the session in Tandem Assist
    assert view.banner.isVisible()
    assert not view.control_button.isEnabled()
    qtbot.waitUntil(lambda: console.state is m.AgentState.WRAP_UP, timeout=5000)


def test_not_ready_with_reason_then_hub_lost_and_restored(qtbot, hub_config, worker, settings) -> None:
    hub_config.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded.EmbeddedHub(hub_config)
    url = server.start()
    console = Console(url, worker)
    win = MainWindow(console, settings)
    qtbot.addWidget(win)
    try:
        with qtbot.waitSignal(console.signed_in, timeout=20000):
            console.sign_in("demo", "demo")
        with qtbot.waitSignal(console.state_changed, timeout=10000,
                              check_params_cb=lambda s, *_: s is m.AgentState.NOT_READY):
            console.set_state(m.AgentState.NOT_READY, "Lunch")
        assert win.state_widget.text() == "Not ready: Lunch"
        with qtbot.waitSignal(console.connection_changed, timeout=15000,
                              check_params_cb=lambda up, _t: not up):
            server.stop()
        assert "reconnecting" in win.connection_label.text()
        server = embedded.EmbeddedHub(hub_config)
        with qtbot.waitSignal(console.connection_changed, timeout=30000,
                              check_params_cb=lambda up, _t: up):
            assert server.start() == url
        assert "Connected" in win.connection_label.text()
    finally:
        console.shutdown()
        server.stop()



def test_wrong_password_is_refused_with_a_clear_message(qtbot, hub, worker) -> None:
    console = Console(hub.url, worker)
    dialog = SignInDialog(hub.url)
    qtbot.addWidget(dialog)
    dialog.sign_in_requested.connect(console.sign_in)
    console.sign_in_refused.connect(dialog.refused)
    dialog.login.setText("admin")
    dialog.password.setText("not the password")
    try:
        with qtbot.waitSignal(console.sign_in_refused, timeout=20000) as refused:
            qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
        reason, _retry_after = refused.args
        assert reason and reason in dialog.error.text()
        assert console.login is None
    finally:
        console.shutdown()


def test_unrecognised_caller_wrap_up_needs_the_customer_code(
        qtbot, tmp_path, xvfb, window: MainWindow, hub) -> None:
    """A new machine with no customer code: the ring says unknown, the wrap-up asks for the
    code, the hub refuses an unknown one (shown on the field) and files the ticket under a
    real one."""
    console, form = window.console, window.wrap_up_form
    env = dict(xvfb.env(), XDG_CONFIG_HOME=str(tmp_path / "fresh-config"))  # new machine id
    with qtbot.waitSignal(console.ring_started, timeout=30000) as blocker:
        assist = AssistTerminal(hub.url, env, problem="Printer queue stuck")
    try:
        assert blocker.args[0].profile.get("known") is False
        accept(qtbot, window, assist)
        console.end_session()
        qtbot.waitUntil(lambda: console.state is m.AgentState.WRAP_UP, timeout=15000)
        console.start_wrap_up()
        assert form.needs_customer and form.customer_code.isVisibleTo(form)
        form.title_edit.setText("Printer queue stuck")
        form.classification.setCurrentIndex(form.classification.findData(m.Classification.OTHER))
        form.product.setEditText("")
        form.module.setEditText("")
        form.version.setEditText("")
        form.on_submit()
        assert "enter the customer's code" in form.errors.text()
        form.customer_code.setEditText("NOPE-404")
        with qtbot.waitSignal(console.wrap_up_failed, timeout=15000):
            form.on_submit()
        assert "No customer has the code \u201cNOPE-404\u201d" in form.errors.text()
        form.customer_code.setEditText("C0000001")
        with qtbot.waitSignal(console.wrap_up_saved, timeout=15000) as saved:
            form.on_submit()
        number = saved.args[0].number
        found: list[m.TicketsResult] = []
        console.query_tickets(m.TicketFilters(customer_code="C0000001", text=number),
                              found.append)
        qtbot.waitUntil(lambda: bool(found), timeout=10000)
        assert [t.number for t in found[0].tickets] == [number]
        assert window.settings.value("wrapup/recent_customer_codes")[0] == "C0000001"
    finally:
        assist.stop()
