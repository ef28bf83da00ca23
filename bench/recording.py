"""Recording benchmark: a synthetic one-hour office session, recorded, then sought at random.

    python bench/recording.py [--minutes 60] [--json]

1. ``remote.recording.demo.office_session``: an office desktop (1920x1080, applications
   with real text in DejaVu fonts) goes through a seeded hour of typing, reading with
   scrolls, switching applications and idling; each change is encoded by Tandem Assist's
   ``ScreenEncoder`` into a ``FrameUpdate`` exactly as it would cross the relay.
2. The messages are fed, time-compressed, to the hub's ``Recorder`` (the relay hook); once
   per simulated second the writer's background duties run (write + fsync, composite
   keyframe when needed). ``write_cpu_pct`` is the CPU of all that divided by the session's
   length.
3. Random seeks decode a full frame from the nearest anchor; ``open_ms`` opens the file.

Targets (issue 6): seek p95 <= 100 ms, <= 50 MB per hour, writing <= 5 % of a core.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from remote.protocol import FrameUpdate  # noqa: E402
from remote.recording.demo import Message, feed, office_session  # noqa: E402
from remote.recording.reader import RecordingReader  # noqa: E402
from remote.recording.recorder import Recorder  # noqa: E402

W, H = 1920, 1080


def record(messages: list[Message], path: Path) -> tuple[float, int]:
    """Feed the recorder; run the writer's once-a-second duties on simulated time."""
    recorder = Recorder(path, {"session_id": "bench"}, background=False)
    cpu0 = time.process_time()
    feed(recorder, messages)
    recorder.close("ended")
    cpu = time.process_time() - cpu0
    return cpu, recorder.summary.record_count if recorder.summary else 0


def seeks(path: Path, count: int, seed: int) -> tuple[list[float], list[float], float]:
    """Wall-clock and CPU (all threads) milliseconds per random seek, and the open time.

    CPU time is reported too because the build machine is shared: wall time there includes
    waiting for a core."""
    rng = np.random.default_rng(seed)
    opens = []
    for _ in range(5):
        started = time.perf_counter()
        RecordingReader(path).close()
        opens.append((time.perf_counter() - started) * 1000)
    times, cpu = [], []
    with RecordingReader(path) as reader:
        for t in rng.integers(0, reader.duration_ms + 1, size=count):
            started, cpu0 = time.perf_counter(), time.process_time()
            fb = reader.seek(int(t))
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu0) * 1000)
            assert fb is not None
    return times, cpu, statistics.median(opens)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="session length")
    parser.add_argument("--seeks", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    say = (lambda *_: None) if args.json else print
    seconds = int(args.minutes * 60)
    say(f"generating {args.minutes:g} min of office work at {W}x{H} ...")
    started = time.perf_counter()
    messages, encode_s = office_session(seconds, args.seed, W, H)
    frames = sum(1 for m in messages if isinstance(m.message, FrameUpdate))
    say(f"  {len(messages)} messages, {frames} frames, encoder {encode_s:.1f} s, "
        f"{time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.trec"
        cpu_s, records = record(messages, path)
        size = path.stat().st_size
        with RecordingReader(path) as reader:
            anchors = reader.anchors
            duration_ms = reader.duration_ms
        seek_ms, seek_cpu_ms, open_ms = seeks(path, args.seeks, args.seed)
    per_hour = 3600_000 / max(duration_ms, 1)
    result = {
        "size_mb_per_hour": round(size / 1e6 * per_hour, 2),
        "write_cpu_pct": round(100 * cpu_s / (duration_ms / 1000), 3),
        "seek_p50_ms": round(statistics.median(seek_ms), 1),
        "seek_p95_ms": round(float(np.percentile(seek_ms, 95)), 1),
        "open_ms": round(open_ms, 2),
        "duration_s": round(duration_ms / 1000, 1),
        "frames": frames,
        "records": records,
        "virtual_keyframes": sum(1 for a in anchors if a.kind.name == "VKEY"),
        "composite_keyframes": sum(1 for a in anchors if a.kind.name == "KEYFRAME"),
        "seek_max_ms": round(max(seek_ms), 1),
        "seek_cpu_p50_ms": round(statistics.median(seek_cpu_ms), 1),
        "seek_cpu_p95_ms": round(float(np.percentile(seek_cpu_ms, 95)), 1),
        "load_average": round(os.getloadavg()[0], 1),
        "screen": f"{W}x{H}",
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")
        print("targets: seek_p95_ms <= 100, size_mb_per_hour <= 50, write_cpu_pct <= 5")
    return 0


if __name__ == "__main__":
    sys.exit(main())
