"""Recording metadata (the file is remote/recording's format) and QA reviews."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, utcnow, value_enum


class RecordingStatus(enum.StrEnum):
    RECORDING = "recording"
    COMPLETE = "complete"
    REPAIRED = "repaired"


class Recording(Base):
    """The file a session leaves, with the hash-chain head and record count.

    Storing ``chain_head`` and ``record_count`` here catches a truncated or swapped file,
    which the in-file hash chain alone cannot.
    """

    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_customer_started", "customer_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    path: Mapped[str] = mapped_column(String(1024))
    status: Mapped[RecordingStatus] = mapped_column(
        value_enum(RecordingStatus, 16), default=RecordingStatus.RECORDING
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    duration_ms: Mapped[int] = mapped_column(default=0)
    size_bytes: Mapped[int] = mapped_column(default=0)
    #: Hex digest of the last record's chain hash.
    chain_head: Mapped[str] = mapped_column(String(128), default="")
    record_count: Mapped[int] = mapped_column(default=0)


class QAScorecard(Base):
    """A named set of QA criteria: ``criteria`` is a list of {key, label, weight, max}."""

    __tablename__ = "qa_scorecards"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    criteria: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QAReview(Base):
    """A reviewer's scores for one recording against a scorecard."""

    __tablename__ = "qa_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"), index=True)
    scorecard_id: Mapped[int | None] = mapped_column(ForeignKey("qa_scorecards.id", ondelete="SET NULL"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    #: {criterion key: score}
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
