"""A real writer process for the SIGKILL test: records until killed, printing each t_ms."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from remote.recording.format import RecordType, pack_rects
from remote.recording.writer import RecordingWriter, WriterSettings
from tests.remote.recording.synthetic import SyntheticSession


def main(path: str) -> None:
    session = SyntheticSession(320, 240, seed=7, step_ms=20)
    writer = RecordingWriter(Path(path), {"session_id": "child"},
                             settings=WriterSettings(vkey_interval_ms=500))
    start = time.monotonic()
    writer.append_json(RecordType.START, 0, {"session_id": "child"})
    writer.append_layout(0, 320, 240)
    first = session.first()
    writer.append_frame(0, pack_rects(first), first)
    for step in session.steps(10**6):
        now = int((time.monotonic() - start) * 1000)
        writer.append_frame(now, pack_rects(step.rects), step.rects)
        print(now, flush=True)
        time.sleep(0.02)


if __name__ == "__main__":
    main(sys.argv[1])
