"""Encode one block of BGRX pixels in each wire ``Encoding``.

Plain functions over numpy views, shared by the assist's ``ScreenEncoder``, tests and
tools that need to produce frames (e.g. recordings). Input is an (h, w, 4) uint8 array
in B, G, R, X order; it may be a strided view into a larger screen.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import simplejpeg
from PIL import Image

from remote.protocol.encodings import EncodedRect, Encoding


def _rgb_image(block: np.ndarray) -> Image.Image:
    h, w = block.shape[:2]
    data = np.ascontiguousarray(block)
    return Image.frombuffer("RGB", (w, h), data, "raw", "BGRX", 0, 1)


def solid(x: int, y: int, block: np.ndarray) -> EncodedRect:
    """A block of one colour (the caller checked); 3 bytes R, G, B."""
    b, g, r = (int(v) for v in block[0, 0, :3])
    h, w = block.shape[:2]
    return EncodedRect(x, y, w, h, Encoding.SOLID, bytes((r, g, b)))


def jpeg(x: int, y: int, block: np.ndarray, quality: int,
         subsampling: str = "420") -> EncodedRect:
    h, w = block.shape[:2]
    data = simplejpeg.encode_jpeg(block, quality=quality,
                                  colorspace="BGRX", colorsubsampling=subsampling,
                                  fastdct=True)
    return EncodedRect(x, y, w, h, Encoding.JPEG, data)


def webp(x: int, y: int, block: np.ndarray, effort: int = 0, method: int = 0) -> EncodedRect:
    """Lossless WebP; ``effort`` (Pillow's quality in lossless mode) and ``method`` trade
    size against speed: 0/0 is the fastest and still far smaller than PNG on text."""
    h, w = block.shape[:2]
    out = io.BytesIO()
    _rgb_image(block).save(out, format="WEBP", lossless=True, quality=effort, method=method,
                           exact=True)
    return EncodedRect(x, y, w, h, Encoding.WEBP, out.getvalue())


def png(x: int, y: int, block: np.ndarray, level: int = 1) -> EncodedRect:
    h, w = block.shape[:2]
    out = io.BytesIO()
    _rgb_image(block).save(out, format="PNG", compress_level=level)
    return EncodedRect(x, y, w, h, Encoding.PNG, out.getvalue())


def zlib_raw(x: int, y: int, block: np.ndarray, level: int = 1) -> EncodedRect:
    h, w = block.shape[:2]
    data = zlib.compress(np.ascontiguousarray(block).tobytes(), level)
    return EncodedRect(x, y, w, h, Encoding.ZLIB, data)


def copy(x: int, y: int, w: int, h: int, src_x: int, src_y: int) -> EncodedRect:
    """Tell the viewer to copy a block of its own framebuffer (scroll, window move)."""
    return EncodedRect(x, y, w, h, Encoding.COPY, struct.pack(">HH", src_x, src_y))
