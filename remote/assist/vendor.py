"""The vendor configuration file that ships next to Tandem Assist (``vendor.ini``).

A software vendor puts one beside the program (or points ``--vendor-config`` at it) so
that every help request says which product, version and customer it comes from::

    [vendor]
    name = Acme Software           ; shown in the window title
    product = Acme Ledger
    version = 4.2.1
    customer_code = C-10023        ; the customer's code at the vendor
    hub = wss://support.acme.example/assist   ; default hub URL (--hub overrides)

Every key is optional. A missing default file is not an error; a file given explicitly
that is missing or unreadable is.
"""

from __future__ import annotations

import configparser
import sys
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "vendor.ini"


class VendorConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class VendorConfig:
    name: str = ""
    product: str = ""
    version: str = ""
    customer_code: str = ""
    hub: str = ""
    path: str = ""


def default_path() -> Path:
    """``vendor.ini`` next to the program (the frozen executable or the launched script)."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent / FILE_NAME
    return Path(sys.argv[0]).resolve().parent / FILE_NAME


def load(path: Path | None = None) -> VendorConfig:
    """Read the vendor file; ``path=None`` reads the default one if it exists."""
    explicit = path is not None
    target = path if path is not None else default_path()
    if not target.is_file():
        if explicit:
            raise VendorConfigError(f"vendor configuration {target} does not exist")
        return VendorConfig()
    parser = configparser.ConfigParser(inline_comment_prefixes=(";", "#"), interpolation=None)
    try:
        parser.read_string(target.read_text(encoding="utf-8"), source=str(target))
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise VendorConfigError(f"cannot read vendor configuration {target}: {exc}") from exc
    if not parser.has_section("vendor"):
        raise VendorConfigError(f"{target} has no [vendor] section")
    section = parser["vendor"]
    return VendorConfig(
        name=section.get("name", "").strip(), product=section.get("product", "").strip(),
        version=section.get("version", "").strip(),
        customer_code=section.get("customer_code", "").strip(),
        hub=section.get("hub", "").strip(), path=str(target))
