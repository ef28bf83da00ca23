"""Frame records made by the relay hold protocol bytes: parse them with remote.protocol."""

from __future__ import annotations

from remote.protocol import FrameUpdate, decode
from remote.protocol.codec import DecodeError
from remote.protocol.encodings import EncodedRect
from remote.protocol.messages import PROTOCOL_VERSION
from remote.recording.format import MAX_PAYLOAD, FormatError

FRAME_FORMAT = f"tandem-protocol/{PROTOCOL_VERSION}"


def frame_rects(payload: bytes) -> list[EncodedRect]:
    try:
        message = decode(payload, max_message_bytes=MAX_PAYLOAD)
    except DecodeError as exc:
        raise FormatError(f"frame record is not a valid FrameUpdate: {exc.text}") from exc
    if not isinstance(message, FrameUpdate):
        raise FormatError(f"frame record holds a {type(message).__name__}")
    return list(message.rects)
