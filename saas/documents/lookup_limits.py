"""One set of counters for every door that answers "does this exist?".

The portal's lookup form, its JSON twin and the driver's pickup-code page each tell a caller whether
a number is real; counted apart, every extra door would multiply an attacker's tries. The limits are
shared (one scope each), so a try at any door spends the same budget.

These doors are the citizen's hot path, so their counters cost one round trip to Redis: one script
counts every limit of the door and reads back what the ``X-RateLimit-*`` headers need (Flask-Limiter
spends two scripts and two reads on the same). The counters are Flask-Limiter's own fixed windows,
under its own keys, so ``limiter.reset()`` and the limits it keeps elsewhere see the same numbers.
"""
from __future__ import annotations

import logging
import time
from functools import wraps

from flask import current_app, request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from saas.extensions import limiter
from saas.tenancy.scope import current_tenant

log = logging.getLogger(__name__)

#: Every counter of a door, counted and read back in one call: [count, seconds left] per key.
_COUNT_ALL = """
local out = {}
for i, key in ipairs(KEYS) do
  local current = redis.call('INCRBY', key, 1)
  if tonumber(current) == 1 then redis.call('EXPIRE', key, ARGV[i]) end
  out[#out + 1] = current
  out[#out + 1] = redis.call('TTL', key)
end
return out
"""
_fallback = FixedWindowRateLimiter(MemoryStorage())  # Redis briefly gone: keep limiting from memory


def _address() -> str:
    return f"lookup-ip:{request.remote_addr}"


def _asked_number() -> str:
    """The registration number asked about, from the form or the JSON body alike."""
    number = request.form.get("registration_no")
    if number is None:
        body = request.get_json(silent=True)
        number = body.get("registration_no") if isinstance(body, dict) else None
    return str(number or "").strip().upper()


def _number() -> str | None:
    """None for a lookup without a number (``_no_number``): it is not counted on this limit."""
    return None if _no_number() else f"lookup:{current_tenant.slug}:{_asked_number()}"


def _no_number() -> bool:
    """A lookup without a number asks about nothing: it is told what to fill in, and does not spend
    the budget every other empty lookup of the city would share."""
    return not _asked_number()


#: (scope, the setting that names the limit, its default, whose budget)
ADDRESS = ("lookup-address", "LOOKUP_RATE_LIMIT", "10 per minute", _address)
NUMBER = ("lookup-number", "LOOKUP_NUMBER_RATE_LIMIT", "5 per 15 minutes", _number)


def _redis_client():
    storage = limiter.storage
    return getattr(storage, "storage", None) if type(storage).__name__ == "RedisStorage" else None


def _count(items: list, keys: list[str]) -> list[tuple[int, int]]:
    """(count after this try, seconds until its window ends) for each limit."""
    client = _redis_client()
    if client is not None:
        try:
            script = current_app.extensions.get("antar_lookup_script")
            if script is None or script.registered_client is not client:
                script = current_app.extensions["antar_lookup_script"] = client.register_script(_COUNT_ALL)
            flat = script(keys=["LIMITS:" + key for key in keys], args=[item.get_expiry() for item in items])
            return [(int(flat[i]), max(int(flat[i + 1]), 0)) for i in range(0, len(flat), 2)]
        except Exception:  # redis unreachable: limit from memory until it is back
            log.warning("rate-limit storage unreachable; counting look-ups in memory", exc_info=False)
            counter = _fallback
    else:
        counter = limiter.limiter  # embedded mode: Flask-Limiter's own in-memory strategy
    results = []
    for item, key in zip(items, keys):
        count = counter.storage.incr(key, item.get_expiry())
        results.append((count, max(int(counter.storage.get_expiry(key) - time.time()), 0)))
    return results


def _guard(*limits):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not (limiter.enabled and current_app.config.get("RATELIMIT_ENABLED", True)):
                return view(*args, **kwargs)
            counted_by = [(limit, who) for limit in limits if (who := limit[3]()) is not None]
            items = [parse(current_app.config.get(setting, default)) for (_, setting, default, _), _ in counted_by]
            keys = [item.key_for(who, scope) for item, ((scope, _, _, _), who) in zip(items, counted_by)]
            counted = _count(items, keys)
            # The headers speak of the limit closest to refusing.
            item, (count, left) = min(zip(items, counted), key=lambda pair: pair[0].amount - pair[1][0])
            headers = {"X-RateLimit-Limit": str(item.amount),
                       "X-RateLimit-Remaining": str(max(item.amount - count, 0)),
                       "X-RateLimit-Reset": str(int(time.time()) + left)}
            if count > item.amount:
                response = current_app.make_response(current_app.handle_user_exception(TooManyRequests()))
                response.headers.update({**headers, "Retry-After": str(left)})
                return response
            response = current_app.make_response(view(*args, **kwargs))
            response.headers.update(headers)
            return response

        return wrapped

    return decorator


#: Per caller's address, across the portal lookup, the API lookup and the driver's page.
per_address = _guard(ADDRESS)
#: Per caller's address and per registration number, across the portal lookup and the API lookup.
per_address_and_number = _guard(ADDRESS, NUMBER)
