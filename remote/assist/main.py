"""``tandem-assist``: the customer's program.

Starts fast (numpy, mss and the codec are imported only when a session starts sharing
the screen), shows a Tk window (or a terminal prompt with ``--terminal`` or without Tk),
and runs the session on a worker thread with its own asyncio loop.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import threading
import time
from pathlib import Path

from remote.assist import vendor as vendor_config
from remote.logging_setup import configure_logging
from remote.protocol.messages import ConsentLevel

log = logging.getLogger("tandem.assist")
STARTED = time.perf_counter()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tandem-assist", description="Tandem Assist: get help "
                                "from your software vendor's support desk.")
    p.add_argument("--hub", help="hub URL, e.g. wss://support.example.com/assist "
                   "(default: the hub in vendor.ini)")
    p.add_argument("--problem", default="", help="describe the problem")
    p.add_argument("--request-help", action="store_true", help="request help at once")
    p.add_argument("--code", help="session code an agent gave you")
    p.add_argument("--auto-consent", choices=("view", "control"),
                   help="grant consent without asking (demos, tests, benchmarks ONLY)")
    p.add_argument("--monitor", type=int, default=0, help="monitor to share (0 = first)")
    p.add_argument("--vendor-config", type=Path, help="vendor.ini (default: next to the program)")
    p.add_argument("--terminal", action="store_true", help="no window: use this terminal")
    p.add_argument("--display", help="X display to share (default: $DISPLAY)")
    p.add_argument("--allow-insecure", action="store_true",
                   help="allow unencrypted ws:// to a hub that is not on this machine")
    p.add_argument("--max-fps", type=float, default=60.0, help="frame rate cap")
    p.add_argument("--window", type=int, default=4,
                   help="frames in flight before waiting for the viewer's ack")
    p.add_argument("--log-level", default="INFO")
    return p


def hub_url(base: str) -> str:
    """Accept ``ws://host:port`` and add the ``/assist`` path when it is missing."""
    trimmed = base.rstrip("/")
    return trimmed if trimmed.endswith("/assist") else trimmed + "/assist"


def make_report(vendor: vendor_config.VendorConfig, display: str | None):
    def report():
        from remote.assist.environment import environment_report, machine_id

        return environment_report(vendor, display), machine_id(), vendor.customer_code
    return report


def run_session(options, ui) -> str:
    """Run one session to its end on this thread's own asyncio loop."""
    from remote.assist.session import AssistSession

    session = AssistSession(options, ui, ui.report)
    ui.attach(session)
    return asyncio.run(session.run())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        vendor = vendor_config.load(args.vendor_config)
    except vendor_config.VendorConfigError as exc:
        print(f"tandem-assist: {exc}", file=sys.stderr)
        return 2
    hub = args.hub or vendor.hub
    if not hub:
        print("tandem-assist: no hub: give --hub URL or put hub = ... in vendor.ini",
              file=sys.stderr)
        return 2
    if args.auto_consent:
        log.warning("!!! --auto-consent %s: the agent gets %s WITHOUT asking the customer. "
                    "For demos, tests and benchmarks only !!!", args.auto_consent,
                    "view and control" if args.auto_consent == "control" else "view")
    from remote.assist.session import AssistOptions

    options = AssistOptions(
        hub=hub_url(hub), problem=args.problem, code=args.code, monitor=args.monitor,
        auto_consent=ConsentLevel(args.auto_consent) if args.auto_consent else None,
        display=args.display, allow_insecure=args.allow_insecure, max_fps=args.max_fps,
        window=max(1, args.window))
    report = make_report(vendor, args.display)
    if not args.terminal:
        try:
            from remote.assist.ui_tk import TkApp
        except ImportError as exc:
            log.info("no Tk (%s); using the terminal", exc)
        else:
            try:
                app = TkApp(options, report, vendor,
                            start_now=bool(args.request_help or args.code))
            except Exception as exc:  # no display for Tk
                log.info("cannot open a window (%s); using the terminal", exc)
            else:
                log.info("ready in %.0f ms", (time.perf_counter() - STARTED) * 1000)
                return app.run()
    return _terminal(options, report, args)


def _terminal(options, report, args) -> int:
    from dataclasses import replace

    from remote.assist.ui_terminal import TerminalUI

    ui = TerminalUI()
    ui.report = report  # type: ignore[attr-defined]
    ui.say("Tandem Assist ready.")
    log.info("ready in %.0f ms", (time.perf_counter() - STARTED) * 1000)
    if not (args.request_help or args.code):
        ui.say("Describe your problem (or type code NNNNNN), then press Enter:")
        line = sys.stdin.readline().strip()
        if line.lower().startswith("code "):
            options = replace(options, code=line[5:].strip())
        elif line:
            options = replace(options, problem=line)
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(run_session(options, ui)),
                              name="tandem-session")
    worker.start()
    try:
        worker.join()
    except KeyboardInterrupt:
        if ui.session is not None:
            ui.session.stop()
        worker.join(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
