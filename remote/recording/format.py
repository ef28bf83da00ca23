"""The Tandem recording container: byte layouts shared by writer, reader, verify and repair.

A recording is a versioned header followed by append-only records, each chained to the
previous one by a hash, so that a killed writer leaves a readable prefix and any altered
byte shows. See docs/recording-format.md for the full description.

    header  = MAGIC(8) | version u16 | flags u16 | meta_len u32 | meta (UTF-8 JSON)
    record  = length u32 | type u8 | t_ms u32 | payload[length] | hash[16]
    hash_i  = BLAKE2b-128(hash_{i-1} || length|type|t_ms || payload), hash_0 = BLAKE2b-128(header)
    trailer = footer_offset u64 | TRAILER_MAGIC(8)   (after the FOOTER record, clean close only)

All integers are big-endian.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from remote.protocol.encodings import EncodedRect, Encoding

MAGIC = b"TNDMREC\x00"
TRAILER_MAGIC = b"TNDMEND\x00"
VERSION = 1
FILE_SUFFIX = ".trec"

HEADER_FIXED = struct.Struct(">8sHHI")
RECORD_HEAD = struct.Struct(">IBI")
HASH_SIZE = 16
TRAILER = struct.Struct(">Q8s")

#: Largest payload a reader accepts; guards against a corrupt length allocating gigabytes.
MAX_PAYLOAD = 64 * 1024 * 1024
MAX_META = 1024 * 1024
MAX_T_MS = 2**32 - 1


class RecordType(IntEnum):
    """What a record holds. JSON payloads are UTF-8 objects; others are described per type."""

    START = 1  # JSON: session id, agent, customer, wall-clock start
    LAYOUT = 2  # JSON: width, height, monitors, chosen index
    FRAME = 3  # a FrameUpdate exactly as relayed (format named by the header's frame_format)
    CURSOR_SHAPE = 4  # the cursor-shape message as relayed
    CURSOR_POS = 5  # JSON: x, y
    POINTER = 6  # JSON: x, y, buttons (agent input)
    KEY = 7  # JSON: keysym, down (agent input)
    CONSENT = 8  # JSON: level none|view|control
    CONTROL = 9  # JSON: on (bool)
    CHAT = 10  # JSON: sender, text
    EVENT = 11  # JSON: kind plus details, for anything else worth a timeline mark
    VKEY = 12  # virtual keyframe: see tiles.py
    KEYFRAME = 13  # composite keyframe: see Keyframe (zlib bands of raw pixels)
    RECOVERED = 14  # JSON: what repair did
    END = 15  # JSON: reason, duration
    INDEX = 16  # fixed-size IndexEntry array
    FOOTER = 17  # FOOTER struct


#: Types whose payload is a JSON object.
JSON_TYPES = frozenset({
    RecordType.START, RecordType.LAYOUT, RecordType.CURSOR_POS, RecordType.POINTER,
    RecordType.KEY, RecordType.CONSENT, RecordType.CONTROL, RecordType.CHAT,
    RecordType.EVENT, RecordType.RECOVERED, RecordType.END,
})


class FormatError(ValueError):
    """The bytes are not a Tandem recording, or not one this version reads."""


class RecordingLocked(RuntimeError):
    """A live writer holds the file's lock; it must not be repaired or rewritten."""


def chain_seed(header: bytes) -> bytes:
    return hashlib.blake2b(header, digest_size=HASH_SIZE).digest()


def chain_hash(prev: bytes, head: bytes, payload: bytes | memoryview) -> bytes:
    h = hashlib.blake2b(prev, digest_size=HASH_SIZE)
    h.update(head)
    h.update(payload)
    return h.digest()


def pack_header(meta: dict[str, Any], flags: int = 0) -> bytes:
    body = json.dumps(meta, separators=(",", ":"), sort_keys=True).encode()
    if len(body) > MAX_META:
        raise ValueError("recording metadata too large")
    return HEADER_FIXED.pack(MAGIC, VERSION, flags, len(body)) + body


def unpack_header(data: bytes | memoryview) -> tuple[dict[str, Any], int]:
    """Parse the header at the start of ``data``; return (meta, header length)."""
    if len(data) < HEADER_FIXED.size:
        raise FormatError("file too short for a recording header")
    magic, version, _flags, meta_len = HEADER_FIXED.unpack_from(data, 0)
    if magic != MAGIC:
        raise FormatError("not a Tandem recording (bad magic)")
    if version != VERSION:
        raise FormatError(f"recording format version {version} is not supported (want {VERSION})")
    if meta_len > MAX_META or HEADER_FIXED.size + meta_len > len(data):
        raise FormatError("recording header is truncated or corrupt")
    end = HEADER_FIXED.size + meta_len
    try:
        meta = json.loads(bytes(data[HEADER_FIXED.size:end]))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"recording header metadata is not JSON: {exc}") from exc
    if not isinstance(meta, dict):
        raise FormatError("recording header metadata is not an object")
    return meta, end


def record_size(payload_len: int) -> int:
    return RECORD_HEAD.size + payload_len + HASH_SIZE


def json_payload(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


# ---- index and footer -------------------------------------------------------------------

class AnchorKind(IntEnum):
    """Index entry kinds: where seeking may start."""

    VKEY = 1  # a virtual keyframe (written only while the tile map can stand alone)
    KEYFRAME = 3  # composite keyframe; its picture is the state after record ``as_of``


INDEX_ENTRY = struct.Struct(">IB3xQQ16s")


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One seek anchor: fixed 40 bytes in the INDEX record.

    ``position`` is the stream offset whose state the anchor shows: the record's own offset
    for a virtual keyframe, ``as_of`` for a composite keyframe produced in the background.
    """

    t_ms: int
    kind: AnchorKind
    offset: int
    position: int
    chain_hash: bytes

    def pack(self) -> bytes:
        return INDEX_ENTRY.pack(self.t_ms, self.kind, self.offset, self.position, self.chain_hash)

    @classmethod
    def unpack_many(cls, data: bytes | memoryview) -> list[IndexEntry]:
        if len(data) % INDEX_ENTRY.size:
            raise FormatError("index record has a partial entry")
        return [cls(t, AnchorKind(k), off, pos, bytes(h))
                for t, k, off, pos, h in INDEX_ENTRY.iter_unpack(data)]


FOOTER = struct.Struct(">QQII")


@dataclass(frozen=True, slots=True)
class Footer:
    """Last record of a cleanly closed file: where the index is and how much came before."""

    index_offset: int
    record_count: int  # records before the footer
    duration_ms: int
    anchors: int

    def pack(self) -> bytes:
        return FOOTER.pack(self.index_offset, self.record_count, self.duration_ms, self.anchors)

    @classmethod
    def unpack(cls, data: bytes | memoryview) -> Footer:
        if len(data) != FOOTER.size:
            raise FormatError("footer has the wrong size")
        return cls(*FOOTER.unpack(data))


# ---- rectangles packed without the wire protocol -------------------------------------------

RECT_HEAD = struct.Struct(">HHHHBI")
RECT_COUNT = struct.Struct(">I")


def pack_rects(rects: Iterable[EncodedRect]) -> bytes:
    """Pack rectangles as count u32 then (x, y, w, h u16, encoding u8, len u32, data)."""
    rects = list(rects)
    parts = [RECT_COUNT.pack(len(rects))]
    for r in rects:
        parts.append(RECT_HEAD.pack(r.x, r.y, r.w, r.h, int(r.encoding), len(r.data)))
        parts.append(r.data)
    return b"".join(parts)


def unpack_rects(data: bytes | memoryview) -> list[EncodedRect]:
    view = memoryview(data)
    if len(view) < RECT_COUNT.size:
        raise FormatError("packed rects too short")
    (count,) = RECT_COUNT.unpack_from(view, 0)
    pos = RECT_COUNT.size
    rects: list[EncodedRect] = []
    for _ in range(count):
        if pos + RECT_HEAD.size > len(view):
            raise FormatError("packed rects truncated")
        x, y, w, h, enc, size = RECT_HEAD.unpack_from(view, pos)
        pos += RECT_HEAD.size
        if pos + size > len(view):
            raise FormatError("packed rect data truncated")
        try:
            encoding = Encoding(enc)
        except ValueError:
            raise FormatError(f"unknown rect encoding {enc}") from None
        rects.append(EncodedRect(x, y, w, h, encoding, bytes(view[pos:pos + size])))
        pos += size
    if pos != len(view):
        raise FormatError("packed rects have trailing bytes")
    return rects


KEYFRAME_HEAD = struct.Struct(">QIHHHH")
BAND_LEN = struct.Struct(">I")
#: Rows per composite keyframe band: a player inflates only the bands it needs.
BAND_ROWS = 64


@dataclass(frozen=True, slots=True)
class Keyframe:
    """A composite keyframe: the whole screen as it was after the record at ``as_of``.

    Stored as horizontal bands of raw B, G, R, X pixels, each zlib-compressed: lossless,
    and it inflates and copies into a framebuffer several times faster than a lossless
    image format decodes (findings.md section 5: full-frame WebP decode is too slow).
    """

    as_of: int
    t_ms: int
    width: int
    height: int
    band_rows: int
    bands: Sequence[bytes]

    @classmethod
    def from_pixels(cls, as_of: int, t_ms: int, pixels: Any, level: int = 6) -> Keyframe:
        import zlib

        h, w = pixels.shape[:2]
        bands = [zlib.compress(pixels[y:y + BAND_ROWS].tobytes(), level)
                 for y in range(0, h, BAND_ROWS)]
        return cls(as_of, t_ms, w, h, BAND_ROWS, bands)

    def band_span(self, index: int) -> tuple[int, int]:
        y0 = index * self.band_rows
        return y0, min(y0 + self.band_rows, self.height)

    def decode_band(self, index: int) -> Any:
        """Band ``index`` as an (rows, width, 4) uint8 array; FormatError if corrupt."""
        import zlib

        import numpy as np

        y0, y1 = self.band_span(index)
        size = (y1 - y0) * self.width * 4
        try:
            raw = zlib.decompress(self.bands[index], bufsize=size)
        except zlib.error as exc:
            raise FormatError(f"keyframe band {index} is corrupt: {exc}") from exc
        if len(raw) != size:
            raise FormatError(f"keyframe band {index} has the wrong size")
        return np.frombuffer(raw, dtype=np.uint8).reshape(y1 - y0, self.width, 4)

    def pack(self) -> bytes:
        parts = [KEYFRAME_HEAD.pack(self.as_of, self.t_ms, self.width, self.height,
                                    self.band_rows, len(self.bands))]
        for band in self.bands:
            parts += (BAND_LEN.pack(len(band)), band)
        return b"".join(parts)

    @classmethod
    def unpack(cls, data: bytes | memoryview) -> Keyframe:
        view = memoryview(data)
        if len(view) < KEYFRAME_HEAD.size:
            raise FormatError("keyframe too short")
        as_of, t_ms, w, h, rows, count = KEYFRAME_HEAD.unpack_from(view, 0)
        if rows == 0 or count != -(-h // rows):
            raise FormatError("keyframe band layout is inconsistent")
        pos, bands = KEYFRAME_HEAD.size, []
        for _ in range(count):
            if pos + BAND_LEN.size > len(view):
                raise FormatError("keyframe truncated")
            (size,) = BAND_LEN.unpack_from(view, pos)
            pos += BAND_LEN.size
            if pos + size > len(view):
                raise FormatError("keyframe band truncated")
            bands.append(bytes(view[pos:pos + size]))
            pos += size
        if pos != len(view):
            raise FormatError("keyframe has trailing bytes")
        return cls(as_of, t_ms, w, h, rows, bands)
