"""Login throttling, tokens and roles, with an injected clock (no sleeps)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.api.messages import Role
from app.auth.roles import Permission, allowed
from app.auth.throttle import LoginThrottle, ThrottlePolicy
from app.auth.tokens import TokenIssuer, load_or_create_secret


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_slow_down_exponentially_then_lock_out() -> None:
    clock = Clock()
    policy = ThrottlePolicy(base_delay_s=1, max_delay_s=8, lockout_after=5, lockout_s=600)
    throttle = LoginThrottle(policy, clock)
    assert throttle.retry_after("demo", "10.0.0.1") == 0
    waits = []
    for _ in range(5):
        waits.append(throttle.failed("demo", None))
        assert throttle.retry_after("demo", None) == pytest.approx(waits[-1])
        clock.now += waits[-1]
    assert waits == [1, 2, 4, 8, 600]


def test_success_clears_the_login_but_other_logins_are_independent() -> None:
    clock = Clock()
    throttle = LoginThrottle(ThrottlePolicy(base_delay_s=2), clock)
    throttle.failed("demo", None)
    assert throttle.retry_after("other", None) == 0
    assert throttle.retry_after("DEMO", None) == 2  # logins compare case-insensitively
    clock.now += 2
    throttle.succeeded("demo", None)
    assert throttle.retry_after("demo", None) == 0


def test_a_peer_spraying_many_logins_is_slowed_too() -> None:
    clock = Clock()
    throttle = LoginThrottle(ThrottlePolicy(base_delay_s=1, peer_factor=3), clock)
    for i in range(4):
        throttle.failed(f"user{i}", "10.0.0.9")
    assert throttle.retry_after("fresh-login", "10.0.0.9") > 0
    assert throttle.retry_after("fresh-login", "10.0.0.10") == 0


def test_tokens_verify_expire_and_revoke(tmp_path: Path) -> None:
    clock = Clock()
    secret = load_or_create_secret(tmp_path)
    assert load_or_create_secret(tmp_path) == secret  # kept across restarts
    assert (tmp_path / "hub-secret.key").stat().st_mode & 0o777 == 0o600
    issuer = TokenIssuer(secret, ttl_s=60, clock=clock)
    token, claims = issuer.issue(7)
    assert issuer.verify(token) == claims and claims.agent_id == 7
    assert TokenIssuer(secret, clock=clock).verify(token) == claims  # a restarted hub
    assert TokenIssuer(b"x" * 32, clock=clock).verify(token) is None  # another hub
    forged = token.replace(".7.", ".8.")
    assert issuer.verify(forged) is None
    assert issuer.verify("garbage") is None and issuer.verify("a" * 1000) is None
    other, _ = issuer.issue(7)
    issuer.revoke(other)
    assert issuer.verify(other) is None and issuer.verify(token) is not None
    clock.now += 61
    assert issuer.verify(token) is None


def test_roles_table() -> None:
    assert allowed(Role.AGENT, Permission.TAKE_CONTACTS)
    assert not allowed(Role.AGENT, Permission.REPLAY_ALL)
    assert allowed(Role.QA, Permission.REVIEW) and not allowed(Role.QA, Permission.TAKE_CONTACTS)
    assert all(allowed(Role.ADMIN, p) for p in Permission)


def test_session_codes_are_single_use_expire_and_slow_guessing() -> None:
    from app.hub.codes import CodeRefused, SessionCodes

    clock = Clock()
    codes = SessionCodes(ttl_s=60, clock=clock)
    issued = codes.issue(agent_id=1, agent_name="Alice")
    assert codes.redeem(issued.code, "10.0.0.1").agent_id == 1
    with pytest.raises(CodeRefused):
        codes.redeem(issued.code, "10.0.0.1")  # single use
    late = codes.issue(agent_id=2, agent_name="Bob")
    clock.now += 61
    with pytest.raises(CodeRefused):
        codes.redeem(late.code, "10.0.0.1")  # expired
    fresh = codes.issue(agent_id=2, agent_name="Bob")
    for _ in range(4):
        with pytest.raises(CodeRefused):
            codes.redeem("999999" if fresh.code != "999999" else "888888", "10.0.0.66")
    with pytest.raises(CodeRefused) as slowed:
        codes.redeem(fresh.code, "10.0.0.66")  # even the right code waits now
    assert slowed.value.retry_after_s > 0 and "try again in" in slowed.value.text
    assert codes.redeem(fresh.code, "10.0.0.2").agent_id == 2  # other customers unaffected
