"""Sender-side flow control: a small window of unacknowledged frames, adaptive quality.

The viewer acknowledges each FrameUpdate after applying it (cumulative ``FrameAck``). The
assist sends a new frame only while fewer than ``window`` frames (default 4) and fewer
bytes than ``max_queue_s`` of the measured throughput are unacknowledged; while
the window is full it keeps collecting changes and then encodes the newest screen, so a
slow link lowers the frame rate instead of growing a queue (TigerVNC's Congestion.cxx has
the same goal with more machinery). From each ack we get a round-trip sample including
the frame's transfer; from large frames a throughput estimate. JPEG quality follows the
delivery time (AIMD, like RustDesk's video_qos), and the lossless refresh gets a byte
budget that fits in ``refresh_share`` of a second at the measured throughput.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FlowSnapshot:
    in_flight: int
    rtt_ms: float
    throughput_kbps: float
    quality: int
    frames_sent: int
    frames_acked: int
    bytes_sent: int


class FlowControl:
    """Window, RTT and throughput bookkeeping; safe to call from two threads."""

    def __init__(self, window: int = 4, quality: int = 70, min_quality: int = 25,
                 max_quality: int = 80, target_delivery_s: float = 0.12,
                 max_queue_s: float = 0.15, min_queue_bytes: int = 128 * 1024) -> None:
        self.window = window
        self.max_queue_s = max_queue_s
        self.min_queue_bytes = min_queue_bytes
        self.quality = quality
        self.min_quality = min_quality
        self.max_quality = max_quality
        self.target_delivery_s = target_delivery_s
        self._lock = threading.Lock()
        self._seq = 0
        self._acked = 0
        self._sent: dict[int, tuple[float, int]] = {}  # seq -> (sent at, bytes)
        self.rtt_s = 0.05
        self.min_rtt_s = float("inf")
        self.throughput_bps = 4_000_000.0  # bytes/s until measured
        self.frames_acked = 0
        self.bytes_sent = 0
        self._measured = False

    def can_send(self) -> bool:
        """One frame may always be in flight; more only within ``window`` frames and while
        the unacknowledged bytes fit in ``max_queue_s`` of the measured throughput, so on a
        slow link a big frame is alone on the wire and latency stays bounded."""
        with self._lock:
            in_flight = self._seq - self._acked
            if in_flight == 0:
                return True
            if in_flight >= self.window:
                return False
            queued = sum(size for _, size in self._sent.values())
            return queued < max(self.min_queue_bytes, self.throughput_bps * self.max_queue_s)

    def next_seq(self, size: int, now: float | None = None) -> int:
        """Register a frame of ``size`` bytes about to be sent; returns its seq."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._seq += 1
            self._sent[self._seq] = (now, size)
            self.bytes_sent += size
            return self._seq

    def on_ack(self, seq: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if seq <= self._acked or seq > self._seq:
                return
            sample = self._sent.get(seq)
            for s in range(self._acked + 1, seq + 1):
                self._sent.pop(s, None)
            self.frames_acked += seq - self._acked
            self._acked = seq
            if sample is None:
                return
            rtt = max(now - sample[0], 1e-4)
            size = sample[1]
            self.rtt_s = 0.8 * self.rtt_s + 0.2 * rtt
            self.min_rtt_s = min(self.min_rtt_s, rtt)
            if size >= 16_384:
                # The transfer time is the RTT minus the link's base latency (best seen).
                transfer = max(rtt - min(self.min_rtt_s, rtt * 0.25), 1e-3)
                rate = size / transfer
                self.throughput_bps = rate if not self._measured else \
                    0.7 * self.throughput_bps + 0.3 * rate
                self._measured = True
            self._adapt(rtt, size)

    def _adapt(self, rtt: float, size: int) -> None:
        if rtt > self.target_delivery_s and size >= 8_192:
            self.quality = max(self.min_quality, self.quality - 10)
        elif rtt < self.target_delivery_s / 2:
            self.quality = min(self.max_quality, self.quality + 2)

    def reset_in_flight(self) -> None:
        """Treat everything sent as acknowledged (RefreshRequest, reconnect)."""
        with self._lock:
            self._acked = self._seq
            self._sent.clear()

    def refresh_budget(self, share: float = 0.05) -> int:
        """Bytes of lossless refresh that fit in ``share`` seconds of the link."""
        return max(4_096, int(self.throughput_bps * share))

    def snapshot(self) -> FlowSnapshot:
        with self._lock:
            return FlowSnapshot(self._seq - self._acked, self.rtt_s * 1000,
                                self.throughput_bps * 8 / 1000, self.quality, self._seq,
                                self.frames_acked, self.bytes_sent)
