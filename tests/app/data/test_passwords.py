"""argon2id password hashing: round trip, salts, wrong and malformed input."""

from __future__ import annotations

import pytest

from app.auth.passwords import MAX_PASSWORD_CHARS, hash_password, needs_rehash, verify_password


@pytest.fixture(scope="module")
def demo_hash() -> str:
    return hash_password("démo-密码")


def test_round_trip(demo_hash: str) -> None:
    assert demo_hash.startswith("$argon2id$")
    assert verify_password(demo_hash, "démo-密码")
    assert not needs_rehash(demo_hash)


def test_wrong_password(demo_hash: str) -> None:
    assert not verify_password(demo_hash, "demo")
    assert not verify_password(demo_hash, "")


def test_salted(demo_hash: str) -> None:
    assert hash_password("démo-密码") != demo_hash


@pytest.mark.parametrize("bad", ["", "not-a-hash", "$argon2id$v=19$m=65536,t=3,p=4$broken", "$2b$12$abc"])
def test_malformed_hash_is_false_not_an_error(bad: str) -> None:
    assert verify_password(bad, "demo") is False
    assert needs_rehash(bad)


def test_oversized_password(demo_hash: str) -> None:
    huge = "x" * (MAX_PASSWORD_CHARS + 1)
    with pytest.raises(ValueError, match="longer than"):
        hash_password(huge)
    assert verify_password(demo_hash, huge) is False
