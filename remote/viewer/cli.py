"""``tandem-view``: join a session headless; snapshots, scripted input, stats, or a window.

    tandem-view ws://127.0.0.1:8765 --code 12345678 --snapshot out.png --after 2 --stats
    tandem-view wss://hub.example.com --token TOKEN --request-control --script steps.json
    tandem-view ws://127.0.0.1:8765 --code 12345678 --window

Exit status: 0 done, 1 the session ended or failed midway, 2 could not join.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
from typing import Any

from remote.logging_setup import configure_logging
from remote.protocol.messages import ConsentLevel
from remote.transport import client_ssl_context
from remote.viewer.client import ViewerClient, ViewerError
from remote.viewer.script import ScriptError, load_script, run_script
from remote.viewer.snapshot import save_png


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tandem-view", description="Join a Tandem remote session as a viewer.")
    parser.add_argument("url", help="hub or relay URL, e.g. ws://127.0.0.1:8765 "
                        "(/viewer is added when there is no path)")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--code", help="session code for this viewer")
    who.add_argument("--token", help="viewer token issued by the hub")
    parser.add_argument("--snapshot", metavar="PNG", help="save the screen to this PNG")
    parser.add_argument("--after", type=float, default=0.0, metavar="S",
                        help="with --snapshot: seconds to wait after the first frame")
    parser.add_argument("--script", metavar="JSON", help="run scripted input steps "
                        "(see remote/viewer/script.py)")
    parser.add_argument("--type", dest="type_text", metavar="TEXT", help="type this text")
    parser.add_argument("--key", action="append", default=[], metavar="NAME",
                        help="press a key (Return, F5, a, 0xff0d); repeatable")
    parser.add_argument("--click", metavar="X,Y", help="left-click at X,Y")
    parser.add_argument("--request-control", action="store_true",
                        help="ask the customer for control (needed for input)")
    parser.add_argument("--consent-timeout", type=float, default=60.0, metavar="S",
                        help="how long input waits for the customer's consent")
    parser.add_argument("--duration", type=float, default=0.0, metavar="S",
                        help="stay connected this long after the other steps")
    parser.add_argument("--stats", action="store_true", help="print stats as JSON at the end")
    parser.add_argument("--window", action="store_true",
                        help="show the screen 1:1 in a window and forward input")
    parser.add_argument("--fullscreen", action="store_true", help="with --window")
    parser.add_argument("--end-session", action="store_true",
                        help="end the session for everyone when leaving (as the agent)")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S",
                        help="how long to wait for the first frame")
    parser.add_argument("--cafile", help="CA certificate for a hub with a private CA")
    parser.add_argument("--allow-insecure", action="store_true",
                        help="allow unencrypted ws:// to a host that is not loopback")
    parser.add_argument("--log-level", default="WARNING")
    return parser


def input_steps(args: argparse.Namespace) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    if args.script:
        steps.extend(load_script(args.script))
    simple: list[dict[str, Any]] = []
    if args.click:
        x, _, y = args.click.partition(",")
        simple.append({"click": [int(x), int(y)]})
    if args.type_text:
        simple.append({"type": args.type_text})
    simple.extend({"key": key} for key in args.key)
    if simple:
        steps.append({"wait_consent": "control", "timeout": args.consent_timeout})
        steps.extend(simple)
    return steps


async def drive(client: ViewerClient, args: argparse.Namespace,
                window_closed: asyncio.Future[None] | None = None) -> int:
    """Everything after joining; returns the exit status."""
    steps = input_steps(args)
    if args.request_control:
        await client.request_consent(ConsentLevel.CONTROL)
    if args.snapshot:
        await client.wait_frame(after_seq=0, timeout=args.timeout)
        await asyncio.sleep(args.after)
        save_png(client.framebuffer, args.snapshot)  # type: ignore[arg-type]
    await run_script(client, steps)
    if args.duration:
        await asyncio.sleep(args.duration)
    if window_closed is not None:
        await window_closed
    return 0


async def session(args: argparse.Namespace, on_joined: Any = None) -> int:
    ssl_context = client_ssl_context(args.cafile) if args.cafile else None
    client = ViewerClient(args.url, args.code or args.token, ssl_context=ssl_context,
                          allow_insecure=args.allow_insecure)
    try:
        admitted = await client.connect()
    except (ViewerError, ValueError) as exc:
        print(f"tandem-view: cannot join: {exc}", file=sys.stderr)
        return 2
    print(f"tandem-view: joined session {admitted.session_id}", file=sys.stderr)
    window_closed = on_joined(client) if on_joined else None
    status = 0
    try:
        status = await drive(client, args, window_closed)
    except (ViewerError, TimeoutError, ScriptError) as exc:
        text = client.closed.text if client.closed else str(exc) or "timed out"
        print(f"tandem-view: {text}", file=sys.stderr)
        status = 1
    finally:
        await client.close(end_session=args.end_session)
        if args.stats:
            print(json.dumps(client.stats.as_dict()), flush=True)
    return status


def run_with_window(args: argparse.Namespace) -> int:
    """Asyncio on a worker thread, Tk on this one."""
    from remote.viewer.window import ViewerWindow

    joined = threading.Event()
    holder: dict[str, Any] = {}

    def on_joined(client: ViewerClient) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        holder.update(client=client, loop=loop, closed=loop.create_future())
        joined.set()
        return holder["closed"]

    def worker() -> None:
        holder["status"] = asyncio.run(session(args, on_joined))
        joined.set()

    thread = threading.Thread(target=worker, name="tandem-view network", daemon=True)
    thread.start()
    joined.wait()
    if "client" in holder:
        loop: asyncio.AbstractEventLoop = holder["loop"]
        ViewerWindow(holder["client"], loop, fullscreen=args.fullscreen).run()
        loop.call_soon_threadsafe(
            lambda: holder["closed"].done() or holder["closed"].set_result(None))
    thread.join()
    return int(holder.get("status", 1))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        input_steps(args)  # fail early on a bad script
    except (ScriptError, ValueError) as exc:
        print(f"tandem-view: {exc}", file=sys.stderr)
        return 2
    if args.window:
        return run_with_window(args)
    try:
        return asyncio.run(session(args))
    except KeyboardInterrupt:
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
