"""What each role may do, as one table (checked by the hub's handlers)."""

from __future__ import annotations

import enum

from app.api.messages import Role


class Permission(enum.StrEnum):
    TAKE_CONTACTS = "take_contacts"        # go Ready, take rings, wrap up
    VIEW_TICKETS = "view_tickets"
    REPLAY_OWN = "replay_own"              # recordings of one's own sessions
    REPLAY_ALL = "replay_all"              # every recording (QA)
    REVIEW = "review"                      # score recordings
    MANAGE_AGENTS = "manage_agents"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.AGENT: frozenset({Permission.TAKE_CONTACTS, Permission.VIEW_TICKETS,
                           Permission.REPLAY_OWN}),
    Role.QA: frozenset({Permission.VIEW_TICKETS, Permission.REPLAY_OWN, Permission.REPLAY_ALL,
                        Permission.REVIEW}),
    Role.LEAD: frozenset({Permission.TAKE_CONTACTS, Permission.VIEW_TICKETS,
                          Permission.REPLAY_OWN, Permission.REPLAY_ALL, Permission.REVIEW}),
    Role.ADMIN: frozenset(Permission),
}


def allowed(role: Role | str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(Role(role), frozenset())
