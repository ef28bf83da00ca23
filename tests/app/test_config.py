"""Configuration precedence: command line > TANDEM_* environment > file > default."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from app import config


def write_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tandem.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_nothing_is_set(tmp_path: Path) -> None:
    cfg = config.load(cli={}, environ={}, config_file=write_file(tmp_path, ""))
    assert cfg.port == 8765
    assert cfg.sources["port"] == "default"
    assert cfg.resolved_database_url.startswith("sqlite:///")


def test_precedence_cli_over_env_over_file(tmp_path: Path) -> None:
    path = write_file(tmp_path, "[tandem]\nport = 1111\nhost = '0.0.0.0'\nlog_level = 'DEBUG'\n")
    env = {"TANDEM_PORT": "2222", "TANDEM_HOST": "127.0.0.2"}
    cfg = config.load(cli={"port": "3333"}, environ=env, config_file=path)
    assert (cfg.port, cfg.sources["port"]) == (3333, "command line")
    assert (cfg.host, cfg.sources["host"]) == ("127.0.0.2", "environment")
    assert (cfg.log_level, cfg.sources["log_level"]) == ("DEBUG", "file")


def test_typed_values_and_booleans(tmp_path: Path) -> None:
    cfg = config.load(cli={}, environ={"TANDEM_DEMO": "yes", "TANDEM_DATA_DIR": str(tmp_path)},
                      config_file=write_file(tmp_path, ""))
    assert cfg.demo is True
    assert cfg.resolved_data_dir == tmp_path
    assert cfg.resolved_recordings_dir == tmp_path / "recordings"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("port = 'eighty'", "port: expected int"),
        ("colour = 'blue'", "unknown settings in config file: colour"),
        ("port = ", "not valid TOML"),
    ],
)
def test_bad_config_file_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config.load(cli={}, environ={}, config_file=write_file(tmp_path, text))


def test_every_setting_has_a_flag_with_help() -> None:
    parser = argparse.ArgumentParser()
    config.add_arguments(parser)
    help_text = parser.format_help()
    for setting in config.SETTINGS:
        assert setting.flag in help_text
        assert setting.env_var in help_text
    ns = parser.parse_args(["--port", "9000", "--no-demo"])
    cfg = config.load(ns, environ={}, config_file=Path("/dev/null"))
    assert cfg.port == 9000 and cfg.demo is False
