"""The environment report sent with every help request, and the stable machine id.

The report is what an agent's screen pop shows about the customer's computer: operating
system and version, CPU, memory, screens, host name, Python, locale, time zone, and the
vendor's product, version and customer code. Gathering it takes milliseconds and imports
nothing heavy (mss is imported only for the screen list).
"""

from __future__ import annotations

import locale
import os
import platform
import socket
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from remote.assist.vendor import VendorConfig

ASSIST_VERSION = "0.1.0"
MACHINE_ID_FILE = "machine-id"


def config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("tandem", appauthor=False))


def machine_id(directory: Path | None = None) -> str:
    """A random id generated once and kept in the user's config directory."""
    folder = directory or config_dir()
    path = folder / MACHINE_ID_FILE
    try:
        existing = path.read_text(encoding="ascii").strip()
        if len(existing) == 32 and all(c in "0123456789abcdef" for c in existing):
            return existing
    except (OSError, UnicodeDecodeError):
        pass
    new = uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(new + "\n", encoding="ascii")
    os.replace(tmp, path)
    return new


def _os_name() -> dict[str, str]:
    info = {"system": platform.system(), "release": platform.release(),
            "version": platform.version(), "machine": platform.machine()}
    try:
        release = platform.freedesktop_os_release()
        info["distribution"] = release.get("PRETTY_NAME", "")
    except OSError:
        pass
    if info["system"] == "Windows":
        info["distribution"] = " ".join(platform.win32_ver()[:2])
    elif info["system"] == "Darwin":
        info["distribution"] = "macOS " + platform.mac_ver()[0]
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _time_zone() -> dict[str, Any]:
    now = datetime.now().astimezone()
    name = ""
    try:
        link = os.readlink("/etc/localtime")
        if "zoneinfo/" in link:
            name = link.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    name = os.environ.get("TZ", "") or name or (now.tzname() or "")
    offset = now.utcoffset()
    return {"name": name, "utc_offset_min": int(offset.total_seconds() // 60) if offset else 0,
            "abbreviation": time.strftime("%Z")}


def _screens(display: str | None) -> list[dict[str, Any]]:
    try:
        from remote.capture.screen import ScreenGrabber

        with ScreenGrabber(0, display) as grabber:
            return [{"index": mon.index, "x": mon.x, "y": mon.y, "width": mon.width,
                     "height": mon.height, "primary": mon.primary, "name": mon.name}
                    for mon in grabber.monitors()]
    except Exception:  # no display, no mss: the report says so instead of failing
        return []


def environment_report(vendor: VendorConfig, display: str | None = None) -> dict[str, Any]:
    """Everything an agent wants to know about this computer (JSON-friendly)."""
    lang, encoding = locale.getlocale()
    return {
        "os": _os_name(),
        "cpu": {"model": _cpu_model(), "cores": os.cpu_count() or 0},
        "memory_bytes": _memory_bytes(),
        "screens": _screens(display),
        "hostname": socket.gethostname(),
        "python": platform.python_version(),
        "locale": {"language": lang or "", "encoding": encoding or ""},
        "time_zone": _time_zone(),
        "vendor": {"name": vendor.name, "product": vendor.product, "version": vendor.version,
                   "customer_code": vendor.customer_code},
        "assist_version": ASSIST_VERSION,
    }
