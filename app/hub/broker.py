"""The hub's ``SessionBroker`` for PROTO's relay: admission and session bookkeeping.

Thin: each call goes to the ``Desk``; this module only translates between the relay's
types (``Admission``, ``Refused``, session events) and the desk's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from app.hub.codes import CodeRefused
from app.hub.desk import Desk, LiveSession
from app.hub.intake import AssistReport
from app.recordings.service import RecordingService
from remote.protocol.messages import ErrorCode, HelpRequest, SessionCode
from remote.recording.recorder import Recorder, recording_path
from remote.relay import interfaces as ev
from remote.relay.interfaces import Admission, Refused, SessionRecorder, ViewerAdmission

log = logging.getLogger(__name__)

BYE_NAMES = {
    "ENDED_BY_CUSTOMER": "customer_ended",
    "ENDED_BY_AGENT": "agent_ended",
    "PEER_LOST": "connection_lost",
    "SHUTDOWN": "hub_stopped",
}


class HubBroker:
    """Implements ``remote.relay.interfaces.SessionBroker``."""

    def __init__(self, desk: Desk, recordings: RecordingService, recordings_dir: Path) -> None:
        self.desk = desk
        self.recordings = recordings
        self.recordings_dir = recordings_dir
        self._events: dict[type, Callable[[LiveSession, Any], Awaitable[None]]] = {
            ev.SessionStarted: self._on_started,
            ev.ConsentChanged: self._on_consent,
            ev.SessionEnded: self._on_ended,
            ev.RatingGiven: self._on_rating,
        }

    async def assist_request(self, request: HelpRequest, peer: str) -> Admission:
        session_id = await self.desk.assist_arrived(AssistReport.of(request), peer)
        return Admission(session_id)

    async def assist_code(self, code: SessionCode, peer: str) -> Admission:
        host = peer.rsplit(":", 1)[0] if peer.count(":") == 1 else peer
        try:
            session_id = await self.desk.code_redeemed(code.code, AssistReport.of(code), host)
        except CodeRefused as exc:
            raise Refused(ErrorCode.RATE_LIMITED if exc.retry_after_s else ErrorCode.BAD_CODE,
                          exc.text) from None
        return Admission(session_id)

    async def viewer_join(self, token: str, peer: str) -> ViewerAdmission:
        live = self.desk.viewer_admission(token)
        if live is None:
            raise Refused(ErrorCode.REFUSED, "this viewer token is not valid for a live session")
        return ViewerAdmission(live.session_id, live.agent_name)

    async def session_event(self, session_id: str, event: ev.SessionEvent) -> None:
        live = self.desk.live(session_id)
        handler = self._events.get(type(event))
        if live is None or handler is None:
            return
        await handler(live, event)

    def recorder(self, session_id: str) -> SessionRecorder | None:
        """Record from admission; the recording row is made when an agent accepts (a
        contact abandoned in the queue leaves no recording)."""
        live = self.desk.live(session_id)
        if live is None:
            return None

        def closed(summary: Any) -> None:
            if live.recording_id is not None:
                self.recordings.finished(live.recording_id, summary)
            else:
                Path(recorder.path).unlink(missing_ok=True)

        recorder = Recorder(recording_path(self.recordings_dir, session_id),
                            {"session_id": session_id, "contact_id": live.contact_id},
                            on_closed=closed)
        live.recorder = recorder
        return recorder

    # ------------------------------------------------------------ events

    async def _on_started(self, live: LiveSession, event: ev.SessionStarted) -> None:
        await self.desk.session_started(live)

    async def _on_consent(self, live: LiveSession, event: ev.ConsentChanged) -> None:
        await self.desk.consent_changed(live, event.level.value)

    async def _on_ended(self, live: LiveSession, event: ev.SessionEnded) -> None:
        reason = BYE_NAMES.get(event.reason.name, event.reason.name.lower())
        await self.desk.session_ended(live, reason, event.text)

    async def _on_rating(self, live: LiveSession, event: ev.RatingGiven) -> None:
        await self.desk.rating_given(live, event.score, event.comment)
