"""SLA in the console: due times (wording, agent's time, customer's zone, highlight), SLA
alerts as a non-blocking notice with a list, and the customer code at wrap-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.api import messages as m
from app.screen_pop.profile import Profile, SlaTargets
from tests.ui.test_main_window import PROFILE, ring
from ui.console import Console
from ui.main_window import MainWindow
from ui.ring_panel import RingPanel
from ui.sla_text import Urgency, due_text, span
from ui.wrapup_form import WrapUpForm

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
# Monday 30 Nov 2026 06:46 in Shanghai; due 09:00 there = 2 h 14 min later.
NOW = datetime(2026, 11, 29, 22, 46, tzinfo=UTC)
DUE = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


@pytest.fixture
def window(qtbot, worker, settings):
    console = Console("ws://127.0.0.1:9", worker)
    win = MainWindow(console, settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    console.shutdown()


def test_due_text_in_the_agents_time_with_the_customers_zone() -> None:
    text = due_text(DUE, NOW, 480, "Europe/London", local=SHANGHAI)
    assert (text.when, text.left, text.urgency) == ("09:00 Mon", "in 2 h 14 min", Urgency.OK)
    assert text.customer_note() == "customer's time 01:00 Mon (Europe/London)"
    same = due_text(DUE, NOW, 480, "Asia/Shanghai", local=SHANGHAI)
    assert same.customer_note() == "same time for the customer (Asia/Shanghai)"
    far = due_text(DUE + timedelta(days=8), NOW, None, None, local=SHANGHAI)
    assert far.when == "09:00 Tue 8 Dec" and far.customer_note() == ""


def test_due_text_highlights_little_time_left_and_overdue() -> None:
    # 60 min target: a quarter (15 min) or less left is "soon".
    soon = due_text(NOW + timedelta(minutes=14), NOW, 60, None, local=SHANGHAI)
    assert soon.urgency is Urgency.SOON and soon.left == "in 14 min"
    # 8 h target: two hours left is a quarter.
    assert due_text(NOW + timedelta(hours=2), NOW, 480, local=SHANGHAI).urgency is Urgency.SOON
    assert due_text(NOW + timedelta(hours=3), NOW, 480, local=SHANGHAI).urgency is Urgency.OK
    late = due_text(NOW - timedelta(minutes=5, seconds=30), NOW, 60, local=SHANGHAI)
    assert late.urgency is Urgency.OVERDUE and late.left == "overdue by 5 min"
    assert span(timedelta(days=3, hours=2)) == "3 d 2 h" and span(timedelta(seconds=20)) == "<1 min"


def sla(first_in: timedelta, minutes: int = 60) -> SlaTargets:
    now = datetime.now(UTC)
    return SlaTargets("vip", minutes, 480, "Mon-Fri 09:00-12:00, 13:00-18:00 (Europe/London)",
                      now + first_in, now + timedelta(hours=30), "Europe/London")


def test_ring_panel_shows_first_response_due_and_colours_it(qtbot) -> None:
    panel = RingPanel()
    qtbot.addWidget(panel)
    panel.show_ring(ring(), "王芳", sla(timedelta(hours=2, minutes=14, seconds=30)))
    assert panel.due_line is not None
    assert panel.due_line.when.text().startswith("First response due ")
    assert panel.due_line.left.text() == "in 2 h 14 min"
    assert panel.due_line.left.property("tone") == "good"
    assert "(Europe/London)" in panel.due_line.note.text()
    panel.show_ring(ring(offer_id="o-2"), "王芳", sla(timedelta(minutes=9, seconds=30)))
    assert panel.due_line.left.text() == "in 9 min"
    assert panel.due_line.left.property("tone") == "warn"
    panel.show_ring(ring(offer_id="o-3"), "", None)
    assert panel.due_line is None


def test_profile_shows_both_due_times(qtbot, window: MainWindow) -> None:
    profile = Profile.from_dict(PROFILE)
    data = {**PROFILE, "sla": {
        "tier": "vip", "first_response_minutes": 60, "resolution_minutes": 480,
        "calendar": "Mon-Fri 09:00-12:00, 13:00-18:00 (Asia/Shanghai)",
        "first_response_due_at": (datetime.now(UTC) - timedelta(minutes=3)).isoformat(),
        "resolution_due_at": (datetime.now(UTC) + timedelta(hours=5, minutes=1)).isoformat(),
        "timezone": "Asia/Shanghai"}}
    assert profile.known
    window.console.on_hub_event(ring(profile=data))
    text = window.profile.section_text("sla")
    # The zone is in the profile's header; the plan shows the hours alone.
    assert "VIP · Mon-Fri 09:00-12:00, 13:00-18:00\n" in text
    assert "overdue by 3 min" in text and "in 5 h" in text
    assert "1 h target" in text and "8 h target" in text
    first, resolution = window.profile.due_lines
    assert first.urgency is Urgency.OVERDUE and resolution.urgency is Urgency.OK
    assert window.ring_panel.due_line is not None
    assert window.ring_panel.due_line.urgency is Urgency.OVERDUE


def test_sla_alerts_are_a_notice_and_a_list(qtbot, window: MainWindow) -> None:
    assert not window.sla_alerts.isVisible()
    at = datetime.now(UTC) - timedelta(minutes=1)
    window.console.on_hub_event(m.SlaAlert(ticket_id=41, number="T000000041",
                                           target="first_response", fraction=0.75,
                                           threshold_at=at))
    assert window.sla_alerts.isVisible() and window.sla_alerts.text().endswith("SLA alerts: 1")
    assert window.sla_alerts.property("tone") == "warn"
    assert "T000000041 · First response: 75% of the time used" in window.message_label.text()
    window.console.on_hub_event(m.SlaAlert(ticket_id=42, number="T000000042",
                                           target="resolution", fraction=1.0, threshold_at=at))
    assert window.sla_alerts.text().endswith("SLA alerts: 2")
    assert window.sla_alerts.property("tone") == "bad"
    assert "T000000042 · Resolution overdue since" in window.message_label.text()
    assert window.message_label.property("role") == "error"
    # Nothing modal: the list opens only when the agent asks for it.
    assert not window.sla_alerts.dialog.isVisible()
    window.sla_alerts.click()
    dialog = window.sla_alerts.dialog
    assert dialog.isVisible() and not dialog.isModal()
    assert dialog.list.count() == 2 and dialog.list.item(0).text().startswith("T000000042")
    with qtbot.waitSignal(window.sla_alerts.ticket_requested, timeout=1000) as blocker:
        dialog.open_button.click()
    assert blocker.args == [42]
    assert window.tabs.currentIndex() == 1
    dialog.clear_button.click()
    assert not window.sla_alerts.isVisible() and dialog.list.count() == 0


def test_wrap_up_asks_for_the_customer_code_of_an_unrecognised_caller(
        qtbot, window: MainWindow) -> None:
    unknown = Profile(known=False, matched_by=None, caller_phone="+442079460123",
                      caller_email=None).to_dict()
    window.settings.setValue("wrapup/recent_customer_codes", ["C0000007", "HX-42"])
    window.console.current_contact = ring(profile=unknown, company="", tier="")
    window.session_view.chat.add_line("Customer", "The export still fails", mine=False)
    window.console.start_wrap_up()
    assert "The export still fails" in window.wrap_chat.toPlainText()
    form = window.wrap_up_form
    assert form.needs_customer and form.customer_code.isVisibleTo(form)
    assert [form.customer_code.itemText(i) for i in range(form.customer_code.count())] == \
        ["C0000007", "HX-42"]
    assert "not recognised" in window.wrap_banner.text()
    form.title_edit.setText("Export fails")
    form.classification.setCurrentIndex(1)
    sent: list[m.WrapUpFields] = []
    form.submitted.connect(sent.append)
    form.submit_button.click()
    assert not sent and "enter the customer's code" in form.errors.text()
    assert form.customer_code.property("invalid") is True
    form.customer_code.setEditText("C 0001; drop")
    form.submit_button.click()
    assert not sent and "is not a customer code" in form.errors.text()
    form.customer_code.setEditText(" C0000009 ")
    form.submit_button.click()
    assert sent and sent[0].customer_code == "C0000009"
    # The hub does not know the code: the message says so and points at the field.
    form.submit_failed("bad_field: unknown customer code 'C0000009'")
    assert form.errors.text() == ("No customer has the code \u201cC0000009\u201d. Check the "
                                  "code with the caller.")
    assert form.submit_button.isEnabled() and form.customer_code.property("invalid") is True


def test_wrap_up_of_a_known_caller_has_no_customer_code(qtbot) -> None:
    form = WrapUpForm()
    qtbot.addWidget(form)
    form.show()
    form.prefill(title="x", products=["Huaxin ERP"])
    assert not form.customer_code.isVisible()
    form.classification.setCurrentIndex(2)
    assert form.validate() == [] and form.fields().customer_code is None
    # A hub that asks for the code anyway (the profile was wrong) opens the field.
    form.submit_failed("bad_field: the caller was not recognised: give WrapUpFields."
                       "customer_code")
    assert form.customer_code.isVisible() and form.needs_customer


def test_session_quality_reads_still_screen_instead_of_zero_fps(qtbot) -> None:
    from ui.session_view import SessionView

    view = SessionView()
    qtbot.addWidget(view)
    view.set_quality(0.0, 0.0, 2.4)
    assert view.quality.text() == "screen still · round trip 2 ms"
    view.set_quality(24.6, 812.0, None)
    assert view.quality.text() == "25 fps · 812 KB/s · round trip —"


def test_unreadable_profile_is_a_sentence_not_a_traceback(qtbot, window: MainWindow) -> None:
    window.profile.show_profile_dict({"known": True, "sla": {"tier": "vip"}})
    text = window.profile.section_text("empty")
    assert "could not be read" in text and "__init__" not in text
