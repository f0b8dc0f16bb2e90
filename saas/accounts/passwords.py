"""Argon2id password hashing (memory-hard), with a cheap profile for the test suite only."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_PROFILES = {
    # argon2-cffi's defaults follow RFC 9106's second recommendation (64 MiB, t=3, p=4).
    "standard": PasswordHasher(),
    "test": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}
MIN_LENGTH = 10


def _hasher() -> PasswordHasher:
    return _PROFILES[current_app.config.get("PASSWORD_HASH_COST", "standard")]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """(matches, a fresh hash if the stored one used weaker settings than today's)."""
    hasher = _hasher()
    try:
        hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, hasher.hash(password) if hasher.check_needs_rehash(stored_hash) else None


_DUMMY: dict[str, str] = {}


def burn_verification(password: str) -> None:
    """Spend the time a real check would, so an unknown e-mail answers as slowly as a known one."""
    cost = current_app.config.get("PASSWORD_HASH_COST", "standard")
    if cost not in _DUMMY:
        _DUMMY[cost] = _hasher().hash("not-a-real-password")
    verify_password(_DUMMY[cost], password)
