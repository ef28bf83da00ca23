"""``QAReviewList``: recordings to review, with filters (agent, customer, dates,
classification, unscored).

The widget never queries anything: it emits ``filters_changed`` with a plain dict (the
fields of ``app.recordings.service.ReviewFilter``) and the console answers with
``set_recordings`` (dicts shaped like ``RecordingInfo.to_dict()``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

CLASSIFICATIONS = ("bug", "how_to", "configuration", "environment", "feature_request", "other")
COLUMNS = ("Started", "Agent", "Customer", "Ticket", "Classification", "Duration", "Score")


def _duration(ms: int) -> str:
    minutes, seconds = divmod(max(0, int(ms)) // 1000, 60)
    return f"{minutes}:{seconds:02d}"


class QAReviewList(QWidget):
    """Signals:
        filters_changed(dict): the filter bar changed; keys as ReviewFilter's fields.
        recording_activated(int): open this recording (double click or Enter).
    """

    filters_changed = Signal(dict)
    recording_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.agent_box = QComboBox()
        self.customer_box = QComboBox()
        self.class_box = QComboBox()
        for box, label in ((self.agent_box, "All agents"), (self.customer_box, "All customers"),
                           (self.class_box, "All classifications")):
            box.addItem(label, None)
        for c in CLASSIFICATIONS:
            self.class_box.addItem(c.replace("_", " ").capitalize(), c)
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setSpecialValueText("any")
            edit.setMinimumDate(QDate(2000, 1, 1))
            edit.setDate(edit.minimumDate())
        self.unscored = QCheckBox("Unscored only")
        self.count_label = QLabel("")
        self.count_label.setProperty("role", "muted")

        bar = QHBoxLayout()
        for widget in (self.agent_box, self.customer_box, self.class_box):
            bar.addWidget(widget)
        bar.addWidget(QLabel("From"))
        bar.addWidget(self.date_from)
        bar.addWidget(QLabel("to"))
        bar.addWidget(self.date_to)
        bar.addWidget(self.unscored)
        bar.addStretch(1)
        bar.addWidget(self.count_label)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setAlternatingRowColors(True)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

        for box in (self.agent_box, self.customer_box, self.class_box):
            box.currentIndexChanged.connect(self.on_filter_edited)
        self.date_from.dateChanged.connect(self.on_filter_edited)
        self.date_to.dateChanged.connect(self.on_filter_edited)
        self.unscored.toggled.connect(self.on_filter_edited)
        self.table.cellDoubleClicked.connect(lambda row, _col: self._activate(row))
        self.table.activated.connect(lambda index: self._activate(index.row()))

    # ---- data in ------------------------------------------------------------------------------

    def set_agents(self, agents: Sequence[tuple[int, str]]) -> None:
        self._fill(self.agent_box, "All agents", agents)

    def set_customers(self, customers: Sequence[tuple[int, str]]) -> None:
        self._fill(self.customer_box, "All customers", customers)

    def _fill(self, box: QComboBox, label: str, items: Sequence[tuple[int, str]]) -> None:
        box.blockSignals(True)
        current = box.currentData()
        box.clear()
        box.addItem(label, None)
        for ident, name in items:
            box.addItem(name, ident)
        index = box.findData(current)
        box.setCurrentIndex(max(index, 0))
        box.blockSignals(False)

    def set_recordings(self, recordings: Sequence[Mapping[str, Any]]) -> None:
        self.table.setRowCount(0)
        for rec in recordings:
            row = self.table.rowCount()
            self.table.insertRow(row)
            started = str(rec.get("started_at") or "")[:16].replace("T", " ")
            ticket = rec.get("ticket_number") or "—"
            classification = (rec.get("classification") or "—").replace("_", " ")
            score = rec.get("last_score")
            score_text = "unscored" if not rec.get("reviews") else (
                f"{score:.0f}% ({rec['reviews']})" if score is not None else str(rec["reviews"]))
            cells = (started, rec.get("agent_name") or "—",
                     rec.get("customer_name") or rec.get("customer_code") or "—", ticket,
                     classification, _duration(int(rec.get("duration_ms") or 0)), score_text)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, int(rec["id"]))
                self.table.setItem(row, col, item)
        self.count_label.setText(f"{len(recordings)} recording{'s' * (len(recordings) != 1)}")

    # ---- filters out -------------------------------------------------------------------------

    def filters(self) -> dict[str, Any]:
        def day(edit: QDateEdit, end: bool) -> datetime | None:
            """Start of the chosen day (UTC); the "to" date includes its whole day."""
            if edit.date() == edit.minimumDate():
                return None
            start = datetime.combine(edit.date().toPython(), time.min, tzinfo=UTC)
            return start + timedelta(days=1) if end else start

        return {
            "agent_id": self.agent_box.currentData(),
            "customer_id": self.customer_box.currentData(),
            "classification": self.class_box.currentData(),
            "date_from": day(self.date_from, end=False),
            "date_to": day(self.date_to, end=True),
            "unscored": self.unscored.isChecked(),
        }

    @Slot()
    def on_filter_edited(self) -> None:
        self.filters_changed.emit(self.filters())

    def _activate(self, row: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.recording_activated.emit(int(item.data(Qt.ItemDataRole.UserRole)))
