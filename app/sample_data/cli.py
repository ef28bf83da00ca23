"""``tandem-hub sample-data``: migrate a database and fill it with sample data.

``main(argv)`` parses only its own options so that app/cli/hub.py can hand it the rest of
the command line unchanged.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from app import config as app_config
from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.sample_data.build import PRESETS, SampleDataError, generate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tandem-hub sample-data",
        description="Fill a Tandem database with deterministic sample data "
                    "(demo sign-ins: demo/demo, admin/admin, qa/qa; other agents: agent).")
    parser.add_argument("--preset", choices=sorted(PRESETS), default=None,
                        help="a named size: demo (a dozen customers) or bench (1,000,000).")
    parser.add_argument("--customers", type=int, default=None,
                        help="number of customers (overrides the preset; default 12).")
    parser.add_argument("--tickets-per-customer", type=float, default=None,
                        help="mean tickets per customer (default 5).")
    parser.add_argument("--agents", type=int, default=None, help="number of agents (default 40).")
    parser.add_argument("--years", type=float, default=None, help="years of history (default 3).")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same data (default 1).")
    parser.add_argument("--database-url", default=None,
                        help="SQLAlchemy URL (default: the hub's configured database).")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    preset = PRESETS[args.preset] if args.preset else PRESETS["demo"]
    customers = args.customers if args.customers is not None else preset.customers
    if customers < 0:
        print("tandem-hub sample-data: --customers must be >= 0", file=sys.stderr)
        return 2
    url = args.database_url or app_config.load(environ=None).resolved_database_url
    engine = make_engine(url)
    try:
        upgrade(engine)
        generate(
            engine, customers=customers, seed=args.seed,
            tickets_per_customer=(args.tickets_per_customer if args.tickets_per_customer is not None
                                  else preset.tickets_per_customer),
            agents=args.agents if args.agents is not None else preset.agents,
            years=args.years if args.years is not None else preset.years,
            progress=lambda line: print(line, flush=True),
        )
    except (SampleDataError, ValueError) as exc:
        print(f"tandem-hub sample-data: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
