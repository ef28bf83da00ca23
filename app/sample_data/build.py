"""Fill a migrated database with sample data: ``generate(engine, customers=N, seed=S)``.

Reference rows (products, agents, queues, QA scorecard) are merged by natural key, so a
hub that already created its ``admin`` keeps it. Bulk rows are appended after the ids
already present. For big loads into an empty database the secondary indexes of the bulk
tables are dropped first and rebuilt once at the end (one sort instead of millions of
random B-tree inserts), then the planner statistics are refreshed.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, Index, func, select, text
from sqlalchemy.engine import Connection

from app.agents.models import Agent
from app.auth.passwords import hash_password
from app.contacts.models import Queue
from app.customers.models import Customer, Module, Product, ProductVersion
from app.db import models as _all_models  # noqa: F401  (complete metadata)
from app.db.base import Base
from app.recordings.models import QAScorecard
from app.sample_data import generator as g
from app.sample_data import vocab
from app.sample_data.writer import BulkWriter, make_writer

log = logging.getLogger(__name__)

#: Bumped whenever the generated rows change (benchmark caches are keyed by it).
SAMPLE_DATA_VERSION = 3

#: From this many customers on (into an empty database) indexes are built after the load.
BULK_INDEX_THRESHOLD = 20_000


class SampleDataError(RuntimeError):
    """The database cannot take the sample data (not migrated, or a clash)."""


@dataclass(frozen=True, slots=True)
class Preset:
    customers: int
    tickets_per_customer: float
    agents: int
    years: float


PRESETS: dict[str, Preset] = {
    # A handful of Chinese and English customers: seeds the demo in about a second.
    "demo": Preset(customers=12, tickets_per_customer=6, agents=8, years=2),
    # The screen-pop benchmark: 1,000,000 customers, ~5,000,000 tickets.
    "bench": Preset(customers=1_000_000, tickets_per_customer=5, agents=200, years=3),
}

#: The demo preset's first customer (put it in Tandem Assist's vendor config for the demo).
DEMO_CUSTOMER_CODE = "C0000001"


@dataclass(slots=True)
class GenerateReport:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    load_seconds: float = 0.0
    index_seconds: float = 0.0

    def summary(self) -> str:
        parts = ", ".join(f"{n:,} {t}" for t, n in self.counts.items() if n)
        return (f"{parts} in {self.seconds:.1f} s (load {self.load_seconds:.1f} s, "
                f"indexes+analyze {self.index_seconds:.1f} s)")


def today_utc() -> datetime:
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def generate(
    engine: Engine,
    *,
    customers: int,
    seed: int = 1,
    tickets_per_customer: float = 5.0,
    agents: int = 40,
    years: float = 3.0,
    now: datetime | None = None,
    contact_history_days: int = 365,
    rebuild_indexes: bool | None = None,
    progress: Callable[[str], None] | None = None,
) -> GenerateReport:
    """Fill ``engine``'s database (already at Alembic head) deterministically.

    The same ``seed``, options and ``now`` give the same rows (password hashes aside:
    argon2 salts them). ``now`` defaults to today 00:00 UTC. ``rebuild_indexes``: drop the
    bulk tables' secondary indexes for the load and build them after (default: when the
    database has no customers yet and ``customers >= BULK_INDEX_THRESHOLD``).
    """
    if customers < 0 or agents < 0 or tickets_per_customer < 0:
        raise ValueError("customers, agents and tickets_per_customer must be >= 0")
    now = now or today_utc()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    say = progress or log.info
    started = time.perf_counter()
    report = GenerateReport()
    options = g.Options(customers=customers, seed=seed, tickets_per_customer=tickets_per_customer,
                        agents=agents, years=years, now=int(now.timestamp()),
                        contact_history_days=contact_history_days)
    rng = random.Random(seed)

    with engine.connect() as conn:
        _check_migrated(conn)
        empty = not conn.scalar(select(func.count()).select_from(Customer))
        next_ids = {t: _max_id(conn, t) + 1 for t in g.COLUMNS if "id" in g.COLUMNS[t]}
    if rebuild_indexes is None:
        rebuild_indexes = empty and customers >= BULK_INDEX_THRESHOLD
    bulk_indexes = _bulk_indexes() if rebuild_indexes else []

    ref = _reference(engine, options, next_ids, rng, report)
    if bulk_indexes:
        with engine.begin() as conn:
            for index in bulk_indexes:
                index.drop(conn)

    counters = g.Counters({t: next_ids[t] for t in next_ids})
    load_started = time.perf_counter()
    made = 0

    def written(n: int, rows: g.Rows) -> None:
        nonlocal made
        for table in g.CHUNK_TABLES:
            report.counts[table] = report.counts.get(table, 0) + len(rows[table])
        made += n
        if made % 100_000 < n or made == customers:
            rate = made / max(time.perf_counter() - load_started, 1e-6)
            say(f"sample data: {made:,}/{customers:,} customers "
                f"({report.counts.get('tickets', 0):,} tickets, {rate:,.0f} customers/s)")

    _pipeline(g.CustomerGenerator(options, ref, counters).chunks(), make_writer(engine), written)
    report.load_seconds = time.perf_counter() - load_started

    index_started = time.perf_counter()
    with engine.begin() as conn:
        for index in bulk_indexes:
            say(f"sample data: building index {index.name}")
            index.create(conn)
        if conn.dialect.name == "postgresql":
            _advance_sequences(conn)
    _analyze(engine)
    report.index_seconds = time.perf_counter() - index_started
    report.seconds = time.perf_counter() - started
    say(f"sample data: {report.summary()}")
    return report


def generate_preset(engine: Engine, name: str, *, seed: int = 1, now: datetime | None = None,
                    progress: Callable[[str], None] | None = None) -> GenerateReport:
    try:
        preset = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}") from None
    return generate(engine, customers=preset.customers, seed=seed,
                    tickets_per_customer=preset.tickets_per_customer, agents=preset.agents,
                    years=preset.years, now=now, progress=progress)


def _pipeline(chunks: Iterator[tuple[int, g.Rows]], writer: BulkWriter,
              written: Callable[[int, g.Rows], None]) -> None:
    """Generate on this thread while a writer thread inserts the previous chunk.

    sqlite3 and psycopg release the GIL while the database works, so generation and
    insertion overlap on two cores. At most two chunks wait in memory.
    """
    pending: queue.Queue[tuple[int, g.Rows] | None] = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            while (item := pending.get()) is not None:
                n, rows = item
                for table in g.CHUNK_TABLES:
                    writer.write(table, g.COLUMNS[table], rows[table])
                writer.commit()
                written(n, rows)
        except BaseException as exc:  # handed to the generating thread
            failure.append(exc)
            while pending.get() is not None:  # drain so the producer never blocks
                pass

    thread = threading.Thread(target=run, name="sample-data-writer", daemon=True)
    thread.start()
    try:
        for item in chunks:
            if failure:
                break
            pending.put(item)
    finally:
        pending.put(None)
        thread.join()
        writer.close()
    if failure:
        raise failure[0]


# --- helpers ---------------------------------------------------------------------------------------
def _check_migrated(conn: Connection) -> None:
    missing = [t for t in g.COLUMNS if not conn.dialect.has_table(conn, t)]
    if missing:
        raise SampleDataError(
            f"database is not migrated (missing tables: {', '.join(missing[:4])}...); "
            "run app.db.migrate.upgrade(url) first")


def _max_id(conn: Connection, table: str) -> int:
    t = Base.metadata.tables[table]
    return int(conn.scalar(select(func.coalesce(func.max(t.c.id), 0))) or 0)


def _bulk_indexes() -> list[Index]:
    """Secondary, non-unique indexes of the bulk tables (unique ones stay: they guard data)."""
    out: list[Index] = []
    for table in g.CHUNK_TABLES:
        for index in Base.metadata.tables[table].indexes:
            if not index.unique:
                out.append(index)
    return sorted(out, key=lambda i: str(i.name))


def _reference(engine: Engine, o: g.Options, next_ids: dict[str, int], rng: random.Random,
               report: GenerateReport) -> g.Reference:
    """Insert the missing catalogue, agents, queues and scorecard; return their ids."""
    writer = make_writer(engine)
    try:
        with engine.connect() as conn:
            known_products = set(conn.scalars(select(Product.code)))
        fresh = [p for p in vocab.PRODUCTS if p.code not in known_products]
        rows = g.catalogue_rows(next_ids, o.now)
        keep_ids = {r[0] for r in rows["products"] if r[1] in {p.code for p in fresh}}
        rows = {
            "products": [r for r in rows["products"] if r[0] in keep_ids],
            "modules": [r for r in rows["modules"] if r[1] in keep_ids],
            "product_versions": [r for r in rows["product_versions"] if r[1] in keep_ids],
        }
        for table, table_rows in rows.items():
            writer.write(table, g.COLUMNS[table], table_rows)
            report.counts[table] = len(table_rows)
        writer.commit()
        products = _load_products(engine)

        with engine.connect() as conn:
            logins = set(conn.scalars(select(Agent.login)))
            queue_names = set(conn.scalars(select(Queue.name)))
            cards = set(conn.scalars(select(QAScorecard.name)))
        seeds = [s for s in g.agent_seeds(o.agents, rng) if s.login not in logins]
        hashes = {pw: hash_password(pw) for pw in sorted({s.password for s in seeds})}
        numbered = [(next_ids["agents"] + i, s) for i, s in enumerate(seeds)]
        agent_rows = g.agent_rows(numbered, hashes, products, next_ids["agent_skills"], o.now, rng)
        for table in ("agents", "agent_skills"):
            writer.write(table, g.COLUMNS[table], agent_rows[table])
            report.counts[table] = len(agent_rows[table])

        queues = []
        qid = next_ids["queues"]
        for name, desc, strategy, product_id, lang in g.queue_specs(products):
            if name not in queue_names:
                queues.append((qid, name, desc, strategy, product_id, lang, 20, 20, 600, None, True))
                qid += 1
        writer.write("queues", g.COLUMNS["queues"], queues)
        report.counts["queues"] = len(queues)
        if "Standard" not in cards:
            writer.write("qa_scorecards", g.COLUMNS["qa_scorecards"],
                         [(next_ids["qa_scorecards"], "Standard",
                           g._json(g.SCORECARD_CRITERIA), True, o.now)])
        writer.commit()
    finally:
        writer.close()

    with engine.connect() as conn:
        agents = conn.execute(select(Agent.id, Agent.level).where(Agent.active.is_(True),
                                                                   Agent.role.in_(["agent", "lead"]))
                              ).all()
        queue_ids = dict(conn.execute(select(Queue.name, Queue.id)).all())
        queue_products = dict(conn.execute(select(Queue.product_id, Queue.id)
                                           .where(Queue.product_id.is_not(None))).all())
    by_level: dict[str, list[int]] = {}
    for agent_id, level in agents:
        by_level.setdefault(level.value, []).append(agent_id)
    weights = {p.code: p.weight for p in vocab.PRODUCTS}
    pick = tuple(i for i, p in enumerate(products) for _ in range(weights.get(p.code, 1)))
    return g.Reference(
        products=products, product_pick=pick, agents_by_level=by_level,
        all_agents=[a for a, _ in agents],
        queue_by_product={k: v for k, v in queue_products.items() if k is not None},
        general_queue={"zh": queue_ids.get("general-zh", 0), "en": queue_ids.get("general-en", 0),
                       "vip": queue_ids.get("vip", 0)},
    )


def _load_products(engine: Engine) -> list[g.ProductRef]:
    codes = [p.code for p in vocab.PRODUCTS]
    with engine.connect() as conn:
        prods = conn.execute(select(Product.id, Product.code, Product.name)
                             .where(Product.code.in_(codes)).order_by(Product.id)).all()
        mods = conn.execute(select(Module.product_id, Module.id, Module.code, Module.name)
                            .order_by(Module.id)).all()
        vers = conn.execute(select(ProductVersion.product_id, ProductVersion.id, ProductVersion.version)
                            .order_by(ProductVersion.id)).all()
    refs = {pid: g.ProductRef(pid, code, name, [], []) for pid, code, name in prods}
    for product_id, mid, code, name in mods:
        if product_id in refs:
            refs[product_id].modules.append((mid, code, name))
    for product_id, vid, version in vers:
        if product_id in refs:
            refs[product_id].versions.append((vid, version))
    return list(refs.values())


def _advance_sequences(conn: Connection) -> None:
    """Explicit ids leave PostgreSQL's identity sequences behind; move them past max(id)."""
    for table in g.COLUMNS:
        if "id" not in g.COLUMNS[table]:
            continue
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"))


def _analyze(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


__all__ = ["DEMO_CUSTOMER_CODE", "PRESETS", "GenerateReport", "SampleDataError", "generate",
           "generate_preset"]

