"""Which agent's console is connected where: push events to an agent by id."""

from __future__ import annotations

import logging

from app.api import messages as m
from app.hub.console import ConsoleConnection

log = logging.getLogger(__name__)


class ConsoleRegistry:
    """One live console per agent; a newer sign-in replaces (and closes) the older one."""

    def __init__(self) -> None:
        self._by_agent: dict[int, ConsoleConnection] = {}

    def attach(self, agent_id: int, console: ConsoleConnection) -> ConsoleConnection | None:
        """Register ``console``; returns the console it replaced, if any."""
        old = self._by_agent.get(agent_id)
        self._by_agent[agent_id] = console
        if old is not None and old is not console:
            old.push(m.Error(code=m.ErrorCode.CONFLICT,
                             text="You signed in from another console; this one is closed."))
            old.close(4001, "signed in elsewhere")
            return old
        return None

    def detach(self, agent_id: int, console: ConsoleConnection) -> bool:
        """Forget ``console``; True if it was the agent's current one."""
        if self._by_agent.get(agent_id) is console:
            del self._by_agent[agent_id]
            return True
        return False

    def get(self, agent_id: int) -> ConsoleConnection | None:
        return self._by_agent.get(agent_id)

    def push(self, agent_id: int, msg: m.Message) -> bool:
        console = self._by_agent.get(agent_id)
        if console is None:
            return False
        console.push(msg)
        return True

    def agent_ids(self) -> list[int]:
        return list(self._by_agent)

    def close_all(self, code: int, reason: str) -> None:
        for console in list(self._by_agent.values()):
            console.close(code, reason)
