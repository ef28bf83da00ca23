"""Tickets: mine or the queue's, search and filters, a detail pane with history and recordings."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.api import messages as m
from ui.look import icon, styled
from ui.wrapup_form import CLASSIFICATION_LABELS

STATUSES = ("new", "assigned", "in_progress", "waiting_customer", "solved", "closed")
COLUMNS = ("Number", "Title", "Customer", "Status", "Priority", "Updated")


def label(value: str | None) -> str:
    """A stored value as the agent reads it: ``in_progress`` -> ``In progress``."""
    text = (value or "").replace("_", " ")
    return text[:1].upper() + text[1:]


def _change(kind: str, details: dict) -> str:
    """``New → Assigned`` for a status change, ``priority: Normal → High`` for others;
    database ids (``product_id``...) are left out: they mean nothing to an agent."""
    changes = details.get("changes") if isinstance(details, dict) else None
    if not isinstance(changes, dict):
        return ""
    parts = []
    for name, values in changes.items():
        if name.endswith("_id") or not (isinstance(values, list | tuple) and len(values) == 2):
            continue
        before, after = (label(str(v)) if v is not None else "—" for v in values)
        prefix = "" if kind[:5] == name[:5] else f"{name.replace('_', ' ')}: "
        parts.append(f"{prefix}{after}" if values[0] is None else f"{prefix}{before} → {after}")
    return "; ".join(parts[:2])


def _when(value) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


class TicketsView(QWidget):
    """List and detail of tickets; the controller answers queries with ``show_results``.

    Signals:
        query_requested(object): ``TicketFilters`` to search with.
        detail_requested(int): ticket id to show.
        recording_requested(int): recording id to replay.
    """

    query_requested = Signal(object)
    detail_requested = Signal(int)
    recording_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scope = QComboBox()
        self.scope.addItem(self.tr("My tickets"), True)
        self.scope.addItem(self.tr("Queue"), False)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search number, title, customer…"))
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.status = QComboBox()
        self.status.addItem(self.tr("Any status"), None)
        for status in STATUSES:
            self.status.addItem(self.tr(status.replace("_", " ").capitalize()), status)
        self.classification = QComboBox()
        self.classification.addItem(self.tr("Any classification"), None)
        for value, label in CLASSIFICATION_LABELS.items():
            self.classification.addItem(self.tr(label), value)
        self.refresh_button = QPushButton(icon("refresh"), "")
        self.refresh_button.setToolTip(self.tr("Refresh"))
        self.count = QLabel()
        styled(self.count, "muted")

        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)

        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)
        detail_frame = QFrame()
        styled(detail_frame, "card")
        detail_layout = QVBoxLayout(detail_frame)
        detail_layout.setContentsMargins(12, 10, 12, 12)
        detail_layout.addWidget(self.detail)
        self.detail.setStyleSheet("QTextBrowser { border: none; }")
        self.detail.setHtml(f"<p style='color:#64748b'>{self.tr('Choose a ticket.')}</p>")

        filters = QHBoxLayout()
        filters.setSpacing(8)
        filters.addWidget(self.scope)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.status)
        filters.addWidget(self.classification)
        filters.addWidget(self.refresh_button)
        filters.addWidget(self.count)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(detail_frame)
        splitter.setSizes([700, 420])
        splitter.setHandleWidth(10)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)
        self._search_delay = QTimer(self)
        self._search_delay.setSingleShot(True)
        self._search_delay.setInterval(300)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.search.textChanged.connect(self._search_delay.start)
        self._search_delay.timeout.connect(self.refresh)
        for combo in (self.scope, self.status, self.classification):
            combo.currentIndexChanged.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.selectionModel().currentRowChanged.connect(self.on_row_changed)
        self.detail.anchorClicked.connect(self.on_link)

    def filters(self) -> m.TicketFilters:
        status = self.status.currentData()
        return m.TicketFilters(mine=bool(self.scope.currentData()),
                               status=(status,) if status else (),
                               text=self.search.text().strip(),
                               classification=self.classification.currentData())

    def refresh(self) -> None:
        self.query_requested.emit(self.filters())

    def show_results(self, result: m.TicketsResult) -> None:
        self.model.removeRows(0, self.model.rowCount())
        for ticket in result.tickets:
            cells = [ticket.number, ticket.title, ticket.customer_name or ticket.customer_code
                     or "", label(ticket.status), label(ticket.priority),
                     _when(ticket.updated_at or ticket.created_at)]
            items = [QStandardItem(str(c)) for c in cells]
            items[0].setData(ticket.ticket_id, Qt.ItemDataRole.UserRole)
            self.model.appendRow(items)
        for column in (0, 2, 3, 4, 5):
            self.table.resizeColumnToContents(column)
        self.table.setColumnWidth(2, min(self.table.columnWidth(2), 200))
        self.count.setText(self.tr("1 ticket") if result.total == 1
                           else self.tr("{0} tickets").format(result.total))

    def ticket_ids(self) -> list[int]:
        return [self.model.item(r, 0).data(Qt.ItemDataRole.UserRole)
                for r in range(self.model.rowCount())]

    def on_row_changed(self, current, _previous) -> None:
        if current.isValid():
            item = self.model.item(current.row(), 0)
            self.detail_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def show_detail(self, detail: m.TicketDetail) -> None:
        t = detail.ticket
        e = html.escape
        parts = [f"<h3 style='margin:0'>{e(t.number)} · {e(t.title)}</h3>",
                 f"<p style='color:#64748b'>{e(t.customer_name or t.customer_code or '')} · "
                 f"{e(label(t.status))} · {e(label(t.priority))}"
                 f"{' · ' + e(label(t.classification)) if t.classification else ''}"
                 "</p>"]
        pvm = " / ".join(x for x in (detail.product, detail.module, detail.version) if x)
        if pvm:
            parts.append(f"<p><b>{self.tr('Product')}</b>: {e(pvm)}</p>")
        if detail.description:
            parts.append(f"<p>{e(detail.description)}</p>")
        if detail.resolution:
            parts.append(f"<p><b>{self.tr('Resolution')}</b>: {e(detail.resolution)}</p>")
        if detail.recordings:
            parts.append(f"<h4>{self.tr('Recordings')}</h4><ul>")
            for rec in detail.recordings:
                seconds = rec.duration_ms // 1000
                parts.append(f"<li><a href='recording:{rec.recording_id}'>"
                             f"{self.tr('Replay')} {_when(rec.started_at)}</a> "
                             f"({seconds // 60}:{seconds % 60:02d}, {e(rec.agent or '')})</li>")
            parts.append("</ul>")
        if detail.sessions:
            parts.append(f"<h4>{self.tr('Sessions')}</h4><ul>")
            for session in detail.sessions:
                parts.append(f"<li>#{session.session_id} · {_when(session.started_at)} · "
                             f"{e(session.agent or '')}"
                             f"{' · ' + e(label(session.end_reason)) if session.end_reason else ''}"
                             "</li>")
            parts.append("</ul>")
        if detail.events:
            parts.append(f"<h4>{self.tr('History')}</h4><ul>")
            for event in detail.events:
                change = _change(event.kind, event.details)
                who = label(event.who) if event.who in ("system", "customer") else event.who
                parts.append(f"<li>{_when(event.at)} · {e(label(event.kind))}"
                             f"{': ' + e(change) if change else ''}"
                             f"{' · ' + e(who) if who else ''}</li>")
            parts.append("</ul>")
        self.detail.setHtml("".join(parts))

    def on_link(self, url) -> None:
        text = url.toString()
        if text.startswith("recording:"):
            self.recording_requested.emit(int(text.split(":", 1)[1]))
