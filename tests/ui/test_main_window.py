"""The main window fed through the console's real event path (no hub needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtWidgets import QPushButton

from app.api import messages as m
from app.screen_pop.profile import (
    Company,
    EnvironmentChange,
    InstalledProduct,
    MachineInfo,
    Person,
    Profile,
    Satisfaction,
    SessionSummary,
    SlaTargets,
    TicketSummary,
)
from ui.console import Console
from ui.main_window import MainWindow

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
PROFILE = Profile(
    known=True, matched_by="customer_code", caller_phone=None, caller_email=None,
    company=Company(id=1, code="HD001", name="华东精密机械有限公司", tier="vip",
                    region="CN-East", timezone="Asia/Shanghai", language="zh", notes=""),
    person=Person(id=1, name="王芳", job_title="IT", phone="+86 21 5555", mobile=None,
                  email="wang.fang@hdjm.example", language="zh", is_primary=True),
    sla=SlaTargets(tier="vip", first_response_minutes=60, resolution_minutes=480,
                   calendar="7x24"),
    products=(InstalledProduct(product_code="ERP", product_name="Huaxin ERP", version="9.1",
                               licences=10, modules=("Reports", "Finance"),
                               installed_at=None),),
    machine=MachineInfo(machine_id="m-42", hostname="ACC-07",
                        environment={"os": {"system": "Windows", "distribution": "Windows 11"},
                                     "hostname": "ACC-07"},
                        reported_at=NOW, previous_reported_at=None,
                        changes=(EnvironmentChange(key="vendor.version", label="Version",
                                                   before="9.0", after="9.1"),),
                        seen_before=True),
    tickets=(TicketSummary(id=1, number="T-1001", title="Login slow", status="solved",
                           priority="normal", classification="bug", product=None, module=None,
                           assignee=None, created_at=NOW, solved_at=None),),
    sessions=(SessionSummary(id=5, channel="assist", agent="Li Na", consent="control",
                             started_at=NOW, ended_at=None, end_reason=None,
                             ticket_number="T-1001", recording_ids=(77,)),),
    satisfaction=Satisfaction(count=2, mean=4.5, recent=()),
    notes=("Prefers Mandarin.",),
).to_dict()


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
    assert "within 1 h" in window.profile.section_text("sla")
    assert "Reports, Finance" in window.profile.section_text("products")
    assert "Version: 9.0 → 9.1" in window.profile.section_text("machine")
    assert "Windows 11" in window.profile.section_text("machine")
    assert "Li Na" in window.profile.section_text("sessions")
    assert "4.5 / 5" in window.profile.section_text("satisfaction")
    assert "T-1001" in window.profile.section_text("tickets")
    assert "Prefers Mandarin." in window.profile.section_text("notes")


def test_replay_button_in_the_profile_asks_for_the_recording(qtbot, window: MainWindow) -> None:
    window.console.on_hub_event(ring())
    buttons = [b for b in window.profile.sections["sessions"].findChildren(QPushButton)]
    assert [b.property("recording_id") for b in buttons] == [77]
    with qtbot.waitSignal(window.profile.recording_requested, timeout=1000) as blocker:
        buttons[0].click()
    assert blocker.args == [77]


def test_unknown_caller_still_shows_company_from_the_ring(qtbot, window: MainWindow) -> None:
    window.console.on_hub_event(ring(profile={}, company="Walk-in Ltd", tier="basic"))
    assert "Walk-in Ltd" in window.profile.section_text("customer")
    assert "Not matched" in window.profile.section_text("customer")


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


def test_queue_stats_show_in_the_status_bar(qtbot, window: MainWindow) -> None:
    window.console.on_hub_event(m.QueueStats(waiting=3, longest_wait_s=81.0, agents_ready=2))
    assert window.queue_label.text() == "Queue: 3 waiting, longest 1:21 · 2 agents ready"


def test_wrap_up_prefills_from_the_profile(qtbot, window: MainWindow) -> None:
    window.console.current_contact = ring()
    window.console.start_wrap_up()
    assert window.work.currentWidget() is window._wrap_page
    form = window.wrap_up_form
    assert form.title_edit.text() == "Export crashes"
    assert form.product.currentText() == "Huaxin ERP"
    # Two modules: the agent picks; both are offered.
    assert form.module.currentText() == ""
    assert [form.module.itemText(i) for i in range(form.module.count())] == ["Reports",
                                                                           "Finance"]
    assert form.version.currentText() == "9.1"


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


def test_shortcuts_accept_and_decline_the_ringing_contact(qtbot, window: MainWindow) -> None:
    window.console.on_hub_event(ring(offer_id="o-7"))
    with qtbot.waitSignal(window.ring_panel.decline_requested, timeout=1000) as blocker:
        window.shortcuts["decline"].activated.emit()
    assert blocker.args == ["o-7"]
    window.console.on_hub_event(ring(offer_id="o-8"))
    with qtbot.waitSignal(window.ring_panel.accept_requested, timeout=1000) as blocker:
        window.shortcuts["accept"].activated.emit()
    assert blocker.args == ["o-8"]
    assert window.shortcuts["control"].key().toString() == "F9"
