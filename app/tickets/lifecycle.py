"""Which status may follow which: new -> assigned -> in progress -> waiting -> solved -> closed."""

from __future__ import annotations

from app.tickets.models import TicketStatus as S

ALLOWED: dict[S, frozenset[S]] = {
    S.NEW: frozenset({S.ASSIGNED, S.IN_PROGRESS, S.WAITING_CUSTOMER, S.SOLVED, S.CLOSED}),
    S.ASSIGNED: frozenset({S.NEW, S.IN_PROGRESS, S.WAITING_CUSTOMER, S.SOLVED, S.CLOSED}),
    S.IN_PROGRESS: frozenset({S.NEW, S.ASSIGNED, S.WAITING_CUSTOMER, S.SOLVED}),
    S.WAITING_CUSTOMER: frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.SOLVED}),
    # Back to work from here only by a reopen (TicketService.reopen / customer_replied), which
    # checks the tier's reopen window and otherwise opens a linked follow-up ticket.
    S.SOLVED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}

OPEN = frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_CUSTOMER})
DONE = frozenset({S.SOLVED, S.CLOSED})


def can_move(current: S, target: S) -> bool:
    return target in ALLOWED[current]
