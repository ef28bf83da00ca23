"""``tandem-hub``: run a team hub and look after its database.

Commands (default ``serve``)::

    tandem-hub [settings] serve
    tandem-hub [settings] migrate
    tandem-hub [settings] sample-data --customers N --seed S
    tandem-hub [settings] create-agent LOGIN [--name NAME] [--role agent|qa|lead|admin]
    tandem-hub [settings] recordings cleanup [--dry-run] [--retention basic=90,vip=180,...]

Every declared setting (``app.config.SETTINGS``) is a flag, an environment variable
(``TANDEM_<NAME>``) or a config-file key; ``--help`` lists them all.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
from collections.abc import Callable, Sequence

from app import config as app_config
from remote.logging_setup import configure_logging

COMMANDS = ("serve", "migrate", "sample-data", "create-agent", "recordings")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tandem-hub",
        description="The Tandem hub: agents' consoles and customers' Tandem Assist connect "
                    "to it (presence, routing, session relay, recording, tickets).",
        epilog="commands: serve (default) | migrate | sample-data --customers N --seed S | "
               "create-agent LOGIN | recordings cleanup. "
               "'tandem-hub COMMAND --help' shows a command's own options.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    app_config.add_arguments(parser)
    parser.add_argument("command", nargs="?", default="serve", choices=COMMANDS,
                        help="what to do (default: serve)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    ns = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    # Settings may also follow the command (tandem-hub sample-data --data-dir X ...).
    settings = argparse.ArgumentParser(add_help=False)
    app_config.add_arguments(settings)
    late, ns.args = settings.parse_known_args(ns.args)
    for name, value in vars(late).items():
        if value is not None:
            setattr(ns, name, value)
    try:
        config = app_config.load(ns)
    except ValueError as exc:
        parser.error(str(exc))
    configure_logging(config.log_level)
    return COMMAND_HANDLERS[ns.command](config, list(ns.args))


# ---------------------------------------------------------------- serve


def cmd_serve(config: app_config.Config, args: list[str]) -> int:
    if args:
        print(f"tandem-hub serve: unexpected arguments {' '.join(args)}", file=sys.stderr)
        return 2
    from app.hub.server import Hub, HubConfigError

    async def serve() -> None:
        hub = Hub(config)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await hub.start()
        if hub.notice:
            print(hub.notice, flush=True)
        print(f"Tandem hub serving at {hub.url} (Ctrl+C stops it)", flush=True)
        try:
            await stop.wait()
        finally:
            await hub.stop()

    try:
        asyncio.run(serve())
    except HubConfigError as exc:
        print(f"tandem-hub: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"tandem-hub: cannot listen on {config.host}:{config.port}: {exc}",
              file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------- database commands


def cmd_migrate(config: app_config.Config, args: list[str]) -> int:
    from app.db.engine import make_engine
    from app.db.migrate import current_revision, upgrade

    argparse.ArgumentParser(prog="tandem-hub migrate",
                            description="Bring the database to the newest schema.").parse_args(args)
    engine = make_engine(config.resolved_database_url)
    try:
        upgrade(engine)
        print(f"database at revision {current_revision(engine)}")
    finally:
        engine.dispose()
    return 0


def cmd_sample_data(config: app_config.Config, args: list[str]) -> int:
    from app.sample_data import main as sample_main

    if not any(a == "--database-url" or a.startswith("--database-url=") for a in args):
        args = [*args, "--database-url", config.resolved_database_url]
    return int(sample_main(args) or 0)


def cmd_create_agent(config: app_config.Config, args: list[str]) -> int:
    from app.agents.models import AgentRole, SupportLevel
    from app.auth.service import create_agent
    from app.db.engine import make_engine, make_session_factory
    from app.db.migrate import upgrade

    parser = argparse.ArgumentParser(prog="tandem-hub create-agent",
                                     description="Add an agent who can sign in to a console.")
    parser.add_argument("login")
    parser.add_argument("--name", help="display name (default: the login)")
    parser.add_argument("--role", choices=[r.value for r in AgentRole], default="agent")
    parser.add_argument("--level", choices=[lv.value for lv in SupportLevel], default="L1")
    parser.add_argument("--languages", default="", help="comma-separated, e.g. zh,en")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    ns = parser.parse_args(args)
    if ns.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {ns.login}: ")
        if password != getpass.getpass("Again: "):
            print("tandem-hub create-agent: the passwords differ", file=sys.stderr)
            return 2
    engine = make_engine(config.resolved_database_url)
    try:
        upgrade(engine)
        agent_id = create_agent(make_session_factory(engine), ns.login, password,
                                display_name=ns.name, role=AgentRole(ns.role),
                                level=SupportLevel(ns.level),
                                languages=[x.strip() for x in ns.languages.split(",") if x.strip()])
    except ValueError as exc:
        print(f"tandem-hub create-agent: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"agent {ns.login!r} created (id {agent_id}, role {ns.role}, level {ns.level})")
    return 0


def cmd_recordings(config: app_config.Config, args: list[str]) -> int:
    from app.db.engine import make_engine, make_session_factory
    from app.db.migrate import upgrade
    from app.recordings.service import RecordingService, parse_retention

    parser = argparse.ArgumentParser(prog="tandem-hub recordings",
                                     description="Look after session recordings.")
    sub = parser.add_subparsers(dest="action", required=True)
    cleanup = sub.add_parser("cleanup", help="delete recordings older than their tier's "
                             "retention (file and database row)")
    cleanup.add_argument("--dry-run", action="store_true", help="only say what would go")
    cleanup.add_argument("--retention", default="",
                         help="days per tier, e.g. basic=90,vip=180,svip=365 (these defaults)")
    ns = parser.parse_args(args)
    try:
        retention = parse_retention(ns.retention)
    except ValueError as exc:
        parser.error(str(exc))
    engine = make_engine(config.resolved_database_url)
    try:
        upgrade(engine)
        service = RecordingService(make_session_factory(engine), retention_days=retention)
        report = service.cleanup(dry_run=ns.dry_run)
    finally:
        engine.dispose()
    verb = "would delete" if ns.dry_run else "deleted"
    print(f"{verb} {len(report.deleted)} recording(s), {report.freed_bytes / 1e6:.1f} MB"
          + (f"; {report.missing_files} file(s) were already missing"
             if report.missing_files else ""))
    return 0


COMMAND_HANDLERS: dict[str, Callable[[app_config.Config, list[str]], int]] = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "sample-data": cmd_sample_data,
    "create-agent": cmd_create_agent,
    "recordings": cmd_recordings,
}


if __name__ == "__main__":
    sys.exit(main())
