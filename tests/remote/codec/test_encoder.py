"""ScreenEncoder: what it sends makes a decoder's framebuffer equal the source."""

from __future__ import annotations

import numpy as np
import pytest

from remote.codec.decoder import Framebuffer
from remote.codec.encoder import ScreenEncoder
from remote.protocol.encodings import Encoding


def desktop(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A UI-like screen: flat background, a window with text-like glyph noise."""
    rng = np.random.default_rng(seed)
    frame = np.zeros((h, w, 4), np.uint8)
    frame[..., :3] = (90, 60, 40)
    frame[40:h - 40, 50:w - 50, :3] = 250
    glyphs = rng.random((h - 120, w - 140)) < 0.2
    frame[80:h - 40, 70:w - 70][glyphs] = (20, 20, 20, 0)
    return frame


def photo(h: int, w: int, phase: int = 0) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    frame = np.zeros((h, w, 4), np.uint8)
    frame[..., 0] = (np.sin((xx + phase) / 17.0) * 90 + 120).astype(np.uint8)
    frame[..., 1] = ((yy * 3 + xx + phase) % 256).astype(np.uint8)
    frame[..., 2] = (np.cos((yy - phase) / 23.0) * 100 + 128).astype(np.uint8)
    return frame


def refresh_all(enc: ScreenEncoder, fb: Framebuffer, now: float) -> list:
    """Refresh until nothing is pending (each call is bounded in time, not in count)."""
    sent = []
    while enc.pending_refresh and enc.next_refresh_at() <= now:
        rects = enc.refresh(10**9, now=now)
        fb.apply(rects)
        sent += rects
    return sent


def same(fb: Framebuffer, frame: np.ndarray) -> bool:
    return bool(np.array_equal(fb.pixels[..., :3], frame[..., :3]))


@pytest.mark.parametrize("size", [(480, 640), (333, 517), (64, 64), (10, 700)])
def test_first_frame_and_changes_round_trip_exactly(size: tuple[int, int]) -> None:
    h, w = size
    enc = ScreenEncoder(w, h)
    fb = Framebuffer(w, h)
    frame = desktop(h, w) if h > 200 else np.full((h, w, 4), 77, np.uint8)
    fb.apply(enc.encode(frame))
    assert same(fb, frame)
    changed = frame.copy()
    changed[h // 2: h // 2 + 7, w // 3: w // 3 + 5, :3] = (1, 2, 3)
    rects = enc.encode(changed)
    assert rects and all(r.encoding.lossless for r in rects)
    fb.apply(rects)
    assert same(fb, changed)


def test_unchanged_frame_sends_nothing() -> None:
    enc = ScreenEncoder(320, 240)
    frame = desktop(240, 320)
    enc.encode(frame)
    assert enc.encode(frame.copy()) == []
    assert enc.last_stats.dirty_tiles == 0


def test_small_change_is_cropped_to_changed_pixels() -> None:
    enc = ScreenEncoder(640, 480)
    frame = desktop(480, 640)
    enc.encode(frame)
    typed = frame.copy()
    typed[100:113, 200:206, :3] = 0  # one glyph cell
    rects = enc.encode(typed)
    assert [(r.x, r.y, r.w, r.h) for r in rects] == [(200, 100, 6, 13)]


def test_flat_area_becomes_solid() -> None:
    enc = ScreenEncoder(256, 256)
    frame = np.zeros((256, 256, 4), np.uint8)
    enc.encode(frame)
    filled = frame.copy()
    filled[:, :, :3] = (10, 20, 30)  # B, G, R
    rects = enc.encode(filled)
    assert {r.encoding for r in rects} == {Encoding.SOLID}
    assert rects[0].data == bytes((30, 20, 10))
    assert len(rects) == 1 and (rects[0].w, rects[0].h) == (256, 256)


def test_photo_goes_lossy_then_refresh_makes_it_exact() -> None:
    enc = ScreenEncoder(640, 480, quality=50)
    fb = Framebuffer(640, 480)
    frame = desktop(480, 640)
    fb.apply(enc.encode(frame, now=0.0))
    video = frame.copy()
    video[64:320, 128:512] = photo(256, 384)
    rects = enc.encode(video, now=1.0)
    assert any(r.encoding is Encoding.JPEG for r in rects)
    fb.apply(rects)
    assert not same(fb, video)
    assert enc.pending_refresh > 0
    assert enc.refresh(10**9, now=1.1) == []  # not settled yet
    assert enc.next_refresh_at() == pytest.approx(1.0 + enc.settle_s)
    refresh = refresh_all(enc, fb, now=2.0)
    assert refresh and all(r.encoding.lossless for r in refresh)
    assert same(fb, video)
    assert enc.pending_refresh == 0 and enc.next_refresh_at() is None


def test_refresh_respects_budget_but_always_progresses() -> None:
    enc = ScreenEncoder(512, 512, quality=40)
    fb = Framebuffer(512, 512)
    frame = photo(512, 512)
    fb.apply(enc.encode(frame, now=0.0))
    total = enc.pending_refresh
    assert total == 64
    rounds = 0
    while enc.pending_refresh:
        rects = enc.refresh(1, now=5.0)
        assert len(rects) == 1
        fb.apply(rects)
        rounds += 1
    assert rounds == 8  # one run of tiles per call: each row of 8 tiles
    assert same(fb, frame)


def test_changing_video_stays_lossy_and_converges_when_it_stops() -> None:
    enc = ScreenEncoder(400, 300)
    fb = Framebuffer(400, 300)
    for phase in range(5):
        frame = photo(300, 400, phase * 7)
        fb.apply(enc.encode(frame, now=phase * 0.03))
        refresh_all(enc, fb, now=phase * 0.03)
    assert not same(fb, frame)
    refresh_all(enc, fb, now=10.0)
    assert same(fb, frame)


def test_scroll_is_sent_as_copy_plus_new_lines() -> None:
    h, w = 600, 800
    text = desktop(h + 39, w, seed=3)
    enc = ScreenEncoder(w, h)
    fb = Framebuffer(w, h)
    fb.apply(enc.encode(text[:h]))
    for step in (13, 26, 39):
        frame = np.ascontiguousarray(text[step:step + h])
        frame[:40] = text[:40]  # a title bar that does not scroll
        rects = enc.encode(frame)
        copies = [r for r in rects if r.encoding is Encoding.COPY]
        assert len(copies) == 1
        fb.apply(rects)
        assert same(fb, frame)
        assert enc.last_stats.bytes < 8000  # only the new lines besides the copy


def test_scroll_detection_off_still_exact() -> None:
    h, w = 400, 500
    text = desktop(h + 20, w, seed=5)
    enc = ScreenEncoder(w, h, detect_scroll=False)
    fb = Framebuffer(w, h)
    fb.apply(enc.encode(text[:h]))
    fb.apply(rects := enc.encode(np.ascontiguousarray(text[20:20 + h])))
    assert not any(r.encoding is Encoding.COPY for r in rects)
    assert same(fb, text[20:20 + h])


def test_hints_limit_where_changes_are_looked_for() -> None:
    enc = ScreenEncoder(512, 512)
    frame = desktop(512, 512)
    enc.encode(frame)
    changed = frame.copy()
    changed[10, 10, :3] = 1
    changed[300, 300, :3] = 1
    rects = enc.encode(changed, hints=[(290, 290, 20, 20)])
    assert [(r.x, r.y) for r in rects] == [(300, 300)]
    # The unhinted change is still found by a later full compare.
    rects = enc.encode(changed)
    assert [(r.x, r.y) for r in rects] == [(10, 10)]


def test_reset_resends_everything() -> None:
    enc = ScreenEncoder(200, 200)
    frame = desktop(200, 200)
    enc.encode(frame)
    enc.reset()
    fb = Framebuffer(200, 200)
    fb.apply(enc.encode(frame))
    assert same(fb, frame)


def test_parallel_and_serial_agree_on_lossless_output() -> None:
    frame = desktop(720, 1280)
    a = ScreenEncoder(1280, 720, parallel=True).encode(frame)
    b = ScreenEncoder(1280, 720, parallel=False).encode(frame)
    assert a == b


def test_wrong_frame_shape_is_refused() -> None:
    enc = ScreenEncoder(100, 100)
    with pytest.raises(ValueError, match="frame shape"):
        enc.encode(np.zeros((100, 101, 4), np.uint8))
    with pytest.raises(ValueError):
        ScreenEncoder(0, 10)


def test_adopted_frames_become_the_model_without_changing_output() -> None:
    frames = [photo(240, 320, phase) for phase in (0, 9, 18)]
    frames.append(frames[-1].copy())
    frames[-1][10:20, 10:20] = 0
    a, b = ScreenEncoder(320, 240, parallel=False), ScreenEncoder(320, 240, parallel=False)
    fa, fb_ = Framebuffer(320, 240), Framebuffer(320, 240)
    for i, frame in enumerate(frames):
        adopted = frame.copy()
        out_a = a.encode(adopted, now=float(i), adopt=True)
        out_b = b.encode(frame.copy(), now=float(i))
        assert out_a == out_b
        fa.apply(out_a)
        fb_.apply(out_b)
        assert np.array_equal(a.model(), frame) and a.model() is not adopted
    refresh_all(a, fa, now=99.0)
    assert same(fa, frames[-1])


@pytest.mark.parametrize("shift", [(37, -23), (-80, 45), (5, 0), (0, -9)])
def test_dragged_window_is_sent_as_copy(shift: tuple[int, int]) -> None:
    h, w = 600, 900
    background = np.zeros((h, w, 4), np.uint8)
    background[..., :3] = (60, 90, 120)
    window = desktop(260, 380, seed=7)
    enc = ScreenEncoder(w, h)
    fb = Framebuffer(w, h)
    first = background.copy()
    first[150:410, 250:630] = window
    fb.apply(enc.encode(first))
    dx, dy = shift
    moved = background.copy()
    moved[150 + dy:410 + dy, 250 + dx:630 + dx] = window
    rects = enc.encode(moved)
    copies = [r for r in rects if r.encoding is Encoding.COPY]
    assert len(copies) == 1
    fb.apply(rects)
    assert same(fb, moved)
    assert enc.last_stats.bytes < 3000  # the exposed background is flat: SOLID rects
