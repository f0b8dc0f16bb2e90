"""Go-Send- and GrabExpress-shaped courier sandboxes, mounted under ``/sandbox``.

``/sandbox/gosend/...`` and ``/sandbox/grab/...`` answer like the real courier APIs and call the
partner's webhook like them; ``.../_admin/...`` and the functions below let tests and the demo
register partners and move bookings through their statuses; ``/sandbox/<provider>/`` is the
"play the driver" page. All state is in memory.
"""
from __future__ import annotations

from flask import Blueprint

couriers_bp = Blueprint("sandbox_couriers", __name__)

# The route modules attach their endpoints to couriers_bp, so they come after it.
from saas.sandboxes.couriers import admin, driver_page, gosend, grab, webhooks  # noqa: E402,F401
from saas.sandboxes.couriers.store import (  # noqa: E402
    BookingClosed,
    NotCancellable,
    UnknownBooking,
    advance,
    booking,
    bookings,
    register_partner,
    replay_last_callback,
    reset,
    run,
    send_callback,
    set_auto_advance,
    set_booking_scenario,
    set_scenario,
    set_status,
    set_token_lifetime,
    token_requests,
)
from saas.sandboxes.couriers.webhooks import set_mode as set_callback_mode  # noqa: E402
from saas.sandboxes.couriers.webhooks import wait as wait_for_callbacks  # noqa: E402


def callbacks(provider: str | None = None) -> list[dict]:
    """Every callback attempt so far (oldest first) with the HTTP status the partner answered."""
    return webhooks.attempts(provider)


__all__ = [
    "couriers_bp", "register_partner", "set_scenario", "set_booking_scenario", "advance", "run",
    "set_status", "replay_last_callback", "send_callback", "set_callback_mode", "wait_for_callbacks",
    "callbacks", "set_auto_advance", "set_token_lifetime", "token_requests", "booking", "bookings",
    "reset", "UnknownBooking", "BookingClosed", "NotCancellable",
]
