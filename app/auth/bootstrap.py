"""First start of a hub on an empty database: create an administrator.

The password is random, printed to the log and written (mode 0600) to
``<data_dir>/first-admin.txt`` so the person who started the hub can sign in; nobody
else learns it and no well-known default password ever exists.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.agents.models import Agent, AgentRole, SupportLevel
from app.auth.service import create_agent

log = logging.getLogger(__name__)

FIRST_ADMIN_FILE = "first-admin.txt"
FIRST_ADMIN_LOGIN = "admin"


def ensure_first_admin(session_factory: sessionmaker[Session], data_dir: Path) -> Path | None:
    """Create ``admin`` with a random password if there is no agent; returns the file."""
    with session_factory() as db:
        if db.scalar(select(func.count()).select_from(Agent)):
            return None
    password = secrets.token_urlsafe(12)
    create_agent(session_factory, FIRST_ADMIN_LOGIN, password, display_name="Administrator",
                 role=AgentRole.ADMIN, level=SupportLevel.L3)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FIRST_ADMIN_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"Tandem first administrator\nlogin: {FIRST_ADMIN_LOGIN}\n"
                 f"password: {password}\n"
                 "Sign in with these, then create agents (tandem-hub create-agent).\n")
    log.warning("FIRST START: created administrator login %r with password %r "
                "(also written to %s; change it or delete that file)",
                FIRST_ADMIN_LOGIN, password, path)
    return path
