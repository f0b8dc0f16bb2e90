"""One set of counters for every door that answers "does this exist?".

The portal's lookup form, its JSON twin and the driver's pickup-code page each tell a caller whether
a number is real; counted apart, every extra door would multiply an attacker's tries. The limits are
shared (one scope each), so a try at any door spends the same budget.
"""
from __future__ import annotations

from flask import current_app, request

from saas.extensions import limiter
from saas.tenancy.scope import current_tenant


def _address() -> str:
    return f"lookup-ip:{request.remote_addr}"


def _asked_number() -> str:
    """The registration number asked about, from the form or the JSON body alike."""
    number = request.form.get("registration_no")
    if number is None:
        body = request.get_json(silent=True)
        number = body.get("registration_no") if isinstance(body, dict) else None
    return str(number or "").strip().upper()


def _number() -> str:
    return f"lookup:{current_tenant.slug}:{_asked_number()}"


def _no_number() -> bool:
    """A lookup without a number asks about nothing: it is told what to fill in, and does not spend
    the budget every other empty lookup of the city would share."""
    return not _asked_number()


#: Per caller's address, across the portal lookup, the API lookup and the driver's page.
per_address = limiter.shared_limit(lambda: current_app.config.get("LOOKUP_RATE_LIMIT", "10 per minute"),
                                   scope="lookup-address", key_func=_address)
#: Per registration number, across the portal lookup and the API lookup.
per_number = limiter.shared_limit(lambda: current_app.config.get("LOOKUP_NUMBER_RATE_LIMIT", "5 per 15 minutes"),
                                  scope="lookup-number", key_func=_number, exempt_when=_no_number)
