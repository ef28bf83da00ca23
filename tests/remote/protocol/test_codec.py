"""The wire encoding, tested with bytes alone (table-driven, then fuzzed)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remote.protocol import messages as m
from remote.protocol.codec import (
    MESSAGE_TYPES,
    RECT_HEADER,
    DecodeError,
    decode,
    encode,
    frame_headers,
    message_type,
    spec_for,
)
from remote.protocol.encodings import EncodedRect, Encoding
from remote.protocol.messages import ErrorCode
from tests.remote.protocol.samples import FRAME, SAMPLES


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda s: type(s).__name__)
def test_every_message_round_trips(msg: object) -> None:
    data = encode(msg)
    assert data[0] == spec_for(msg).code
    assert message_type(data) is type(msg)
    assert decode(data) == msg


# Exact bytes: the wire format is a contract with released programs, so pin it.
EXACT = [
    (m.FrameAck(0x01020304), b"\x11\x01\x02\x03\x04"),
    (m.PointerEvent(1, 2, 5), b"\x14\x00\x01\x00\x02\x00\x05"),
    (m.KeyEvent(0xFF0D, True), b"\x15\x00\x00\xff\x0d\x01"),
    (m.CursorPos(-1, 2), b"\x13\xff\xff\xff\xff\x00\x00\x00\x02"),
    (m.CursorShape(0, 0, 1, 1, b"\x01\x02\x03\x04"), b"\x12" + b"\x00\x00\x00\x00\x00\x01\x00\x01"
     + b"\x01\x02\x03\x04"),
    (m.FrameUpdate(9, (EncodedRect(1, 2, 3, 4, Encoding.SOLID, b"RGB"),), full=True),
     b"\x10\x00\x00\x00\x09\x01\x00\x01" + b"\x00\x01\x00\x02\x00\x03\x00\x04\x01\x00\x00\x00\x03"
     + b"RGB"),
    (m.Ping(5), b'\x30{"nonce":5}'),
    (m.Consent(m.ConsentLevel.CONTROL), b'\x0b{"level":"control"}'),
    (m.Bye(m.ByeReason.STALLED, ""), b'\x3f{"reason":6,"text":""}'),
]


@pytest.mark.parametrize(("msg", "data"), EXACT, ids=lambda v: type(v).__name__)
def test_exact_wire_bytes(msg: object, data: bytes) -> None:
    assert encode(msg) == data
    assert decode(data) == msg


def test_frame_pixels_are_raw_bytes_not_text() -> None:
    pixels = bytes(range(256)) * 40
    frame = m.FrameUpdate(1, (EncodedRect(0, 0, 64, 40, Encoding.ZLIB, pixels),))
    data = encode(frame)
    assert data.endswith(pixels)
    assert len(data) == 1 + 7 + RECT_HEADER.size + len(pixels)


def test_frame_headers_reads_no_pixels() -> None:
    seq, flags, headers = frame_headers(memoryview(encode(FRAME))[1:])
    assert seq == 7 and flags == 0
    assert [(h[0], h[1], h[2], h[3], h[4]) for h in headers] == [
        (r.x, r.y, r.w, r.h, int(r.encoding)) for r in FRAME.rects]


BAD = [
    (b"", ErrorCode.MALFORMED),
    (b"\x00", ErrorCode.UNKNOWN_TYPE),
    (b"\xff{}", ErrorCode.UNKNOWN_TYPE),
    (b"\x30", ErrorCode.MALFORMED),  # Ping without a payload
    (b"\x30{", ErrorCode.MALFORMED),
    (b"\x30[]", ErrorCode.MALFORMED),
    (b'\x30{"nonce":"1"}', ErrorCode.MALFORMED),
    (b'\x30{"nonce":true}', ErrorCode.MALFORMED),
    (b'\x30{"nonce":-1}', ErrorCode.MALFORMED),
    (b'\x30{"nonce":NaN}', ErrorCode.MALFORMED),
    (b'\x30{}', ErrorCode.MALFORMED),  # required field missing
    (b"\x30\xff\xfe", ErrorCode.MALFORMED),  # not UTF-8
    (b'\x0b{"level":"everything"}', ErrorCode.MALFORMED),
    (b'\x23{"score":6}', ErrorCode.MALFORMED),
    (b'\x0c{"monitors":[],"index":0,"width":1,"height":1}', ErrorCode.MALFORMED),
    (b"\x11\x00\x00\x00", ErrorCode.MALFORMED),  # short ack
    (b"\x11\x00\x00\x00\x01\x00", ErrorCode.TOO_LARGE),  # long ack is over the type's limit
    (b"\x15\x00\x00\x00\x61\x02", ErrorCode.MALFORMED),  # boolean byte 2
    (b"\x10\x00\x00\x00\x01\x02\x00\x00", ErrorCode.MALFORMED),  # unknown frame flag
    (b"\x10\x00\x00\x00\x01\x00\x00\x01", ErrorCode.MALFORMED),  # rect header missing
    (b"\x10\x00\x00\x00\x01\x00\x00\x01" + b"\x00" * 8 + b"\x09\x00\x00\x00\x00",
     ErrorCode.MALFORMED),  # unknown encoding
    (b"\x10\x00\x00\x00\x01\x00\x00\x01" + b"\x00\x00\x00\x00\x00\x01\x00\x01\x01\x00\x00\x00\x03"
     + b"RG", ErrorCode.MALFORMED),  # data shorter than declared
    (b"\x10\x00\x00\x00\x01\x00\x00\x01" + b"\x00\x00\x00\x00\x00\x01\x00\x01\x01\x00\x00\x00\x03"
     + b"RGBX", ErrorCode.MALFORMED),  # trailing bytes
    (b"\x10\x00\x00\x00\x01\x00\x00\x01" + b"\x00\x00\x00\x00\x00\x00\x00\x01\x01\x00\x00\x00\x03"
     + b"RGB", ErrorCode.MALFORMED),  # zero width
    (b"\x10\x00\x00\x00\x01\x00\x00\x01" + b"\x00\x00\x00\x00\x00\x01\x00\x01\x01\x00\x00\x00\x02"
     + b"RG", ErrorCode.MALFORMED),  # SOLID must be 3 bytes
    (b"\x10\x00\x00\x00\x01\x00\xff\xff", ErrorCode.MALFORMED),  # too many rects
    (b"\x12\x00\x05\x00\x00\x00\x02\x00\x02" + b"\x00" * 16, ErrorCode.MALFORMED),  # hot spot
    (b"\x12\x00\x00\x00\x00\x00\x02\x00\x02" + b"\x00" * 15, ErrorCode.MALFORMED),
    (b"\x01" + b"{" * 100_000, ErrorCode.TOO_LARGE),
    (b"\x21" + b"[" * 50_000, ErrorCode.MALFORMED),  # deep nesting
]


@pytest.mark.parametrize(("data", "code"), BAD, ids=lambda v: repr(v)[:40])
def test_bad_bytes_raise_decode_error_with_code(data: bytes, code: ErrorCode) -> None:
    with pytest.raises(DecodeError) as info:
        decode(data)
    assert info.value.code is code


def test_connection_limit_applies_to_frames() -> None:
    big = m.FrameUpdate(1, (EncodedRect(0, 0, 8, 8, Encoding.ZLIB, b"z" * 5000),))
    with pytest.raises(DecodeError) as info:
        decode(encode(big), max_message_bytes=1000)
    assert info.value.code is ErrorCode.TOO_LARGE


def test_unknown_json_keys_are_ignored_for_forward_compatibility() -> None:
    assert decode(b'\x30{"nonce":3,"sent_at":17}') == m.Ping(3)


def test_construction_validates() -> None:
    with pytest.raises(ValueError):
        m.Rating(0)
    with pytest.raises(ValueError):
        m.PointerEvent(-1, 0)
    with pytest.raises(ValueError):
        m.FrameUpdate(1, (EncodedRect(0, 0, 1, 1, Encoding.COPY, b"\x00"),))
    with pytest.raises(TypeError):
        encode(object())


# --- fuzzing: whatever the bytes, decode() raises DecodeError or returns a message ---------

ALL_CODES = sorted(MESSAGE_TYPES)


def _decode_never_escapes(data: bytes) -> None:
    try:
        msg = decode(data)
    except DecodeError as exc:
        assert isinstance(exc.code, ErrorCode)
    else:
        assert type(msg) in MESSAGE_TYPES.values()
        assert decode(encode(msg)) == msg


@settings(max_examples=400, deadline=None)
@given(code=st.sampled_from(ALL_CODES), payload=st.binary(max_size=200))
def test_random_payload_for_every_type(code: int, payload: bytes) -> None:
    _decode_never_escapes(bytes((code,)) + payload)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    _decode_never_escapes(data)


@settings(max_examples=300, deadline=None)
@given(sample=st.sampled_from(SAMPLES), cut=st.integers(min_value=0, max_value=10_000),
       flip=st.integers(min_value=0, max_value=10_000), bit=st.integers(0, 7))
def test_truncated_and_bit_flipped_samples(sample: object, cut: int, flip: int, bit: int) -> None:
    data = encode(sample)
    _decode_never_escapes(data[: cut % (len(data) + 1)])
    mutated = bytearray(data)
    mutated[flip % len(data)] ^= 1 << bit
    _decode_never_escapes(bytes(mutated))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 2000), st.integers(1, 500),
                          st.integers(1, 500), st.sampled_from(list(Encoding)),
                          st.binary(max_size=40)), max_size=8),
       st.integers(0, 2**32 - 1), st.booleans())
def test_generated_frames_round_trip(rects: list, seq: int, full: bool) -> None:
    fixed = []
    for x, y, w, h, enc, data in rects:
        if enc is Encoding.SOLID:
            data = (data + b"\x00\x00\x00")[:3]
        elif enc is Encoding.COPY:
            data = (data + b"\x00" * 4)[:4]
        fixed.append(EncodedRect(x, y, w, h, enc, data))
    frame = m.FrameUpdate(seq, tuple(fixed), full)
    assert decode(encode(frame)) == frame
    assert struct.unpack(">I", encode(frame)[1:5]) == (seq,)
