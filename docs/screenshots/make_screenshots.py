"""Make docs/screenshots/{ringing,session,wrapup,tickets}.png under Xvfb.

Two X screens: one is the customer's desktop (a terminal with the failing program, a note),
the other shows the console (xcb platform, a real window). The loop is the real one: an
embedded hub with the demo data, the console signed in as demo/demo and Ready, a Tandem
Assist on the customer's screen requesting help with consent given, accept, chat, wrap-up.

    .venv/bin/python docs/screenshots/make_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.xserver import Xvfb  # noqa: E402

CUSTOMER_LOG = r"""$ erp-client --export monthly-report --period 2026-10
[16:02:11] ERP client 5.2.1 (build 4471) on ACC-07
[16:02:11] Loading module Reports ... ok
[16:02:12] Querying ledger 2026-10 ... 18 204 rows
[16:02:14] Rendering PDF (A4, 41 pages) ...
Traceback (most recent call last):
  File "erp/reports/export.py", line 212, in render_page
    font = fonts.load(style.font_family)
  File "erp/reports/fonts.py", line 88, in load
    raise FontMissing(name)
erp.reports.fonts.FontMissing: 'SimSun' is not installed
[16:02:14] Export failed: 导出失败 (code E-REP-0412)
$ """


def customer_desktop(display: str) -> list[subprocess.Popen[bytes]]:
    """Paint a desktop background and open a terminal showing the customer's problem."""
    from Xlib import display as xdisplay

    disp = xdisplay.Display(display)
    screen = disp.screen()
    colormap = screen.default_colormap
    pixel = colormap.alloc_color(0x2F00, 0x4E00, 0x7300).pixel
    screen.root.change_attributes(background_pixel=pixel)
    screen.root.clear_area(0, 0, 0, 0)
    disp.sync()
    disp.close()
    log = Path(tempfile.mkdtemp()) / "erp.log"
    log.write_text(CUSTOMER_LOG, encoding="utf-8")
    env = dict(os.environ, DISPLAY=display)
    term = subprocess.Popen(
        ["xterm", "-geometry", "88x18+560+430", "-fa", "DejaVu Sans Mono", "-fs", "11",
         "-bg", "#0f172a", "-fg", "#e2e8f0", "-title", "ERP client",
         "-e", f"cat {log}; exec sleep 100000"], env=env)
    note = subprocess.Popen(
        ["xmessage", "-geometry", "+60+660", "-buttons", "OK",
         "ERP client: the monthly export stopped working after yesterday's update."],
        env=env)
    return [term, note]


def wait_for(app, condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Process Qt events until ``condition`` holds (raises after ``timeout_s``)."""
    from PySide6.QtCore import QDeadlineTimer, QEventLoop

    deadline = QDeadlineTimer(int(timeout_s * 1000))
    while not condition():
        if deadline.hasExpired():
            raise TimeoutError(f"timed out waiting for {what}")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def run(out: Path) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app import config as app_config
    from app.api import messages as m
    from app.hub.embedded import EmbeddedHub
    from ui.console import Console
    from ui.look import apply_style
    from ui.main import AssistProcess, write_demo_vendor_config
    from ui.main_window import MainWindow
    from ui.worker import Worker

    out.mkdir(parents=True, exist_ok=True)
    with Xvfb(1600, 1000) as console_x, Xvfb(1280, 800) as customer_x:
        os.environ["DISPLAY"] = console_x.display
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        helpers = customer_desktop(customer_x.display)
        data_dir = Path(tempfile.mkdtemp(prefix="tandem-shots-"))
        hub = EmbeddedHub(app_config.defaults(data_dir=data_dir, port=0, demo=True,
                                              ring_timeout_s=30.0))
        url = hub.start()
        app = QApplication.instance() or QApplication([])
        apply_style(app)
        worker = Worker().start()
        console = Console(url, worker)
        window = MainWindow(console, QSettings(str(data_dir / "console.ini"),
                                               QSettings.Format.IniFormat))
        window.resize(1480, 900)
        window.show()
        assist = None
        try:
            console.sign_in("demo", "demo")
            wait_for(app, lambda: console.login is not None, 20, "sign-in")
            console.set_state(m.AgentState.READY)
            wait_for(app, lambda: console.state is m.AgentState.READY, 10, "Ready")
            vendor = write_demo_vendor_config(data_dir)
            assist = AssistProcess(url, problem="The monthly report export crashes since "
                                   "yesterday's update (E-REP-0412). 导出月度报表时程序崩溃。",
                                   consent="control", extra=("--vendor-config", str(vendor)),
                                   ).start(customer_x.env())
            wait_for(app, lambda: console.ring is not None, 30, "the ring")
            _pause(app, 3.0)
            window.grab().save(str(out / "ringing.png"))

            window.ring_panel.on_accept_clicked()
            wait_for(app, lambda: console.session.consent == "control", 30, "consent")
            view = window.session_view
            wait_for(app, lambda: view.screen.screen_size().width() > 0, 20, "first frame")
            view.control_button.setChecked(True)
            _pause(app, 2.0)
            # The agent clicks into the customer's terminal and types a command (real input).
            console.session.pointer(900, 700, 1)
            console.session.pointer(900, 700, 0)
            for char in "fc-list | grep -i simsun":
                console.session.key(ord(char), True)
                console.session.key(ord(char), False)
                _pause(app, 0.04)
            _pause(app, 0.3)
            view.chat.input.setText("Hello, I can see your screen: the SimSun font is "
                                    "missing since the update. I will install it now.")
            view.chat.on_send()
            _pause(app, 0.4)
            window.grab().save(str(out / "session.png"))

            console.end_session()
            wait_for(app, lambda: console.state is m.AgentState.WRAP_UP, 15, "session end")
            console.start_wrap_up()
            wait_for(app, lambda: window.work.currentWidget() is window._wrap_page, 10,
                     "wrap-up")
            form = window.wrap_up_form
            form.title_edit.setText("Monthly report export fails: SimSun font missing")
            form.classification.setCurrentIndex(
                form.classification.findData(m.Classification.ENVIRONMENT))
            form.module.setEditText("General Ledger")
            form.notes.setPlainText("Export stopped after the update; the report module now "
                                    "needs SimSun. Installed the font remotely.")
            form.resolution.setPlainText("Installed SimSun; the 2026-10 export succeeded.")
            form.solved.setChecked(True)
            _pause(app, 1.0)
            window.grab().save(str(out / "wrapup.png"))

            saved: list[m.WrapUpDone] = []
            console.wrap_up_saved.connect(saved.append)
            form.on_submit()
            wait_for(app, lambda: bool(saved), 20, "the ticket")
            window.tabs.setCurrentIndex(1)
            tickets = window.tickets
            wait_for(app, lambda: saved[0].ticket_id in tickets.ticket_ids(), 15, "ticket list")
            tickets.table.selectRow(tickets.ticket_ids().index(saved[0].ticket_id))
            wait_for(app, lambda: saved[0].number in tickets.detail.toPlainText(), 15,
                     "ticket detail")
            _pause(app, 0.5)
            window.grab().save(str(out / "tickets.png"))
        finally:
            if assist is not None:
                assist.stop()
            console.shutdown()
            worker.stop()
            hub.stop()
            for proc in helpers:
                proc.terminate()
                proc.wait()

def demo_profile(now):
    """A staged screen pop in DATA's ``Profile`` shape, with SLA due times like the hub's."""
    from datetime import timedelta

    from app.screen_pop.profile import (
        Company,
        EnvironmentChange,
        InstalledProduct,
        MachineInfo,
        Person,
        Profile,
        RatingSummary,
        Satisfaction,
        SlaTargets,
        TicketSummary,
    )

    return Profile(
        known=True, matched_by="machine_id", caller_phone=None, caller_email=None,
        company=Company(id=42, code="HDJM-0042", name="华东精密机械有限公司", tier="vip",
                        region="CN-East", timezone="Asia/Shanghai", language="zh",
                        notes="Finance closes the books on the 3rd working day."),
        person=Person(id=7, name="王芳 Wang Fang", job_title="Finance manager",
                      phone="+86 21 6555 0142", mobile=None, email="wang.fang@hdjm.example",
                      language="zh", is_primary=True),
        sla=SlaTargets("vip", 60, 480, "Mon-Fri 09:00-12:00, 13:00-18:00 (Asia/Shanghai)",
                       now + timedelta(minutes=12), now + timedelta(hours=6, minutes=40),
                       "Asia/Shanghai"),
        products=(InstalledProduct("ERP", "Huaxin ERP", "5.2.1", 30, ("Reports", "Finance"),
                                   None),
                  InstalledProduct("MES", "Huaxin MES", "3.8", 10, ("Scheduling",), None)),
        machine=MachineInfo("ACC-07-9f3c", "ACC-07", {
            "hostname": "ACC-07", "os": {"distribution": "Windows 11 Pro 23H2"},
            "memory_bytes": 16 << 30, "vendor": {"product": "Huaxin ERP", "version": "5.2.1"}},
            now, now - timedelta(days=12),
            (EnvironmentChange("vendor.version", "Huaxin ERP version", "5.2.0", "5.2.1"),), True),
        tickets=(TicketSummary(1187, "T000001187", "Ledger import rejects CSV", "solved",
                               "normal", "how_to", "Huaxin ERP", "Finance", "Li Na 李娜",
                               now - timedelta(days=40), now - timedelta(days=39)),
                 TicketSummary(1203, "T000001203", "Slow login after VPN change",
                               "waiting_customer", "high", "environment", "Huaxin ERP", None,
                               "Li Na 李娜", now - timedelta(days=3), None)),
        satisfaction=Satisfaction(11, 4.6, (RatingSummary(5, "很快解决了，谢谢", now, None),)),
        notes=("Prefers Mandarin.",),
        looked_up_at=now,
    ).to_dict()


def staged(out: Path) -> None:
    """The same three views fed through the console's event path, without a hub.

    For when the hub or the assist is not available: the customer's screen is still a real
    Xvfb screen, grabbed with mss and composed into the viewer like a decoded frame.
    """
    from datetime import UTC, datetime, timedelta

    import mss
    import numpy as np
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.api import messages as m
    from ui.console import Console
    from ui.look import apply_style
    from ui.main_window import MainWindow
    from ui.screen_view import Tile
    from ui.worker import Worker

    out.mkdir(parents=True, exist_ok=True)
    with Xvfb(1600, 1000) as console_x, Xvfb(1280, 800) as customer_x:
        os.environ["DISPLAY"] = console_x.display
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        helpers = customer_desktop(customer_x.display)
        app = QApplication.instance() or QApplication([])
        apply_style(app)
        worker = Worker().start()
        console = Console("ws://127.0.0.1:8765", worker)
        tmp = Path(tempfile.mkdtemp(prefix="tandem-shots-"))
        window = MainWindow(console, QSettings(str(tmp / "c.ini"), QSettings.Format.IniFormat))
        window.resize(1480, 900)
        window.show()
        try:
            now = datetime.now(UTC)
            agent = m.AgentProfile(agent_id=2, login="demo", display_name="Li Na 李娜",
                                   role=m.Role.AGENT, level="L2")
            console.on_login_ok(m.LoginOk(token="t", agent=agent, expires_at=now,
                                          status=m.AgentState.READY))
            console.connection_changed.emit(
                True, "Connected to ws://127.0.0.1:8765")
            ring = m.Ring(offer_id="o-1", contact_id=17, caller="王芳 Wang Fang",
                          company="华东精密机械有限公司", tier="vip", channel=m.Channel.ASSIST,
                          problem="The monthly report export crashes since yesterday's update "
                                  "(E-REP-0412). 导出月度报表时程序崩溃。",
                          queued_at=now - timedelta(seconds=38),
                          expires_at=now + timedelta(seconds=14), profile=demo_profile(now))
            console.on_hub_event(ring)
            _pause(app, 1.5)
            window.grab().save(str(out / "ringing.png"))

            accepted = m.Accepted(offer_id="o-1", contact_id=17, session_id="s-17",
                                  viewer_path="/viewer", viewer_token="x")
            console.current_contact = ring
            console.current_session = accepted
            console._end_ring("o-1", "accepted")
            console._set_state(m.AgentState.BUSY, None, datetime.now(UTC))
            window.on_session_started(accepted)
            window.on_consent_changed("control")
            window.on_layout_changed(1280, 800, ["Monitor 1 (primary) · 1280×800"], 0)
            _pause(app, 1.0)
            with getattr(mss, "MSS", mss.mss)(display=customer_x.display) as grabber:
                shot = grabber.grab(grabber.monitors[1])
            pixels = np.frombuffer(shot.bgra, np.uint8).reshape(shot.height, shot.width, 4)
            window.session_view.screen.compose(1, [Tile(0, 0, pixels.copy())])
            window.session_view.control_button.setChecked(True)
            window.session_view.set_quality(24, 186, 3)
            chat = window.session_view.chat
            chat.add_line("王芳 Wang Fang", "It crashes every time I export the monthly report.",
                          mine=False)
            chat.add_line("Li Na 李娜", "I can see it: the SimSun font is missing since the "
                          "update. I will install it for you now.", mine=True)
            chat.add_line("王芳 Wang Fang", "好的，谢谢！", mine=False)
            _pause(app, 1.0)
            window.grab().save(str(out / "session.png"))

            window.on_session_ended("s-17", "customer_ended")
            console._set_state(m.AgentState.WRAP_UP, None, datetime.now(UTC))
            console.start_wrap_up()
            form = window.wrap_up_form
            form.title_edit.setText("Monthly report export fails: SimSun font missing")
            form.classification.setCurrentIndex(
                form.classification.findData(m.Classification.ENVIRONMENT))
            form.notes.setPlainText("Export stopped after the 5.2.1 update; the Reports "
                                    "module now needs SimSun. Installed the font remotely.")
            form.resolution.setPlainText("Installed SimSun; the 2026-10 export succeeded.")
            form.solved.setChecked(True)
            _pause(app, 1.0)
            window.grab().save(str(out / "wrapup.png"))
        finally:
            window.ringer.stop()
            worker.stop()
            for proc in helpers:
                proc.terminate()
                proc.wait()


def _pause(app, seconds: float) -> None:
    from PySide6.QtCore import QDeadlineTimer, QEventLoop

    deadline = QDeadlineTimer(int(seconds * 1000))
    while not deadline.hasExpired():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--staged", action="store_true",
                        help="feed the views through the console's event path (no hub)")
    options = parser.parse_args()
    (staged if options.staged else run)(options.out)
