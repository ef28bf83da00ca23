"""Recordings in the database: attach to session and ticket, who may watch, integrity on
open, retention, QA scorecards and reviews.

The hub calls ``started``/``finished`` around each session's ``Recorder``, ``recovered``
with the reports of ``remote.recording.verify.recover_recordings`` at start, and
``cleanup`` from its retention command. Whoever asks is named by agent id; the role comes
from the database, never from the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.agents.models import Agent, AgentRole
from app.customers.models import Customer, CustomerTier
from app.db.base import utcnow
from app.recordings.models import QAReview, QAScorecard, Recording, RecordingStatus
from app.tickets.models import Ticket

#: Roles that see every recording; an agent sees the ones they took.
REVIEWER_ROLES = frozenset({AgentRole.QA, AgentRole.LEAD, AgentRole.ADMIN})

DEFAULT_RETENTION_DAYS: Mapping[str, int] = {
    CustomerTier.BASIC.value: 90, CustomerTier.VIP.value: 180, CustomerTier.SVIP.value: 365,
}

DEFAULT_SCORECARD = "Standard"
DEFAULT_CRITERIA: tuple[dict[str, Any], ...] = (
    {"key": "greeting", "label": "Greeting", "weight": 1, "max": 5},
    {"key": "identity_check", "label": "Identity check", "weight": 1, "max": 5},
    {"key": "consent_asked", "label": "Consent asked", "weight": 2, "max": 5},
    {"key": "resolution", "label": "Resolution", "weight": 3, "max": 5},
    {"key": "courtesy", "label": "Courtesy", "weight": 1, "max": 5},
)


class RecordingAccessDenied(PermissionError):
    """The person asking may not see (or score) this recording."""


class RecordingNotFound(LookupError):
    pass


class RecordingMismatch(RuntimeError):
    """The file on disk is not the one the database recorded (truncated, swapped, missing)."""


class ReviewInvalid(ValueError):
    pass


class WriterSummaryLike(Protocol):
    size_bytes: int
    record_count: int
    chain_head: str
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Criterion:
    key: str
    label: str
    weight: float = 1.0
    max: int = 5

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Criterion:
        key = str(d.get("key", "")).strip()
        if not key or not key.replace("_", "").isalnum():
            raise ReviewInvalid(f"criterion key {key!r} must be a short identifier")
        maximum = int(d.get("max", 5))
        if not 1 <= maximum <= 100:
            raise ReviewInvalid(f"criterion {key}: max must be 1..100")
        return cls(key, str(d.get("label") or key), float(d.get("weight", 1)), maximum)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "weight": self.weight, "max": self.max}


@dataclass(frozen=True, slots=True)
class Scorecard:
    id: int
    name: str
    criteria: tuple[Criterion, ...]

    def weighted_percent(self, scores: Mapping[str, int]) -> float | None:
        """Weighted score in percent over the criteria that were scored."""
        total = got = 0.0
        for c in self.criteria:
            if c.key in scores:
                total += c.weight * c.max
                got += c.weight * scores[c.key]
        return round(100 * got / total, 1) if total else None


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    """What lists and the player show about one recording (plain data, no ORM)."""

    id: int
    session_id: int | None
    ticket_id: int | None
    ticket_number: str | None
    ticket_title: str | None
    classification: str | None
    agent_id: int | None
    agent_name: str | None
    customer_id: int | None
    customer_code: str | None
    customer_name: str | None
    status: str
    started_at: datetime
    ended_at: datetime | None
    duration_ms: int
    size_bytes: int
    path: str
    reviews: int
    last_score: float | None

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]
        for key in ("started_at", "ended_at"):
            d[key] = d[key].isoformat() if d[key] else None
        return d


@dataclass(frozen=True, slots=True)
class ReviewInfo:
    id: int
    recording_id: int
    reviewer_id: int | None
    reviewer_name: str | None
    scores: dict[str, int]
    comment: str
    percent: float | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReviewFilter:
    """Filters for the QA review list; ``None`` means any."""

    agent_id: int | None = None
    customer_id: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    classification: str | None = None
    unscored: bool = False
    limit: int = 200


@dataclass(frozen=True, slots=True)
class CleanupReport:
    deleted: tuple[int, ...] = ()
    freed_bytes: int = 0
    missing_files: int = 0


def parse_retention(text: str) -> dict[str, int]:
    """``"basic=90,vip=180,svip=365"`` -> days per tier (for a hub setting)."""
    days = dict(DEFAULT_RETENTION_DAYS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        tier, _, value = part.partition("=")
        tier = tier.strip().lower()
        if tier not in DEFAULT_RETENTION_DAYS or not value.strip().isdigit():
            raise ValueError(f"retention: expected tier=days with tier in "
                             f"{', '.join(DEFAULT_RETENTION_DAYS)}, got {part!r}")
        days[tier] = int(value)
    return days


class RecordingService:
    """Queries and rules for recordings; one instance per hub."""

    def __init__(self, session_factory: sessionmaker[Session], *,
                 retention_days: Mapping[str, int] | None = None) -> None:
        self._sessions = session_factory
        self.retention_days = dict(retention_days or DEFAULT_RETENTION_DAYS)

    # ---- lifecycle (called by the hub) -----------------------------------------------------

    def started(self, path: Path | str, *, session_id: int | None, agent_id: int | None,
                customer_id: int | None, ticket_id: int | None = None,
                started_at: datetime | None = None) -> int:
        """A recording file was opened for a session; returns the recording id."""
        with self._sessions.begin() as db:
            rec = Recording(path=str(path), session_id=session_id, agent_id=agent_id,
                            customer_id=customer_id, ticket_id=ticket_id,
                            status=RecordingStatus.RECORDING, started_at=started_at or utcnow())
            db.add(rec)
            db.flush()
            return rec.id

    def finished(self, recording_id: int, summary: WriterSummaryLike, *,
                 status: RecordingStatus = RecordingStatus.COMPLETE,
                 ended_at: datetime | None = None) -> None:
        """The writer closed: store what catches a later truncation or swap."""
        with self._sessions.begin() as db:
            rec = _get(db, recording_id)
            rec.status = status
            rec.ended_at = ended_at or utcnow()
            rec.duration_ms = summary.duration_ms
            rec.size_bytes = summary.size_bytes
            rec.chain_head = summary.chain_head
            rec.record_count = summary.record_count

    def recovered(self, reports: Iterable[Any]) -> list[int]:
        """After ``recover_recordings``: mark repaired files' rows and store their new head."""
        changed: list[int] = []
        repaired = {Path(r.path).resolve(): r for r in reports
                    if getattr(r, "action", None) == "repaired"}
        if not repaired:
            return changed
        with self._sessions.begin() as db:
            for rec in db.scalars(select(Recording).where(
                    Recording.status == RecordingStatus.RECORDING)):
                report = repaired.get(Path(rec.path).resolve())
                if report is None:
                    continue
                rec.status = RecordingStatus.REPAIRED
                rec.ended_at = rec.ended_at or rec.started_at + timedelta(
                    milliseconds=report.duration_ms)
                rec.duration_ms = report.duration_ms
                rec.size_bytes = report.size_bytes
                rec.chain_head = report.chain_head
                rec.record_count = report.record_count
                changed.append(rec.id)
        return changed

    def link_ticket(self, session_id: int, ticket_id: int) -> int:
        """Attach every recording of a session to its ticket (at wrap-up)."""
        with self._sessions.begin() as db:
            recs = db.scalars(select(Recording).where(Recording.session_id == session_id)).all()
            for rec in recs:
                rec.ticket_id = ticket_id
            return len(recs)

    # ---- access --------------------------------------------------------------------------

    def can_view(self, viewer_id: int, recording_id: int) -> bool:
        with self._sessions() as db:
            return _may_view(_viewer(db, viewer_id), _get(db, recording_id))

    def get(self, viewer_id: int, recording_id: int) -> RecordingInfo:
        with self._sessions() as db:
            viewer = _viewer(db, viewer_id)
            rec = _get(db, recording_id)
            if not _may_view(viewer, rec):
                raise RecordingAccessDenied("you may not see this recording")
            rows = db.execute(_info_query().where(Recording.id == recording_id)).all()
            return _to_infos(db, rows)[0]

    def open_checked(self, viewer_id: int, recording_id: int) -> Path:
        """The file to play, after the access rule and the database/file integrity check."""
        self.get(viewer_id, recording_id)
        self.check_file(recording_id)
        with self._sessions() as db:
            return Path(_get(db, recording_id).path)

    def check_file(self, recording_id: int) -> None:
        """Raise ``RecordingMismatch`` unless the file's chain head and count match the row."""
        from remote.recording.format import FormatError
        from remote.recording.reader import RecordingReader

        with self._sessions() as db:
            rec = _get(db, recording_id)
            path, head, count, status = Path(rec.path), rec.chain_head, rec.record_count, \
                rec.status
        if status is RecordingStatus.RECORDING:
            return  # still being written: nothing final to compare yet
        if not path.is_file():
            raise RecordingMismatch(f"recording file {path} is missing")
        try:
            with RecordingReader(path) as reader:
                file_head, file_count = reader.chain_head.hex(), reader.record_count
                complete = reader.complete
        except (FormatError, OSError) as exc:
            raise RecordingMismatch(f"recording file {path} is unreadable: {exc}") from exc
        if not complete:
            raise RecordingMismatch(f"recording file {path} has lost its end (truncated)")
        if (file_head, file_count) != (head, count):
            raise RecordingMismatch(
                f"recording file {path} is not the recorded one: chain head/record count "
                f"{file_head[:12]}…/{file_count} in the file, {head[:12]}…/{count} recorded")

    # ---- retention -----------------------------------------------------------------------

    def cleanup(self, now: datetime | None = None, *, dry_run: bool = False) -> CleanupReport:
        """Delete recordings (file and row) older than their customer's tier allows."""
        now = now or utcnow()
        deleted: list[int] = []
        freed = missing = 0
        with self._sessions.begin() as db:
            rows = db.execute(
                select(Recording, Customer.tier)
                .outerjoin(Customer, Customer.id == Recording.customer_id)
                .where(Recording.status != RecordingStatus.RECORDING)).all()
            for rec, tier in rows:
                tier_name = tier.value if tier is not None else CustomerTier.BASIC.value
                days = self.retention_days.get(tier_name, DEFAULT_RETENTION_DAYS["basic"])
                ended = rec.ended_at or rec.started_at
                if ended > now - timedelta(days=days):
                    continue
                deleted.append(rec.id)
                path = Path(rec.path)
                if path.is_file():
                    freed += path.stat().st_size
                    if not dry_run:
                        path.unlink()
                else:
                    missing += 1
                if not dry_run:
                    db.delete(rec)
        return CleanupReport(tuple(deleted), freed, missing)

    # ---- scorecards and reviews ----------------------------------------------------------

    def scorecard(self) -> Scorecard:
        """The active scorecard (the default criteria are created on first use)."""
        with self._sessions.begin() as db:
            card = db.scalars(select(QAScorecard).where(QAScorecard.active.is_(True))
                              .order_by(QAScorecard.id.desc())).first()
            if card is None:
                card = QAScorecard(name=DEFAULT_SCORECARD, criteria=list(DEFAULT_CRITERIA),
                                   active=True)
                db.add(card)
                db.flush()
            return _to_scorecard(card)

    def set_criteria(self, editor_id: int, criteria: Sequence[Mapping[str, Any]],
                     name: str | None = None) -> Scorecard:
        """Replace the active criteria (lead/admin). Old reviews keep their scorecard."""
        parsed = [Criterion.from_dict(c) for c in criteria]
        if not parsed or len({c.key for c in parsed}) != len(parsed):
            raise ReviewInvalid("criteria must be non-empty with unique keys")
        with self._sessions.begin() as db:
            if _viewer(db, editor_id).role not in (AgentRole.LEAD, AgentRole.ADMIN):
                raise RecordingAccessDenied("only a lead or admin edits the scorecard")
            for card in db.scalars(select(QAScorecard).where(QAScorecard.active.is_(True))):
                card.active = False
            db.flush()
            stamp = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
            card = QAScorecard(name=name or f"{DEFAULT_SCORECARD} {stamp}",
                               criteria=[c.to_dict() for c in parsed], active=True)
            db.add(card)
            db.flush()
            return _to_scorecard(card)

    def submit_review(self, reviewer_id: int, recording_id: int, scores: Mapping[str, int],
                      comment: str = "") -> ReviewInfo:
        """Store one reviewer's scores (QA/lead/admin; not on their own sessions)."""
        card = self.scorecard()
        limits = {c.key: c.max for c in card.criteria}
        clean: dict[str, int] = {}
        for key, value in scores.items():
            if key not in limits:
                raise ReviewInvalid(f"unknown criterion {key!r}")
            if type(value) is not int or not 0 <= value <= limits[key]:
                raise ReviewInvalid(f"{key}: score must be 0..{limits[key]}")
            clean[key] = value
        if not clean:
            raise ReviewInvalid("a review needs at least one score")
        if len(comment) > 10_000:
            raise ReviewInvalid("comment too long")
        with self._sessions.begin() as db:
            reviewer = _viewer(db, reviewer_id)
            rec = _get(db, recording_id)
            if reviewer.role not in REVIEWER_ROLES:
                raise RecordingAccessDenied("only QA, leads and admins score recordings")
            if rec.agent_id == reviewer.id:
                raise RecordingAccessDenied("nobody scores their own session")
            review = QAReview(recording_id=rec.id, scorecard_id=card.id, reviewer_id=reviewer.id,
                              scores=clean, comment=comment)
            db.add(review)
            db.flush()
            return ReviewInfo(review.id, rec.id, reviewer.id, reviewer.display_name, clean,
                              comment, card.weighted_percent(clean), review.created_at)

    def reviews(self, viewer_id: int, recording_id: int) -> list[ReviewInfo]:
        with self._sessions() as db:
            viewer = _viewer(db, viewer_id)
            if not _may_view(viewer, _get(db, recording_id)):
                raise RecordingAccessDenied("you may not see this recording")
            rows = db.execute(
                select(QAReview, Agent.display_name, QAScorecard.criteria)
                .outerjoin(Agent, Agent.id == QAReview.reviewer_id)
                .outerjoin(QAScorecard, QAScorecard.id == QAReview.scorecard_id)
                .where(QAReview.recording_id == recording_id).order_by(QAReview.id)).all()
            return [ReviewInfo(r.id, r.recording_id, r.reviewer_id, name, dict(r.scores),
                               r.comment, _percent(criteria, r.scores), r.created_at)
                    for r, name, criteria in rows]

    def review_list(self, viewer_id: int, filters: ReviewFilter | None = None
                    ) -> list[RecordingInfo]:
        """Recordings to review, newest first; an agent only sees their own."""
        f = filters or ReviewFilter()
        with self._sessions() as db:
            viewer = _viewer(db, viewer_id)
            query = _info_query()
            if viewer.role not in REVIEWER_ROLES:
                query = query.where(Recording.agent_id == viewer.id)
            conditions = [
                (f.agent_id is not None, lambda: Recording.agent_id == f.agent_id),
                (f.customer_id is not None, lambda: Recording.customer_id == f.customer_id),
                (f.date_from is not None, lambda: Recording.started_at >= f.date_from),
                (f.date_to is not None, lambda: Recording.started_at < f.date_to),
                (f.classification is not None,
                 lambda: Ticket.classification == f.classification),
            ]
            for active, condition in conditions:
                if active:
                    query = query.where(condition())
            if f.unscored:
                query = query.having(func.count(QAReview.id) == 0)
            rows = db.execute(query.order_by(Recording.started_at.desc(), Recording.id.desc())
                              .limit(f.limit)).all()
            return _to_infos(db, rows)


# ---- helpers ---------------------------------------------------------------------------------

def _get(db: Session, recording_id: int) -> Recording:
    rec = db.get(Recording, recording_id)
    if rec is None:
        raise RecordingNotFound(f"no recording {recording_id}")
    return rec


def _viewer(db: Session, agent_id: int) -> Agent:
    agent = db.get(Agent, agent_id)
    if agent is None or not agent.active:
        raise RecordingAccessDenied("unknown or inactive agent")
    return agent


def _may_view(viewer: Agent, rec: Recording) -> bool:
    return viewer.role in REVIEWER_ROLES or rec.agent_id == viewer.id


def _to_scorecard(card: QAScorecard) -> Scorecard:
    return Scorecard(card.id, card.name, tuple(Criterion.from_dict(c) for c in card.criteria))


def _percent(criteria: list[Any] | None, scores: Mapping[str, int]) -> float | None:
    if not criteria:
        return None
    return Scorecard(0, "", tuple(Criterion.from_dict(c) for c in criteria)) \
        .weighted_percent(scores)


def _info_query() -> Select[Any]:
    return (
        select(Recording, Ticket.number, Ticket.title, Ticket.classification, Agent.display_name,
               Customer.code, Customer.name, func.count(QAReview.id))
        .outerjoin(Ticket, Ticket.id == Recording.ticket_id)
        .outerjoin(Agent, Agent.id == Recording.agent_id)
        .outerjoin(Customer, Customer.id == Recording.customer_id)
        .outerjoin(QAReview, and_(QAReview.recording_id == Recording.id))
        .group_by(Recording.id, Ticket.number, Ticket.title, Ticket.classification,
                  Agent.display_name, Customer.code, Customer.name)
    )


def _to_infos(db: Session, rows: Sequence[Any]) -> list[RecordingInfo]:
    """Rows of ``_info_query`` -> RecordingInfo, with each one's latest review score."""
    ids = [row[0].id for row in rows]
    latest = (select(func.max(QAReview.id)).where(QAReview.recording_id.in_(ids))
              .group_by(QAReview.recording_id))
    scores = {
        review.recording_id: _percent(criteria, review.scores)
        for review, criteria in db.execute(
            select(QAReview, QAScorecard.criteria)
            .outerjoin(QAScorecard, QAScorecard.id == QAReview.scorecard_id)
            .where(QAReview.id.in_(latest))).all()
    } if ids else {}
    infos = []
    for rec, number, title, classification, agent_name, code, cname, reviews in rows:
        infos.append(RecordingInfo(
            rec.id, rec.session_id, rec.ticket_id, number, title,
            classification.value if classification is not None else None,
            rec.agent_id, agent_name, rec.customer_id, code, cname, rec.status.value,
            rec.started_at, rec.ended_at, rec.duration_ms, rec.size_bytes, rec.path,
            int(reviews), scores.get(rec.id)))
    return infos
