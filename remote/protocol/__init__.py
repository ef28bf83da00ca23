"""The Tandem remote protocol: typed messages, their wire encoding, a sans-I/O connection.

Import from here: ``from remote.protocol import Connection, FrameUpdate, encode, decode``.
docs/protocol.md describes the wire format and the rules.
"""

from remote.protocol.codec import (
    MESSAGE_TYPES,
    DecodeError,
    MessageSpec,
    Phase,
    decode,
    encode,
    frame_headers,
    message_type,
    spec_for,
)
from remote.protocol.connection import (
    Connection,
    ErrorEvent,
    Event,
    ProtocolUsageError,
    State,
)
from remote.protocol.encodings import EncodedRect, Encoding
from remote.protocol.messages import (
    MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    Admitted,
    AgentJoined,
    Buttons,
    Bye,
    ByeReason,
    ChatLine,
    ClipboardText,
    Consent,
    ConsentLevel,
    ConsentRequest,
    CursorPos,
    CursorShape,
    Error,
    ErrorCode,
    FrameAck,
    FrameUpdate,
    Hello,
    HelpRequest,
    KeyEvent,
    Message,
    Monitor,
    MonitorSelect,
    PeerStatus,
    Ping,
    PointerEvent,
    Pong,
    QueueStatus,
    Rating,
    RatingRequest,
    RefreshRequest,
    Resume,
    Role,
    ScreenLayout,
    SessionCode,
    ViewerJoin,
)

__all__ = [
    "MESSAGE_TYPES", "MIN_PROTOCOL_VERSION", "PROTOCOL_VERSION", "Admitted", "AgentJoined",
    "Buttons", "Bye", "ByeReason", "ChatLine", "ClipboardText", "Connection", "Consent",
    "ConsentLevel", "ConsentRequest", "CursorPos", "CursorShape", "DecodeError", "EncodedRect",
    "Encoding", "Error", "ErrorCode", "ErrorEvent", "Event", "FrameAck", "FrameUpdate", "Hello",
    "HelpRequest", "KeyEvent", "Message", "MessageSpec", "Monitor", "MonitorSelect",
    "PeerStatus", "Phase", "Ping", "PointerEvent", "Pong", "ProtocolUsageError", "QueueStatus",
    "Rating", "RatingRequest", "RefreshRequest", "Resume", "Role", "ScreenLayout",
    "SessionCode", "State", "ViewerJoin", "decode", "encode", "frame_headers", "message_type",
    "spec_for",
]
