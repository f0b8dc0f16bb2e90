"""Jobs for the worker tests, importable by a real `flask worker` process (they count in Redis)."""
from __future__ import annotations

import sqlalchemy as sa

from saas.jobs import runtime


def fail_once(key: str) -> str:
    """Raises on its first run only: a job that needs one retry."""
    if runtime().connection().incr(key) == 1:
        raise RuntimeError("the first run fails")
    return "second run"


def database_error_once(key: str) -> str:
    """Meets a dropped database connection on its first run, as during a PostgreSQL restart."""
    if runtime().connection().incr(key) == 1:
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
    return "after the database came back"


def value_error(key: str) -> str:
    """A plain bug: not the database's fault."""
    runtime().connection().incr(key)
    raise ValueError("a bug, not the database")
