"""Shared fixtures: real X server, real PostgreSQL, free ports, a clean data directory.

Area-specific fixtures live in ``tests/<area>/conftest.py``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer, PostgresUnavailable, start_postgres
from tests.support.xserver import Xvfb, XvfbUnavailable

# Qt runs offscreen in tests unless a test starts its own display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty Tandem data directory (SQLite file and recordings go here)."""
    path = tmp_path / "tandem-data"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def xvfb() -> Iterator[Xvfb]:
    """One real Xvfb screen (1280x800x24) for the whole test session."""
    try:
        server = Xvfb(width=1280, height=800).start()
    except XvfbUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = start_postgres()
    except PostgresUnavailable as exc:
        if os.environ.get("TANDEM_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    return postgres_server.url
