"""How the pixels of one screen rectangle are encoded on the wire and in recordings.

Shared by the assist's encoder, the viewer's decoder, the relay (which never decodes
pixels) and the recording format, so the numbers are fixed here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Encoding(IntEnum):
    """Encoding of a rectangle's ``data``.

    SOLID: 3 bytes R, G, B; the whole rectangle is that colour.
    JPEG: a baseline JPEG file of exactly w x h (lossy; photo-like regions).
    WEBP: a lossless WebP file of exactly w x h (text and UI).
    PNG: a PNG file of exactly w x h (lossless fallback).
    ZLIB: zlib-compressed raw pixels, w*h*4 bytes, B G R X order, rows top to bottom.
    COPY: 4 bytes, big-endian uint16 src_x, src_y: copy the w x h block from there on the
          viewer's current framebuffer (scrolling, window drags) before later rects apply.
    """

    SOLID = 1
    JPEG = 2
    WEBP = 3
    PNG = 4
    ZLIB = 5
    COPY = 6

    @property
    def lossless(self) -> bool:
        return self is not Encoding.JPEG


@dataclass(frozen=True, slots=True)
class EncodedRect:
    """One rectangle of a screen update: where it goes and its encoded pixels."""

    x: int
    y: int
    w: int
    h: int
    encoding: Encoding
    data: bytes
