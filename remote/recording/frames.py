"""Turn a stored frame record back into rectangles, by the header's ``frame_format``.

Frame records hold the FrameUpdate exactly as the relay passed it, so the reader needs the
wire format's parser; recordings made without the protocol (tests, tools, benchmarks) use
the container's own packed rectangles.
"""

from __future__ import annotations

from collections.abc import Callable

from remote.protocol.encodings import EncodedRect
from remote.recording.format import FormatError, unpack_rects

FrameParser = Callable[[bytes], list[EncodedRect]]

RECTS_V1 = "rects-v1"
PROTOCOL_PREFIX = "tandem-protocol/"


def _protocol_rects(payload: bytes) -> list[EncodedRect]:
    from remote.recording import wire

    return wire.frame_rects(payload)


def frame_parser(frame_format: str) -> FrameParser:
    if frame_format == RECTS_V1:
        return unpack_rects
    if frame_format.startswith(PROTOCOL_PREFIX):
        return _protocol_rects
    raise FormatError(f"unknown frame format {frame_format!r}")
