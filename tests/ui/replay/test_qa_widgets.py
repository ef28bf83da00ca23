"""ScorecardPanel and QAReviewList offscreen: plain data in, signals out."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot

from ui.replay.review_list import QAReviewList
from ui.replay.scorecard import ScorecardPanel

CRITERIA = [
    {"key": "greeting", "label": "Greeting", "weight": 1, "max": 5},
    {"key": "resolution", "label": "Resolution", "weight": 3, "max": 5},
]


def test_scorecard_emits_scores_and_comment(qtbot: QtBot) -> None:
    panel = ScorecardPanel()
    qtbot.addWidget(panel)
    panel.set_criteria(CRITERIA)
    assert not panel.submit_button.isEnabled()
    panel.set_score("greeting", 4)
    assert panel.percent_label.text() == "Weighted score: 80%"
    panel.set_score("resolution", 5)
    assert panel.percent_label.text() == "Weighted score: 95%"
    panel.comment.setPlainText("  Well handled  ")
    with qtbot.waitSignal(panel.submitted, timeout=1000) as blocker:
        panel.submit_button.click()
    assert blocker.args == [{"greeting": 4, "resolution": 5}, "Well handled"]
    panel.set_reviews([{"reviewer_name": "Quinn", "percent": 95.0, "comment": "Good",
                        "created_at": "2026-05-01T10:00:00+00:00"}])
    assert panel.history.item(0).text() == "Quinn · 95% · 2026-05-01 10:00\nGood"
    panel.set_read_only(True)
    assert not panel._inputs["greeting"].isEnabled()


def test_scorecard_only_scored_criteria_are_sent(qtbot: QtBot) -> None:
    panel = ScorecardPanel()
    qtbot.addWidget(panel)
    panel.set_criteria(CRITERIA)
    panel.set_score("resolution", 0)  # zero is a score, "not scored" is not
    with qtbot.waitSignal(panel.submitted, timeout=1000) as blocker:
        panel.on_submit()
    assert blocker.args[0] == {"resolution": 0}


def test_review_list_filters_and_activation(qtbot: QtBot) -> None:
    view = QAReviewList()
    qtbot.addWidget(view)
    view.set_agents([(1, "Alice"), (2, "Bob")])
    view.set_customers([(7, "Acme")])
    with qtbot.waitSignal(view.filters_changed, timeout=1000) as blocker:
        view.agent_box.setCurrentIndex(2)
    assert blocker.args[0]["agent_id"] == 2
    with qtbot.waitSignal(view.filters_changed, timeout=1000) as blocker:
        view.class_box.setCurrentIndex(view.class_box.findData("bug"))
    assert blocker.args[0]["classification"] == "bug"
    with qtbot.waitSignal(view.filters_changed, timeout=1000) as blocker:
        view.date_to.setDate(QDate(2026, 5, 3))
    assert blocker.args[0]["date_to"] == datetime(2026, 5, 4, tzinfo=UTC)
    assert blocker.args[0]["date_from"] is None
    with qtbot.waitSignal(view.filters_changed, timeout=1000) as blocker:
        view.unscored.setChecked(True)
    assert blocker.args[0]["unscored"] is True

    view.set_recordings([
        {"id": 11, "started_at": "2026-05-02T09:30:00+00:00", "agent_name": "Alice",
         "customer_name": "Acme", "ticket_number": "T-1", "classification": "how_to",
         "duration_ms": 754_000, "reviews": 0, "last_score": None},
        {"id": 12, "started_at": "2026-05-01T08:00:00+00:00", "agent_name": "Bob",
         "customer_code": "WIDG", "ticket_number": None, "classification": None,
         "duration_ms": 61_000, "reviews": 2, "last_score": 87.5},
    ])
    rows = [[view.table.item(r, c).text() for c in range(view.table.columnCount())]
            for r in range(view.table.rowCount())]
    assert rows == [
        ["2026-05-02 09:30", "Alice", "Acme", "T-1", "how to", "12:34", "unscored"],
        ["2026-05-01 08:00", "Bob", "WIDG", "—", "—", "1:01", "88% (2)"],
    ]
    assert view.count_label.text() == "2 recordings"
    with qtbot.waitSignal(view.recording_activated, timeout=1000) as blocker:
        view.table.cellDoubleClicked.emit(1, 3)
    assert blocker.args == [12]
