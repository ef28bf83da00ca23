"""Apply encoded screen rectangles to a framebuffer.

One decoder for everyone who shows a remote screen: the headless viewer, the console's
viewer widget and the recording player. ``Framebuffer.pixels`` is a numpy uint8 array
of shape (height, width, 4) in B, G, R, X byte order (X is always 255), which is the
memory layout of Qt's ``QImage.Format_RGB32`` on little-endian machines, so the console
wraps it without a copy. JPEG goes through simplejpeg and WebP/PNG through Pillow;
both release the GIL, so decoding on a worker thread does not stall a GUI thread.

Bad input (corrupt data, wrong size, a rectangle outside the screen) raises
``DecodeError``; rectangles before the bad one in the same call stay applied.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterable

import numpy as np
import simplejpeg
from PIL import Image

from remote.protocol.encodings import EncodedRect, Encoding

Rect = tuple[int, int, int, int]

#: Largest screen side accepted; guards against absurd allocations from a bad peer.
MAX_SIDE = 16384


class DecodeError(ValueError):
    """An encoded rectangle could not be applied (corrupt data or out of bounds)."""


def _image_pixels(data: bytes, w: int, h: int, expected: str) -> np.ndarray:
    """Decode a WebP or PNG file to an (h, w, 3) BGR array, checking format and size."""
    try:
        image = Image.open(io.BytesIO(data), formats=[expected])
        if image.size != (w, h):
            raise DecodeError(f"{expected} is {image.size[0]}x{image.size[1]}, rect is {w}x{h}")
        if image.mode != "RGB":
            image = image.convert("RGB")
        raw = image.tobytes("raw", "BGRX")
    except DecodeError:
        raise
    except Exception as exc:  # Pillow raises many types for corrupt files
        raise DecodeError(f"corrupt {expected} data: {exc}") from exc
    return np.frombuffer(raw, dtype=np.uint8).reshape(h, w, 4)[:, :, :3]


class Framebuffer:
    """The viewer's copy of the remote screen, updated rectangle by rectangle."""

    def __init__(self, width: int, height: int) -> None:
        self.pixels: np.ndarray = self._blank(width, height)
        self._handlers: dict[Encoding, Callable[[EncodedRect], None]] = {
            Encoding.SOLID: self._solid,
            Encoding.JPEG: self._jpeg,
            Encoding.WEBP: self._webp,
            Encoding.PNG: self._png,
            Encoding.ZLIB: self._zlib,
            Encoding.COPY: self._copy,
        }

    @staticmethod
    def _blank(width: int, height: int) -> np.ndarray:
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise DecodeError(f"screen size {width}x{height} out of range")
        pixels = np.zeros((height, width, 4), dtype=np.uint8)
        pixels[:, :, 3] = 255
        return pixels

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    def resize(self, width: int, height: int) -> None:
        """Start over at a new size (black). Replaces ``pixels``: re-wrap any view of it."""
        self.pixels = self._blank(width, height)

    def apply(self, rects: Iterable[EncodedRect]) -> list[Rect]:
        """Apply rectangles in order; return the (x, y, w, h) areas that changed."""
        dirty: list[Rect] = []
        for rect in rects:
            self._check_bounds(rect)
            handler = self._handlers.get(rect.encoding)
            if handler is None:
                raise DecodeError(f"unknown encoding {rect.encoding!r}")
            handler(rect)
            dirty.append((rect.x, rect.y, rect.w, rect.h))
        return dirty

    def _check_bounds(self, rect: EncodedRect) -> None:
        if rect.w <= 0 or rect.h <= 0 or rect.x < 0 or rect.y < 0 \
                or rect.x + rect.w > self.width or rect.y + rect.h > self.height:
            raise DecodeError(
                f"rect {rect.w}x{rect.h}+{rect.x}+{rect.y} outside the "
                f"{self.width}x{self.height} screen")

    def _target(self, rect: EncodedRect) -> np.ndarray:
        return self.pixels[rect.y:rect.y + rect.h, rect.x:rect.x + rect.w]

    def _solid(self, rect: EncodedRect) -> None:
        if len(rect.data) != 3:
            raise DecodeError(f"SOLID needs 3 bytes, got {len(rect.data)}")
        r, g, b = rect.data
        self._target(rect)[:] = (b, g, r, 255)

    def _jpeg(self, rect: EncodedRect) -> None:
        try:
            height, width, _, _ = simplejpeg.decode_jpeg_header(rect.data)
            if (width, height) != (rect.w, rect.h):
                raise DecodeError(f"JPEG is {width}x{height}, rect is {rect.w}x{rect.h}")
            image = simplejpeg.decode_jpeg(
                rect.data, colorspace="BGRX", fastdct=True, fastupsample=True)
        except DecodeError:
            raise
        except Exception as exc:
            raise DecodeError(f"corrupt JPEG data: {exc}") from exc
        self._target(rect)[:] = image  # libjpeg-turbo fills X with 255

    def _webp(self, rect: EncodedRect) -> None:
        self._target(rect)[:, :, :3] = _image_pixels(rect.data, rect.w, rect.h, "WEBP")

    def _png(self, rect: EncodedRect) -> None:
        self._target(rect)[:, :, :3] = _image_pixels(rect.data, rect.w, rect.h, "PNG")

    def _zlib(self, rect: EncodedRect) -> None:
        size = rect.w * rect.h * 4
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(rect.data, size + 1)
        except zlib.error as exc:
            raise DecodeError(f"corrupt ZLIB data: {exc}") from exc
        if len(raw) != size or not inflater.eof:
            raise DecodeError(f"ZLIB data is not {rect.w}x{rect.h} BGRX pixels")
        pixels = np.frombuffer(raw, dtype=np.uint8).reshape(rect.h, rect.w, 4)
        self._target(rect)[:, :, :3] = pixels[:, :, :3]

    def _copy(self, rect: EncodedRect) -> None:
        if len(rect.data) != 4:
            raise DecodeError(f"COPY needs 4 bytes, got {len(rect.data)}")
        src_x, src_y = struct.unpack(">HH", rect.data)
        if src_x + rect.w > self.width or src_y + rect.h > self.height:
            raise DecodeError(f"COPY source {src_x},{src_y} outside the screen")
        # numpy detects the overlap of source and target and copies through a buffer.
        self._target(rect)[:] = self.pixels[src_y:src_y + rect.h, src_x:src_x + rect.w]
