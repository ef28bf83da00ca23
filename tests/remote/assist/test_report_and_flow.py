"""Vendor file, environment report, machine id, consent gate and flow control."""

from __future__ import annotations

from pathlib import Path

import pytest

from remote.assist import vendor
from remote.assist.consent import ConsentGate
from remote.assist.environment import environment_report, machine_id
from remote.assist.flow import FlowControl
from remote.assist.main import hub_url
from remote.protocol.messages import ConsentLevel


def test_vendor_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "vendor.ini"
    path.write_text("[vendor]\nname = Acme Software\nproduct = Acme Ledger ; the product\n"
                    "version = 4.2.1\ncustomer_code = C-10023\nhub = wss://h.example/assist\n",
                    encoding="utf-8")
    cfg = vendor.load(path)
    assert (cfg.name, cfg.product, cfg.version, cfg.customer_code, cfg.hub) == (
        "Acme Software", "Acme Ledger", "4.2.1", "C-10023", "wss://h.example/assist")


def test_missing_default_vendor_file_is_fine_explicit_is_not(tmp_path: Path,
                                                              monkeypatch) -> None:
    monkeypatch.setattr(vendor, "default_path", lambda: tmp_path / "vendor.ini")
    assert vendor.load() == vendor.VendorConfig()
    with pytest.raises(vendor.VendorConfigError, match="does not exist"):
        vendor.load(tmp_path / "nope.ini")


@pytest.mark.parametrize("text,message", [
    ("product = x\n", "cannot read"),
    ("[other]\nproduct = x\n", "no \\[vendor\\] section"),
])
def test_bad_vendor_file_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "vendor.ini"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(vendor.VendorConfigError, match=message):
        vendor.load(path)


def test_environment_report_has_what_an_agent_needs(xvfb) -> None:
    cfg = vendor.VendorConfig(product="Acme Ledger", version="4.2.1", customer_code="C-1")
    report = environment_report(cfg, xvfb.display)
    assert report["os"]["system"] and report["cpu"]["cores"] >= 1
    assert report["memory_bytes"] > 0 and report["hostname"]
    assert report["screens"] == [{"index": 0, "x": 0, "y": 0, "width": 1280, "height": 800,
                                  "primary": True, "name": "screen"}]
    assert report["vendor"]["product"] == "Acme Ledger"
    assert report["vendor"]["customer_code"] == "C-1"
    assert {"python", "locale", "time_zone", "assist_version"} <= report.keys()


def test_machine_id_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = machine_id(tmp_path)
    assert len(first) == 32 and machine_id(tmp_path) == first
    (tmp_path / "machine-id").write_text("garbage", encoding="ascii")
    replaced = machine_id(tmp_path)
    assert replaced != first and machine_id(tmp_path) == replaced


def test_hub_url_gets_the_assist_path() -> None:
    assert hub_url("ws://127.0.0.1:8765") == "ws://127.0.0.1:8765/assist"
    assert hub_url("wss://h.example/assist/") == "wss://h.example/assist"


def test_consent_gate_starts_closed() -> None:
    gate = ConsentGate()
    assert not gate.allows_view and not gate.allows_control
    assert gate.set(ConsentLevel.CONTROL) is ConsentLevel.NONE
    assert gate.allows_view and gate.allows_control
    gate.set(ConsentLevel.VIEW)
    assert gate.allows_view and not gate.allows_control


def test_window_limits_unacked_frames_and_acks_are_cumulative() -> None:
    flow = FlowControl(window=2)
    assert flow.can_send()
    assert flow.next_seq(100, now=0.0) == 1
    assert flow.next_seq(100, now=0.0) == 2
    assert not flow.can_send()
    flow.on_ack(7, now=0.1)  # an ack for a frame never sent is ignored
    assert not flow.can_send()
    flow.on_ack(2, now=0.1)
    assert flow.can_send() and flow.snapshot().in_flight == 0
    flow.on_ack(1, now=0.2)  # stale
    assert flow.snapshot().frames_acked == 2


def test_reset_in_flight_opens_the_window() -> None:
    flow = FlowControl(window=1)
    flow.next_seq(10)
    assert not flow.can_send()
    flow.reset_in_flight()
    assert flow.can_send()


def test_quality_drops_on_a_slow_link_and_recovers_on_a_fast_one() -> None:
    flow = FlowControl(quality=70)
    t = 0.0
    for _ in range(5):
        seq = flow.next_seq(200_000, now=t)
        t += 0.8  # 200 KB in 0.8 s: a 2 Mbit/s link
        flow.on_ack(seq, now=t)
    assert flow.quality == flow.min_quality
    assert flow.snapshot().throughput_kbps < 4000
    small_budget = flow.refresh_budget()
    for _ in range(40):
        seq = flow.next_seq(20_000, now=t)
        t += 0.005
        flow.on_ack(seq, now=t)
    assert flow.quality > flow.min_quality
    assert flow.refresh_budget() > small_budget


def test_big_frames_on_a_slow_link_go_one_at_a_time() -> None:
    flow = FlowControl(window=4, max_queue_s=0.15, min_queue_bytes=64_000)
    seq = flow.next_seq(200_000, now=0.0)
    flow.on_ack(seq, now=0.8)  # measured: about 2 Mbit/s
    flow.next_seq(100_000, now=1.0)
    assert not flow.can_send()  # 100 KB already queued > 0.15 s of the link
    small = FlowControl(window=4, min_queue_bytes=64_000)
    for _ in range(3):
        small.next_seq(1_000)
    assert small.can_send()  # small frames: up to the window
    small.next_seq(1_000)
    assert not small.can_send()
