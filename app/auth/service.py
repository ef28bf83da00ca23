"""Agent sign-in: password check with DATA's hashes, slowed retries, tokens, profiles.

Synchronous (argon2 and the database block): the hub runs these calls in a worker
thread so a slow hash never stalls the relay.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.agents.models import Agent, AgentRole, AgentStatus, SupportLevel
from app.api.messages import AgentProfile, AgentState, Role
from app.auth.passwords import hash_password, verify_password
from app.auth.throttle import LoginThrottle
from app.auth.tokens import TokenIssuer

log = logging.getLogger(__name__)

WRONG = "Wrong login or password."


class AuthFailure(Exception):
    """Sign-in refused; ``retry_after_s`` > 0 while further attempts are refused."""

    def __init__(self, reason: str, retry_after_s: float = 0.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class SignedIn:
    token: str
    expires_at: datetime
    profile: AgentProfile
    status: AgentState


def profile_of(agent: Agent) -> AgentProfile:
    return AgentProfile(agent_id=agent.id, login=agent.login, display_name=agent.display_name,
                        role=Role(agent.role.value), level=agent.level.value,
                        languages=tuple(agent.languages or ()))


def wait_text(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds >= 120:
        return f"{(seconds + 59) // 60} minutes"
    return f"{seconds} second" + ("" if seconds == 1 else "s")


class AuthService:
    def __init__(self, session_factory: sessionmaker[Session], issuer: TokenIssuer,
                 throttle: LoginThrottle | None = None) -> None:
        self._sessions = session_factory
        self.issuer = issuer
        self.throttle = throttle or LoginThrottle()

    @cached_property
    def _dummy_hash(self) -> str:
        # Unknown logins cost the same hash as known ones (no login enumeration by timing).
        return hash_password("tandem-no-such-agent")

    def login(self, login: str, password: str, peer: str | None = None) -> SignedIn:
        login = login.strip()
        wait = self.throttle.retry_after(login, peer)
        if wait > 0:
            raise AuthFailure(f"Too many failed sign-ins. Try again in {wait_text(wait)}.", wait)
        with self._sessions() as db:
            agent = db.scalar(select(Agent).where(func.lower(Agent.login) == login.lower()))
            ok = verify_password(agent.password_hash if agent else self._dummy_hash, password)
            if agent is None or not ok:
                wait = self.throttle.failed(login, peer)
                log.warning("failed sign-in for %r from %s (next attempt in %.0fs)",
                            login[:64], peer or "?", wait)
                raise AuthFailure(f"{WRONG} Try again in {wait_text(wait)}.", wait)
            if not agent.active:
                raise AuthFailure("This account is disabled; ask an administrator.")
            self.throttle.succeeded(login, peer)
            return self._signed_in(agent)

    def resume(self, token: str) -> SignedIn:
        claims = self.issuer.verify(token)
        if claims is None:
            raise AuthFailure("Your sign-in has expired; please sign in again.")
        with self._sessions() as db:
            agent = db.get(Agent, claims.agent_id)
            if agent is None or not agent.active:
                raise AuthFailure("This account no longer exists or is disabled.")
            return SignedIn(token, datetime.fromtimestamp(claims.expires_at, UTC),
                            profile_of(agent), AgentState(agent.status.value))

    def logout(self, token: str) -> None:
        self.issuer.revoke(token)

    def _signed_in(self, agent: Agent) -> SignedIn:
        token, claims = self.issuer.issue(agent.id)
        return SignedIn(token, datetime.fromtimestamp(claims.expires_at, UTC),
                        profile_of(agent), AgentState(agent.status.value))


def create_agent(session_factory: sessionmaker[Session], login: str, password: str, *,
                 display_name: str | None = None, role: AgentRole = AgentRole.AGENT,
                 level: SupportLevel = SupportLevel.L1,
                 languages: list[str] | None = None) -> int:
    """Add an agent; ``ValueError`` when the login is taken or the password too short."""
    login = login.strip()
    if not login:
        raise ValueError("login must not be empty")
    if len(password) < 4:
        raise ValueError("password must have at least 4 characters")
    with session_factory() as db, db.begin():
        if db.scalar(select(Agent.id).where(func.lower(Agent.login) == login.lower())):
            raise ValueError(f"an agent with login {login!r} already exists")
        agent = Agent(login=login, display_name=display_name or login,
                      password_hash=hash_password(password), role=role, level=level,
                      languages=languages or [], status=AgentStatus.OFFLINE)
        db.add(agent)
        db.flush()
        return agent.id
