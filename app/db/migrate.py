"""Run Alembic programmatically: the hub calls ``upgrade(url)`` at start.

No alembic.ini: the script location is this package's ``migrations`` directory, so an
installed wheel migrates the same way as a checkout.

Developers: ``python -m app.db.migrate revision -m "0002 routing" --rev-id 0002_routing
--autogenerate --url sqlite:////tmp/x.db`` writes a new revision against a database at head.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from app.db.engine import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | URL | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return cfg


def upgrade(url_or_engine: str | URL | Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest), creating it if empty."""
    engine = url_or_engine if isinstance(url_or_engine, Engine) else make_engine(url_or_engine)
    try:
        with engine.begin() as connection:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    finally:
        if engine is not url_or_engine:
            engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.db.migrate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="migrate a database to head")
    up.add_argument("--url", required=True)
    rev = sub.add_parser("revision", help="write a new revision script")
    rev.add_argument("--url", required=True, help="database at the current head")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument("--rev-id", required=True)
    rev.add_argument("--autogenerate", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "upgrade":
        upgrade(args.url)
        return 0
    command.revision(alembic_config(args.url), message=args.message, rev_id=args.rev_id,
                     autogenerate=args.autogenerate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
