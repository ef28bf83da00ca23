"""UI test fixtures: a started worker, settings in a temp file, a main window without a hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from ui.worker import Worker


@pytest.fixture
def worker() -> Iterator[Worker]:
    w = Worker().start()
    yield w
    w.stop()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)


@pytest.fixture(autouse=True, scope="session")
def _style(qapp) -> None:
    from ui.look import apply_style

    apply_style(qapp)
