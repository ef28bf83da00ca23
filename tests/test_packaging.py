"""Tandem Assist installs and runs without the hub's or the console's dependencies.

Two checks: the ``assist`` extra's dependency closure (from the installed metadata)
contains no Qt and no SQLAlchemy; and ``remote.assist`` imports in a fresh interpreter in
which importing PySide6, SQLAlchemy, Alembic or ``app`` fails loudly.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_DISTRIBUTIONS = {"pyside6", "pyside6-essentials", "shiboken6", "sqlalchemy", "alembic"}


def _name(requirement: str) -> str:
    return re.split(r"[\s;\[<>=!~(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _extras(requirement: str) -> set[str]:
    match = re.search(r"\[([^\]]+)\]", requirement.split(";")[0])
    return {e.strip() for e in match.group(1).split(",")} if match else set()


def _applies(requirement: str, extra: str | None) -> bool:
    """Whether a requirement applies for ``extra`` on this platform (evaluates the marker)."""
    from packaging.requirements import Requirement

    req = Requirement(requirement)
    if req.marker is None:
        return extra is None
    env = {"extra": extra or ""}
    if extra is None and "extra" in str(req.marker):
        return False
    return req.marker.evaluate(env)


def dependency_closure(dist_name: str, extras: set[str]) -> set[str]:
    """Distribution names reachable from ``dist_name[extras]`` through installed metadata."""
    seen: set[tuple[str, frozenset[str]]] = set()
    names: set[str] = set()
    stack = [(dist_name.lower(), frozenset(extras))]
    while stack:
        name, wanted = stack.pop()
        if (name, wanted) in seen:
            continue
        seen.add((name, wanted))
        names.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for req in requires:
            if any(_applies(req, e) for e in (None, *wanted)):
                stack.append((_name(req), frozenset(_extras(req))))
    return names


def test_assist_extra_has_no_qt_or_database() -> None:
    closure = dependency_closure("tandem", {"assist"})
    assert {"mss", "pillow", "websockets", "numpy"} <= closure
    assert not closure & FORBIDDEN_DISTRIBUTIONS, sorted(closure & FORBIDDEN_DISTRIBUTIONS)


def test_console_extra_does_pull_qt() -> None:
    """Guards the closure walker itself: the console extra must reach PySide6."""
    assert "pyside6-essentials" in dependency_closure("tandem", {"console"})


BLOCKER = """
import importlib.abc, sys
BLOCKED = {"PySide6", "shiboken6", "sqlalchemy", "alembic", "app", "ui"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"Tandem Assist must not import {name}")
        return None
sys.meta_path.insert(0, Block())
import importlib
for module in sys.argv[1:]:
    importlib.import_module(module)
print("ok")
"""


def assist_modules() -> list[str]:
    package = ROOT / "remote"
    return sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in package.rglob("*.py")
    )


def test_remote_imports_without_qt_or_database() -> None:
    modules = [m for m in assist_modules() if not m.endswith("__main__")]
    assert "remote.assist" in modules
    result = subprocess.run(
        [sys.executable, "-c", BLOCKER, *modules], cwd=ROOT, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
