"""UI test fixtures: a started worker, settings in a temp file, a main window without a hub."""

from __future__ import annotations

import gc
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


@pytest.fixture(autouse=True)
def _collect_after_test() -> Iterator[None]:
    """Collect each test's cycles on the GUI thread before the next test's threads run.

    Qt objects collected by a worker or hub thread can deadlock the GUI thread (see
    ui/gc_guard.py, which tandem-console installs). The suite keeps automatic collection
    but clears every test's garbage here, on the GUI thread, at a known moment.
    """
    yield
    gc.collect()
