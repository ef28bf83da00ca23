"""Wrap-up: classify the contact, describe the outcome, and turn it into a ticket."""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.api import messages as m
from ui.look import icon, set_prop, styled

CLASSIFICATION_LABELS: dict[m.Classification, str] = {
    m.Classification.BUG: "Bug",
    m.Classification.HOW_TO: "How-to",
    m.Classification.CONFIGURATION: "Configuration",
    m.Classification.ENVIRONMENT: "Environment",
    m.Classification.FEATURE_REQUEST: "Feature request",
    m.Classification.OTHER: "Other",
}
PRIORITIES = ("low", "normal", "high", "urgent")
#: What a customer code may look like (C0000001, HX-42, acme.eu): checked before sending so
#: a typo gets a clear sentence here; whether the customer exists is the hub's answer.
CUSTOMER_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")


class WrapUpForm(QFrame):
    """The wrap-up form; ``submitted`` carries validated ``WrapUpFields``.

    Signals:
        submitted(object): the ``WrapUpFields`` to send with the wrap-up request.
    """

    submitted = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.needs_customer = False
        styled(self, "card")
        self.customer_code = self._editable_combo(self.tr("Customer code, e.g. C0000001"))
        self.customer_code.setToolTip(self.tr("The caller was not recognised: the ticket needs "
                                              "the customer's code (recent codes in the list)"))
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText(self.tr("One line: what was the problem"))
        self.classification = QComboBox()
        self.classification.addItem(self.tr("Choose…"), None)
        for value, label in CLASSIFICATION_LABELS.items():
            self.classification.addItem(self.tr(label), value)
        self.product = self._editable_combo(self.tr("Product"))
        self.module = self._editable_combo(self.tr("Module"))
        self.version = self._editable_combo(self.tr("Version"))
        self.priority = QComboBox()
        for name in PRIORITIES:
            self.priority.addItem(self.tr(name.capitalize()), name)
        self.priority.setCurrentIndex(PRIORITIES.index("normal"))
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText(self.tr("What you saw and did"))
        self.notes.setFixedHeight(70)
        self.resolution = QPlainTextEdit()
        self.resolution.setPlaceholderText(self.tr("How it was solved, or what happens next"))
        self.resolution.setFixedHeight(60)
        self.solved = QCheckBox(self.tr("Solved"))
        self.errors = QLabel()
        styled(self.errors, "error")
        self.errors.setWordWrap(True)
        self.errors.hide()
        self.submit_button = QPushButton(icon("wrapup", "#ffffff"), self.tr("Save ticket && Ready"))
        styled(self.submit_button, "primary")
        self._build_layout()
        self._connect_signals()

    @staticmethod
    def _editable_combo(placeholder: str) -> QComboBox:
        combo = QComboBox()
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.lineEdit().setPlaceholderText(placeholder)
        return combo

    def _build_layout(self) -> None:
        heading = QLabel(self.tr("Wrap-up"))
        styled(heading, "heading")
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(self.tr("Customer code"), self.customer_code)
        form.setRowVisible(self.customer_code, False)
        self._form = form
        form.addRow(self.tr("Title"), self.title_edit)
        form.addRow(self.tr("Classification"), self.classification)
        pvm = QHBoxLayout()
        pvm.setSpacing(6)
        pvm.addWidget(self.product, 2)
        pvm.addWidget(self.module, 2)
        pvm.addWidget(self.version, 1)
        form.addRow(self.tr("Product / module / version"), pvm)
        form.addRow(self.tr("Priority"), self.priority)
        form.addRow(self.tr("Notes"), self.notes)
        form.addRow(self.tr("Resolution"), self.resolution)
        form.addRow("", self.solved)
        buttons = QHBoxLayout()
        buttons.addWidget(self.errors, 1)
        buttons.addWidget(self.submit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 14)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addLayout(buttons)

    def _connect_signals(self) -> None:
        self.submit_button.clicked.connect(self.on_submit)
        self.solved.toggled.connect(self.on_solved_toggled)

    def prefill(self, title: str = "", products: Sequence[str] = (), modules: Sequence[str] = (),
                versions: Sequence[str] = (), module: str | None = None,
                needs_customer: bool = False, customer_codes: Sequence[str] = ()) -> None:
        """Start a fresh form with choices from the screen pop (the agent may type others).

        The first of each list is preselected; ``module=""`` leaves the module blank (the
        product on the machine is known but not which of its modules the contact was about).
        ``needs_customer``: the caller was not recognised, so the agent enters (or picks from
        ``customer_codes``, e.g. recently used ones) the customer's code.
        """
        self.needs_customer = needs_customer
        self._form.setRowVisible(self.customer_code, needs_customer)
        self.customer_code.clear()
        self.customer_code.addItems(list(dict.fromkeys(c for c in customer_codes if c)))
        self.customer_code.setCurrentIndex(-1)
        self.customer_code.setEditText("")
        set_prop(self.customer_code, "invalid", False)
        self.title_edit.setText(title)
        self.classification.setCurrentIndex(0)
        for combo, values in ((self.product, products), (self.module, modules),
                              (self.version, versions)):
            combo.clear()
            combo.addItems(list(dict.fromkeys(v for v in values if v)))
            combo.setCurrentIndex(0 if combo.count() else -1)
        if module is not None:
            self.module.setCurrentIndex(self.module.findText(module) if module else -1)
            self.module.setEditText(module)
        self.priority.setCurrentIndex(PRIORITIES.index("normal"))
        self.notes.clear()
        self.resolution.clear()
        self.solved.setChecked(False)
        self.submit_button.setEnabled(True)
        self._show_errors([])

    def on_solved_toggled(self, solved: bool) -> None:
        if not solved:
            set_prop(self.resolution, "invalid", False)

    def validate(self) -> list[str]:
        """Problems that block submitting, in reading order; marks the fields concerned."""
        problems: list[tuple[QWidget, str]] = []
        code = self.customer_code.currentText().strip()
        if self.needs_customer and not code:
            problems.append((self.customer_code, self.tr(
                "The caller was not recognised: enter the customer's code (for example "
                "C0000001) so the ticket belongs to the right customer.")))
        elif self.needs_customer and not CUSTOMER_CODE.fullmatch(code):
            problems.append((self.customer_code, self.tr(
                "“{0}” is not a customer code: use letters, digits, '-', '_' or '.', "
                "up to 32 characters.").format(code[:40])))
        if not self.title_edit.text().strip():
            problems.append((self.title_edit, self.tr("Give the ticket a title.")))
        if self.classification.currentData() is None:
            problems.append((self.classification, self.tr("Choose a classification.")))
        if self.solved.isChecked() and not self.resolution.toPlainText().strip():
            problems.append((self.resolution, self.tr("Describe the resolution of a solved "
                                                      "ticket.")))
        bad = {id(w) for w, _ in problems}
        for widget in (self.customer_code, self.title_edit, self.classification,
                       self.resolution):
            set_prop(widget, "invalid", id(widget) in bad)
        messages = [text for _, text in problems]
        self._show_errors(messages)
        return messages

    def _show_errors(self, messages: list[str]) -> None:
        self.errors.setText(" ".join(messages))
        self.errors.setVisible(bool(messages))

    def fields(self) -> m.WrapUpFields:
        def text(combo: QComboBox) -> str | None:
            return combo.currentText().strip() or None

        return m.WrapUpFields(
            classification=self.classification.currentData(),
            title=self.title_edit.text().strip(),
            product=text(self.product),
            module=text(self.module),
            version=text(self.version),
            priority=self.priority.currentData(),
            notes=self.notes.toPlainText().strip(),
            resolution=self.resolution.toPlainText().strip(),
            solved=self.solved.isChecked(),
            customer_code=self.customer_code.currentText().strip() or None
            if self.needs_customer else None,
        )

    def on_submit(self) -> None:
        if self.validate():
            return
        self.submit_button.setEnabled(False)
        self.submitted.emit(self.fields())

    def submit_failed(self, message: str) -> None:
        """The hub refused the wrap-up; a customer-code problem points at that field."""
        self.submit_button.setEnabled(True)
        text = message.split(": ", 1)[1] if re.match(r"^[a-z_]+: ", message) else message
        if "customer code" in text.lower() or "customer_code" in text:
            if not self.needs_customer:
                self.needs_customer = True
                self._form.setRowVisible(self.customer_code, True)
            set_prop(self.customer_code, "invalid", True)
            code = self.customer_code.currentText().strip()
            if code and "unknown" in text.lower():
                text = self.tr("No customer has the code “{0}”. Check the code with "
                               "the caller.").format(code)
            self.customer_code.setFocus()
        self._show_errors([text])
