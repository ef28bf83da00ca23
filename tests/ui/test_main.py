"""``tandem-console``'s command line and demo helpers."""

from __future__ import annotations

import configparser
from pathlib import Path

from app.sample_data import DEMO_CUSTOMER_CODE
from ui.main import AssistProcess, build_parser, main, write_demo_vendor_config


def test_help_lists_hub_demo_and_every_setting() -> None:
    text = build_parser().format_help()
    for flag in ("--hub", "--demo", "--data-dir", "--database-url", "--ring-timeout-s",
                 "--no-demo-assist"):
        assert flag in text


def test_hub_flag_and_settings_parse() -> None:
    args = build_parser().parse_args(["--hub", "wss://hub.example:8765", "--demo",
                                      "--data-dir", "/tmp/x"])
    assert args.hub == "wss://hub.example:8765" and args.demo is True
    assert args.data_dir == "/tmp/x"


def test_demo_vendor_config_names_the_demo_customer(tmp_path: Path) -> None:
    path = write_demo_vendor_config(tmp_path)
    parser = configparser.ConfigParser()
    parser.read(path, encoding="utf-8")
    assert parser["vendor"]["customer_code"] == DEMO_CUSTOMER_CODE
    assert parser["vendor"]["product"]


def test_assist_process_command_asks_for_help_with_consent_mode() -> None:
    proc = AssistProcess("ws://127.0.0.1:1", problem="p", consent="view")
    assert "--request-help" in proc.args
    assert proc.args[proc.args.index("--hub") + 1] == "ws://127.0.0.1:1"
    assert proc.args[proc.args.index("--auto-consent") + 1] == "view"
    proc.stop()  # never started: nothing to stop, must not raise


def test_demo_assist_leaves_consent_to_the_customer() -> None:
    assert "--auto-consent" not in AssistProcess("ws://127.0.0.1:1").args


def test_console_refuses_plain_ws_to_a_remote_hub(qapp, capsys) -> None:
    assert main(["--hub", "ws://hub.example.com:8765"]) == 2
    assert "use wss://" in capsys.readouterr().err
