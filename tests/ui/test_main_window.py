"""The main window fed through the console's real event path (no hub needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.api import messages as m
from ui.console import Console
from ui.main_window import MainWindow

PROFILE = {
    "customer": {"code": "HD001", "name": "华东精密机械有限公司", "tier": "vip",
                 "region": "CN-East", "timezone": "Asia/Shanghai"},
    "contact_person": {"name": "王芳", "email": "wang.fang@hdjm.example", "phone": "+86 21 5555"},
    "sla": {"first_response_due_at": "2026-11-28T16:30:00+00:00",
            "resolution_due_at": "2026-11-29T16:00:00+00:00"},
    "products": [{"product": "ERP", "version": "5.2.1", "modules": ["Reports", "Finance"]}],
    "machine": {"machine_id": "m-42", "environment": {"os": "Windows 11", "hostname": "ACC-07"},
                "changes": [{"field": "version", "before": "5.2.0", "after": "5.2.1"}]},
    "recent_tickets": [{"number": "T-1001", "title": "Login slow", "status": "solved"}],
    "notes": "Prefers Mandarin.",
}


def ring(**changes) -> m.Ring:
    now = datetime.now(UTC)
    values = dict(offer_id="o-1", contact_id=3, caller="王芳", company="华东精密机械有限公司",
                  tier="vip", channel=m.Channel.ASSIST, problem="Export crashes\nsince update",
                  queued_at=now - timedelta(seconds=5), expires_at=now + timedelta(seconds=20),
                  profile=PROFILE)
    values.update(changes)
    return m.Ring(**values)


@pytest.fixture
def window(qtbot, worker, settings):
    console = Console("ws://127.0.0.1:9", worker)
    win = MainWindow(console, settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    console.shutdown()


def test_ring_pops_the_profile_before_accept(qtbot, window: MainWindow) -> None:
    window.console.on_hub_event(ring())
    assert window.ring_panel.isVisible()
    assert window.ringer.ringing
    text = window.profile.section_text("customer")
    assert "华东精密机械有限公司" in text and "王芳" in text and "wang.fang@hdjm.example" in text
    assert "First response due" in window.profile.section_text("sla")
    assert "Reports, Finance" in window.profile.section_text("products")
    assert "version: 5.2.0 → 5.2.1" in window.profile.section_text("machine")
    assert "T-1001" in window.profile.section_text("tickets")
    assert "Prefers Mandarin." in window.profile.section_text("notes")


def test_ring_cancelled_hides_the_panel_and_says_why(qtbot, window: MainWindow) -> None:
    window.console.on_hub_event(ring())
    window.console.on_hub_event(m.RingCancelled(offer_id="o-1", reason="timeout"))
    assert not window.ring_panel.isVisible()
    assert not window.ringer.ringing
    assert "not answered in time" in window.ring_note.text()
    assert "profile appears here" in window.profile.section_text("empty")


def test_state_changes_show_in_the_status_bar(qtbot, window: MainWindow) -> None:
    since = datetime.now(UTC)
    window.console.on_hub_event(m.StatusChanged(status=m.AgentState.NOT_READY, since=since,
                                                reason="Lunch"))
    assert window.state_widget.text() == "Not ready: Lunch"
    assert window.idle.title.text() == "Not ready"


def test_wrap_up_prefills_from_the_profile(qtbot, window: MainWindow) -> None:
    window.console.current_contact = ring()
    window.console.start_wrap_up()
    assert window.work.currentWidget() is window._wrap_page
    form = window.wrap_up_form
    assert form.title_edit.text() == "Export crashes"
    assert form.product.currentText() == "ERP"
    assert form.module.currentText() == "Reports"
    assert form.version.currentText() == "5.2.1"


def test_geometry_is_remembered(qtbot, worker, settings) -> None:
    console = Console("ws://127.0.0.1:9", worker)
    first = MainWindow(console, settings)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.resize(1234, 777)
    expected = first.saveGeometry()
    first.close()
    second = MainWindow(console, settings)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    # The offscreen screen is 800x600, so Qt clamps the restored size; compare what was kept.
    assert settings.value("window/geometry") == expected
    assert second.width() >= second.minimumWidth()
