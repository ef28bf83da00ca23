"""Tier policies and calendars from the database, with ``default_policies()`` as fallback."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.customers.models import Customer
from app.db.base import utcnow
from app.sla.calendar import ServiceCalendar
from app.sla.clock import SlaState
from app.sla.models import AgentCalendar, CalendarRow, CustomerCalendar, TierPolicyRow
from app.sla.policy import SlaPolicies, TierPolicy, default_policies, tier_key
from app.tickets.models import Ticket


class SlaStore:
    """Reads and writes SLA configuration inside the caller's session."""

    def __init__(self, defaults: SlaPolicies | None = None) -> None:
        self.defaults = defaults or default_policies()

    # -- calendars -------------------------------------------------------------------------
    def save_calendar(self, s: Session, cal: ServiceCalendar) -> int:
        row = s.scalars(select(CalendarRow).where(CalendarRow.name == cal.name)).first()
        if row is None:
            row = CalendarRow(name=cal.name, definition=cal.to_dict())
            s.add(row)
        else:
            row.definition = cal.to_dict()
            # Always stamped (even when the definition is equal): every policy or calendar
            # save moves ``version()``, which is how caches (the screen pop) see a change.
            row.updated_at = utcnow()
        s.flush()
        return row.id

    def calendar(self, s: Session, name: str) -> ServiceCalendar | None:
        row = s.scalars(select(CalendarRow).where(CalendarRow.name == name)).first()
        return ServiceCalendar.from_dict(row.definition) if row is not None else None

    def _calendar_by_id(self, s: Session, calendar_id: int) -> ServiceCalendar:
        row = s.get(CalendarRow, calendar_id)
        if row is None:
            raise LookupError(f"calendar {calendar_id} does not exist")
        return ServiceCalendar.from_dict(row.definition)

    # -- policies --------------------------------------------------------------------------
    def set_tier_policy(self, s: Session, policy: TierPolicy) -> None:
        calendar_id = self.save_calendar(s, policy.calendar)
        row = s.get(TierPolicyRow, policy.tier) or TierPolicyRow(tier=policy.tier)
        row.calendar_id = calendar_id
        row.first_response_s = int(policy.first_response.total_seconds())
        row.resolution_s = int(policy.resolution.total_seconds())
        row.reopen_window_s = int(policy.reopen_window.total_seconds())
        row.warn_at = list(policy.warn_at)
        row.follow_customer_timezone = policy.follow_customer_timezone
        s.add(row)
        s.flush()

    def policy(self, s: Session, tier: object) -> TierPolicy:
        row = s.get(TierPolicyRow, tier_key(tier))
        if row is None:
            return self.defaults.for_tier(tier)
        return _policy_from_row(row, self._calendar_by_id(s, row.calendar_id))

    # -- everything at once, for caches ----------------------------------------------------
    def version(self, s: Session) -> tuple[object, ...]:
        """A cheap fingerprint of the SLA configuration (two aggregates on small tables).

        Every save goes through ``save_calendar``, which stamps ``updated_at``; the row counts
        catch deletions and new customer calendars.
        """
        calendars = s.execute(select(func.count(CalendarRow.id),
                                     func.max(CalendarRow.updated_at))).one()
        policies = s.execute(select(func.count()).select_from(TierPolicyRow)).scalar()
        return (calendars[0], calendars[1], policies)

    def snapshot(self, s: Session) -> SlaSnapshot:
        """All tier policies (stored, else defaults) and all calendars by id, read once."""
        calendars = {row.id: ServiceCalendar.from_dict(row.definition)
                     for row in s.scalars(select(CalendarRow))}
        tiers = dict(self.defaults.tiers)
        for row in s.scalars(select(TierPolicyRow)):
            tiers[row.tier] = _policy_from_row(row, calendars[row.calendar_id])
        return SlaSnapshot(SlaPolicies(tiers, self.defaults.agent_calendar), calendars)

    def set_customer_calendar(self, s: Session, customer_id: int, cal: ServiceCalendar) -> None:
        calendar_id = self.save_calendar(s, cal)
        row = s.get(CustomerCalendar, customer_id) or CustomerCalendar(customer_id=customer_id)
        row.calendar_id = calendar_id
        s.add(row)
        s.flush()

    def set_agent_calendar(self, s: Session, agent_id: int, cal: ServiceCalendar) -> None:
        calendar_id = self.save_calendar(s, cal)
        row = s.get(AgentCalendar, agent_id) or AgentCalendar(agent_id=agent_id)
        row.calendar_id = calendar_id
        s.add(row)
        s.flush()

    def agent_calendar(self, s: Session, agent_id: int | None) -> ServiceCalendar:
        row = s.get(AgentCalendar, agent_id) if agent_id is not None else None
        if row is None:
            return self.defaults.agent_calendar
        return self._calendar_by_id(s, row.calendar_id)

    def terms(self, s: Session, customer_id: int) -> tuple[TierPolicy, ServiceCalendar]:
        """The policy and calendar a customer's tickets run on."""
        customer = s.get(Customer, customer_id)
        tier = customer.tier if customer is not None else "basic"
        policy = self.policy(s, tier)
        own = s.get(CustomerCalendar, customer_id)
        own_calendar = self._calendar_by_id(s, own.calendar_id) if own is not None else None
        return policy, policy.calendar_for(customer.timezone if customer else None, own_calendar)


@dataclass(frozen=True, slots=True)
class SlaSnapshot:
    """The SLA configuration as of one read: policies per tier and calendars by row id."""

    policies: SlaPolicies
    calendars: dict[int, ServiceCalendar]

    def terms(self, tier: object, customer_timezone: str | None,
              customer_calendar_id: int | None = None) -> tuple[TierPolicy, ServiceCalendar]:
        """The same answer as ``SlaStore.terms`` for a customer, without a query."""
        policy = self.policies.for_tier(tier)
        own = self.calendars.get(customer_calendar_id) if customer_calendar_id else None
        return policy, policy.calendar_for(customer_timezone, own)


def _policy_from_row(row: TierPolicyRow, calendar: ServiceCalendar) -> TierPolicy:
    return TierPolicy(
        tier=row.tier, calendar=calendar,
        first_response=dt.timedelta(seconds=row.first_response_s),
        resolution=dt.timedelta(seconds=row.resolution_s),
        reopen_window=dt.timedelta(seconds=row.reopen_window_s),
        warn_at=tuple(float(x) for x in row.warn_at),
        follow_customer_timezone=row.follow_customer_timezone)


def sla_state(ticket: Ticket) -> SlaState:
    return SlaState(
        created_at=ticket.created_at,
        first_responded_at=ticket.first_responded_at,
        solved_at=ticket.solved_at,
        paused_since=ticket.sla_paused_since,
        paused=dt.timedelta(seconds=ticket.sla_paused_seconds or 0),
    )


def store_state(ticket: Ticket, state: SlaState) -> None:
    ticket.sla_paused_since = state.paused_since
    ticket.sla_paused_seconds = int(state.paused.total_seconds())
