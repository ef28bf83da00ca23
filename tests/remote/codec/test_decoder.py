"""Framebuffer.apply: every encoding, and every kind of bad input, table-driven."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from remote.codec import formats
from remote.codec.decoder import DecodeError, Framebuffer
from remote.protocol.encodings import EncodedRect, Encoding


def text_like(h: int, w: int, seed: int = 1) -> np.ndarray:
    """A few-colour block with sharp edges, like text on a plain background."""
    rng = np.random.default_rng(seed)
    palette = np.array([[255, 255, 255, 0], [0, 0, 0, 0], [200, 80, 30, 0]], np.uint8)
    return palette[rng.integers(0, 3, size=(h, w))]


def photo_like(h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    block = np.zeros((h, w, 4), np.uint8)
    block[..., 0] = (xx * 255 // max(w - 1, 1)).astype(np.uint8)
    block[..., 1] = (yy * 255 // max(h - 1, 1)).astype(np.uint8)
    block[..., 2] = ((xx + yy) % 256).astype(np.uint8)
    return block


LOSSLESS = [
    ("webp", lambda x, y, b: formats.webp(x, y, b)),
    ("png", lambda x, y, b: formats.png(x, y, b)),
    ("zlib", lambda x, y, b: formats.zlib_raw(x, y, b)),
]


@pytest.mark.parametrize("name,encode", LOSSLESS, ids=[n for n, _ in LOSSLESS])
def test_lossless_round_trip_is_exact(name: str, encode) -> None:
    fb = Framebuffer(200, 100)
    block = text_like(37, 61)
    dirty = fb.apply([encode(50, 20, block)])
    assert dirty == [(50, 20, 61, 37)]
    assert np.array_equal(fb.pixels[20:57, 50:111, :3], block[..., :3])
    assert (fb.pixels[..., 3] == 255).all()
    assert (fb.pixels[:20, :, :3] == 0).all()


def test_solid_fills_with_rgb_order() -> None:
    fb = Framebuffer(10, 10)
    fb.apply([EncodedRect(2, 3, 4, 5, Encoding.SOLID, bytes((10, 20, 30)))])
    assert fb.pixels[3, 2].tolist() == [30, 20, 10, 255]
    assert fb.pixels[7, 5].tolist() == [30, 20, 10, 255]
    assert fb.pixels[8, 5].tolist() == [0, 0, 0, 255]


def test_jpeg_is_close_and_sized() -> None:
    fb = Framebuffer(300, 200)
    block = photo_like(120, 160)
    fb.apply([formats.jpeg(100, 40, block, quality=90)])
    got = fb.pixels[40:160, 100:260, :3].astype(int)
    assert np.abs(got - block[..., :3]).mean() < 4
    assert (fb.pixels[..., 3] == 255).all()


def test_copy_moves_overlapping_block_like_a_scroll() -> None:
    fb = Framebuffer(50, 40)
    fb.pixels[:, :, :3] = np.arange(40, dtype=np.uint8)[:, None, None]
    before = fb.pixels.copy()
    # Scroll up by 5 rows: rows 5..39 move to 0..34 (source and target overlap).
    fb.apply([formats.copy(0, 0, 50, 35, 0, 5)])
    assert np.array_equal(fb.pixels[:35], before[5:])
    assert np.array_equal(fb.pixels[35:], before[35:])


def test_rects_apply_in_order() -> None:
    fb = Framebuffer(20, 20)
    fb.apply([
        EncodedRect(0, 0, 20, 20, Encoding.SOLID, b"\x01\x02\x03"),
        EncodedRect(0, 0, 5, 5, Encoding.SOLID, b"\x09\x09\x09"),
        formats.copy(10, 10, 5, 5, 0, 0),
    ])
    assert fb.pixels[12, 12, :3].tolist() == [9, 9, 9]
    assert fb.pixels[6, 6, :3].tolist() == [3, 2, 1]


def test_resize_starts_black_at_new_size() -> None:
    fb = Framebuffer(10, 10)
    fb.apply([EncodedRect(0, 0, 10, 10, Encoding.SOLID, b"\xff\xff\xff")])
    fb.resize(30, 20)
    assert fb.pixels.shape == (20, 30, 4)
    assert (fb.pixels[..., :3] == 0).all() and (fb.pixels[..., 3] == 255).all()
    assert (fb.width, fb.height) == (30, 20)


def _valid(encoding: Encoding) -> bytes:
    block = text_like(8, 8)
    return {
        Encoding.JPEG: formats.jpeg(0, 0, block, 70).data,
        Encoding.WEBP: formats.webp(0, 0, block).data,
        Encoding.PNG: formats.png(0, 0, block).data,
        Encoding.ZLIB: formats.zlib_raw(0, 0, block).data,
    }[encoding]


BAD = [
    ("outside right", EncodedRect(95, 0, 10, 10, Encoding.SOLID, b"abc"), "outside"),
    ("outside bottom", EncodedRect(0, 95, 10, 10, Encoding.SOLID, b"abc"), "outside"),
    ("negative x", EncodedRect(-1, 0, 10, 10, Encoding.SOLID, b"abc"), "outside"),
    ("empty", EncodedRect(0, 0, 0, 10, Encoding.SOLID, b"abc"), "outside"),
    ("solid short", EncodedRect(0, 0, 8, 8, Encoding.SOLID, b"ab"), "SOLID"),
    ("copy short", EncodedRect(0, 0, 8, 8, Encoding.COPY, b"ab"), "COPY"),
    ("copy source outside", EncodedRect(0, 0, 8, 8, Encoding.COPY, struct.pack(">HH", 95, 0)),
     "COPY source"),
    ("jpeg garbage", EncodedRect(0, 0, 8, 8, Encoding.JPEG, b"\xff\xd8garbage"), "JPEG"),
    ("jpeg truncated", EncodedRect(0, 0, 8, 8, Encoding.JPEG, _valid(Encoding.JPEG)[:40]),
     "JPEG"),
    ("jpeg wrong size", EncodedRect(0, 0, 9, 8, Encoding.JPEG, _valid(Encoding.JPEG)), "JPEG is"),
    ("webp garbage", EncodedRect(0, 0, 8, 8, Encoding.WEBP, b"RIFF0000WEBPjunk"), "WEBP"),
    ("webp truncated", EncodedRect(0, 0, 8, 8, Encoding.WEBP, _valid(Encoding.WEBP)[:30]),
     "WEBP"),
    ("webp wrong size", EncodedRect(0, 0, 8, 9, Encoding.WEBP, _valid(Encoding.WEBP)), "WEBP is"),
    ("png as webp", EncodedRect(0, 0, 8, 8, Encoding.WEBP, _valid(Encoding.PNG)), "WEBP"),
    ("png garbage", EncodedRect(0, 0, 8, 8, Encoding.PNG, b"\x89PNG\r\n\x1a\nxx"), "PNG"),
    ("png wrong size", EncodedRect(0, 0, 7, 8, Encoding.PNG, _valid(Encoding.PNG)), "PNG is"),
    ("zlib garbage", EncodedRect(0, 0, 8, 8, Encoding.ZLIB, b"not zlib"), "ZLIB"),
    ("zlib short", EncodedRect(0, 0, 8, 8, Encoding.ZLIB, zlib.compress(b"\0" * 100)), "ZLIB"),
    ("zlib bomb", EncodedRect(0, 0, 8, 8, Encoding.ZLIB, zlib.compress(b"\0" * 10_000_000)),
     "ZLIB"),
    ("zlib truncated", EncodedRect(0, 0, 8, 8, Encoding.ZLIB, _valid(Encoding.ZLIB)[:-3]), "ZLIB"),
    ("unknown encoding", EncodedRect(0, 0, 8, 8, 99, b""), "unknown encoding"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("name,rect,message", BAD, ids=[b[0] for b in BAD])
def test_bad_rect_raises_decode_error(name: str, rect: EncodedRect, message: str) -> None:
    fb = Framebuffer(100, 100)
    with pytest.raises(DecodeError, match=message):
        fb.apply([rect])


def test_rects_before_a_bad_one_stay_applied() -> None:
    fb = Framebuffer(10, 10)
    with pytest.raises(DecodeError):
        fb.apply([EncodedRect(0, 0, 2, 2, Encoding.SOLID, b"\x05\x05\x05"),
                  EncodedRect(0, 0, 20, 2, Encoding.SOLID, b"\x05\x05\x05")])
    assert fb.pixels[0, 0, :3].tolist() == [5, 5, 5]


@pytest.mark.parametrize("size", [(0, 10), (10, 0), (20000, 10), (-5, 5)])
def test_absurd_screen_size_is_refused(size: tuple[int, int]) -> None:
    with pytest.raises(DecodeError):
        Framebuffer(*size)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

VALID_SAMPLES = {enc: _valid(enc) for enc in (Encoding.JPEG, Encoding.WEBP, Encoding.PNG,
                                               Encoding.ZLIB)}


@settings(max_examples=300, deadline=None)
@given(encoding=st.sampled_from(list(Encoding)), x=st.integers(0, 40), y=st.integers(0, 40),
       w=st.integers(1, 40), h=st.integers(1, 40), cut=st.integers(0, 400),
       noise=st.binary(max_size=64), use_valid=st.booleans())
def test_any_bytes_decode_or_raise_decode_error(encoding: Encoding, x: int, y: int, w: int,
                                                h: int, cut: int, noise: bytes,
                                                use_valid: bool) -> None:
    """Random, truncated and mangled rect data never raises anything but DecodeError."""
    base = VALID_SAMPLES.get(encoding, b"") if use_valid else b""
    data = base[:cut] + noise if cut < len(base) else base + noise
    fb = Framebuffer(48, 48)
    try:
        fb.apply([EncodedRect(x, y, w, h, encoding, data)])
    except DecodeError:
        pass
    assert fb.pixels.shape == (48, 48, 4)
