"""What the relay needs from the hub (``SessionBroker``) and offers to recordings
(``SessionRecorder``), plus the session events it reports.

HUB implements ``SessionBroker`` in app/hub/; REC implements ``SessionRecorder`` in
remote/recording/; ``remote.relay.standalone.StandaloneBroker`` is an in-memory broker for
tests, the benchmark and ``tandem-view`` without a hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Protocol, runtime_checkable

from remote.protocol.messages import ByeReason, ConsentLevel, ErrorCode, HelpRequest, SessionCode


class Origin(IntEnum):
    """Who originated a message the relay offers to the recorder."""

    ASSIST = 1
    VIEWER = 2
    RELAY = 3  # the relay or the hub itself (AgentJoined, QueueStatus, RatingRequest, ...)


class Refused(Exception):
    """Raised by a broker to refuse admission; ``code`` and ``text`` go to the peer."""

    def __init__(self, code: ErrorCode, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


@dataclass(frozen=True, slots=True)
class Admission:
    """The assist was admitted into ``session_id`` (queued for an agent, or joined by code)."""

    session_id: str


@dataclass(frozen=True, slots=True)
class ViewerAdmission:
    """The viewer may join ``session_id``; ``agent_name`` is shown to the customer."""

    session_id: str
    agent_name: str


# --- session events (relay -> broker) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionStarted:
    """An assist was admitted; the session exists on the relay."""


@dataclass(frozen=True, slots=True)
class ViewerJoined:
    agent_name: str


@dataclass(frozen=True, slots=True)
class ViewerLeft:
    agent_name: str


@dataclass(frozen=True, slots=True)
class PeerDisconnected:
    """``origin`` (assist or viewer) dropped; it may resume within the grace period."""

    origin: Origin


@dataclass(frozen=True, slots=True)
class PeerResumed:
    origin: Origin


@dataclass(frozen=True, slots=True)
class ConsentChanged:
    level: ConsentLevel


@dataclass(frozen=True, slots=True)
class ChatPosted:
    origin: Origin
    sender: str
    text: str


@dataclass(frozen=True, slots=True)
class RatingGiven:
    score: int
    comment: str


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """The session is over; ``reason`` says who or what ended it."""

    reason: ByeReason
    text: str = ""


SessionEvent = (SessionStarted | ViewerJoined | ViewerLeft | PeerDisconnected | PeerResumed
                | ConsentChanged | ChatPosted | RatingGiven | SessionEnded)


@runtime_checkable
class SessionRecorder(Protocol):
    """Receives every message the relay passes in a session (implemented by REC).

    Called on the relay's event loop: must not block (buffer and write in the background or
    write small appends). ``t_ms`` counts from the session's start; ``raw`` is the exact wire
    bytes of ``message`` (``remote.protocol.encode(message) == raw``).
    """

    def on_message(self, t_ms: int, origin: Origin, message: Any, raw: bytes) -> None: ...

    def close(self, reason: str) -> None: ...


@runtime_checkable
class SessionBroker(Protocol):
    """The hub's side of admission and session bookkeeping (implemented by HUB).

    ``peer`` is the remote address ("host:port" or "host"), for rate limiting attempts.
    """

    async def assist_request(self, request: HelpRequest, peer: str) -> Admission:
        """A customer pressed "Request help". Raise ``Refused`` to turn them away."""
        ...

    async def assist_code(self, code: SessionCode, peer: str) -> Admission:
        """A customer typed a session code. Raise ``Refused(ErrorCode.BAD_CODE, ...)`` for a
        wrong, expired or used code and ``Refused(ErrorCode.RATE_LIMITED, ...)`` when the peer
        has tried too often."""
        ...

    async def viewer_join(self, token: str, peer: str) -> ViewerAdmission:
        """An agent's viewer presents its token (or a session code). Raise ``Refused``."""
        ...

    async def session_event(self, session_id: str, event: SessionEvent) -> None:
        """Something happened in a session (see the SessionEvent classes)."""
        ...

    def recorder(self, session_id: str) -> SessionRecorder | None:
        """Called once when a session starts: where to record it (None: not recorded)."""
        ...
