"""Console-API side of recordings and QA: lists, opening, chunked download, reviews.

Access rules and integrity checks are REC's ``RecordingService``; this module only maps
its answers to console-API messages. An embedded hub shares the console's file system,
so ``RecordingOpened.path`` is set; a remote hub streams the file in chunks instead.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from app.api import messages as m
from app.recordings.service import (
    RecordingAccessDenied,
    RecordingInfo,
    RecordingMismatch,
    RecordingNotFound,
    RecordingService,
    ReviewFilter,
    ReviewInvalid,
)

ERRORS: dict[type[Exception], m.ErrorCode] = {
    RecordingAccessDenied: m.ErrorCode.FORBIDDEN,
    RecordingNotFound: m.ErrorCode.NOT_FOUND,
    RecordingMismatch: m.ErrorCode.CONFLICT,
    ReviewInvalid: m.ErrorCode.BAD_FIELD,
}


def summary_of(info: RecordingInfo) -> m.RecordingSummary:
    return m.RecordingSummary(
        recording_id=info.id, session_id=info.session_id, ticket_id=info.ticket_id,
        ticket_number=info.ticket_number, agent=info.agent_name,
        customer_code=info.customer_code, customer_name=info.customer_name,
        started_at=info.started_at, duration_ms=info.duration_ms, size_bytes=info.size_bytes,
        status=info.status, classification=info.classification, reviews=info.reviews)


class RecordingsApi:
    def __init__(self, service: RecordingService, share_paths: bool,
                 customer_id_of: Any) -> None:
        self.service = service
        self.share_paths = share_paths
        self._customer_id_of = customer_id_of  # code -> id (None when unknown)

    async def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args)
        except tuple(ERRORS) as exc:
            raise m.ApiError(ERRORS[type(exc)], str(exc)) from None

    async def list(self, agent: m.AgentProfile, f: m.RecordingFilters) -> m.RecordingList:
        customer_id = None
        if f.customer_code:
            customer_id = await asyncio.to_thread(self._customer_id_of, f.customer_code)
            if customer_id is None:
                return m.RecordingList(recordings=(), total=0)
        limit = max(1, min(f.limit, 500))
        filters = ReviewFilter(agent_id=f.agent_id, customer_id=customer_id,
                               date_from=f.since, date_to=f.until,
                               classification=f.classification.value if f.classification
                               else None, unscored=f.unscored, limit=limit + f.offset)
        infos = await self._call(self.service.review_list, agent.agent_id, filters)
        page = infos[f.offset:f.offset + limit]
        return m.RecordingList(recordings=tuple(summary_of(i) for i in page), total=len(infos))

    async def open(self, agent: m.AgentProfile, recording_id: int) -> m.RecordingOpened:
        path = await self._call(self.service.open_checked, agent.agent_id, recording_id)
        info = await self._call(self.service.get, agent.agent_id, recording_id)
        size = path.stat().st_size if path.is_file() else 0
        return m.RecordingOpened(recording=summary_of(info), size_bytes=size,
                                 path=str(path) if self.share_paths else None)

    async def chunk(self, agent: m.AgentProfile, recording_id: int, offset: int,
                    length: int) -> m.RecordingChunk:
        if offset < 0 or length <= 0:
            raise m.ApiError(m.ErrorCode.BAD_FIELD, "offset must be >= 0 and length > 0")
        length = min(length, m.RECORDING_CHUNK_BYTES)
        info = await self._call(self.service.get, agent.agent_id, recording_id)

        def read() -> tuple[bytes, int]:
            with open(info.path, "rb") as fh:
                fh.seek(0, 2)
                size = fh.tell()
                fh.seek(offset)
                return fh.read(length), size

        try:
            data, size = await asyncio.to_thread(read)
        except OSError as exc:
            raise m.ApiError(m.ErrorCode.NOT_FOUND, f"recording file unreadable: {exc}") from None
        return m.RecordingChunk(recording_id=recording_id, offset=offset,
                                data_b64=base64.b64encode(data).decode("ascii"),
                                eof=offset + len(data) >= size)

    async def scorecard(self) -> m.Scorecard:
        card = await self._call(self.service.scorecard)
        return m.Scorecard(criteria=tuple(m.ScoreCriterion(c.key, c.label, c.max)
                                          for c in card.criteria), name=card.name)

    async def save_review(self, agent: m.AgentProfile, recording_id: int,
                          scores: dict[str, int], comment: str) -> m.ReviewSaved:
        review = await self._call(self.service.submit_review, agent.agent_id, recording_id,
                                  scores, comment)
        return m.ReviewSaved(review_id=review.id)

    async def reviews(self, agent: m.AgentProfile, recording_id: int) -> m.ReviewsResult:
        items = await self._call(self.service.reviews, agent.agent_id, recording_id)
        return m.ReviewsResult(reviews=tuple(
            m.ReviewItem(review_id=r.id, recording_id=r.recording_id,
                         reviewer=r.reviewer_name or "", scores=dict(r.scores),
                         comment=r.comment, created_at=r.created_at) for r in items))
