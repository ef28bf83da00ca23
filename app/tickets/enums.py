"""Ticket vocabulary shared by the models and the console API (no SQLAlchemy here)."""

from __future__ import annotations

import enum


class TicketStatus(enum.StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    SOLVED = "solved"
    CLOSED = "closed"


class TicketPriority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Classification(enum.StrEnum):
    """What the problem turned out to be (set at wrap-up; feeds service reports)."""

    BUG = "bug"
    HOW_TO = "how_to"
    CONFIGURATION = "configuration"
    ENVIRONMENT = "environment"
    FEATURE_REQUEST = "feature_request"
    OTHER = "other"


class TicketEventKind(enum.StrEnum):
    """What happened to a ticket; ``details`` carries the before/after values."""

    CREATED = "created"
    ASSIGNED = "assigned"
    STATUS_CHANGED = "status_changed"
    PRIORITY_CHANGED = "priority_changed"
    CLASSIFIED = "classified"
    COMMENT = "comment"
    CUSTOMER_REPLY = "customer_reply"
    ESCALATED = "escalated"
    TRANSFERRED = "transferred"
    SESSION_LINKED = "session_linked"
    RECORDING_LINKED = "recording_linked"
    SLA_PAUSED = "sla_paused"
    SLA_RESUMED = "sla_resumed"
    SLA_BREACHED = "sla_breached"
    REOPENED = "reopened"
    NOTIFIED = "notified"
    RATED = "rated"
