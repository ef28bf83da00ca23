"""Screen-pop benchmark: lookups of mixed kinds against the 1M-customer / 5M-ticket database.

    python bench/screen_pop.py [--json] [--customers N] [--lookups K] [--db PATH]

Builds the SQLite database with the sample-data generator the first time (cached under
bench/.cache/, keyed by size, seed and the generator's data version) and reuses it after.
Then runs K random lookups (customer code, phone in several written forms, e-mail in any
case, machine id with a fresh environment report, unknown callers) through
``ScreenPopService`` and prints the latency percentiles. Target: p95 <= 20 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, select  # noqa: E402

from app.db.engine import make_engine  # noqa: E402
from app.db.migrate import upgrade  # noqa: E402
from app.sample_data.build import PRESETS, SAMPLE_DATA_VERSION, generate  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
SEED = 1
#: Fixed "now" for the generated history so the cached file is reproducible.
BENCH_NOW = datetime(2026, 11, 1, tzinfo=UTC)


def database_path(customers: int) -> Path:
    return CACHE / f"screen_pop-c{customers}-s{SEED}-v{SAMPLE_DATA_VERSION}.db"


def build(path: Path, customers: int, log: Any) -> float | None:
    """Build the database at ``path`` unless it exists; returns the build seconds."""
    if path.exists():
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    partial = path.with_suffix(".building")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{partial}")
    preset = PRESETS["bench"]
    started = time.perf_counter()
    try:
        upgrade(engine)
        generate(engine, customers=customers, seed=SEED, tickets_per_customer=preset.tickets_per_customer,
                 agents=preset.agents, years=preset.years, now=BENCH_NOW, progress=log)
        with engine.connect() as conn:  # fold the WAL into the file before renaming it
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    partial.rename(path)
    return time.perf_counter() - started


def count(engine: Engine, table: str) -> int:
    from app.db.base import Base

    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Base.metadata.tables[table])) or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    parser.add_argument("--customers", type=int, default=PRESETS["bench"].customers)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--db", type=Path, default=None, help="database file (built if missing)")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    path = args.db or database_path(args.customers)
    build_s = build(path, args.customers, log)
    if build_s is not None:
        log(f"built {path} in {build_s:.0f} s")
    if args.build_only:
        return 0
    return run_lookups(path, args, log, build_s)


KINDS = (("customer_code", 25), ("phone", 25), ("email", 20), ("machine_id", 20), ("unknown", 10))


def _phone_forms(e164: str, display: str | None) -> list[str]:
    """How a caller id or an agent might type the same number."""
    forms = [e164, "00" + e164[1:], f"{e164[:3]} {e164[3:6]} {e164[6:]}"]
    if display:
        forms.append(display)
    if e164.startswith("+86"):
        national = e164[3:]
        forms.append(national if national.startswith("1") else "0" + national)
    return forms


def _mutate(env: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    new = json.loads(json.dumps(env))
    new["memory_bytes"] = rng.choice((8, 16, 32)) << 30
    if rng.random() < 0.5 and isinstance(new.get("os"), dict):
        new["os"]["version"] = f"10.0.{rng.randint(19000, 27000)}"
    return new


def identities(engine: Engine, customers: int, n: int, rng: random.Random) -> list[tuple[str, Any]]:
    """``n`` (kind, ContactIdentity) pairs drawn before timing starts."""
    from app.customers.models import ContactPerson, Machine
    from app.screen_pop.profile import ContactIdentity

    with engine.connect() as conn:
        max_person = int(conn.scalar(select(func.max(ContactPerson.id))) or 0)
        max_machine = int(conn.scalar(select(func.max(Machine.id))) or 0)
        person_ids = [rng.randint(1, max_person) for _ in range(n)]
        persons = conn.execute(select(ContactPerson.phone, ContactPerson.phone_e164, ContactPerson.mobile,
                                      ContactPerson.mobile_e164, ContactPerson.email)
                               .where(ContactPerson.id.in_(person_ids))).all()
        machine_ids = [rng.randint(1, max_machine) for _ in range(n)]
        machines = conn.execute(select(Machine.machine_id, Machine.environment)
                                .where(Machine.id.in_(machine_ids), Machine.environment.is_not(None))).all()
    table = [k for k, w in KINDS for _ in range(w)]
    out: list[tuple[str, Any]] = []
    for _ in range(n):
        kind = rng.choice(table)
        if kind == "customer_code":
            ident = ContactIdentity(customer_code=f"C{rng.randint(1, customers):07d}")
        elif kind == "phone":
            p = rng.choice(persons)
            e164, display = (p.mobile_e164, p.mobile) if p.mobile_e164 and (
                not p.phone_e164 or rng.random() < 0.5) else (p.phone_e164, p.phone)
            ident = ContactIdentity(phone=rng.choice(_phone_forms(e164, display)))
        elif kind == "email":
            email = rng.choice(persons).email
            ident = ContactIdentity(email=email.upper() if rng.random() < 0.3 else email)
        elif kind == "machine_id":
            m = rng.choice(machines)
            ident = ContactIdentity(machine_id=m.machine_id, environment=_mutate(m.environment, rng))
        else:
            ident = rng.choice((
                ContactIdentity(phone=f"+86 139 {rng.randint(0, 9999):04d} {rng.randint(0, 9999):04d}"),
                ContactIdentity(email=f"nobody{rng.randint(0, 10**9)}@example.org"),
                ContactIdentity(customer_code=f"X{rng.randint(0, 10**9)}"),
                ContactIdentity(machine_id=f"{rng.getrandbits(128):032x}",
                                environment={"hostname": "NEW-PC", "memory_bytes": 8 << 30}),
            ))
        out.append((kind, ident))
    return out


def percentile(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(round(q * (len(sorted_ms) - 1))))]


def run_lookups(path: Path, args: argparse.Namespace, log: Any, build_s: float | None) -> int:
    from app.db.engine import make_session_factory
    from app.screen_pop.service import ScreenPopService

    engine = make_engine(f"sqlite:///{path}")
    try:
        customers = count(engine, "customers")
        tickets = count(engine, "tickets")
        rng = random.Random(42)
        service = ScreenPopService(make_session_factory(engine))
        warm = identities(engine, customers, 200, rng)
        for _kind, ident in warm:
            service.lookup(ident)
        work = identities(engine, customers, args.lookups, rng)
        times: dict[str, list[float]] = {}
        known = 0
        for kind, ident in work:
            t0 = time.perf_counter()
            profile = service.lookup(ident)
            times.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
            known += profile.known
    finally:
        engine.dispose()
    all_ms = sorted(t for ts in times.values() for t in ts)
    result: dict[str, Any] = {
        "customers": customers, "tickets": tickets, "lookups": len(all_ms),
        "p50_ms": round(percentile(all_ms, 0.50), 2), "p95_ms": round(percentile(all_ms, 0.95), 2),
        "p99_ms": round(percentile(all_ms, 0.99), 2), "mean_ms": round(statistics.fmean(all_ms), 2),
        "known": known,
        "p95_ms_by_kind": {k: round(percentile(sorted(v), 0.95), 2) for k, v in sorted(times.items())},
        "db_gib": round(path.stat().st_size / (1 << 30), 2),
    }
    if build_s is not None:
        result["build_s"] = round(build_s, 1)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")
        print(f"target p95 <= 20 ms: {'met' if result['p95_ms'] <= 20 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
