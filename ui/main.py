"""``tandem-console``: the agent's desktop program.

By default it starts a hub in-process on loopback with SQLite in the user's data directory;
``--hub ws(s)://...`` connects to a team hub instead. ``--demo`` starts an embedded hub with
the demo sample data in a separate demo directory, signs in as demo/demo, goes Ready and
starts a real Tandem Assist on this desktop that asks for help, so a contact rings at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from app import config as app_config
from app.api import messages as m
from app.api.client import console_url
from remote.logging_setup import configure_logging
from ui.console import Console
from ui.gc_guard import GuiThreadGarbageCollector
from ui.look import apply_style
from ui.main_window import MainWindow
from ui.signin_dialog import SignInDialog
from ui.worker import Worker

log = logging.getLogger("ui.main")

DEMO_PROBLEM = ("The monthly report export crashes since yesterday's update. "
                "导出月度报表时程序崩溃。")
# The demo data's first customer runs this product (see app/sample_data).
DEMO_VENDOR = {"name": "Huaxin Software", "product": "LedgerPro Finance Suite",
               "version": "2024.1"}
DEMO_LOGIN = ("demo", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tandem-console",
        description="Tandem agent console. Without --hub it runs a hub inside the console "
                    "(loopback only, SQLite in the data directory).")
    parser.add_argument("--hub", metavar="URL", default=None,
                        help="team hub to connect to, e.g. wss://hub.example.com:8765")
    parser.add_argument("--demo-assist", dest="demo_assist", default=True,
                        action=argparse.BooleanOptionalAction,
                        help="with --demo: start a Tandem Assist that asks for help")
    app_config.add_arguments(parser)
    return parser


def demo_data_dir() -> Path:
    return app_config.default_data_dir().parent / "tandem-demo"


class AssistProcess:
    """A real ``tandem-assist`` subprocess asking for help (demo); stopped with the console.

    Without ``consent`` the customer answers Tandem Assist's own consent dialog, as in real
    use: the demo shows that nothing is seen before the customer allows it. Scripts that
    run unattended (screenshots) pass ``consent`` to pre-answer it.
    """

    def __init__(self, hub_url: str, problem: str = DEMO_PROBLEM,
                 consent: str | None = None, extra: Sequence[str] = ()) -> None:
        auto = ["--auto-consent", consent] if consent else []
        self.args = [*assist_command(), "--hub", hub_url, "--request-help", "--problem",
                     problem, *auto, *extra]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str] | None = None) -> AssistProcess:
        log.info("starting Tandem Assist: %s", " ".join(self.args))
        self.process = subprocess.Popen(self.args, env=env, stdin=subprocess.DEVNULL)
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def write_demo_vendor_config(directory: Path) -> Path:
    """A ``vendor.ini`` naming the demo data's first customer, so the ring pops a profile."""
    from app.sample_data import DEMO_CUSTOMER_CODE

    path = directory / "vendor.ini"
    lines = ["[vendor]", *(f"{k} = {v}" for k, v in DEMO_VENDOR.items()),
             f"customer_code = {DEMO_CUSTOMER_CODE}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assist_command() -> list[str]:
    """The assist's command: the console script next to our Python, else the module."""
    script = Path(sys.executable).with_name("tandem-assist")
    if script.exists():
        return [str(script)]
    found = shutil.which("tandem-assist")
    return [found] if found else [sys.executable, "-m", "remote.assist.main"]


def start_embedded_hub(config: app_config.Config):
    """Start the in-process hub; returns (hub, url)."""
    from app.hub.embedded import EmbeddedHub

    hub = EmbeddedHub(config)
    url = hub.start()
    return hub, url


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = app_config.load(args)
    except ValueError as exc:
        print(f"tandem-console: {exc}", file=sys.stderr)
        return 2
    configure_logging(str(config.log_level))
    if args.hub:
        try:
            console_url(args.hub)
        except ValueError as exc:
            print(f"tandem-console: {exc}", file=sys.stderr)
            return 2

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("Tandem")
    app.setApplicationName("Tandem console")
    apply_style(app)
    # Before any worker or hub thread starts: only the GUI thread may collect Qt objects.
    collector = GuiThreadGarbageCollector(app)

    hub = None
    assist: AssistProcess | None = None
    if args.hub:
        hub_url = args.hub
    else:
        if config.demo:
            data_dir = config.values.get("data_dir") or demo_data_dir()
            data_dir.mkdir(parents=True, exist_ok=True)
            config = config.replace(data_dir=data_dir, port=0)
        try:
            hub, hub_url = start_embedded_hub(config)
        except Exception as exc:
            print(f"tandem-console: cannot start the embedded hub: {exc}", file=sys.stderr)
            collector.stop()
            return 1

    # Ctrl+C / SIGTERM quit through Qt so that the finally below stops the assist and the
    # hub; a timer lets the interpreter run Python signal handlers while Qt's loop waits.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: app.quit())
    wake = QTimer()
    wake.start(300)
    wake.timeout.connect(lambda: None)

    worker = Worker().start()
    console = Console(hub_url, worker)
    settings = QSettings()
    window = MainWindow(console, settings)
    try:
        if config.demo:
            def on_demo_signed_in(_login: m.LoginOk) -> None:
                nonlocal assist
                console.set_state(m.AgentState.READY)
                if args.demo_assist and hub is not None:
                    vendor = write_demo_vendor_config(config.resolved_data_dir)
                    assist = AssistProcess(hub_url, extra=("--vendor-config", str(vendor)))
                    assist.start(dict(os.environ))

            console.signed_in.connect(on_demo_signed_in)
            console.sign_in_refused.connect(
                lambda reason, _s: window.show_message(f"Demo sign-in failed: {reason}",
                                                       error=True))
            window.show()
            QTimer.singleShot(0, lambda: console.sign_in(*DEMO_LOGIN))
        else:
            notice = getattr(hub, "notice", "") if hub is not None else ""
            dialog = SignInDialog(hub_url, notice or "")
            dialog.sign_in_requested.connect(console.sign_in)
            console.sign_in_refused.connect(dialog.refused)
            console.signed_in.connect(lambda _login: dialog.signed_in())
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return 0
            window.show()
        return app.exec()
    finally:
        if assist is not None:
            assist.stop()
        console.shutdown()
        worker.stop()
        if hub is not None:
            hub.stop()
        collector.stop()


if __name__ == "__main__":
    sys.exit(main())
