"""``tandem-hub``: help lists every setting, database commands, serve and graceful stop."""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.api import messages as api
from app.api.client import HubClient
from app.cli.hub import main
from app.config import SETTINGS
from tests.app.hub.support import run

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def keep_root_logging() -> Iterator[None]:
    """``main`` configures logging onto this test's captured stderr; undo it afterwards so
    later log lines (other threads, other tests) never write to a closed stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)


def test_help_lists_every_declared_setting(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for setting in SETTINGS:
        assert setting.flag in out and setting.env_var in out
    for command in ("sample-data", "create-agent", "recordings", "migrate", "serve"):
        assert command in out


def test_database_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "migrate"]) == 0
    assert "revision" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-pass\n"))
    assert main(["create-agent", "zoe", "--role", "qa", "--password-stdin",
                 "--data-dir", data]) == 0
    assert "'zoe' created" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-pass\n"))
    assert main(["--data-dir", data, "create-agent", "ZOE", "--password-stdin"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["--data-dir", data, "sample-data", "--customers", "2", "--seed", "3"]) == 0
    assert main(["--data-dir", data, "recordings", "cleanup", "--dry-run"]) == 0
    assert "would delete 0 recording" in capsys.readouterr().out


def test_serve_refuses_a_public_address_without_tls(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path), "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "without TLS" in capsys.readouterr().err


def test_serve_then_sigterm_stops_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "TANDEM_DATA_DIR": str(tmp_path), "TANDEM_PORT": "0",
           "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli.hub"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        assert proc.stdout is not None
        for line in proc.stdout:
            if "serving at" in line:
                url = line.split("serving at ")[1].split()[0]
                break
        assert url, "the hub never said where it serves"
        password = (tmp_path / "first-admin.txt").read_text().split("password: ")[1].split()[0]

        async def sign_in() -> api.LoginOk:
            client = HubClient(url)
            ok = await client.login("admin", password)
            await client.close()
            return ok

        assert run(sign_in()).agent.role is api.Role.ADMIN
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "hub stopped" in (proc.stderr.read() if proc.stderr else "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
