"""``ScorecardPanel``: score a recording against the configured criteria, see earlier reviews.

Plain data in (criteria and reviews as mappings, as the hub sends them), one signal out
(``submitted``); the console sends it to the hub.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

NOT_SCORED = -1


class ScorecardPanel(QWidget):
    """Signals:
        submitted(dict, str): scores {criterion key: score} (unscored left out) and comment.
    """

    submitted = Signal(dict, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._criteria: list[Mapping[str, Any]] = []
        self._inputs: dict[str, QComboBox] = {}
        title = QLabel("Scorecard")
        title.setProperty("role", "heading")
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.percent_label = QLabel("—")
        self.percent_label.setProperty("role", "muted")
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText("Comments for the agent")
        self.comment.setMaximumHeight(90)
        self.submit_button = QPushButton("Save review")
        self.submit_button.setProperty("role", "primary")
        self.submit_button.setEnabled(False)
        self.error_label = QLabel("")
        self.error_label.setProperty("role", "error")
        self.error_label.setWordWrap(True)
        history_title = QLabel("EARLIER REVIEWS")
        history_title.setProperty("role", "section")
        self.history = QListWidget()
        self.history.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(self.form)
        layout.addWidget(self.percent_label)
        layout.addWidget(self.comment)
        layout.addWidget(self.submit_button)
        layout.addWidget(self.error_label)
        layout.addWidget(history_title)
        layout.addWidget(self.history, 1)
        self.submit_button.clicked.connect(self.on_submit)

    def set_criteria(self, criteria: Sequence[Mapping[str, Any]]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self._criteria = list(criteria)
        self._inputs = {}
        for c in self._criteria:
            maximum = int(c.get("max", 5))
            box = QComboBox()
            box.addItem("not scored", NOT_SCORED)
            for value in range(maximum + 1):
                box.addItem(f"{value} / {maximum}", value)
            box.currentIndexChanged.connect(self._update_percent)
            self._inputs[str(c["key"])] = box
            self.form.addRow(str(c.get("label") or c["key"]), box)
        self._update_percent()

    def set_score(self, key: str, value: int) -> None:
        box = self._inputs[key]
        index = box.findData(value)
        if index < 0:
            raise ValueError(f"{key}: no score {value}")
        box.setCurrentIndex(index)

    def set_reviews(self, reviews: Sequence[Mapping[str, Any]]) -> None:
        self.history.clear()
        for r in reviews:
            percent = r.get("percent")
            score = f"{percent:.0f}%" if percent is not None else "—"
            when = str(r.get("created_at", ""))[:16].replace("T", " ")
            text = f"{r.get('reviewer_name') or '?'} · {score} · {when}"
            if r.get("comment"):
                text += f"\n{r['comment']}"
            self.history.addItem(text)

    def set_read_only(self, read_only: bool) -> None:
        """Agents see their reviews but do not score."""
        for box in self._inputs.values():
            box.setEnabled(not read_only)
        self.comment.setReadOnly(read_only)
        self.submit_button.setVisible(not read_only)

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)

    def scores(self) -> dict[str, int]:
        return {key: int(box.currentData()) for key, box in self._inputs.items()
                if box.currentData() != NOT_SCORED}

    def clear(self) -> None:
        for box in self._inputs.values():
            box.setCurrentIndex(0)
        self.comment.clear()
        self.error_label.clear()

    @Slot()
    def _update_percent(self) -> None:
        scores = self.scores()
        total = got = 0.0
        for c in self._criteria:
            if str(c["key"]) in scores:
                weight = float(c.get("weight", 1))
                total += weight * int(c.get("max", 5))
                got += weight * scores[str(c["key"])]
        self.percent_label.setText(f"Weighted score: {100 * got / total:.0f}%" if total
                                   else "Weighted score: —")
        self.submit_button.setEnabled(bool(scores))

    @Slot()
    def on_submit(self) -> None:
        scores = self.scores()
        if not scores:
            self.show_error("Score at least one criterion.")
            return
        self.error_label.clear()
        self.submitted.emit(scores, self.comment.toPlainText().strip())
