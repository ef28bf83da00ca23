"""Hub and console configuration, declared once.

Every setting is declared in ``SETTINGS`` with its name, type, default and help.
Values are resolved with one precedence: command line > ``TANDEM_*`` environment
> config file (TOML) > default. Code reads settings through the typed ``Config``
object, never from ``os.environ`` directly, so that ``tandem-hub --help`` lists
everything that can be set and nothing is configured in twenty places.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "tandem"
ENV_PREFIX = "TANDEM_"


def default_data_dir() -> Path:
    """Per-user data directory (SQLite file, recordings) from platformdirs."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "tandem.toml"


@dataclass(frozen=True, slots=True)
class Setting:
    """One declared setting. ``name`` uses underscores; the flag is ``--name-with-dashes``."""

    name: str
    type: type
    default: Any
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()

    def parse(self, raw: Any) -> Any:
        """Convert a raw value (string from env/CLI, or TOML value) to the declared type."""
        if raw is None:
            return None
        if self.type is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(f"{self.name}: expected a boolean, got {raw!r}")
        if self.type is Path:
            return Path(str(raw)).expanduser()
        try:
            return self.type(raw)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{self.name}: expected {self.type.__name__}, got {raw!r}") from exc


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", Path, None, "Directory for the SQLite database and recordings "
            "(default: the user's data directory)."),
    Setting("database_url", str, None, "SQLAlchemy URL; default sqlite:///<data_dir>/tandem.db. "
            "Use postgresql+psycopg://user:pass@host/db for a team hub."),
    Setting("host", str, "127.0.0.1", "Address the hub listens on."),
    Setting("port", int, 8765, "Port the hub listens on (0 picks a free port)."),
    Setting("tls_cert", Path, None, "PEM certificate; required when host is not loopback."),
    Setting("tls_key", Path, None, "PEM private key for tls_cert."),
    Setting("recordings_dir", Path, None, "Where session recordings are stored "
            "(default: <data_dir>/recordings)."),
    Setting("log_level", str, "INFO", "Logging level: DEBUG, INFO, WARNING, ERROR."),
    Setting("max_message_bytes", int, 8 * 1024 * 1024, "Largest websocket message accepted."),
    Setting("ring_timeout_s", float, 20.0, "Seconds an agent's console rings before the contact "
            "is offered to the next agent."),
    Setting("session_code_ttl_s", float, 600.0, "Seconds a session code stays valid."),
    Setting("demo", bool, False, "Seed sample data and sign in the demo agent."),
    Setting("smtp_host", str, None, "SMTP server for customer e-mail notifications "
            "(unset: e-mail stays in the outbox)."),
    Setting("smtp_port", int, 25, "SMTP server port."),
    Setting("smtp_sender", str, "Tandem Support <support@tandem.invalid>",
            "From address of customer notifications."),
    Setting("smtp_starttls", bool, True, "Use STARTTLS (required unless the SMTP host is "
            "loopback)."),
    Setting("smtp_username", str, None, "SMTP login, if the server needs one."),
    Setting("smtp_password", str, None, "SMTP password (prefer TANDEM_SMTP_PASSWORD)."),
)

SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


@dataclass(frozen=True, slots=True)
class Config:
    """Resolved settings. Attribute access is typed; ``sources`` says where each came from."""

    values: Mapping[str, Any]
    sources: Mapping[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def resolved_data_dir(self) -> Path:
        return self.values["data_dir"] or default_data_dir()

    @property
    def resolved_database_url(self) -> str:
        url = self.values["database_url"]
        if url:
            return url
        return f"sqlite:///{self.resolved_data_dir / 'tandem.db'}"

    @property
    def resolved_recordings_dir(self) -> Path:
        return self.values["recordings_dir"] or (self.resolved_data_dir / "recordings")

    def replace(self, **changes: Any) -> Config:
        values = dict(self.values)
        sources = dict(self.sources)
        for name, value in changes.items():
            if name not in SETTINGS_BY_NAME:
                raise KeyError(name)
            values[name] = value
            sources[name] = "code"
        return Config(values, sources)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one ``--flag`` per declared setting (default None so we can tell it was not given)."""
    group = parser.add_argument_group("settings (also TANDEM_<NAME> or the config file)")
    group.add_argument("--config", type=Path, default=None,
                       help=f"TOML config file (default: {default_config_file()}).")
    for s in SETTINGS:
        default = "" if s.default is None else f" [default: {s.default}]"
        if s.type is bool:
            group.add_argument(s.flag, dest=s.name, default=None,
                               action=argparse.BooleanOptionalAction,
                               help=f"{s.help}{default} (env {s.env_var})")
        else:
            group.add_argument(s.flag, dest=s.name, default=None, metavar=s.type.__name__.upper(),
                               help=f"{s.help}{default} (env {s.env_var})")


def load(
    cli: Mapping[str, Any] | argparse.Namespace | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Config:
    """Resolve every setting: command line > environment > file > default."""
    cli_values = vars(cli) if isinstance(cli, argparse.Namespace) else dict(cli or {})
    environ = os.environ if environ is None else environ
    path = config_file or cli_values.get("config") or environ.get(ENV_PREFIX + "CONFIG")
    file_values: dict[str, Any] = {}
    if path:
        file_values = _read_file(Path(path))
    elif default_config_file().is_file():
        file_values = _read_file(default_config_file())
    unknown = set(file_values) - set(SETTINGS_BY_NAME)
    if unknown:
        raise ValueError(f"unknown settings in config file: {', '.join(sorted(unknown))}")

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for s in SETTINGS:
        if cli_values.get(s.name) is not None:
            values[s.name], sources[s.name] = s.parse(cli_values[s.name]), "command line"
        elif s.env_var in environ:
            values[s.name], sources[s.name] = s.parse(environ[s.env_var]), "environment"
        elif s.name in file_values:
            values[s.name], sources[s.name] = s.parse(file_values[s.name]), "file"
        else:
            values[s.name], sources[s.name] = s.default, "default"
    return Config(values, sources)


def defaults(**overrides: Any) -> Config:
    """Defaults only (no environment, no file): for tests and embedded hubs."""
    return load(cli=overrides, environ={}, config_file=_NO_FILE)


_NO_FILE = Path(os.devnull)


def _read_file(path: Path) -> dict[str, Any]:
    if path == _NO_FILE:
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ValueError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config file {path} is not valid TOML: {exc}") from None
    section = data.get("tandem", data)
    return {str(k).replace("-", "_"): v for k, v in section.items()}
