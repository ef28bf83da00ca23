"""Contact vocabulary shared by the models and the console API (no SQLAlchemy here)."""

from __future__ import annotations

import enum


class Channel(enum.StrEnum):
    """Where a contact came from."""

    ASSIST = "assist"
    PHONE = "phone"
    WEB = "web"
    EMBEDDED = "embedded"


class ContactStatus(enum.StrEnum):
    """Life of a ring: queued -> offered -> answered -> ended, or abandoned."""

    NEW = "new"
    QUEUED = "queued"
    OFFERED = "offered"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    ENDED = "ended"


class QueueStrategy(enum.StrEnum):
    """How a queue picks the agent to ring (Asterisk app_queue vocabulary)."""

    ROUND_ROBIN = "round_robin"
    LEAST_BUSY = "least_busy"
    LONGEST_IDLE = "longest_idle"
    SKILLS = "skills"
    RING_ALL = "ring_all"


class ConsentLevel(enum.StrEnum):
    """What the customer allowed: nothing, seeing the screen, or seeing and controlling."""

    NONE = "none"
    VIEW = "view"
    CONTROL = "control"
