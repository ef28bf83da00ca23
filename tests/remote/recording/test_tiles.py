"""The tile map stays small and complete for typical screen updates."""

from __future__ import annotations

from remote.protocol.encodings import EncodedRect, Encoding
from remote.recording.tiles import DEPTH, TileTracker, VirtualKeyframe


def solid(x: int, y: int, w: int, h: int) -> EncodedRect:
    return EncodedRect(x, y, w, h, Encoding.SOLID, b"\x00\x00\x00")


def test_blinking_cursor_keeps_a_short_stack() -> None:
    tracker = TileTracker()
    tracker.layout(10, 100, 50)
    tracker.paint(20, [solid(0, 0, 100, 50)])
    for i in range(200):  # a 2x14 cursor, unaligned, on and off
        tracker.paint(100 + i, [solid(21, 3, 2, 14)])
    assert tracker.complete
    stack = [o for o in tracker.owners[0, 1].tolist() if o >= 0]
    assert stack == [299, 20]


def test_typing_along_a_line_stays_complete() -> None:
    tracker = TileTracker()
    tracker.layout(10, 200, 40)
    tracker.paint(20, [solid(0, 0, 200, 40)])
    for i in range(27):  # glyphs 7 px wide, 13 px tall, unaligned
        tracker.paint(100 + i, [solid(3 + 7 * i, 5, 7, 13)])
    assert tracker.complete
    vk = VirtualKeyframe.unpack(tracker.snapshot())
    assert vk.complete and len(vk.entries) == 28


def test_overflow_makes_the_map_incomplete_until_a_composite() -> None:
    tracker = TileTracker()
    tracker.layout(10, 16, 16)
    for i in range(DEPTH + 1):  # disjoint one-pixel columns: every entry stays visible
        tracker.paint(100 + i, [solid(i, 0, 1, 16)])
    assert not tracker.complete
    tracker.composite(500, as_of=100 + DEPTH)
    assert tracker.complete
    assert tracker.owners[0, 0].tolist()[0] == 500


def test_copy_pins_the_source_records() -> None:
    tracker = TileTracker()
    tracker.layout(10, 64, 64)
    tracker.paint(20, [solid(0, 0, 64, 64)])
    tracker.paint(30, [solid(0, 32, 64, 32)])
    tracker.paint(40, [EncodedRect(0, 0, 64, 32, Encoding.COPY, bytes([0, 0, 0, 32]))])
    assert tracker.pinned == {30: [(0, 32, 64, 32)]}
    vk = VirtualKeyframe.unpack(tracker.snapshot())
    assert vk.entries.tolist() == [30, 40] and vk.pins == [(0, (0, 32, 64, 32))]
