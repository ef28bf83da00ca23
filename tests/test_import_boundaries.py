"""The package rules of docs/architecture.md, enforced by walking every module's imports.

- ``app/`` and ``remote/`` never import Qt (PySide6/shiboken6).
- ``remote/`` never imports ``app/`` (Tandem Assist must install without the hub).
- ``remote/`` never imports SQLAlchemy or Alembic.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def top_levels(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


def modules_of(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


FORBIDDEN = {
    "app": {"PySide6", "shiboken6"},
    "remote": {"PySide6", "shiboken6", "app", "ui", "sqlalchemy", "alembic"},
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_import_rules(package: str) -> None:
    offenders = []
    for path in modules_of(package):
        bad = top_levels(path) & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    assert not offenders, "\n".join(offenders)


def test_checker_sees_forbidden_imports(tmp_path: Path) -> None:
    """The walker must catch both import forms, or the rule above could never fail."""
    sample = tmp_path / "sample.py"
    sample.write_text("import PySide6.QtCore\nfrom app.config import load\n")
    assert top_levels(sample) == {"PySide6", "app"}


def test_console_api_loads_no_database_code() -> None:
    """The console imports the API and the profile; neither may pull in SQLAlchemy."""
    import subprocess
    import sys

    code = ("import sys, app.api.messages, app.api.client, app.screen_pop.profile; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
