"""Check a recording's hash chain, index and footer; repair one left by a killed writer.

``verify`` reads every record and recomputes the chain: it says "intact" or names the first
record that does not match (offset and time). ``repair`` handles a file without footer:
it keeps the records whose length and hash are whole, truncates the torn tail (SQLite
WAL's rule), appends a RECOVERED record, the index and the footer. It refuses a file that a
live writer still holds locked.
"""

from __future__ import annotations

import logging
import mmap
import os
from dataclasses import dataclass
from pathlib import Path

from remote.recording.format import (
    FILE_SUFFIX,
    HASH_SIZE,
    RECORD_HEAD,
    TRAILER,
    TRAILER_MAGIC,
    Footer,
    FormatError,
    IndexEntry,
    RecordingLocked,
    RecordType,
    unpack_header,
)
from remote.recording.reader import ScanResult, scan_records
from remote.recording.writer import ChainAppender, finish, lock_file

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    path: Path
    intact: bool  # every record present chains correctly (a torn tail is not "altered")
    complete: bool  # closed cleanly: footer, index and trailer present and consistent
    records: int
    chain_head: str
    duration_ms: int
    problem: str | None = None
    offset: int | None = None
    t_ms: int | None = None

    @property
    def message(self) -> str:
        if self.intact and self.complete:
            return (f"intact: {self.records} records, {self.duration_ms / 1000:.1f} s, "
                    f"chain head {self.chain_head}")
        if self.intact:
            return (f"intact but incomplete (no footer: writer still running or killed): "
                    f"{self.records} whole records up to {self.duration_ms / 1000:.1f} s")
        where = f" at offset {self.offset}" if self.offset is not None else ""
        when = f" (t={self.t_ms / 1000:.3f} s)" if self.t_ms is not None else ""
        return f"ALTERED{where}{when}: {self.problem}"


def _map(path: Path) -> tuple[mmap.mmap | None, memoryview]:
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            return None, memoryview(b"")
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    return mapped, memoryview(mapped)


def verify(path: Path | str) -> VerifyReport:
    """Recompute the hash chain and check index, footer and trailer."""
    path = Path(path)
    mapped, data = _map(path)
    try:
        try:
            _meta, start = unpack_header(data)
        except FormatError as exc:
            return VerifyReport(path, False, False, 0, "", 0, str(exc), 0, None)
        scan = scan_records(data, start, check_hashes=True)
        return _judge(path, data, scan)
    finally:
        data.release()
        if mapped is not None:
            mapped.close()


def _judge(path: Path, data: memoryview, scan: ScanResult) -> VerifyReport:
    base = dict(path=path, records=scan.records, chain_head=scan.chain_head.hex(),
                duration_ms=scan.last_t_ms)
    if scan.altered:
        t_ms = _t_at(data, scan.problem_offset)
        return VerifyReport(intact=False, complete=False, problem=scan.problem,
                            offset=scan.problem_offset, t_ms=t_ms, **base)
    last = scan.last
    if last is None or last.type is not RecordType.FOOTER:
        return VerifyReport(intact=True, complete=False, problem=scan.problem,
                            offset=scan.problem_offset, **base)
    problem = _check_footer(data, scan)
    if problem:
        return VerifyReport(intact=False, complete=False, problem=problem, offset=last.offset,
                            t_ms=last.t_ms, **base)
    return VerifyReport(intact=True, complete=True, **base)


def _t_at(data: memoryview, offset: int | None) -> int | None:
    if offset is None or offset + RECORD_HEAD.size > len(data):
        return None
    return int(RECORD_HEAD.unpack_from(data, offset)[2])


def _check_footer(data: memoryview, scan: ScanResult) -> str | None:
    last = scan.last
    assert last is not None
    footer = Footer.unpack(data[last.payload_offset:last.payload_offset + last.length])
    if footer.record_count != scan.records - 1:
        return f"footer counts {footer.record_count} records, file has {scan.records - 1}"
    trailer = bytes(data[last.end:])
    if len(trailer) != TRAILER.size or TRAILER.unpack(trailer) != (last.offset, TRAILER_MAGIC):
        return "trailer after the footer is missing or wrong"
    index_at = footer.index_offset
    if not 0 <= index_at <= len(data) - RECORD_HEAD.size:
        return "footer does not point to the index"
    length, rtype, _t = RECORD_HEAD.unpack_from(data, index_at)
    if rtype != RecordType.INDEX:
        return "footer does not point to the index"
    start = index_at + RECORD_HEAD.size
    try:
        stored = IndexEntry.unpack_many(data[start:start + length])
    except (FormatError, ValueError):
        return "index record is corrupt"
    if [(a.kind, a.offset, a.position, a.chain_hash) for a in stored] != \
            [(a.kind, a.offset, a.position, a.chain_hash) for a in scan.anchors]:
        return "index does not match the keyframes in the file"
    return None


@dataclass(frozen=True, slots=True)
class RepairReport:
    path: Path
    action: str  # "none" (closed cleanly), "repaired", "locked", "unreadable"
    records_kept: int = 0
    bytes_truncated: int = 0
    duration_ms: int = 0
    chain_head: str = ""
    size_bytes: int = 0
    detail: str = ""
    record_count: int = 0  # records in the file after repair (what the database stores)


def repair(path: Path | str) -> RepairReport:
    """Close a recording left without footer; refuse if a live writer holds it."""
    path = Path(path)
    fd = os.open(path, os.O_RDWR)
    try:
        lock_file(fd)
        report = verify(path)
        if report.complete:
            return RepairReport(path, "none", report.records, 0, report.duration_ms,
                                report.chain_head, os.fstat(fd).st_size, "closed cleanly",
                                report.records)
        return _repair_locked(path, fd)
    finally:
        os.close(fd)  # also releases the lock


def _repair_locked(path: Path, fd: int) -> RepairReport:
    size = os.fstat(fd).st_size
    mapped, data = _map(path)
    try:
        try:
            _meta, start = unpack_header(data)
        except FormatError as exc:
            return RepairReport(path, "unreadable", detail=str(exc), size_bytes=size)
        scan = scan_records(data, start, check_hashes=True)
        anchors = list(scan.anchors)
        last = scan.last
        end = scan.end
        if last is not None and last.type in (RecordType.INDEX, RecordType.FOOTER):
            # killed while closing: drop the half-written index/footer and redo them
            end = _drop_closing(data, start, scan)
        chain = _chain_at(data, start, end)
    finally:
        data.release()
        if mapped is not None:
            mapped.close()
    os.ftruncate(fd, end)
    kept = chain.count
    finish(chain, anchors, {"reason": "recovered", "records_kept": kept,
                            "bytes_truncated": size - end, "problem": scan.problem or ""},
           rtype=RecordType.RECOVERED)
    payload = chain.take()
    os.lseek(fd, end, os.SEEK_SET)
    os.write(fd, payload)
    os.fsync(fd)
    report = RepairReport(path, "repaired", kept, size - end, chain.last_t, chain.head.hex(),
                          end + len(payload), scan.problem or "no footer", chain.count)
    log.warning("recording %s repaired: kept %d records (%.1f s), truncated %d bytes (%s)",
                path, kept, chain.last_t / 1000, size - end, report.detail)
    return report


def _drop_closing(data: memoryview, start: int, scan: ScanResult) -> int:
    """Offset of the first INDEX/FOOTER record of an interrupted close."""
    offset = start
    end = scan.end
    cut = end
    while offset < end:
        length, rtype, _t = RECORD_HEAD.unpack_from(data, offset)
        if rtype in (RecordType.INDEX, RecordType.FOOTER):
            cut = offset
            break
        offset += RECORD_HEAD.size + length + HASH_SIZE
    return cut


def _chain_at(data: memoryview, start: int, end: int) -> ChainAppender:
    """Chain state after the records in [start, end)."""
    scan = scan_records(data[:end], start, check_hashes=False)
    head = scan.chain_head
    return ChainAppender(head, end, scan.records, scan.last_t_ms)


def recover_recordings(directory: Path | str) -> list[RepairReport]:
    """Hub start-up: repair every recording in ``directory`` left without footer.

    Clean files are skipped quickly (trailer check); a file still locked by a live
    writer is reported as "locked" and left alone.
    """
    directory = Path(directory)
    reports: list[RepairReport] = []
    if not directory.is_dir():
        return reports
    for path in sorted(directory.rglob(f"*{FILE_SUFFIX}")):
        if _has_trailer(path):
            continue
        try:
            reports.append(repair(path))
        except RecordingLocked:
            reports.append(RepairReport(path, "locked", detail="a live writer holds it"))
            log.info("recording %s is still being written; left alone", path)
        except OSError as exc:
            reports.append(RepairReport(path, "unreadable", detail=str(exc)))
            log.error("recording %s could not be repaired: %s", path, exc)
    return reports


def _has_trailer(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < TRAILER.size:
                return False
            fh.seek(size - TRAILER.size)
            _offset, magic = TRAILER.unpack(fh.read(TRAILER.size))
            return magic == TRAILER_MAGIC
    except OSError:
        return False
