"""Opaque sign-in tokens with expiry that survive a hub restart.

A token is ``<random id>.<agent id>.<expiry>.<HMAC>`` in URL-safe base64 under a secret
kept in the data directory (created with mode 0600 on first use). The console treats it
as opaque; the hub verifies it without a database table, so a console reconnecting to a
restarted hub signs in again silently. Logout revokes a token for this hub's lifetime.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SECRET_FILE = "hub-secret.key"
DEFAULT_TTL_S = 12 * 3600.0


@dataclass(frozen=True)
class TokenClaims:
    token_id: str
    agent_id: int
    expires_at: float  # epoch seconds


def load_or_create_secret(data_dir: Path) -> bytes:
    """The hub's signing secret, created once (0600) in ``data_dir``."""
    path = data_dir / SECRET_FILE
    try:
        secret = path.read_bytes()
        if len(secret) >= 32:
            return secret
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secret)
    return secret


class TokenIssuer:
    def __init__(self, secret: bytes, ttl_s: float = DEFAULT_TTL_S,
                 clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self.ttl_s = ttl_s
        self._clock = clock
        self._revoked: set[str] = set()

    def issue(self, agent_id: int) -> tuple[str, TokenClaims]:
        claims = TokenClaims(secrets.token_urlsafe(12), agent_id, self._clock() + self.ttl_s)
        payload = f"{claims.token_id}.{claims.agent_id}.{int(claims.expires_at)}"
        return f"{payload}.{self._sign(payload)}", claims

    def verify(self, token: str) -> TokenClaims | None:
        """The claims of a valid, unexpired, unrevoked token; None otherwise."""
        if not isinstance(token, str) or len(token) > 256:
            return None
        payload, _, signature = token.rpartition(".")
        if not payload or not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            token_id, agent_id, expires = payload.split(".")
            claims = TokenClaims(token_id, int(agent_id), float(expires))
        except ValueError:
            return None
        if claims.expires_at <= self._clock() or claims.token_id in self._revoked:
            return None
        return claims

    def revoke(self, token: str) -> None:
        claims = self.verify(token)
        if claims is not None:
            self._revoked.add(claims.token_id)

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self._secret, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")
