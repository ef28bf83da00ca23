"""Bytes <-> messages: the message-type registry and the wire encoding of each type.

Wire format of one websocket message: ``type: u8`` then the payload. Control messages carry a
compact UTF-8 JSON object; screen, cursor and input messages carry a big-endian binary payload
(pixels are never base64 or JSON). docs/protocol.md has the tables.

``decode`` raises ``DecodeError`` (with an ``ErrorCode``); ``Connection`` turns that into an
``ErrorEvent`` so that no bad input ever escapes as an exception.
"""

from __future__ import annotations

import dataclasses
import json
import math
import struct
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any

from remote.protocol import messages as m
from remote.protocol.encodings import EncodedRect, Encoding
from remote.protocol.messages import ErrorCode, Role


class DecodeError(Exception):
    """Bytes that are not a valid message; ``code`` says which way."""

    def __init__(self, code: ErrorCode, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


class Phase(IntEnum):
    """When a message may travel: see ``Connection`` for the state machine."""

    HANDSHAKE = 1  # Hello only, first thing each way
    JOIN = 2  # after Hello, before Admitted
    SESSION = 3  # after Admitted
    ANY = 4  # any time after Hello (Ping, Pong)
    ALWAYS = 5  # even before Hello (Error, Bye: a peer may refuse our Hello)


Encoder = Callable[[Any], bytes]
Decoder = Callable[[memoryview], Any]


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """Everything the protocol knows about one message type."""

    code: int
    cls: type
    senders: frozenset[Role]  # the parties that may originate it
    phase: Phase
    max_bytes: int | None  # None: only the connection's max_message_bytes applies
    encode_payload: Encoder
    decode_payload: Decoder


# --- JSON codec for control messages -----------------------------------------------------

_SCALARS: dict[type, Callable[[Any], bool]] = {
    str: lambda v: isinstance(v, str),
    int: lambda v: type(v) is int,
    bool: lambda v: type(v) is bool,
    float: lambda v: type(v) in (int, float) and math.isfinite(v),
}


def _converter(hint: Any) -> Callable[[Any], Any]:
    """Build a function turning a JSON value into the Python value of type ``hint``."""
    origin = typing.get_origin(hint)
    if hint in _SCALARS:
        check = _SCALARS[hint]

        def scalar(value: Any) -> Any:
            if not check(value):
                raise ValueError(f"expected {hint.__name__}")
            return value

        return scalar
    if isinstance(hint, type) and issubclass(hint, Enum):
        return lambda value: hint(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_from_json(hint)
    if origin is tuple:
        item = _converter(typing.get_args(hint)[0])

        def sequence(value: Any) -> tuple[Any, ...]:
            if not isinstance(value, list):
                raise ValueError("expected a list")
            return tuple(item(v) for v in value)

        return sequence
    if origin in (Mapping, dict) or hint in (Mapping, dict):

        def mapping(value: Any) -> Any:
            if not isinstance(value, dict):
                raise ValueError("expected an object")
            return value

        return mapping
    if origin in (typing.Union, types.UnionType):
        raise TypeError(f"unions are not supported on the wire: {hint}")
    raise TypeError(f"no JSON converter for {hint!r}")


def _dataclass_from_json(cls: type) -> Callable[[Any], Any]:
    hints = typing.get_type_hints(cls)
    fields = [(f.name, _converter(hints[f.name])) for f in dataclasses.fields(cls)]

    def build(value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError("expected an object")
        # Unknown keys are ignored so that a newer minor revision may add optional fields.
        kwargs = {name: conv(value[name]) for name, conv in fields if name in value}
        return cls(**kwargs)

    return build


def _to_json_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_to_json_value(v) for v in value]
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON here")


def _json_codec(cls: type) -> tuple[Encoder, Decoder]:
    build = _dataclass_from_json(cls)

    def encode_payload(msg: Any) -> bytes:
        body = _to_json_value(msg)
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")

    def decode_payload(payload: memoryview) -> Any:
        value = json.loads(bytes(payload).decode("utf-8"), parse_constant=_reject_constant)
        return build(value)

    return encode_payload, decode_payload


# --- binary codecs -----------------------------------------------------------------------

FRAME_HEADER = struct.Struct(">IBH")  # seq, flags, rect count
RECT_HEADER = struct.Struct(">HHHHBI")  # x, y, w, h, encoding, data length
FRAME_FULL = 0x01
ACK = struct.Struct(">I")
CURSOR_SHAPE_HEADER = struct.Struct(">HHHH")  # hot_x, hot_y, w, h
CURSOR_POS = struct.Struct(">ii")
POINTER = struct.Struct(">HHH")
KEY = struct.Struct(">IB")


def _encode_frame(msg: m.FrameUpdate) -> bytes:
    parts = [FRAME_HEADER.pack(msg.seq, FRAME_FULL if msg.full else 0, len(msg.rects))]
    parts.extend(RECT_HEADER.pack(r.x, r.y, r.w, r.h, int(r.encoding), len(r.data))
                 for r in msg.rects)
    parts.extend(r.data for r in msg.rects)
    return b"".join(parts)


def frame_headers(payload: memoryview) -> tuple[int, int, list[tuple[int, ...]]]:
    """Parse a FrameUpdate payload's headers only: ``(seq, flags, [(x, y, w, h, enc, len)])``.

    Checks that the data lengths add up exactly, without touching any pixel bytes.
    """
    if len(payload) < FRAME_HEADER.size:
        raise ValueError("frame header truncated")
    seq, flags, count = FRAME_HEADER.unpack_from(payload, 0)
    if flags & ~FRAME_FULL:
        raise ValueError("unknown frame flags")
    if count > m.MAX_RECTS:
        raise ValueError("too many rectangles")
    data_at = FRAME_HEADER.size + count * RECT_HEADER.size
    if len(payload) < data_at:
        raise ValueError("rectangle headers truncated")
    headers = [RECT_HEADER.unpack_from(payload, FRAME_HEADER.size + i * RECT_HEADER.size)
               for i in range(count)]
    if data_at + sum(h[5] for h in headers) != len(payload):
        raise ValueError("rectangle data length does not match the message length")
    return seq, flags, headers


def _decode_frame(payload: memoryview) -> m.FrameUpdate:
    seq, flags, headers = frame_headers(payload)
    at = FRAME_HEADER.size + len(headers) * RECT_HEADER.size
    rects = []
    for x, y, w, h, enc, length in headers:
        rects.append(EncodedRect(x, y, w, h, Encoding(enc), bytes(payload[at:at + length])))
        at += length
    return m.FrameUpdate(seq=seq, rects=tuple(rects), full=bool(flags & FRAME_FULL))


def _exact(fmt: struct.Struct, payload: memoryview) -> tuple[Any, ...]:
    if len(payload) != fmt.size:
        raise ValueError(f"payload must be {fmt.size} bytes, got {len(payload)}")
    return fmt.unpack(payload)


def _decode_bool(value: int) -> bool:
    if value not in (0, 1):
        raise ValueError("boolean byte must be 0 or 1")
    return bool(value)


def _encode_cursor_shape(msg: m.CursorShape) -> bytes:
    return CURSOR_SHAPE_HEADER.pack(msg.hot_x, msg.hot_y, msg.w, msg.h) + msg.pixels


def _decode_cursor_shape(payload: memoryview) -> m.CursorShape:
    if len(payload) < CURSOR_SHAPE_HEADER.size:
        raise ValueError("cursor header truncated")
    hot_x, hot_y, w, h = CURSOR_SHAPE_HEADER.unpack_from(payload, 0)
    return m.CursorShape(hot_x, hot_y, w, h, bytes(payload[CURSOR_SHAPE_HEADER.size:]))


_BINARY: dict[type, tuple[Encoder, Decoder]] = {
    m.FrameUpdate: (_encode_frame, _decode_frame),
    m.FrameAck: (lambda msg: ACK.pack(msg.seq),
                 lambda p: m.FrameAck(*_exact(ACK, p))),
    m.CursorShape: (_encode_cursor_shape, _decode_cursor_shape),
    m.CursorPos: (lambda msg: CURSOR_POS.pack(msg.x, msg.y),
                  lambda p: m.CursorPos(*_exact(CURSOR_POS, p))),
    m.PointerEvent: (lambda msg: POINTER.pack(msg.x, msg.y, msg.buttons),
                     lambda p: m.PointerEvent(*_exact(POINTER, p))),
    m.KeyEvent: (lambda msg: KEY.pack(msg.keysym, int(msg.down)),
                 lambda p: _decode_key(p)),
}


def _decode_key(payload: memoryview) -> m.KeyEvent:
    keysym, down = _exact(KEY, payload)
    return m.KeyEvent(keysym, _decode_bool(down))


# --- the registry ------------------------------------------------------------------------

A, V, R = Role.ASSIST, Role.VIEWER, Role.RELAY
CONTROL_MAX = 64 * 1024
REPORT_MAX = 256 * 1024

# (code, class, senders, phase, max_bytes); the code of a message never changes once released.
_TABLE: tuple[tuple[int, type, frozenset[Role], Phase, int | None], ...] = (
    (0x01, m.Hello, frozenset({A, V, R}), Phase.HANDSHAKE, 4 * 1024),
    (0x02, m.HelpRequest, frozenset({A}), Phase.JOIN, REPORT_MAX),
    (0x03, m.SessionCode, frozenset({A}), Phase.JOIN, REPORT_MAX),
    (0x04, m.ViewerJoin, frozenset({V}), Phase.JOIN, 4 * 1024),
    (0x05, m.Resume, frozenset({A, V}), Phase.JOIN, 4 * 1024),
    (0x06, m.Admitted, frozenset({R}), Phase.JOIN, 4 * 1024),
    (0x07, m.QueueStatus, frozenset({R}), Phase.SESSION, CONTROL_MAX),
    (0x08, m.AgentJoined, frozenset({R}), Phase.SESSION, CONTROL_MAX),
    (0x09, m.PeerStatus, frozenset({R}), Phase.SESSION, CONTROL_MAX),
    (0x0A, m.ConsentRequest, frozenset({V}), Phase.SESSION, CONTROL_MAX),
    (0x0B, m.Consent, frozenset({A}), Phase.SESSION, CONTROL_MAX),
    (0x0C, m.ScreenLayout, frozenset({A}), Phase.SESSION, CONTROL_MAX),
    (0x0D, m.MonitorSelect, frozenset({V}), Phase.SESSION, CONTROL_MAX),
    (0x0E, m.RefreshRequest, frozenset({V, R}), Phase.SESSION, CONTROL_MAX),
    (0x10, m.FrameUpdate, frozenset({A}), Phase.SESSION, None),
    (0x11, m.FrameAck, frozenset({V, R}), Phase.SESSION, ACK.size + 1),
    (0x12, m.CursorShape, frozenset({A}), Phase.SESSION,
     1 + CURSOR_SHAPE_HEADER.size + m.MAX_CURSOR_SIDE**2 * 4),
    (0x13, m.CursorPos, frozenset({A}), Phase.SESSION, CURSOR_POS.size + 1),
    (0x14, m.PointerEvent, frozenset({V}), Phase.SESSION, POINTER.size + 1),
    (0x15, m.KeyEvent, frozenset({V}), Phase.SESSION, KEY.size + 1),
    (0x20, m.ClipboardText, frozenset({A, V}), Phase.SESSION, 4 * m.MAX_CLIPBOARD + 64),
    (0x21, m.ChatLine, frozenset({A, V, R}), Phase.SESSION, CONTROL_MAX),
    (0x22, m.RatingRequest, frozenset({R}), Phase.SESSION, CONTROL_MAX),
    (0x23, m.Rating, frozenset({A}), Phase.SESSION, CONTROL_MAX),
    (0x30, m.Ping, frozenset({A, V, R}), Phase.ANY, 256),
    (0x31, m.Pong, frozenset({A, V, R}), Phase.ANY, 256),
    (0x3E, m.Error, frozenset({A, V, R}), Phase.ALWAYS, 8 * 1024),
    (0x3F, m.Bye, frozenset({A, V, R}), Phase.ALWAYS, 8 * 1024),
)


def _build_registry() -> tuple[dict[int, MessageSpec], dict[type, MessageSpec]]:
    by_code: dict[int, MessageSpec] = {}
    by_class: dict[type, MessageSpec] = {}
    for code, cls, senders, phase, max_bytes in _TABLE:
        enc, dec = _BINARY.get(cls) or _json_codec(cls)
        spec = MessageSpec(code, cls, senders, phase, max_bytes, enc, dec)
        assert code not in by_code and cls not in by_class, f"duplicate registry entry {cls}"
        by_code[code] = spec
        by_class[cls] = spec
    return by_code, by_class


SPECS_BY_CODE, SPECS_BY_CLASS = _build_registry()
MESSAGE_TYPES: dict[int, type] = {code: spec.cls for code, spec in SPECS_BY_CODE.items()}
DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024


def spec_for(msg_or_cls: Any) -> MessageSpec:
    cls = msg_or_cls if isinstance(msg_or_cls, type) else type(msg_or_cls)
    try:
        return SPECS_BY_CLASS[cls]
    except KeyError:
        raise TypeError(f"{cls.__name__} is not a protocol message") from None


def encode(msg: Any) -> bytes:
    """One message -> the bytes of one websocket message. Raises TypeError for non-messages."""
    spec = spec_for(msg)
    return bytes((spec.code,)) + spec.encode_payload(msg)


# Everything a payload decoder or a message constructor may raise on hostile bytes.
_DECODE_FAILURES = (ValueError, TypeError, KeyError, IndexError, struct.error, RecursionError,
                    OverflowError)


def decode(data: bytes | bytearray | memoryview,
           max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Any:
    """The bytes of one websocket message -> one message; raises ``DecodeError`` only."""
    view = memoryview(data)
    if len(view) == 0:
        raise DecodeError(ErrorCode.MALFORMED, "empty message")
    if len(view) > max_message_bytes:
        raise DecodeError(ErrorCode.TOO_LARGE,
                          f"message of {len(view)} bytes exceeds {max_message_bytes}")
    spec = SPECS_BY_CODE.get(view[0])
    if spec is None:
        raise DecodeError(ErrorCode.UNKNOWN_TYPE, f"unknown message type 0x{view[0]:02x}")
    if spec.max_bytes is not None and len(view) > spec.max_bytes:
        raise DecodeError(ErrorCode.TOO_LARGE, f"{spec.cls.__name__} of {len(view)} bytes "
                          f"exceeds {spec.max_bytes}")
    try:
        return spec.decode_payload(view[1:])
    except _DECODE_FAILURES as exc:
        raise DecodeError(ErrorCode.MALFORMED, f"bad {spec.cls.__name__}: {exc}") from None


def message_type(data: bytes | bytearray | memoryview) -> type | None:
    """The message class named by the first byte, without decoding (None if unknown)."""
    return MESSAGE_TYPES.get(data[0]) if len(data) else None
