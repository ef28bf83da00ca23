"""The typed messages of the Tandem remote protocol (frozen dataclasses).

Every websocket message carries exactly one of these. Which side may send which message,
in which phase, and how each is encoded on the wire is declared once in
``remote.protocol.registry``; this module only says what a message *is*.

Construction validates field values (``__post_init__`` raises ``ValueError``), so a decoded
message is always well-formed and a bug on the sending side fails loudly where it is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag, StrEnum
from typing import Any

from remote.protocol.encodings import EncodedRect, Encoding

#: The version this code speaks best; ``MIN_PROTOCOL_VERSION`` is the oldest it still speaks.
PROTOCOL_VERSION = 1
MIN_PROTOCOL_VERSION = 1

U16_MAX = 0xFFFF
U32_MAX = 0xFFFF_FFFF
I32_MIN, I32_MAX = -(2**31), 2**31 - 1

#: Longest chat line, problem text, names and other short strings (characters).
MAX_TEXT = 8_000
MAX_SHORT_TEXT = 200
MAX_CLIPBOARD = 1_000_000
MAX_CURSOR_SIDE = 256
MAX_RECTS = 4_096


class Role(StrEnum):
    """The three parties of a session: the customer's assist, an agent's viewer, the hub's relay."""

    ASSIST = "assist"
    VIEWER = "viewer"
    RELAY = "relay"


class ConsentLevel(StrEnum):
    """What the customer allows: nothing, seeing the screen, or seeing and controlling it."""

    NONE = "none"
    VIEW = "view"
    CONTROL = "control"

    @property
    def allows_view(self) -> bool:
        return self is not ConsentLevel.NONE

    @property
    def allows_control(self) -> bool:
        return self is ConsentLevel.CONTROL


class ErrorCode(IntEnum):
    """Why a message or a peer was rejected. Sent in ``Error`` and raised as ``ErrorEvent``."""

    MALFORMED = 1  # bytes do not decode into a valid message
    TOO_LARGE = 2  # message exceeds the size limit for the connection or its type
    UNKNOWN_TYPE = 3  # first byte names no message type
    UNSUPPORTED_VERSION = 4  # no protocol version in common
    UNEXPECTED = 5  # valid message, wrong time or wrong direction (out of order)
    REFUSED = 6  # the hub refused admission (bad token, unknown session)
    BAD_CODE = 7  # wrong, expired or used session code
    RATE_LIMITED = 8  # too many attempts from this peer
    NOT_PERMITTED = 9  # the customer's consent does not allow this
    STALLED = 10  # the peer stopped reading; its queue overflowed
    TIMEOUT = 11  # the peer did not say Hello / join in time
    INTERNAL = 12  # a bug on our side; details are in our log, not on the wire


class ByeReason(IntEnum):
    """Why a connection or session ends; carried by ``Bye``."""

    NORMAL = 0
    ENDED_BY_CUSTOMER = 1
    ENDED_BY_AGENT = 2
    PROTOCOL_ERROR = 3
    VERSION_MISMATCH = 4
    REFUSED = 5
    STALLED = 6
    PEER_LOST = 7  # the other party dropped and did not come back within the grace period
    REPLACED = 8  # the same party reconnected; this older connection is superseded
    SHUTDOWN = 9  # the hub is stopping
    TIMEOUT = 10


def _check(condition: bool, text: str) -> None:
    if not condition:
        raise ValueError(text)


def _check_text(value: str, name: str, limit: int = MAX_TEXT) -> None:
    _check(isinstance(value, str), f"{name} must be a string")
    _check(len(value) <= limit, f"{name} longer than {limit} characters")


def _check_int(value: int, name: str, low: int, high: int) -> None:
    _check(isinstance(value, int) and not isinstance(value, bool), f"{name} must be an integer")
    _check(low <= value <= high, f"{name} out of range {low}..{high}")


# --- handshake and admission -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hello:
    """First message each way. The client offers ``min_version..version``; the relay answers
    with the chosen version in both fields."""

    role: Role
    version: int = PROTOCOL_VERSION
    min_version: int = MIN_PROTOCOL_VERSION
    capabilities: tuple[str, ...] = ()
    software: str = ""

    def __post_init__(self) -> None:
        _check(isinstance(self.role, Role), "role must be a Role")
        _check_int(self.version, "version", 0, U16_MAX)
        _check_int(self.min_version, "min_version", 0, self.version)
        _check(len(self.capabilities) <= 64, "too many capabilities")
        for cap in self.capabilities:
            _check_text(cap, "capability", MAX_SHORT_TEXT)
        _check_text(self.software, "software", MAX_SHORT_TEXT)


@dataclass(frozen=True, slots=True)
class HelpRequest:
    """The customer pressed "Request help": opens a contact in the hub's queue."""

    problem: str = ""
    environment: Mapping[str, Any] = field(default_factory=dict)
    machine_id: str = ""
    customer_code: str = ""

    def __post_init__(self) -> None:
        _check_text(self.problem, "problem")
        _check(isinstance(self.environment, Mapping), "environment must be an object")
        _check_text(self.machine_id, "machine_id", MAX_SHORT_TEXT)
        _check_text(self.customer_code, "customer_code", MAX_SHORT_TEXT)


@dataclass(frozen=True, slots=True)
class SessionCode:
    """The customer typed a session code an agent gave them (plus the same report as a
    ``HelpRequest``, so the agent's screen pop works either way)."""

    code: str
    problem: str = ""
    environment: Mapping[str, Any] = field(default_factory=dict)
    machine_id: str = ""
    customer_code: str = ""

    def __post_init__(self) -> None:
        _check_text(self.code, "code", 32)
        _check_text(self.problem, "problem")
        _check(isinstance(self.environment, Mapping), "environment must be an object")
        _check_text(self.machine_id, "machine_id", MAX_SHORT_TEXT)
        _check_text(self.customer_code, "customer_code", MAX_SHORT_TEXT)


@dataclass(frozen=True, slots=True)
class ViewerJoin:
    """A viewer asks to join the session its token (or session code) admits."""

    token: str

    def __post_init__(self) -> None:
        _check_text(self.token, "token", 512)


@dataclass(frozen=True, slots=True)
class Resume:
    """Reconnect to a session within the grace period with the token from ``Admitted``."""

    resume_token: str

    def __post_init__(self) -> None:
        _check_text(self.resume_token, "resume_token", 512)


@dataclass(frozen=True, slots=True)
class Admitted:
    """The relay admitted this connection into a session."""

    session_id: str
    resume_token: str
    agent_name: str = ""

    def __post_init__(self) -> None:
        _check_text(self.session_id, "session_id", MAX_SHORT_TEXT)
        _check_text(self.resume_token, "resume_token", 512)
        _check_text(self.agent_name, "agent_name", MAX_SHORT_TEXT)


# --- session control ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """Where the customer's contact waits in the queue."""

    position: int
    eta_s: int

    def __post_init__(self) -> None:
        _check_int(self.position, "position", 0, U32_MAX)
        _check_int(self.eta_s, "eta_s", 0, U32_MAX)


@dataclass(frozen=True, slots=True)
class AgentJoined:
    agent_name: str

    def __post_init__(self) -> None:
        _check_text(self.agent_name, "agent_name", MAX_SHORT_TEXT)


@dataclass(frozen=True, slots=True)
class PeerStatus:
    """Relay to a party: the other party dropped (``connected=False``) or came back."""

    role: Role
    connected: bool

    def __post_init__(self) -> None:
        _check(isinstance(self.role, Role), "role must be a Role")
        _check(type(self.connected) is bool, "connected must be a boolean")


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    """The agent asks the customer for a consent level."""

    level: ConsentLevel

    def __post_init__(self) -> None:
        _check(isinstance(self.level, ConsentLevel), "level must be a ConsentLevel")


@dataclass(frozen=True, slots=True)
class Consent:
    """The customer's current consent; sent on every change (grant, withdraw, drop to view)."""

    level: ConsentLevel

    def __post_init__(self) -> None:
        _check(isinstance(self.level, ConsentLevel), "level must be a ConsentLevel")


@dataclass(frozen=True, slots=True)
class Monitor:
    x: int
    y: int
    width: int
    height: int
    primary: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        _check_int(self.x, "x", I32_MIN, I32_MAX)
        _check_int(self.y, "y", I32_MIN, I32_MAX)
        _check_int(self.width, "width", 1, U16_MAX)
        _check_int(self.height, "height", 1, U16_MAX)
        _check(type(self.primary) is bool, "primary must be a boolean")
        _check_text(self.name, "name", MAX_SHORT_TEXT)


@dataclass(frozen=True, slots=True)
class ScreenLayout:
    """The customer's monitors, which one is shared, and the framebuffer size that follows.

    Every FrameUpdate after a ScreenLayout refers to a fresh ``width`` x ``height`` framebuffer.
    """

    monitors: tuple[Monitor, ...]
    index: int
    width: int
    height: int

    def __post_init__(self) -> None:
        _check(1 <= len(self.monitors) <= 32, "between 1 and 32 monitors")
        _check(all(isinstance(m, Monitor) for m in self.monitors), "monitors must be Monitor")
        _check_int(self.index, "index", 0, len(self.monitors) - 1)
        _check_int(self.width, "width", 1, U16_MAX)
        _check_int(self.height, "height", 1, U16_MAX)


@dataclass(frozen=True, slots=True)
class MonitorSelect:
    """The agent picks which monitor to see (an index into ``ScreenLayout.monitors``)."""

    index: int

    def __post_init__(self) -> None:
        _check_int(self.index, "index", 0, 31)


@dataclass(frozen=True, slots=True)
class RefreshRequest:
    """Ask the assist for a full, lossless frame (a viewer joined or lost its picture)."""


# --- screen, cursor and input (binary on the wire) ---------------------------------------


@dataclass(frozen=True, slots=True)
class FrameUpdate:
    """Rectangles to paint, in order, onto the viewer's framebuffer.

    ``full``: the rectangles cover the whole framebuffer, so nothing before this frame is
    needed to show it (a keyframe for recordings; lets the relay drop older pending frames).
    """

    seq: int
    rects: tuple[EncodedRect, ...]
    full: bool = False

    def __post_init__(self) -> None:
        _check_int(self.seq, "seq", 0, U32_MAX)
        _check(len(self.rects) <= MAX_RECTS, f"more than {MAX_RECTS} rectangles")
        for r in self.rects:
            _check(isinstance(r, EncodedRect), "rects must be EncodedRect")
            _check_int(r.x, "x", 0, U16_MAX)
            _check_int(r.y, "y", 0, U16_MAX)
            _check_int(r.w, "w", 1, U16_MAX)
            _check_int(r.h, "h", 1, U16_MAX)
            _check(isinstance(r.encoding, Encoding), "encoding must be an Encoding")
            _check(isinstance(r.data, bytes), "data must be bytes")
            if r.encoding is Encoding.SOLID:
                _check(len(r.data) == 3, "SOLID data must be 3 bytes")
            elif r.encoding is Encoding.COPY:
                _check(len(r.data) == 4, "COPY data must be 4 bytes")
        _check(type(self.full) is bool, "full must be a boolean")


@dataclass(frozen=True, slots=True)
class FrameAck:
    """The viewer applied every FrameUpdate up to and including ``seq`` (cumulative)."""

    seq: int

    def __post_init__(self) -> None:
        _check_int(self.seq, "seq", 0, U32_MAX)


@dataclass(frozen=True, slots=True)
class CursorShape:
    """The pointer's image: ``w*h*4`` bytes B, G, R, A (straight alpha), rows top to bottom.

    ``w == h == 0`` means the cursor is hidden.
    """

    hot_x: int
    hot_y: int
    w: int
    h: int
    pixels: bytes

    def __post_init__(self) -> None:
        _check_int(self.w, "w", 0, MAX_CURSOR_SIDE)
        _check_int(self.h, "h", 0, MAX_CURSOR_SIDE)
        _check_int(self.hot_x, "hot_x", 0, max(self.w - 1, 0))
        _check_int(self.hot_y, "hot_y", 0, max(self.h - 1, 0))
        _check(isinstance(self.pixels, bytes), "pixels must be bytes")
        _check(len(self.pixels) == self.w * self.h * 4, "pixels must be w*h*4 bytes")


@dataclass(frozen=True, slots=True)
class CursorPos:
    """Pointer position in framebuffer coordinates (may lie outside the shared monitor)."""

    x: int
    y: int

    def __post_init__(self) -> None:
        _check_int(self.x, "x", I32_MIN, I32_MAX)
        _check_int(self.y, "y", I32_MIN, I32_MAX)


class Buttons(IntFlag):
    """Bits of ``PointerEvent.buttons`` (RFB order): wheel "buttons" are pressed and released."""

    LEFT = 1 << 0
    MIDDLE = 1 << 1
    RIGHT = 1 << 2
    WHEEL_UP = 1 << 3
    WHEEL_DOWN = 1 << 4
    WHEEL_LEFT = 1 << 5
    WHEEL_RIGHT = 1 << 6


@dataclass(frozen=True, slots=True)
class PointerEvent:
    """Pointer at ``x, y`` (framebuffer coordinates) with ``buttons`` held (a ``Buttons`` mask)."""

    x: int
    y: int
    buttons: int = 0

    def __post_init__(self) -> None:
        _check_int(self.x, "x", 0, U16_MAX)
        _check_int(self.y, "y", 0, U16_MAX)
        _check_int(self.buttons, "buttons", 0, U16_MAX)


@dataclass(frozen=True, slots=True)
class KeyEvent:
    """An X11 keysym pressed or released, so the customer's keyboard layout does not matter."""

    keysym: int
    down: bool

    def __post_init__(self) -> None:
        _check_int(self.keysym, "keysym", 0, U32_MAX)
        _check(type(self.down) is bool, "down must be a boolean")


# --- both ways ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClipboardText:
    text: str

    def __post_init__(self) -> None:
        _check_text(self.text, "text", MAX_CLIPBOARD)


@dataclass(frozen=True, slots=True)
class ChatLine:
    sender: str
    text: str

    def __post_init__(self) -> None:
        _check_text(self.sender, "sender", MAX_SHORT_TEXT)
        _check_text(self.text, "text")


@dataclass(frozen=True, slots=True)
class RatingRequest:
    """The hub asks the customer to rate the session."""

    prompt: str = ""

    def __post_init__(self) -> None:
        _check_text(self.prompt, "prompt")


@dataclass(frozen=True, slots=True)
class Rating:
    score: int
    comment: str = ""

    def __post_init__(self) -> None:
        _check_int(self.score, "score", 1, 5)
        _check_text(self.comment, "comment")


@dataclass(frozen=True, slots=True)
class Ping:
    nonce: int

    def __post_init__(self) -> None:
        _check_int(self.nonce, "nonce", 0, U32_MAX)


@dataclass(frozen=True, slots=True)
class Pong:
    nonce: int

    def __post_init__(self) -> None:
        _check_int(self.nonce, "nonce", 0, U32_MAX)


@dataclass(frozen=True, slots=True)
class Error:
    """Why the sender is about to close; ``text`` is for people and never holds internals."""

    code: ErrorCode
    text: str = ""

    def __post_init__(self) -> None:
        _check(isinstance(self.code, ErrorCode), "code must be an ErrorCode")
        _check_text(self.text, "text", 1_000)


@dataclass(frozen=True, slots=True)
class Bye:
    """The last message on a connection."""

    reason: ByeReason = ByeReason.NORMAL
    text: str = ""

    def __post_init__(self) -> None:
        _check(isinstance(self.reason, ByeReason), "reason must be a ByeReason")
        _check_text(self.text, "text", 1_000)


Message = (
    Hello | HelpRequest | SessionCode | ViewerJoin | Resume | Admitted | QueueStatus
    | AgentJoined | PeerStatus | ConsentRequest | Consent | ScreenLayout | MonitorSelect
    | RefreshRequest | FrameUpdate | FrameAck | CursorShape | CursorPos | PointerEvent
    | KeyEvent | ClipboardText | ChatLine | RatingRequest | Rating | Ping | Pong | Error | Bye
)
