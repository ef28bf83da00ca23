"""A deterministic synthetic session: office-like screen changes as encoded rectangles.

Each step yields the rectangles a viewer would receive: typing (small aligned and
unaligned rects), window repaints (WebP), a photo-like area (JPEG), flat areas (SOLID),
scrolls (COPY plus the uncovered strip). A live ``Framebuffer`` applying the same steps is
the reference the recording's seek must reproduce.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from remote.codec import formats
from remote.protocol.encodings import EncodedRect


@dataclass(frozen=True, slots=True)
class Step:
    t_ms: int
    rects: list[EncodedRect]


class SyntheticSession:
    """Screen changes at a given pace; ``steps()`` is deterministic for a seed."""

    def __init__(self, width: int = 320, height: int = 240, seed: int = 1,
                 step_ms: int = 200) -> None:
        self.width, self.height = width, height
        self.rng = np.random.default_rng(seed)
        self.step_ms = step_ms
        self.screen = np.zeros((height, width, 4), dtype=np.uint8)
        self.screen[:, :, 3] = 255

    def _block(self, w: int, h: int) -> np.ndarray:
        """Text-like block: light background with dark random 'glyph' strokes."""
        block = np.full((h, w, 4), 235, dtype=np.uint8)
        glyphs = self.rng.random((h, w)) < 0.12
        block[glyphs, :3] = self.rng.integers(0, 80, size=3, dtype=np.uint8)
        block[:, :, 3] = 255
        return block

    def _paint(self, x: int, y: int, block: np.ndarray, kind: str) -> EncodedRect:
        h, w = block.shape[:2]
        self.screen[y:y + h, x:x + w] = block
        if kind == "jpeg":
            rect = formats.jpeg(x, y, block, quality=70)
            return rect
        if kind == "solid":
            return formats.solid(x, y, block)
        return formats.webp(x, y, block)

    def first(self) -> list[EncodedRect]:
        return [self._paint(0, 0, self._block(self.width, self.height), "webp")]

    def steps(self, count: int, start_ms: int = 0) -> Iterator[Step]:
        kinds = ("type", "type", "type", "window", "jpeg", "solid", "scroll", "odd")
        for i in range(count):
            t = start_ms + (i + 1) * self.step_ms
            kind = kinds[int(self.rng.integers(0, len(kinds)))]
            yield Step(t, getattr(self, "_" + kind)())

    def _type(self) -> list[EncodedRect]:
        x = int(self.rng.integers(0, self.width // 16)) * 16
        y = int(self.rng.integers(0, self.height // 16)) * 16
        return [self._paint(x, y, self._block(16, 16), "webp")]

    def _odd(self) -> list[EncodedRect]:
        w, h = int(self.rng.integers(3, 40)), int(self.rng.integers(3, 30))
        x = int(self.rng.integers(0, self.width - w))
        y = int(self.rng.integers(0, self.height - h))
        return [self._paint(x, y, self._block(w, h), "webp")]

    def _window(self) -> list[EncodedRect]:
        w, h = 128, 96
        x = int(self.rng.integers(0, (self.width - w) // 32 + 1)) * 32
        y = int(self.rng.integers(0, (self.height - h) // 32 + 1)) * 32
        return [self._paint(x, y, self._block(w, h), "webp")]

    def _jpeg(self) -> list[EncodedRect]:
        w, h = 64, 48
        block = self.rng.integers(0, 255, size=(h, w, 4), dtype=np.uint8)
        block[:, :, 3] = 255
        # A lossy rect: the reference must hold what the decoder shows, not the source.
        from remote.codec.decoder import Framebuffer

        rect = formats.jpeg(32, 32, block, quality=70)
        fb = Framebuffer(w, h)
        fb.apply([formats.jpeg(0, 0, block, quality=70)])
        self.screen[32:32 + h, 32:32 + w] = fb.pixels
        return [rect]

    def _solid(self) -> list[EncodedRect]:
        block = np.zeros((32, 48, 4), dtype=np.uint8)
        block[:, :] = (*self.rng.integers(0, 255, size=3, dtype=np.uint8), 255)
        return [self._paint(int(self.rng.integers(0, self.width - 48)), 200 % self.height,
                            block, "solid")]

    def _scroll(self) -> list[EncodedRect]:
        """Scroll a region up by a non-multiple of the cell size, then paint the new strip."""
        x, y, w, h, dy = 16, 40, 200, 150, 17
        self.screen[y:y + h - dy, x:x + w] = self.screen[y + dy:y + h, x:x + w].copy()
        copy = formats.copy(x, y, w, h - dy, x, y + dy)
        strip = self._paint(x, y + h - dy, self._block(w, dy), "webp")
        return [copy, strip]
