"""Synthesise ``ring.wav``: a soft two-tone softphone ring, made here from sine waves.

Run ``python resources/make_ring.py`` to regenerate it; the output is deterministic.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050


def tone(freqs: tuple[float, ...], seconds: float, volume: float = 0.28) -> list[int]:
    """A chord with short fades so it never clicks."""
    n = int(RATE * seconds)
    fade = int(RATE * 0.015)
    out = []
    for i in range(n):
        env = min(1.0, i / fade, (n - i) / fade)
        v = sum(math.sin(2 * math.pi * f * i / RATE) for f in freqs) / len(freqs)
        out.append(int(32767 * volume * env * v))
    return out


def silence(seconds: float) -> list[int]:
    return [0] * int(RATE * seconds)


def ring() -> list[int]:
    burst = tone((660.0, 880.0), 0.16) + silence(0.06)
    return burst * 2 + silence(0.12) + burst * 2 + silence(0.5)


def write(path: Path) -> None:
    samples = ring()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(struct.pack(f"<{len(samples)}h", *samples))


if __name__ == "__main__":
    write(Path(__file__).with_name("ring.wav"))
