"""Registering with a sandbox once per process, as a partner registers with the real service once.

Couriers and message gateways learn our callback address and credentials out of band; their
sandboxes are told the same thing over HTTP, the first time a city talks to them.
"""
from __future__ import annotations

import threading

from flask import current_app

_registered: set[tuple] = set()
_lock = threading.Lock()


def is_sandbox(base_url: str) -> bool:
    return bool(current_app.config.get("SANDBOXES_ENABLED")) and "/sandbox/" in base_url


def stand_ins_allowed() -> bool:
    """Derived sandbox credentials and URLs are for the demo and tests: never in production, whatever the flag."""
    return bool(current_app.config.get("SANDBOXES_ENABLED")) and current_app.config.get("ANTAR_ENV") != "production"


def register_once(key: tuple, register) -> None:
    """Call ``register()`` the first time ``key`` is seen in this process (and again if it failed)."""
    with _lock:
        if key in _registered:
            return
    register()
    with _lock:
        _registered.add(key)


def forget() -> None:
    """The sandboxes were reset: register again on next use."""
    with _lock:
        _registered.clear()
