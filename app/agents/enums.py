"""Agent vocabulary shared by the models and the console API (no SQLAlchemy here)."""

from __future__ import annotations

import enum


class SupportLevel(enum.StrEnum):
    """Support line: L1 takes the ring, L2 the product expert, L3 engineering."""

    L1 = "L1"
    L2 = "L2"
    L3 = "L3"


class AgentRole(enum.StrEnum):
    AGENT = "agent"
    QA = "qa"
    LEAD = "lead"
    ADMIN = "admin"


class AgentStatus(enum.StrEnum):
    """Presence an agent shows to routing (contact-centre vocabulary)."""

    READY = "ready"
    NOT_READY = "not_ready"
    BUSY = "busy"
    WRAP_UP = "wrap_up"
    OFFLINE = "offline"
