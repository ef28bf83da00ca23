"""Deterministic row generation for the sample data (pure Python, no database).

Rows are plain tuples in the column order of ``COLUMNS`` so that the writers can hand them
to ``executemany`` untouched. Conventions inside a row: datetimes are integer epoch
seconds (UTC), JSON columns are JSON text, enums are their stored values. Every id is
assigned here (counters start after the rows already in the database), so tickets can
point at contact persons and sessions at machines without reading anything back.

Determinism: the customers are generated in fixed-size chunks, each with its own
``random.Random`` seeded from (seed, chunk number); the same seed and options give the
same rows on every run and every backend.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from app.sample_data import vocab
from app.tickets.models import ticket_number

DAY = 86_400
HOUR = 3_600
#: Customers per chunk: the unit of determinism and of one write transaction.
CHUNK_CUSTOMERS = 5_000

COLUMNS: dict[str, tuple[str, ...]] = {
    "products": ("id", "code", "name", "description"),
    "modules": ("id", "product_id", "code", "name"),
    "product_versions": ("id", "product_id", "version", "released_at", "end_of_support_at"),
    "agents": ("id", "login", "display_name", "email", "password_hash", "level", "role", "languages",
               "max_chats", "status", "status_since", "active", "created_at"),
    "agent_skills": ("id", "agent_id", "product_id", "module_id", "level"),
    "queues": ("id", "name", "description", "strategy", "product_id", "language",
               "service_level_seconds", "ring_timeout_seconds", "max_wait_seconds",
               "overflow_queue_id", "active"),
    "qa_scorecards": ("id", "name", "criteria", "active", "created_at"),
    "customers": ("id", "code", "name", "tier", "region", "timezone", "language", "notes", "created_at"),
    "contact_persons": ("id", "customer_id", "name", "job_title", "phone", "phone_e164", "mobile",
                        "mobile_e164", "email", "email_normalized", "language", "is_primary", "notes"),
    "installations": ("id", "customer_id", "product_id", "version_id", "licences", "site",
                      "installed_at"),
    "installation_modules": ("installation_id", "module_id"),
    "machines": ("id", "machine_id", "customer_id", "contact_person_id", "hostname", "environment",
                 "environment_reported_at", "previous_environment",
                 "previous_environment_reported_at", "first_seen_at", "last_seen_at"),
    "tickets": ("id", "number", "customer_id", "contact_person_id", "status", "priority",
                "classification", "product_id", "module_id", "version_id", "level", "assignee_id",
                "title", "description", "resolution", "first_response_due_at", "resolution_due_at",
                "first_responded_at", "solved_at", "closed_at", "sla_paused_since",
                "sla_paused_seconds", "first_response_breached", "resolution_breached",
                "parent_ticket_id", "created_at", "updated_at"),
    "ticket_events": ("id", "ticket_id", "agent_id", "kind", "details", "created_at"),
    "contacts": ("id", "channel", "status", "customer_id", "contact_person_id", "machine_id", "caller",
                 "problem", "language", "queue_id", "priority", "agent_id", "ticket_id", "created_at",
                 "queued_at", "offered_at", "answered_at", "abandoned_at", "ended_at"),
    "sessions": ("id", "contact_id", "agent_id", "machine_id", "consent", "started_at", "ended_at",
                 "end_reason"),
    "ticket_sessions": ("ticket_id", "session_id", "linked_at"),
    "satisfaction_ratings": ("id", "customer_id", "ticket_id", "session_id", "agent_id", "score",
                             "comment", "created_at"),
}

#: Insert order within a chunk (parents before children).
CHUNK_TABLES = ("customers", "contact_persons", "installations", "installation_modules", "machines",
                "tickets", "ticket_events", "contacts", "sessions", "ticket_sessions",
                "satisfaction_ratings")

#: Wall-clock SLA approximations used to make plausible history (ROUTE computes real ones).
FIRST_RESPONSE_S = {"basic": 8 * HOUR, "vip": HOUR, "svip": 15 * 60}
RESOLUTION_S = {"basic": 27 * HOUR, "vip": 8 * HOUR, "svip": 4 * HOUR}
TZ_OFFSET_H = {"Asia/Shanghai": 8, "Asia/Hong_Kong": 8, "Europe/London": 0, "America/New_York": -5,
               "America/Chicago": -6, "America/Los_Angeles": -8, "Asia/Singapore": 8,
               "Australia/Sydney": 10}

CLASSIFICATIONS = (("bug", 25), ("how_to", 30), ("configuration", 18), ("environment", 14),
                   ("feature_request", 8), ("other", 5))
PRIORITIES = (("low", 15), ("normal", 60), ("high", 20), ("urgent", 5))
LEVELS = (("L1", 70), ("L2", 22), ("L3", 8))
CHANNELS = (("assist", 55), ("phone", 30), ("web", 10), ("embedded", 5))
SCORES = ((5, 55), (4, 25), (3, 10), (2, 6), (1, 4))
OPEN_STATUSES = ("new", "assigned", "in_progress", "waiting_customer")


def weighted(pairs: tuple[tuple[object, int], ...]) -> tuple[object, ...]:
    """A 100-slot lookup table: ``table[int(random() * len)]`` picks by weight quickly."""
    out: list[object] = []
    for value, weight in pairs:
        out.extend([value] * weight)
    return tuple(out)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_EVENT_DETAILS = {
    status: _json({"from": prev, "to": status})
    for prev, status in (("in_progress", "solved"), ("solved", "closed"), ("new", "assigned"))
}
_CREATED_DETAILS = {ch: _json({"channel": ch}) for ch, _ in CHANNELS}


@dataclass(frozen=True, slots=True)
class Options:
    customers: int
    seed: int
    tickets_per_customer: float = 5.0
    agents: int = 40
    years: float = 3.0
    #: "Now" for the generated history, epoch seconds (fixed so the data is reproducible).
    now: int = 0
    #: Tickets younger than this come with their contact (ring) and session.
    contact_history_days: int = 365


@dataclass(slots=True)
class ProductRef:
    id: int
    code: str
    name: str
    modules: list[tuple[int, str, str]]  # (id, code, name)
    versions: list[tuple[int, str]]  # (id, version) oldest first


@dataclass(slots=True)
class Reference:
    """Ids of the reference rows (catalogue, agents, queues) the bulk rows point at."""

    products: list[ProductRef]
    product_pick: tuple[int, ...]  # weighted indexes into products
    agents_by_level: dict[str, list[int]]
    all_agents: list[int]
    queue_by_product: dict[int, int]
    general_queue: dict[str, int]


@dataclass(slots=True)
class Counters:
    """Next id per table (bulk tables only)."""

    next_id: dict[str, int] = field(default_factory=dict)

    def take(self, table: str, n: int = 1) -> int:
        first = self.next_id[table]
        self.next_id[table] = first + n
        return first


Rows = dict[str, list[tuple[object, ...]]]


# --- reference data ---------------------------------------------------------------------------
def catalogue_rows(first_ids: dict[str, int], now: int) -> Rows:
    """Products, modules and versions (fixed catalogue, ids from ``first_ids``)."""
    products, modules, versions = [], [], []
    pid, mid, vid = first_ids["products"], first_ids["modules"], first_ids["product_versions"]
    for spec in vocab.PRODUCTS:
        products.append((pid, spec.code, spec.name, spec.description))
        for code, name in spec.modules:
            modules.append((mid, pid, code, name))
            mid += 1
        n = len(spec.versions)
        for i, version in enumerate(spec.versions):
            released = now - int((n - i) * 200 * DAY)
            eos = released + 5 * 365 * DAY if i < n - 2 else None
            versions.append((vid, pid, version, released, eos))
            vid += 1
        pid += 1
    return {"products": products, "modules": modules, "product_versions": versions}


@dataclass(frozen=True, slots=True)
class AgentSeed:
    login: str
    display_name: str
    password: str
    level: str
    role: str
    languages: tuple[str, ...]


#: Well-known sign-ins of the sample data (demo only; never use on a real hub).
FIXED_AGENTS = (
    AgentSeed("demo", "Demo Agent 演示坐席", "demo", "L1", "agent", ("zh", "en")),
    AgentSeed("admin", "Administrator", "admin", "L3", "admin", ("zh", "en")),
    AgentSeed("qa", "QA Reviewer 质检", "qa", "L2", "qa", ("zh", "en")),
)
AGENT_PASSWORD = "agent"


def agent_seeds(count: int, rng: random.Random) -> list[AgentSeed]:
    """The fixed sign-ins plus ``count - 3`` generated agents (password ``agent``)."""
    seeds = list(FIXED_AGENTS[: max(count, 0)])
    levels = weighted((("L1", 60), ("L2", 30), ("L3", 10)))
    n = 1
    while len(seeds) < count:
        if rng.random() < 0.6:
            i = int(rng.random() * len(vocab.CN_SURNAMES))
            given, given_py = vocab.CN_GIVEN[int(rng.random() * len(vocab.CN_GIVEN))]
            name = vocab.CN_SURNAMES[i] + given
            login = f"{vocab.CN_SURNAMES_PINYIN[i]}.{given_py}{n}"
            langs: tuple[str, ...] = ("zh", "en") if rng.random() < 0.4 else ("zh",)
        else:
            first = vocab.EN_FIRST[int(rng.random() * len(vocab.EN_FIRST))]
            last = vocab.EN_LAST[int(rng.random() * len(vocab.EN_LAST))]
            name = f"{first} {last}"
            login = f"{first[0].lower()}{last.lower()}{n}"
            langs = ("en", "zh") if rng.random() < 0.2 else ("en",)
        role = "lead" if n % 15 == 0 else "agent"
        seeds.append(AgentSeed(login, name, AGENT_PASSWORD, str(levels[int(rng.random() * 100)]),
                               role, langs))
        n += 1
    return seeds


def agent_rows(seeds: list[tuple[int, AgentSeed]], hashes: dict[str, str], products: list[ProductRef],
               first_skill_id: int, now: int, rng: random.Random) -> Rows:
    """Agent rows (with the shared hash per distinct password) and their skills."""
    agents, skills = [], []
    sid = first_skill_id
    for agent_id, seed in seeds:
        agents.append((agent_id, seed.login, seed.display_name, f"{seed.login}@vendor.example",
                       hashes[seed.password], seed.level, seed.role, _json(list(seed.languages)),
                       2 if seed.level == "L1" else 1, "offline", None, True,
                       now - int(rng.random() * 3 * 365 * DAY)))
        if seed.role in ("admin", "qa"):
            continue
        picks = {0} if seed.login == "demo" else set()
        while len(picks) < 1 + int(rng.random() * 3):
            picks.add(int(rng.random() * len(products)))
        for pi in sorted(picks):
            product = products[pi]
            skills.append((sid, agent_id, product.id, None, 2 + int(rng.random() * 4)))
            sid += 1
            if seed.level != "L1" and product.modules:
                module = product.modules[int(rng.random() * len(product.modules))]
                skills.append((sid, agent_id, product.id, module[0], 4 + int(rng.random() * 2)))
                sid += 1
    return {"agents": agents, "agent_skills": skills}


def queue_specs(products: list[ProductRef]) -> list[tuple[str, str, str, int | None, str | None]]:
    """(name, description, strategy, product_id, language) for the sample queues."""
    specs: list[tuple[str, str, str, int | None, str | None]] = [
        ("general-zh", "中文综合支持", "longest_idle", None, "zh"),
        ("general-en", "General support (English)", "longest_idle", None, "en"),
        ("vip", "VIP and SVIP customers", "round_robin", None, None),
    ]
    for p in products:
        specs.append((p.code.lower(), f"{p.name} specialists", "skills", p.id, None))
    return specs


SCORECARD_CRITERIA = [
    {"key": "greeting", "label": "Greeting and identification", "weight": 1, "max": 5},
    {"key": "consent", "label": "Asked consent before control", "weight": 2, "max": 5},
    {"key": "diagnosis", "label": "Diagnosis", "weight": 3, "max": 5},
    {"key": "resolution", "label": "Resolution and confirmation", "weight": 3, "max": 5},
    {"key": "wrap_up", "label": "Ticket wrap-up quality", "weight": 1, "max": 5},
]


# --- bulk data ------------------------------------------------------------------------------------
class CustomerGenerator:
    """Produces customers and everything hanging off them, one chunk at a time."""

    def __init__(self, options: Options, ref: Reference, counters: Counters) -> None:
        self.o = options
        self.ref = ref
        self.c = counters
        self._classes = weighted(CLASSIFICATIONS)
        self._priorities = weighted(PRIORITIES)
        self._levels = weighted(LEVELS)
        self._channels = weighted(CHANNELS)
        self._scores = weighted(SCORES)
        self._seed_offset = (options.seed * 7_919) % 100_000_000

    def chunks(self) -> Iterator[tuple[int, Rows]]:
        """(customers in the chunk, rows per table) until ``customers`` are made."""
        done = 0
        chunk_no = 0
        while done < self.o.customers:
            n = min(CHUNK_CUSTOMERS, self.o.customers - done)
            rng = random.Random(self.o.seed * 1_000_003 + chunk_no)
            yield n, self._chunk(n, rng)
            done += n
            chunk_no += 1

    # One long method on purpose: the locals are the fast path at millions of rows.
    def _chunk(self, count: int, rng: random.Random) -> Rows:  # noqa: C901
        rnd = rng.random
        o, ref, c = self.o, self.ref, self.c
        rows: Rows = {t: [] for t in CHUNK_TABLES}
        customers, persons = rows["customers"], rows["contact_persons"]
        installs, inst_mods, machines = rows["installations"], rows["installation_modules"], rows["machines"]
        tickets, events, contacts = rows["tickets"], rows["ticket_events"], rows["contacts"]
        sessions, links, ratings = rows["sessions"], rows["ticket_sessions"], rows["satisfaction_ratings"]
        now = o.now
        span = int(o.years * 365 * DAY)
        recent = now - o.contact_history_days * DAY
        tpc2 = 2 * o.tickets_per_customer + 1
        products = ref.products
        all_agents = ref.all_agents
        n_agents = len(all_agents)
        for _ in range(count):
            cid = c.take("customers")
            code = f"C{cid:07d}"
            tier = "svip" if (r := rnd()) < 0.04 else ("vip" if r < 0.18 else "basic")
            zh = rnd() < 0.6
            hospital = False
            if zh:
                city, area, tz, region = vocab.CN_CITIES[int(rnd() * len(vocab.CN_CITIES))]
                b = int(rnd() * len(vocab.CN_BRANDS))
                if rnd() < 0.12:
                    hospital = True
                    name = f"{city}市{vocab.CN_HOSPITAL_NAMES[int(rnd() * len(vocab.CN_HOSPITAL_NAMES))]}"
                    slug = f"{vocab.CN_BRANDS_PINYIN[b]}-hospital"
                else:
                    name = (city + vocab.CN_BRANDS[b]
                            + vocab.CN_INDUSTRIES[int(rnd() * len(vocab.CN_INDUSTRIES))]
                            + vocab.CN_SUFFIXES[int(rnd() * len(vocab.CN_SUFFIXES))])
                    slug = vocab.CN_BRANDS_PINYIN[b]
                domain = f"{slug}{cid}{vocab.CN_DOMAINS_TLD[int(rnd() * 3)]}"
                lang = "zh"
                notes_src = vocab.CUSTOMER_NOTES_ZH
            else:
                city, area, tz, region, _country = vocab.EN_PLACES[int(rnd() * len(vocab.EN_PLACES))]
                brand = vocab.EN_BRANDS[int(rnd() * len(vocab.EN_BRANDS))]
                industry = vocab.EN_INDUSTRIES[int(rnd() * len(vocab.EN_INDUSTRIES))]
                hospital = industry in ("Health", "Clinics") and rnd() < 0.5
                name = f"{brand} {industry} {vocab.EN_SUFFIXES[int(rnd() * len(vocab.EN_SUFFIXES))]}"
                domain = f"{brand.lower()}-{industry.lower()}{cid}.com"
                lang = "en"
                notes_src = vocab.CUSTOMER_NOTES_EN
            notes = notes_src[int(rnd() * len(notes_src))] if rnd() < 0.3 else ""
            created = now - span - int(rnd() * 2 * 365 * DAY)
            customers.append((cid, code, name, tier, region, tz, lang, notes, created))

            # contact persons: unique phone numbers from a bijection of the person id
            person_ids = []
            n_persons = 1 + (rnd() < 0.6) + (rnd() < 0.2)
            used_locals: set[str] = set()
            for j in range(n_persons):
                pid = c.take("contact_persons")
                person_ids.append(pid)
                unique8 = (pid * 48_271 + self._seed_offset) % 100_000_000
                if zh:
                    si = int(rnd() * len(vocab.CN_SURNAMES))
                    given, given_py = vocab.CN_GIVEN[int(rnd() * len(vocab.CN_GIVEN))]
                    pname = vocab.CN_SURNAMES[si] + given
                    local = f"{given_py}.{vocab.CN_SURNAMES_PINYIN[si]}"
                    title = vocab.CN_TITLES[int(rnd() * len(vocab.CN_TITLES))]
                    prefix = vocab.CN_MOBILE_PREFIXES[int(rnd() * len(vocab.CN_MOBILE_PREFIXES))]
                    d8 = f"{unique8:08d}"
                    mobile = f"{prefix} {d8[:4]} {d8[4:]}"
                    mobile_e164 = f"+86{prefix}{d8}"
                    if rnd() < 0.6:
                        land = f"{2 + unique8 % 7}{(unique8 * 7 + 3) % 10_000_000:07d}"
                        phone = f"{area}-{land[:4]} {land[4:]}"
                        phone_e164 = f"+86{area[1:]}{land}"
                    else:
                        phone = phone_e164 = None
                else:
                    first = vocab.EN_FIRST[int(rnd() * len(vocab.EN_FIRST))]
                    last = vocab.EN_LAST[int(rnd() * len(vocab.EN_LAST))]
                    pname = f"{first} {last}"
                    local = f"{first.lower()}.{last.lower()}"
                    title = vocab.EN_TITLES[int(rnd() * len(vocab.EN_TITLES))]
                    u7 = unique8 % 10_000_000
                    if area.startswith("+1 "):
                        exchange, line = divmod(u7, 10_000)
                        nanp = area if exchange < 800 else vocab.NANP_OVERLAY[area]
                        phone = f"{nanp} {200 + exchange % 800} {line:04d}"
                    else:
                        phone = f"{area} {2 + int(rnd() * 8)}{u7 // 10_000:03d} {u7 % 10_000:04d}"
                    phone_e164 = phone.replace(" ", "")
                    mobile = mobile_e164 = None
                    if area.startswith("+44") and rnd() < 0.5:
                        d9 = f"7{u7 + 10_000_000:08d}"
                        mobile = f"+44 {d9[:4]} {d9[4:]}"
                        mobile_e164 = f"+44{d9}"
                if local in used_locals:
                    local = f"{local}{j}"
                used_locals.add(local)
                email = f"{local}@{domain}"
                if rnd() < 0.15:  # people type their address in any case
                    email = email.capitalize()
                persons.append((pid, cid, pname, title, phone, phone_e164, mobile, mobile_e164,
                                email, email.lower(), lang, j == 0, ""))
                if j == 0:
                    person_phone, person_email = mobile_e164 or phone_e164 or "", email

            # installations: hospitals run the HIS; others draw by product weight
            picks: list[int] = []
            if hospital:
                picks.append(next(i for i, p in enumerate(products) if p.code == "HIS"))
            want = 1 + (rnd() < 0.4) + (rnd() < 0.1)
            while len(picks) < want:
                pi = ref.product_pick[int(rnd() * len(ref.product_pick))]
                if pi not in picks:
                    picks.append(pi)
            installed: list[tuple[ProductRef, int, str, list[tuple[int, str, str]]]] = []
            for pi in picks:
                product = products[pi]
                iid = c.take("installations")
                nv = len(product.versions)
                vi = nv - 1 - int(rnd() * rnd() * nv)
                version_id, version = product.versions[vi]
                mods = [m for k, m in enumerate(product.modules) if k == 0 or rnd() < 0.45]
                installs.append((iid, cid, product.id, version_id, 5 + int(rnd() * 200),
                                 "" if rnd() < 0.8 else "DR site", created + int(rnd() * 90 * DAY)))
                for m in mods:
                    inst_mods.append((iid, m[0]))
                installed.append((product, version_id, version, mods))

            # machines seen by Tandem Assist, with the latest and (often) a previous report
            machine_pks: list[int] = []
            n_machines = (rnd() < 0.7) + (rnd() < 0.25)
            for m_no in range(n_machines):
                mpk = c.take("machines")
                machine_pks.append(mpk)
                product, _vid, version, _mods = installed[0]
                host = f"{'PC' if zh else 'WS'}-{cid:07d}-{m_no + 1:02d}"
                env = _environment(rnd, code, product, version, host, tz, zh)
                reported = now - int(rnd() * rnd() * span)
                prev_env = prev_at = None
                if rnd() < 0.5:
                    prev_env, prev_at = _previous(rnd, env, product), reported - int((1 + rnd() * 120) * DAY)
                machines.append((mpk, _machine_id(rng, mpk), cid, person_ids[0], host,
                                 _json(env), reported, None if prev_env is None else _json(prev_env),
                                 prev_at, created + int(rnd() * 30 * DAY), reported))

            # tickets, oldest first, with events, contacts/sessions (recent ones) and ratings
            n_tickets = int(rnd() * tpc2)
            if not n_tickets:
                continue
            times = sorted(now - int(rnd() * span) for _t in range(n_tickets))
            offset = TZ_OFFSET_H.get(tz, 0) * HOUR
            fr_s, res_s = FIRST_RESPONSE_S[tier], RESOLUTION_S[tier]
            prev_tid = None
            for t in times:
                # move into the customer's 09:00-18:00
                day0 = t - (t + offset) % DAY
                created_t = day0 + 9 * HOUR + int(rnd() * 9 * HOUR)
                if created_t > now:
                    created_t -= DAY
                tid = c.take("tickets")
                product, version_id, version, mods = installed[int(rnd() * len(installed))]
                module_id, module_code, module_name = mods[int(rnd() * len(mods))]
                cls = self._classes[int(rnd() * 100)]
                priority = self._priorities[int(rnd() * 100)]
                level = self._levels[int(rnd() * 100)]
                pool = ref.agents_by_level.get(level) or all_agents
                assignee = pool[int(rnd() * len(pool))]
                zh_title, en_title = vocab.TICKET_TITLES[cls][int(rnd() * len(vocab.TICKET_TITLES[cls]))]
                if zh:
                    title = zh_title.format(m=f"{module_code}模块")
                    description = f"客户反馈：{title}。产品 {product.name} {version}。"
                else:
                    title = en_title.format(m=module_name)
                    description = f"Customer reports: {title}. {product.name} {version}."
                age = now - created_t
                fr_at = created_t + int(fr_s * 1.25 * rnd() * rnd()) + 60
                fr_breached = fr_at - created_t > fr_s
                fr_due = created_t + fr_s
                res_due = created_t + res_s
                solve_after = int(res_s * 1.3 * rnd() * rnd()) + 600
                if age > 30 * DAY or (age > 7 * DAY and rnd() < 0.9) or (age > DAY and rnd() < 0.5):
                    solved = created_t + solve_after
                    if solved > now:
                        solved = now - 60
                    closed = solved + 2 * DAY if solved + 2 * DAY < now else None
                    status = "closed" if closed else "solved"
                    resolution = vocab.RESOLUTIONS[cls][0 if zh else 1]
                    res_breached = solved - created_t > res_s
                else:
                    solved = closed = None
                    status = OPEN_STATUSES[int(rnd() * 4)] if age > 600 else "new"
                    resolution = ""
                    res_breached = now > res_due
                if status == "new":
                    fr_at = None
                    fr_breached = now > fr_due
                elif fr_at > now:
                    fr_at = now
                updated = closed or solved or fr_at or created_t
                parent = prev_tid if prev_tid is not None and rnd() < 0.02 else None
                tickets.append((tid, ticket_number(tid), cid, person_ids[int(rnd() * len(person_ids))],
                                status, priority, cls, product.id, module_id, version_id, level,
                                None if status == "new" else assignee, title, description, resolution,
                                fr_due, res_due, fr_at, solved, closed, None, 0, fr_breached,
                                res_breached, parent, created_t, updated))
                prev_tid = tid

                channel = self._channels[int(rnd() * 100)]
                events.append((c.take("ticket_events"), tid, None, "created",
                               _CREATED_DETAILS[channel], created_t))
                if status != "new":
                    events.append((c.take("ticket_events"), tid, assignee, "assigned",
                                   _EVENT_DETAILS["assigned"], fr_at or created_t))
                if solved is not None:
                    events.append((c.take("ticket_events"), tid, assignee, "status_changed",
                                   _EVENT_DETAILS["solved"], solved))
                if closed is not None:
                    events.append((c.take("ticket_events"), tid, None, "status_changed",
                                   _EVENT_DETAILS["closed"], closed))

                session_id = None
                if created_t >= recent:
                    person = person_ids[0]
                    assist = channel in ("assist", "embedded")
                    machine = machine_pks[0] if machine_pks and assist else None
                    caller = code if assist else (person_phone if channel == "phone" else person_email)
                    queue = ref.general_queue["vip"] if tier != "basic" else ref.queue_by_product.get(
                        product.id, ref.general_queue[lang])
                    prio = 2 if tier == "svip" else (1 if tier == "vip" else 0)
                    if rnd() < 0.05:  # an earlier ring the customer gave up on
                        rang = created_t - 300 - int(rnd() * 3000)
                        contacts.append((c.take("contacts"), channel, "abandoned", cid, person, machine,
                                         caller, title, lang, queue, prio, None, None, rang, rang,
                                         None, None, rang + 15 + int(rnd() * 240), None))
                    contact_id = c.take("contacts")
                    wait = 5 + int(rnd() * rnd() * 240)
                    answered = created_t + wait
                    ended = answered + 120 + int(rnd() * 1500)
                    contacts.append((contact_id, channel, "ended", cid, person, machine, caller,
                                     title, lang, queue, prio, assignee, tid, created_t, created_t,
                                     answered - 3, answered, None, ended))
                    if assist:
                        session_id = c.take("sessions")
                        consent = "control" if rnd() < 0.8 else "view"
                        sessions.append((session_id, contact_id, assignee, machine, consent, answered,
                                         ended, "agent_ended" if rnd() < 0.85 else "customer_ended"))
                        links.append((tid, session_id, ended))
                if solved is not None and rnd() < 0.35:
                    score = self._scores[int(rnd() * 100)]
                    comments = vocab.RATING_COMMENTS_ZH if zh else vocab.RATING_COMMENTS_EN
                    comment = comments[int(rnd() * len(comments))] if rnd() < 0.4 else ""
                    ratings.append((c.take("satisfaction_ratings"), cid, tid, session_id,
                                    assignee if n_agents else None, score, comment,
                                    min(solved + int(rnd() * DAY), now)))
        return rows


def _machine_id(rng: random.Random, pk: int) -> str:
    """32 hex digits like Tandem Assist's id, unique by construction: the last 48 bits are an
    odd-multiplier bijection of the row id (re-running a seed never clashes)."""
    return f"{rng.getrandbits(80):020x}{(pk * 0x9E3779B1) % (1 << 48):012x}"


def _environment(rnd: Callable[[], float], code: str, product: ProductRef, version: str,
                 hostname: str, tz: str, zh: bool) -> dict[str, Any]:
    """A report shaped like remote.assist.environment.environment_report()."""
    system, release, os_version, distribution = vocab.OS_RELEASES[int(rnd() * len(vocab.OS_RELEASES))]
    screens = vocab.SCREENS[int(rnd() * len(vocab.SCREENS))]
    offset = TZ_OFFSET_H.get(tz, 0) * 60
    return {
        "os": {"system": system, "release": release, "version": os_version,
               "machine": "arm64" if system == "Darwin" else "AMD64", "distribution": distribution},
        "cpu": {"model": vocab.CPUS[int(rnd() * len(vocab.CPUS))],
                "cores": (2, 4, 4, 8, 8, 12, 16)[int(rnd() * 7)]},
        "memory_bytes": vocab.MEMORY_GIB[int(rnd() * len(vocab.MEMORY_GIB))] << 30,
        "screens": [{"index": i + 1, "x": sum(w for w, _h in screens[:i]), "y": 0, "width": w,
                     "height": h, "primary": i == 0, "name": f"DISPLAY{i + 1}"}
                    for i, (w, h) in enumerate(screens)],
        "hostname": hostname,
        "locale": {"language": "zh_CN" if zh else "en_US", "encoding": "UTF-8"},
        "time_zone": {"name": tz, "utc_offset_min": offset,
                      "abbreviation": vocab.TZ_ABBREVIATIONS.get(tz, "")},
        "vendor": {"name": vocab.VENDOR_NAME, "product": product.name, "version": version,
                   "customer_code": code},
        "assist_version": vocab.ASSIST_VERSION,
    }


def _previous(rnd: Callable[[], float], env: dict[str, Any], product: ProductRef) -> dict[str, Any]:
    """An older report of the same machine: something plausible was different then."""
    prev = copy.deepcopy(env)
    change = int(rnd() * 4)
    versions = [v for _i, v in product.versions]
    current = versions.index(env["vendor"]["version"])
    if change == 1 and current > 0:
        prev["vendor"]["version"] = versions[current - 1]
    elif change == 2 and len(env["screens"]) > 1:
        prev["screens"] = env["screens"][:1]
    elif change == 3:
        prev["os"]["version"] = env["os"]["version"] + ".older"
        prev["os"]["distribution"] = env["os"]["distribution"] + " (before update)"
    else:
        prev["memory_bytes"] = max(2 << 30, env["memory_bytes"] // 2)
    return prev

