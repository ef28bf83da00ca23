"""What the agent sees when a contact rings: the customer profile (plain data).

Frozen dataclasses with ``to_dict()`` / ``from_dict()`` for the console API (JSON-friendly:
datetimes as ISO 8601 strings in UTC). No SQLAlchemy here: the console imports this.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ContactIdentity:
    """What a contact arrives with; any field may be missing.

    ``environment`` is Tandem Assist's environment report (see
    remote.assist.environment); its ``vendor.customer_code`` is used when
    ``customer_code`` is not given.
    """

    customer_code: str | None = None
    phone: str | None = None
    email: str | None = None
    machine_id: str | None = None
    environment: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Company:
    id: int
    code: str
    name: str
    tier: str  # basic | vip | svip
    region: str
    timezone: str
    language: str
    notes: str


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    job_title: str
    phone: str | None
    mobile: str | None
    email: str | None
    language: str
    is_primary: bool


@dataclass(frozen=True, slots=True)
class SlaTargets:
    """The customer's SLA for a contact arriving now, from app/sla's policies and calendar.

    ``first_response_due_at`` / ``resolution_due_at`` (UTC) are computed on the customer's
    service calendar from the moment of the lookup (the contact's arrival): a basic customer
    ringing on Friday evening is due on Monday morning in ``timezone``. ``calendar`` is the
    calendar's description ("Mon-Fri 09:00-18:00 (Asia/Shanghai)").
    """

    tier: str
    first_response_minutes: int
    resolution_minutes: int
    calendar: str
    first_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class InstalledProduct:
    product_code: str
    product_name: str
    version: str | None
    licences: int
    modules: tuple[str, ...]
    installed_at: datetime | None


@dataclass(frozen=True, slots=True)
class EnvironmentChange:
    """One difference between a machine's previous and latest report (display strings)."""

    key: str  # dotted path in the report, e.g. "os.version"
    label: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class MachineInfo:
    machine_id: str
    hostname: str
    environment: Mapping[str, Any] | None
    reported_at: datetime | None
    previous_reported_at: datetime | None
    changes: tuple[EnvironmentChange, ...]
    #: False the first time Tandem sees this machine.
    seen_before: bool


@dataclass(frozen=True, slots=True)
class TicketSummary:
    id: int
    number: str
    title: str
    status: str
    priority: str
    classification: str | None
    product: str | None
    module: str | None
    assignee: str | None
    created_at: datetime
    solved_at: datetime | None


@dataclass(frozen=True, slots=True)
class SessionSummary:
    id: int
    channel: str | None
    agent: str | None
    consent: str
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    ticket_number: str | None
    recording_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RatingSummary:
    score: int
    comment: str
    created_at: datetime
    ticket_number: str | None


@dataclass(frozen=True, slots=True)
class Satisfaction:
    count: int
    mean: float | None
    recent: tuple[RatingSummary, ...]


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything the agent needs at the ring. ``known=False``: nobody matched; the profile
    still carries what the contact told us (number, e-mail, machine environment)."""

    known: bool
    #: Which identifier found the customer: customer_code | machine_id | phone | email.
    matched_by: str | None
    caller_phone: str | None  # E.164 when it parsed, else as received
    caller_email: str | None
    company: Company | None = None
    person: Person | None = None
    contact_persons: tuple[Person, ...] = ()
    sla: SlaTargets | None = None
    products: tuple[InstalledProduct, ...] = ()
    machine: MachineInfo | None = None
    tickets: tuple[TicketSummary, ...] = ()
    sessions: tuple[SessionSummary, ...] = ()
    satisfaction: Satisfaction | None = None
    notes: tuple[str, ...] = ()
    #: Other customers the phone or e-mail also matched (shared switchboard numbers...).
    other_matches: int = 0
    looked_up_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return _encode(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        return _decode_dataclass(cls, data)


# --- JSON-friendly encoding -----------------------------------------------------------------
def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _decode_dataclass(cls: type[T], data: Mapping[str, Any]) -> T:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            kwargs[f.name] = _decode(hints[f.name], data[f.name])
    return cls(**kwargs)


def _decode(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _decode(inner[0], value) if len(inner) == 1 else value
    if origin is tuple:
        (item, *_rest) = typing.get_args(tp)
        return tuple(_decode(item, v) for v in value)
    if tp is datetime:
        return datetime.fromisoformat(value)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _decode_dataclass(tp, value)
    return value


__all__ = ["Company", "ContactIdentity", "EnvironmentChange", "InstalledProduct", "MachineInfo",
           "Person", "Profile", "RatingSummary", "Satisfaction", "SessionSummary", "SlaTargets",
           "TicketSummary"]
