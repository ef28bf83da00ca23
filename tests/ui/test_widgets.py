"""Console widgets on their own: ring panel, wrap-up validation, sign-in retry, agent state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt, QUrl

from app.api import messages as m
from ui.agent_state import AgentStateWidget
from ui.chat_panel import ChatPanel
from ui.ring_panel import RingPanel, format_duration
from ui.signin_dialog import SignInDialog
from ui.tickets_view import TicketsView
from ui.wrapup_form import WrapUpForm


def make_ring(**changes) -> m.Ring:
    now = datetime.now(UTC)
    values = dict(offer_id="o-1", contact_id=7, caller="王芳 Wang Fang", company="华东精密机械",
                  tier="vip", channel=m.Channel.ASSIST, problem="导出报表时崩溃 / crash on export",
                  queued_at=now - timedelta(seconds=75), expires_at=now + timedelta(seconds=20))
    values.update(changes)
    return m.Ring(**values)


def test_format_duration() -> None:
    assert format_duration(0) == "0:00"
    assert format_duration(75.9) == "1:15"
    assert format_duration(3725) == "1:02:05"
    assert format_duration(-3) == "0:00"


def test_ring_panel_shows_the_contact_and_a_live_wait(qtbot) -> None:
    panel = RingPanel()
    qtbot.addWidget(panel)
    panel.show_ring(make_ring())
    assert panel.isVisible()
    assert panel._caller.text() == "王芳 Wang Fang"
    assert panel._company.text() == "华东精密机械"
    assert panel._tier.text() == "VIP" and panel._tier.property("tier") == "vip"
    assert panel._channel.text() == "Tandem Assist"
    assert "crash on export" in panel._problem.text()
    assert panel._wait.text() == "1:15"
    assert "Rings for another" in panel._expires.text()


def test_ring_panel_accept_and_decline_emit_the_offer_once(qtbot) -> None:
    panel = RingPanel()
    qtbot.addWidget(panel)
    panel.show_ring(make_ring(offer_id="o-9"))
    with qtbot.waitSignal(panel.accept_requested, timeout=1000) as blocker:
        qtbot.mouseClick(panel.accept_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["o-9"]
    assert not panel.accept_button.isEnabled() and not panel.decline_button.isEnabled()
    panel.show_ring(make_ring(offer_id="o-10"))
    with qtbot.waitSignal(panel.decline_requested, timeout=1000) as blocker:
        qtbot.mouseClick(panel.decline_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["o-10"]
    panel.clear()
    assert not panel.isVisible()


def test_wrap_up_requires_title_classification_and_a_resolution_when_solved(qtbot) -> None:
    form = WrapUpForm()
    qtbot.addWidget(form)
    form.prefill(title="", products=["ERP", "ERP", "MES"], modules=["Reports"],
                 versions=["5.2.1"])
    assert [form.product.itemText(i) for i in range(form.product.count())] == ["ERP", "MES"]
    with qtbot.assertNotEmitted(form.submitted):
        form.on_submit()
    assert form.title_edit.property("invalid") is True
    assert form.classification.property("invalid") is True
    assert "classification" in form.errors.text()

    form.title_edit.setText("Crash on export")
    form.classification.setCurrentIndex(form.classification.findData(m.Classification.BUG))
    form.solved.setChecked(True)
    assert form.validate() == ["Describe the resolution of a solved ticket."]
    form.resolution.setPlainText("Patched to 5.2.2")
    with qtbot.waitSignal(form.submitted, timeout=1000) as blocker:
        form.on_submit()
    fields = blocker.args[0]
    assert fields == m.WrapUpFields(classification=m.Classification.BUG, title="Crash on export",
                                    product="ERP", module="Reports", version="5.2.1",
                                    priority="normal", notes="", resolution="Patched to 5.2.2",
                                    solved=True)
    assert not form.submit_button.isEnabled()
    form.submit_failed("hub unavailable")
    assert form.submit_button.isEnabled() and "hub unavailable" in form.errors.text()


def test_sign_in_shows_the_reason_and_blocks_retries_for_retry_after(qtbot) -> None:
    dialog = SignInDialog("ws://127.0.0.1:1")
    qtbot.addWidget(dialog)
    dialog.login.setText("demo")
    dialog.password.setText("wrong")
    with qtbot.waitSignal(dialog.sign_in_requested, timeout=1000) as blocker:
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["demo", "wrong"]
    dialog.refused("Wrong login or password.", retry_after_s=2)
    assert not dialog.sign_in_button.isEnabled()
    assert "Try again in 2 s" in dialog.error.text()
    assert dialog.password.text() == ""
    qtbot.waitUntil(dialog.sign_in_button.isEnabled, timeout=5000)
    assert dialog.error.text() == "Wrong login or password."


def test_agent_state_widget_shows_state_reason_and_offers_choices(qtbot) -> None:
    widget = AgentStateWidget()
    qtbot.addWidget(widget)
    widget.set_state(m.AgentState.NOT_READY, "Lunch",
                     since=datetime.now(UTC) - timedelta(seconds=65))
    assert widget.text() == "Not ready: Lunch"
    assert widget.timer_label.text() == "1:05"
    assert widget._ready_action.isEnabled()
    with qtbot.waitSignal(widget.state_requested, timeout=1000) as blocker:
        widget._ready_action.trigger()
    assert blocker.args == [m.AgentState.READY, None]
    with qtbot.waitSignal(widget.state_requested, timeout=1000) as blocker:
        widget._reason_actions[0].trigger()
    assert blocker.args == [m.AgentState.NOT_READY, "Break"]
    widget.set_state(m.AgentState.WRAP_UP)
    assert widget.text() == "Wrap-up" and not widget._ready_action.isEnabled()


def test_chat_panel_sends_typed_text_and_escapes_html(qtbot) -> None:
    chat = ChatPanel()
    qtbot.addWidget(chat)
    chat.input.setText("  hello <b>there</b> ")
    with qtbot.waitSignal(chat.message_sent, timeout=1000) as blocker:
        qtbot.keyClick(chat.input, Qt.Key.Key_Return)
    assert blocker.args == ["hello <b>there</b>"]
    chat.add_line("Customer", "<script>x</script>", mine=False)
    assert "&lt;script&gt;" in chat.transcript.toHtml()
    assert chat.lines() == [("Customer", "<script>x</script>", False)]


def test_tickets_view_lists_filters_and_links_recordings(qtbot) -> None:
    view = TicketsView()
    qtbot.addWidget(view)
    now = datetime.now(UTC)
    view.search.setText("export")
    view.status.setCurrentIndex(view.status.findData("solved"))
    with qtbot.waitSignal(view.query_requested, timeout=1000) as blocker:
        view.scope.setCurrentIndex(1)
    assert blocker.args[0] == m.TicketFilters(mine=False, status=("solved",), text="export")
    summary = m.TicketSummary(ticket_id=4, number="T-4", title="Export crash", status="solved",
                              priority="high", customer_name="华东精密", updated_at=now)
    view.show_results(m.TicketsResult(tickets=(summary,), total=1))
    assert view.ticket_ids() == [4] and view.count.text() == "1 ticket"
    with qtbot.waitSignal(view.detail_requested, timeout=1000) as blocker:
        view.table.selectRow(0)
    assert blocker.args == [4]
    recording = m.RecordingSummary(recording_id=9, started_at=now, duration_ms=65000,
                                   agent="Li Na")
    view.show_detail(m.TicketDetail(ticket=summary, resolution="Font installed",
                                    recordings=(recording,),
                                    events=(m.TicketEventItem(at=now, kind="created",
                                                              who="Li Na"),
                                            m.TicketEventItem(
                                                at=now, kind="status_changed", who="Li Na",
                                                details={"changes": {"status": [
                                                    "in_progress", "solved"]}}))))
    text = view.detail.toPlainText()
    assert "T-4" in text and "Font installed" in text and "1:05" in text and "Created" in text
    assert "Status changed: In progress → Solved · Li Na" in text
    assert "Solved · High" in text  # values read as words, not stored codes
    with qtbot.waitSignal(view.recording_requested, timeout=1000) as blocker:
        view.on_link(QUrl("recording:9"))
    assert blocker.args == [9]
