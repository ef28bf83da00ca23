"""``tandem-recording info|verify|export|repair FILE``: recordings on the command line.

Exit status: 0 fine; 1 altered, unreadable or failed; 2 intact but incomplete (no footer:
the writer is still running or was killed; ``repair`` closes it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from remote.recording.export import ExportError
from remote.recording.format import FormatError, RecordingLocked
from remote.recording.reader import RecordingReader
from remote.recording.verify import repair, verify


def _info(args: argparse.Namespace) -> int:
    with RecordingReader(args.file) as reader:
        events = reader.events()
        info = {
            "path": str(args.file),
            "complete": reader.complete,
            "duration_ms": reader.duration_ms,
            "size_bytes": reader.size,
            "records": reader.record_count,
            "chain_head": reader.chain_head.hex(),
            "anchors": len(reader.anchors),
            "meta": reader.meta,
            "events": len(events),
        }
    if args.json:
        if args.events:
            info["timeline"] = [{"t_ms": e.t_ms, "kind": e.kind, "text": e.text} for e in events]
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    state = "closed cleanly" if info["complete"] else "INCOMPLETE (no footer)"
    print(f"{args.file}: {state}")
    print(f"  {'duration':<13} {info['duration_ms'] / 1000:.1f} s")
    print(f"  {'size':<13} {info['size_bytes'] / 1e6:.2f} MB, {info['records']} records, "
          f"{info['anchors']} seek anchors")
    print(f"  {'chain head':<13} {info['chain_head']}")
    for key, value in sorted(info["meta"].items()):
        print(f"  {key:<13} {value}")
    if args.events:
        for e in events:
            print(f"  {e.t_ms / 1000:9.1f} s  {e.kind:<9} {e.text}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    report = verify(args.file)
    print(f"{args.file}: {report.message}")
    if not report.intact:
        return 1
    return 0 if report.complete else 2


def _export(args: argparse.Namespace) -> int:
    from remote.recording.export import export_mp4

    result = export_mp4(args.file, args.output, max_fps=args.max_fps)
    print(f"{result.path}: {result.width}x{result.height} {result.codec}, "
          f"{result.frames} frames, {result.duration_ms / 1000:.1f} s")
    return 0


def _repair(args: argparse.Namespace) -> int:
    report = repair(args.file)
    if report.action == "none":
        print(f"{args.file}: closed cleanly, nothing to repair")
    elif report.action == "repaired":
        print(f"{args.file}: repaired: kept {report.records_kept} records "
              f"({report.duration_ms / 1000:.1f} s), truncated {report.bytes_truncated} bytes")
    else:
        print(f"{args.file}: {report.action}: {report.detail}")
        return 1
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "info": _info, "verify": _verify, "export": _export, "repair": _repair,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tandem-recording",
                                     description="Inspect, verify, export or repair a "
                                                 "Tandem session recording.")
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="duration, size, metadata (and --events)")
    info.add_argument("file", type=Path)
    info.add_argument("--events", action="store_true", help="list the timeline events")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    check = sub.add_parser("verify", help="check the hash chain, index and footer")
    check.add_argument("file", type=Path)
    export = sub.add_parser("export", help="export to MP4 (H.264)")
    export.add_argument("file", type=Path)
    export.add_argument("output", type=Path)
    export.add_argument("--max-fps", type=float, default=10.0,
                        help="most video frames per second (only changes are encoded)")
    fix = sub.add_parser("repair", help="close a recording left by a killed writer")
    fix.add_argument("file", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.file.is_file():
        print(f"tandem-recording: {args.file}: no such file", file=sys.stderr)
        return 1
    try:
        return COMMANDS[args.command](args)
    except FormatError as exc:
        print(f"tandem-recording: {args.file}: {exc}", file=sys.stderr)
        return 1
    except (RecordingLocked, ExportError) as exc:
        print(f"tandem-recording: {args.file}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
