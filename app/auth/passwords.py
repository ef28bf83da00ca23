"""Agent password hashing with argon2id (argon2-cffi): slow, salted, parameters in the hash.

``verify_password`` never raises for a wrong or malformed hash: it answers False, so a
corrupt row cannot turn a sign-in into a server error. ``needs_rehash`` lets the sign-in
path upgrade old hashes when the parameters below are raised.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: argon2-cffi's RFC 9106 "low memory" profile (argon2id, t=3, m=64 MiB, p=4).
_HASHER = PasswordHasher()

MAX_PASSWORD_CHARS = 1024


def hash_password(password: str) -> str:
    """An encoded argon2id hash (``$argon2id$v=19$m=...``) with a fresh random salt."""
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValueError(f"password longer than {MAX_PASSWORD_CHARS} characters")
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; False for a mismatch, an oversized or malformed input."""
    if not password_hash or len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
