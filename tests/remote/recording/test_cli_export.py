"""tandem-recording info/verify/repair/export, and the MP4 checked with ffprobe."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from remote.recording.cli import main
from tests.remote.recording.test_format import record_session


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "s.trec"
    record_session(path, steps=40)  # 40 steps of 200 ms: 8 s
    return path


def test_info_and_verify(recording: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(recording), "--json", "--events"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["complete"] and info["duration_ms"] == 8000
    assert info["meta"]["session_id"] == "s-1"
    assert any(e["kind"] == "keys" for e in info["timeline"])
    assert main(["info", str(recording), "--events"]) == 0
    assert "closed cleanly" in capsys.readouterr().out
    assert main(["verify", str(recording)]) == 0
    assert "intact" in capsys.readouterr().out


def test_verify_exit_codes(recording: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    data = recording.read_bytes()
    cut = tmp_path / "cut.trec"
    cut.write_bytes(data[:len(data) // 2])
    assert main(["verify", str(cut)]) == 2
    assert "incomplete" in capsys.readouterr().out
    assert main(["repair", str(cut)]) == 0
    assert "repaired" in capsys.readouterr().out
    assert main(["verify", str(cut)]) == 0
    altered = bytearray(data)
    altered[len(data) // 3] ^= 0x40
    bad = tmp_path / "bad.trec"
    bad.write_bytes(bytes(altered))
    assert main(["verify", str(bad)]) == 1
    assert "ALTERED at offset" in capsys.readouterr().out


def test_bad_input_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.trec"
    junk.write_bytes(b"hello world, not a recording")
    assert main(["info", str(junk)]) == 1
    assert "not a Tandem recording" in capsys.readouterr().err
    assert main(["info", str(tmp_path / "missing.trec")]) == 1


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
def test_export_mp4_duration(recording: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.mp4"
    assert main(["export", str(recording), str(out)]) == 0
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_name,width,"
         "height", "-of", "json", str(out)], capture_output=True, text=True, check=True)
    info = json.loads(probe.stdout)
    assert abs(float(info["format"]["duration"]) - 8.0) < 0.15
    stream = info["streams"][0]
    assert stream["codec_name"] in ("h264", "mpeg4")
    assert (stream["width"], stream["height"]) == (320, 240)
