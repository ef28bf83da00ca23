"""The console API: typed messages between an agent's console and the hub.

Every message is a frozen dataclass registered under a wire name. On the wire a message
is one JSON text frame::

    {"v": 1, "type": "login", "request_id": 7, "body": {"login": "demo", ...}}

``request_id`` pairs a request with its reply (the hub copies it into the reply); pushed
events carry 0. ``decode`` never returns a half-built message: malformed, unknown,
wrong-version or oversized input raises ``ApiError`` with a code, and the hub answers
with ``Error`` and closes that console alone. No Qt and no SQLAlchemy here: the console
imports this module.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from app.agents.enums import AgentRole, AgentStatus
from app.api.convert import dataclass_from_json, to_json
from app.contacts.enums import Channel
from app.tickets.enums import Classification

API_VERSION = 1
MAX_MESSAGE_CHARS = 4 * 1024 * 1024
"""Largest console-API text accepted by ``decode`` (recording chunks stay well below)."""

RECORDING_CHUNK_BYTES = 256 * 1024
"""Largest recording chunk the hub sends in one ``RecordingChunk``."""


class ErrorCode(enum.StrEnum):
    MALFORMED = "malformed"
    UNKNOWN_TYPE = "unknown_type"
    TOO_LARGE = "too_large"
    VERSION = "version"
    BAD_FIELD = "bad_field"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    TIMEOUT = "timeout"
    INTERNAL = "internal"


class ApiError(Exception):
    """A console-API failure with a stable ``code`` and a human ``text``."""

    def __init__(self, code: ErrorCode | str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = ErrorCode(code) if code in ErrorCode._value2member_map_ else code
        self.text = text


class Kind(enum.Enum):
    """Who sends a message: the console (request), the hub in answer (reply), or the hub
    unprompted (event)."""

    REQUEST = "request"
    REPLY = "reply"
    EVENT = "event"


# ---------------------------------------------------------------- shared enums


# The domain's own enums (pure modules, no SQLAlchemy), under the API's names.
AgentState = AgentStatus
Role = AgentRole


# ---------------------------------------------------------------- base and registry


@dataclass(frozen=True, kw_only=True)
class Message:
    """Base of every console-API message. ``request_id`` pairs requests and replies."""

    request_id: int = 0

    TYPE: ClassVar[str] = ""
    KIND: ClassVar[Kind] = Kind.EVENT


REGISTRY: dict[str, type[Message]] = {}

M = TypeVar("M", bound=type[Message])


def message(name: str, kind: Kind) -> Any:
    """Class decorator: make a frozen dataclass and register it under ``name``."""

    def register(cls: M) -> M:
        if name in REGISTRY:
            raise ValueError(f"duplicate console-API message type {name!r}")
        cls = dataclass(frozen=True)(cls)
        cls.TYPE = name
        cls.KIND = kind
        REGISTRY[name] = cls
        return cls

    return register


# ---------------------------------------------------------------- nested records


@dataclass(frozen=True)
class AgentProfile:
    """Who is signed in (shown in the status bar; role decides what the console offers)."""

    agent_id: int
    login: str
    display_name: str
    role: Role
    level: str = "L1"
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class WrapUpFields:
    """What the agent fills in at wrap-up (issue 5, step 6)."""

    classification: Classification
    title: str = ""
    product: str | None = None
    module: str | None = None
    version: str | None = None
    priority: str = "normal"
    notes: str = ""
    resolution: str = ""
    solved: bool = False
    #: For a caller the screen pop did not recognise: the customer the ticket belongs to.
    customer_code: str | None = None


@dataclass(frozen=True)
class TicketFilters:
    mine: bool = False
    queue: str | None = None  # a queue's name: that queue's tickets
    status: tuple[str, ...] = ()
    text: str = ""
    customer_code: str | None = None
    classification: Classification | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class TicketSummary:
    ticket_id: int
    number: str
    title: str
    status: str
    priority: str
    classification: str | None = None
    customer_code: str | None = None
    customer_name: str | None = None
    assignee: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    resolution_due_at: datetime | None = None
    breached: bool = False


@dataclass(frozen=True)
class TicketEventItem:
    at: datetime
    kind: str
    who: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionItem:
    session_id: int
    started_at: datetime | None = None
    ended_at: datetime | None = None
    agent: str | None = None
    end_reason: str | None = None


@dataclass(frozen=True)
class RecordingFilters:
    agent_id: int | None = None
    customer_code: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    classification: Classification | None = None
    unscored: bool = False
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class RecordingSummary:
    recording_id: int
    session_id: int | None = None
    ticket_id: int | None = None
    ticket_number: str | None = None
    agent: str | None = None
    customer_code: str | None = None
    customer_name: str | None = None
    started_at: datetime | None = None
    duration_ms: int = 0
    size_bytes: int = 0
    status: str = "complete"
    classification: str | None = None
    reviews: int = 0


@dataclass(frozen=True)
class ScoreCriterion:
    key: str
    label: str
    max_score: int = 5


@dataclass(frozen=True)
class ReviewItem:
    review_id: int
    recording_id: int
    reviewer: str
    scores: dict[str, int]
    comment: str
    created_at: datetime


# ---------------------------------------------------------------- generic


@message("ok", Kind.REPLY)
class Ok(Message):
    """A request succeeded and has nothing else to say."""


@message("error", Kind.REPLY)
class Error(Message):
    """A request failed (as a reply) or the hub is closing this console (as an event)."""

    code: str
    text: str


@message("ping", Kind.REQUEST)
class Ping(Message):
    pass


@message("pong", Kind.REPLY)
class Pong(Message):
    pass


# ---------------------------------------------------------------- sign in


@message("login", Kind.REQUEST)
class Login(Message):
    login: str
    password: str

    def __repr__(self) -> str:  # never log a password
        return f"Login(login={self.login!r}, password='***', request_id={self.request_id})"


@message("resume", Kind.REQUEST)
class Resume(Message):
    """Sign in again with the token from an earlier ``LoginOk`` (reconnects)."""

    token: str

    def __repr__(self) -> str:
        return f"Resume(token='***', request_id={self.request_id})"


@message("login_ok", Kind.REPLY)
class LoginOk(Message):
    token: str
    agent: AgentProfile
    expires_at: datetime
    status: AgentState = AgentState.NOT_READY
    notice: str = ""

    def __repr__(self) -> str:
        return f"LoginOk(agent={self.agent!r}, status={self.status}, token='***')"


@message("login_failed", Kind.REPLY)
class LoginFailed(Message):
    """Wrong login or password, locked out, or token expired; ``retry_after_s`` > 0 says
    how long the hub refuses further attempts."""

    reason: str
    retry_after_s: float = 0.0


@message("logout", Kind.REQUEST)
class Logout(Message):
    pass


# ---------------------------------------------------------------- presence


@message("set_status", Kind.REQUEST)
class SetStatus(Message):
    status: AgentState
    reason: str | None = None


@message("status_changed", Kind.EVENT)
class StatusChanged(Message):
    """The agent's state (reply to ``SetStatus`` and pushed when the hub changes it)."""

    status: AgentState
    since: datetime
    reason: str | None = None


@message("queue_stats", Kind.EVENT)
class QueueStats(Message):
    waiting: int
    longest_wait_s: float = 0.0
    agents_ready: int = 0


# ---------------------------------------------------------------- ring


@message("ring", Kind.EVENT)
class Ring(Message):
    """A contact is offered to this agent until ``expires_at``; ``profile`` is DATA's
    ``Profile.to_dict()`` (screen pop at the ring)."""

    offer_id: str
    contact_id: int
    caller: str
    company: str
    tier: str
    channel: Channel
    problem: str
    queued_at: datetime
    expires_at: datetime
    profile: dict[str, Any] = field(default_factory=dict)


@message("ring_cancelled", Kind.EVENT)
class RingCancelled(Message):
    """The offer is gone: ``timeout``, ``abandoned`` (customer left), ``taken`` or ``declined``."""

    offer_id: str
    reason: str


@message("accept", Kind.REQUEST)
class Accept(Message):
    offer_id: str


@message("accepted", Kind.REPLY)
class Accepted(Message):
    """This agent won the contact. Join the live screen at ``viewer_path`` on the hub
    with ``viewer_token``."""

    offer_id: str
    contact_id: int
    session_id: str
    viewer_path: str
    viewer_token: str


@message("accept_failed", Kind.REPLY)
class AcceptFailed(Message):
    offer_id: str
    reason: str


@message("decline", Kind.REQUEST)
class Decline(Message):
    offer_id: str


@message("session_code_request", Kind.REQUEST)
class SessionCodeRequest(Message):
    """Ask for a code the agent reads to the customer, who types it in Tandem Assist."""

    problem: str = ""


@message("session_code", Kind.REPLY)
class SessionCode(Message):
    code: str
    expires_at: datetime


@message("code_redeemed", Kind.EVENT)
class CodeRedeemed(Message):
    """The customer typed this agent's session code: the session is this agent's."""

    code: str
    contact_id: int
    session_id: str
    viewer_path: str
    viewer_token: str
    profile: dict[str, Any] = field(default_factory=dict)


@message("session_ended", Kind.EVENT)
class SessionEnded(Message):
    """The session ended (customer stopped it, dropped, or the agent ended it)."""

    session_id: str
    contact_id: int
    reason: str


@message("end_session", Kind.REQUEST)
class EndSession(Message):
    session_id: str
    reason: str = "agent_ended"


# ---------------------------------------------------------------- screen pop


@message("screen_pop_request", Kind.REQUEST)
class ScreenPopRequest(Message):
    contact_id: int


@message("screen_pop", Kind.REPLY)
class ScreenPop(Message):
    contact_id: int
    profile: dict[str, Any]


# ---------------------------------------------------------------- wrap-up and tickets


@message("wrap_up", Kind.REQUEST)
class WrapUp(Message):
    """Create or update (``ticket_id``) a ticket for the contact, linking the session and
    its recording. ``next_status`` is the state the agent goes to afterwards."""

    contact_id: int
    fields: WrapUpFields
    session_id: str | None = None
    ticket_id: int | None = None
    next_status: AgentState = AgentState.READY


@message("wrap_up_done", Kind.REPLY)
class WrapUpDone(Message):
    ticket_id: int
    number: str


@message("tickets_query", Kind.REQUEST)
class TicketsQuery(Message):
    filters: TicketFilters = TicketFilters()


@message("tickets_result", Kind.REPLY)
class TicketsResult(Message):
    tickets: tuple[TicketSummary, ...]
    total: int


@message("ticket_detail_request", Kind.REQUEST)
class TicketDetailRequest(Message):
    ticket_id: int


@message("ticket_detail", Kind.REPLY)
class TicketDetail(Message):
    ticket: TicketSummary
    description: str = ""
    resolution: str = ""
    product: str | None = None
    module: str | None = None
    version: str | None = None
    events: tuple[TicketEventItem, ...] = ()
    sessions: tuple[SessionItem, ...] = ()
    recordings: tuple[RecordingSummary, ...] = ()


@message("sla_alert", Kind.EVENT)
class SlaAlert(Message):
    """A ticket assigned to this agent is near (``fraction`` < 1) or past (1.0) its
    ``target`` (first_response | resolution) due time."""

    ticket_id: int
    number: str
    target: str
    fraction: float
    threshold_at: datetime


# ---------------------------------------------------------------- recordings and QA


@message("recording_list_query", Kind.REQUEST)
class RecordingListQuery(Message):
    filters: RecordingFilters = RecordingFilters()


@message("recording_list", Kind.REPLY)
class RecordingList(Message):
    recordings: tuple[RecordingSummary, ...]
    total: int


@message("recording_open", Kind.REQUEST)
class RecordingOpen(Message):
    """Ask to replay a recording (access rules apply: the agent who took it, QA, lead, admin)."""

    recording_id: int


@message("recording_opened", Kind.REPLY)
class RecordingOpened(Message):
    """``path`` is set when the console shares the hub's file system (embedded hub);
    otherwise fetch ``size_bytes`` with ``RecordingChunkRequest``."""

    recording: RecordingSummary
    size_bytes: int
    chain_head: str | None = None
    record_count: int | None = None
    path: str | None = None


@message("recording_chunk_request", Kind.REQUEST)
class RecordingChunkRequest(Message):
    recording_id: int
    offset: int
    length: int = RECORDING_CHUNK_BYTES


@message("recording_chunk", Kind.REPLY)
class RecordingChunk(Message):
    """Base64 of up to ``RECORDING_CHUNK_BYTES`` bytes at ``offset``; ``eof`` on the last."""

    recording_id: int
    offset: int
    data_b64: str
    eof: bool


@message("scorecard_request", Kind.REQUEST)
class ScorecardRequest(Message):
    pass


@message("scorecard", Kind.REPLY)
class Scorecard(Message):
    criteria: tuple[ScoreCriterion, ...]
    name: str = "default"


@message("save_review", Kind.REQUEST)
class SaveReview(Message):
    recording_id: int
    scores: dict[str, int]
    comment: str = ""


@message("review_saved", Kind.REPLY)
class ReviewSaved(Message):
    review_id: int


@message("reviews_query", Kind.REQUEST)
class ReviewsQuery(Message):
    recording_id: int


@message("reviews_result", Kind.REPLY)
class ReviewsResult(Message):
    reviews: tuple[ReviewItem, ...]


# ---------------------------------------------------------------- encode / decode


def encode(msg: Message) -> str:
    """One JSON text frame for ``msg``."""
    cls = type(msg)
    if REGISTRY.get(cls.TYPE) is not cls:
        raise TypeError(f"{cls.__name__} is not a registered console-API message")
    body = {name: to_json(getattr(msg, name))
            for name in (f.name for f in dataclasses.fields(msg)) if name != "request_id"}
    return json.dumps(
        {"v": API_VERSION, "type": cls.TYPE, "request_id": msg.request_id, "body": body},
        ensure_ascii=False, separators=(",", ":"),
    )


def decode(text: str | bytes, max_chars: int = MAX_MESSAGE_CHARS) -> Message:
    """The message in ``text``; ``ApiError`` (with a code) for anything else."""
    if isinstance(text, bytes | bytearray | memoryview):
        if len(text) > max_chars:
            raise ApiError(ErrorCode.TOO_LARGE, f"message of {len(text)} bytes is over "
                           f"the limit of {max_chars}")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(ErrorCode.MALFORMED, "message is not UTF-8 text") from None
    if not isinstance(text, str):
        raise ApiError(ErrorCode.MALFORMED, "message is not text")
    if len(text) > max_chars:
        raise ApiError(ErrorCode.TOO_LARGE, f"message of {len(text)} characters is over the "
                       f"limit of {max_chars}")
    try:
        envelope = json.loads(text)
    except (ValueError, RecursionError):
        raise ApiError(ErrorCode.MALFORMED, "message is not valid JSON") from None
    if not isinstance(envelope, dict):
        raise ApiError(ErrorCode.MALFORMED, "message is not a JSON object")
    version = envelope.get("v")
    if version != API_VERSION:
        raise ApiError(ErrorCode.VERSION, f"console API version {version!r} is not supported "
                       f"(this side speaks {API_VERSION}); update the console or the hub")
    name = envelope.get("type")
    if not isinstance(name, str):
        raise ApiError(ErrorCode.MALFORMED, "message has no type")
    cls = REGISTRY.get(name)
    if cls is None:
        raise ApiError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {name[:60]!r}")
    request_id = envelope.get("request_id", 0)
    if isinstance(request_id, bool) or not isinstance(request_id, int) or request_id < 0:
        raise ApiError(ErrorCode.MALFORMED, "request_id must be a non-negative integer")
    body = envelope.get("body", {})
    extra = set(envelope) - {"v", "type", "request_id", "body"}
    if extra:
        raise ApiError(ErrorCode.MALFORMED, f"unexpected key(s) {', '.join(sorted(extra))}")
    if not isinstance(body, dict) or "request_id" in body:
        raise ApiError(ErrorCode.MALFORMED, f"{name}: body must be an object of fields")
    try:
        msg = dataclass_from_json(cls, body, name)
    except (ValueError, RecursionError) as exc:
        raise ApiError(ErrorCode.BAD_FIELD, str(exc)) from None
    return dataclasses.replace(msg, request_id=request_id)


def reply_to(request: Message, reply: Message) -> Message:
    """``reply`` carrying ``request``'s request id."""
    return dataclasses.replace(reply, request_id=request.request_id)


def error_for(exc: ApiError, request_id: int = 0) -> Error:
    return Error(code=str(exc.code), text=exc.text, request_id=request_id)
