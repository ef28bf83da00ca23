"""Replaying a recording from the console: REC's player and scorecard, fed through the hub.

The embedded hub shares its file system, so ``RecordingOpened.path`` is opened directly; from
a team hub the file is fetched in chunks (``RecordingChunkRequest``) into a temporary file on
the worker first. Scores are saved with ``SaveReview``; agents see reviews read-only.
"""

from __future__ import annotations

import base64
import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.api import messages as m
from app.api.client import HubClient
from ui.look import styled
from ui.replay.player import ReplayPlayer
from ui.replay.review_list import QAReviewList
from ui.replay.scorecard import ScorecardPanel


async def fetch_recording(client: HubClient, opened: m.RecordingOpened) -> Path:
    """The recording as a local file: the hub's own path when shared, else downloaded."""
    if opened.path and Path(opened.path).is_file():
        return Path(opened.path)
    rid = opened.recording.recording_id
    target = Path(tempfile.mkdtemp(prefix="tandem-replay-")) / f"recording-{rid}.trec"
    offset = 0
    with target.open("wb") as out:
        while True:
            chunk = await client.call(m.RecordingChunkRequest(recording_id=rid, offset=offset),
                                      m.RecordingChunk)
            data = base64.b64decode(chunk.data_b64)
            out.write(data)
            offset += len(data)
            if chunk.eof or not data:
                return target


def recording_row(rec: m.RecordingSummary) -> dict[str, Any]:
    """A ``RecordingSummary`` in the shape ``QAReviewList.set_recordings`` reads."""
    row = dataclasses.asdict(rec)
    row.update(id=rec.recording_id, agent_name=rec.agent,
               started_at=rec.started_at.isoformat() if rec.started_at else "")
    return row


def recording_filters(values: dict[str, Any]) -> m.RecordingFilters:
    """``QAReviewList.filters()`` as the console API's ``RecordingFilters``."""
    return m.RecordingFilters(agent_id=values.get("agent_id"),
                              classification=values.get("classification"),
                              since=values.get("date_from"), until=values.get("date_to"),
                              unscored=bool(values.get("unscored")))


class ReplayWindow(QWidget):
    """One recording: the player on the left, the scorecard and past reviews on the right."""

    def __init__(self, console: Any, opened: m.RecordingOpened,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.console = console
        self.recording = opened.recording
        self.duration_ms: int | None = None  # set once the player has opened the file
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        title = " · ".join(v for v in (self.recording.ticket_number, self.recording.customer_name,
                                        self.recording.agent) if v)
        self.setWindowTitle(self.tr("Replay — {0}").format(title or self.recording.recording_id))
        self.player = ReplayPlayer()
        self.scorecard = ScorecardPanel()
        self.scorecard.setFixedWidth(320)
        self.status = QLabel(self.tr("Opening the recording…"))
        styled(self.status, "muted")
        left = QVBoxLayout()
        left.addWidget(self.player, 1)
        left.addWidget(self.status)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(12)
        layout.addLayout(left, 1)
        layout.addWidget(self.scorecard)
        self.resize(1280, 800)
        read_only = console.login is None or console.login.agent.role is m.Role.AGENT
        self.scorecard.set_read_only(read_only)
        self._connect_signals()
        ops, client = console.ops, console.client
        ops.run(self.tr("Recording"), fetch_recording(client, opened), self.on_file_ready,
                lambda exc: self.status.setText(self.tr("Cannot open: {0}").format(exc)))
        ops.run(self.tr("Scorecard"), client.call(m.ScorecardRequest(), m.Scorecard),
                self.on_scorecard)
        self.refresh_reviews()

    def _connect_signals(self) -> None:
        self.scorecard.submitted.connect(self.on_scores_submitted)
        self.player.failed.connect(self.status.setText)
        self.player.opened.connect(self.on_player_opened)

    def refresh_reviews(self) -> None:
        self.console.ops.run(
            self.tr("Reviews"),
            self.console.client.call(m.ReviewsQuery(recording_id=self.recording.recording_id),
                                     m.ReviewsResult), self.on_reviews)

    def on_player_opened(self, duration_ms: int) -> None:
        self.duration_ms = duration_ms
        self.status.clear()

    def on_file_ready(self, path: Path) -> None:
        self.player.open(path)

    def on_scorecard(self, card: m.Scorecard) -> None:
        self.scorecard.set_criteria([{"key": c.key, "label": c.label, "max": c.max_score}
                                     for c in card.criteria])

    def on_reviews(self, result: m.ReviewsResult) -> None:
        self.scorecard.set_reviews([{"reviewer_name": r.reviewer, "comment": r.comment,
                                     "created_at": r.created_at.isoformat(),
                                     "percent": None} for r in result.reviews])

    def on_scores_submitted(self, scores: dict, comment: str) -> None:
        request = m.SaveReview(recording_id=self.recording.recording_id,
                               scores={str(k): int(v) for k, v in scores.items()},
                               comment=comment)
        self.console.ops.run(self.tr("Save review"),
                             self.console.client.call(request, m.ReviewSaved),
                             lambda _saved: (self.scorecard.clear(), self.refresh_reviews()),
                             lambda exc: self.scorecard.show_error(str(exc)))

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001
        self.player.shutdown()
        super().closeEvent(event)


class RecordingsPage(QWidget):
    """The QA list of recordings (REC's ``QAReviewList``), queried through the hub."""

    def __init__(self, console: Any, open_recording: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.list = QAReviewList()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.list)
        self._open_recording = open_recording
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.list.filters_changed.connect(self.on_filters_changed)
        self.list.recording_activated.connect(self._open_recording)

    def refresh(self) -> None:
        self.on_filters_changed(self.list.filters())

    def on_filters_changed(self, values: dict) -> None:
        query = m.RecordingListQuery(filters=recording_filters(values))
        self.console.ops.run(self.tr("Recordings"),
                             self.console.client.call(query, m.RecordingList),
                             lambda result: self.list.set_recordings(
                                 [recording_row(r) for r in result.recordings]))
