"""What changed between two environment reports of the same machine (pure functions).

Reports are Tandem Assist's nested dicts. They are flattened to dotted keys; lists (the
screens) compare as a whole. Values become short display strings ("16 GiB",
"1920x1080 + 1280x1024") so the console shows them as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.screen_pop.profile import EnvironmentChange

#: Known keys in display order, with their labels.
LABELS: dict[str, str] = {
    "os.distribution": "Operating system",
    "os.version": "OS version",
    "os.release": "OS release",
    "os.system": "OS family",
    "os.machine": "Architecture",
    "vendor.product": "Product",
    "vendor.version": "Product version",
    "vendor.customer_code": "Customer code",
    "memory_bytes": "Memory",
    "screens": "Screens",
    "cpu.model": "CPU",
    "cpu.cores": "CPU cores",
    "hostname": "Host name",
    "time_zone.name": "Time zone",
    "locale.language": "Language",
    "assist_version": "Tandem Assist version",
}
#: Keys that change without meaning anything (daylight saving, encodings of the same locale).
IGNORED = frozenset({"time_zone.abbreviation", "time_zone.utc_offset_min", "locale.encoding",
                     "python"})


def flatten(report: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (report or {}).items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


def _memory(value: Any) -> str:
    gib = int(value) / (1 << 30)
    return f"{gib:.0f} GiB" if gib >= 1 else f"{int(value) >> 20} MiB"


def _screens(value: Any) -> str:
    if not value:
        return "none"
    return " + ".join(f"{s.get('width')}x{s.get('height')}" if isinstance(s, Mapping) else str(s)
                      for s in value)


FORMATTERS: dict[str, Callable[[Any], str]] = {"memory_bytes": _memory, "screens": _screens}


def display(key: str, value: Any) -> str | None:
    if value is None:
        return None
    try:
        return FORMATTERS.get(key, str)(value)
    except (TypeError, ValueError):
        return str(value)


def _comparable(key: str, value: Any) -> Any:
    # Screens compare by geometry only (a renamed output is not a change for the agent).
    if key == "screens" and isinstance(value, list):
        return [(s.get("width"), s.get("height")) if isinstance(s, Mapping) else s for s in value]
    return value


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple[EnvironmentChange, ...]:
    """Changes from ``before`` to ``after``; empty when either report is missing."""
    if not before or not after:
        return ()
    old, new = flatten(before), flatten(after)
    order = {k: i for i, k in enumerate(LABELS)}
    keys = sorted((set(old) | set(new)) - IGNORED, key=lambda k: (order.get(k, len(order)), k))
    changes = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        if _comparable(key, a) != _comparable(key, b):
            changes.append(EnvironmentChange(key, LABELS.get(key, key), display(key, a), display(key, b)))
    return tuple(changes)
