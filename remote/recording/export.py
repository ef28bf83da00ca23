"""Export a recording to MP4 for people outside Tandem (PyAV: FFmpeg with x264).

Variable frame rate: a video frame is encoded only when the screen changed (at most
``max_fps`` per second), with its presentation time in milliseconds, so an hour of mostly
still office work encodes quickly and stays small. The last picture is repeated at the end
so the video lasts as long as the session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from remote.recording.format import RecordType
from remote.recording.reader import Playback, RecordingReader


class ExportError(RuntimeError):
    """The recording cannot be exported (no screen, or no usable encoder)."""


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    frames: int
    duration_ms: int
    codec: str
    width: int
    height: int


def pick_codec() -> str:
    """H.264 through libx264 when this PyAV build has it, else MPEG-4 part 2."""
    import av

    available = av.codecs_available
    return "libx264" if "libx264" in available else "mpeg4"


def export_mp4(source: Path | str, target: Path | str, *, max_fps: float = 10.0,
               progress: Callable[[int, int], None] | None = None) -> ExportResult:
    """Write ``target`` (MP4) from the recording ``source``."""
    import av

    target = Path(target)
    with RecordingReader(source) as reader:
        size = _first_size(reader)
        if size is None:
            raise ExportError("the recording has no screen to export")
        width, height = size[0] & ~1, size[1] & ~1
        if width < 2 or height < 2:
            raise ExportError(f"screen {size[0]}x{size[1]} is too small for video")
        codec = pick_codec()
        duration = reader.duration_ms
        min_gap = int(1000 / max_fps)
        frames = 0
        with av.open(str(target), mode="w", format="mp4") as container:
            stream = container.add_stream(codec, rate=int(max_fps))
            stream.width, stream.height = width, height
            stream.pix_fmt = "yuv420p"
            stream.time_base = Fraction(1, 1000)
            stream.codec_context.time_base = Fraction(1, 1000)
            if codec == "libx264":
                stream.options = {"preset": "veryfast", "crf": "23"}
            canvas = np.zeros((height, width, 4), dtype=np.uint8)
            pb = Playback(reader)
            last_pts = -min_gap
            pending = False
            for t_ms in _change_times(reader):
                changed = pb.advance(t_ms)
                pending = pending or changed
                if pending and t_ms - last_pts >= min_gap:
                    _encode(container, stream, canvas, pb, t_ms)
                    frames += 1
                    last_pts, pending = t_ms, False
                    if progress is not None:
                        progress(t_ms, duration)
            # the last picture shows until the end: one more frame one frame-time before it
            end = max(duration - min_gap, last_pts + 1)
            pb.advance(duration)
            if pending or end > last_pts + min_gap:
                _encode(container, stream, canvas, pb, end)
                frames += 1
            for packet in stream.encode():
                container.mux(packet)
    return ExportResult(target, frames, max(duration, end), codec, width, height)


def _pointer_masks() -> tuple[np.ndarray, np.ndarray]:
    """A 12x18 arrow: (outline, fill) boolean masks."""
    h, w = 18, 12
    yy, xx = np.mgrid[0:h, 0:w]
    inside = (xx <= yy * 0.65) & (yy < 17 - xx * 0.35)
    p = np.pad(inside, 1)
    fill = p[1:-1, 1:-1] & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return inside & ~fill, fill


_OUTLINE, _FILL = _pointer_masks()


def _draw_pointer(canvas: np.ndarray, x: int, y: int) -> None:
    """The pointer, as people outside Tandem expect to see it in a screen video."""
    h, w = _OUTLINE.shape
    region = canvas[max(y, 0):y + h, max(x, 0):x + w]
    if x < 0 or y < 0 or not region.size:
        return
    rh, rw = region.shape[:2]
    region[_OUTLINE[:rh, :rw]] = (255, 255, 255, 255)
    region[_FILL[:rh, :rw]] = (20, 20, 20, 255)


def _first_size(reader: RecordingReader) -> tuple[int, int] | None:
    for rec in reader.records():
        if rec.type is RecordType.LAYOUT:
            info = reader.json(rec)
            return int(info["width"]), int(info["height"])
    return None


def _change_times(reader: RecordingReader) -> list[int]:
    times = [rec.t_ms for rec in reader.records()
             if rec.type in (RecordType.FRAME, RecordType.LAYOUT)]
    return sorted(set(times))


def _encode(container, stream, canvas: np.ndarray, pb: Playback, pts: int) -> None:  # noqa: ANN001
    import av

    fb = pb.framebuffer
    canvas[:] = 0
    if fb is not None:
        h = min(canvas.shape[0], fb.height)
        w = min(canvas.shape[1], fb.width)
        canvas[:h, :w] = fb.pixels[:h, :w]
    canvas[:, :, 3] = 255
    if pb.cursor is not None:
        _draw_pointer(canvas, *pb.cursor)
    frame = av.VideoFrame.from_ndarray(canvas, format="bgra").reformat(format="yuv420p")
    frame.pts = pts
    frame.time_base = Fraction(1, 1000)
    for packet in stream.encode(frame):
        container.mux(packet)
