"""Admin endpoints under ``/sandbox/<provider>/_admin``: what a test or the demo uses to set up
partners and push bookings through their statuses, over HTTP from another process.

Not part of either courier's API; they answer plain JSON (``{"error": ...}`` on refusal).
"""
from __future__ import annotations

from functools import wraps

from flask import request

from saas.sandboxes.couriers import couriers_bp, store, webhooks

ADMIN = "/<any(gosend, grab):provider>/_admin"


def admin_json(view):
    """Turn the store's refusals into JSON errors with the fitting HTTP status."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except store.UnknownBooking as exc:
            return {"error": f"unknown booking {exc}"}, 404
        except (store.BookingClosed, store.NotCancellable) as exc:
            return {"error": str(exc)}, 409
        except ValueError as exc:
            return {"error": str(exc)}, 400

    return wrapper


def body() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


@couriers_bp.put(f"{ADMIN}/partners/<client_id>")
@admin_json
def admin_partner(provider: str, client_id: str):
    data = body()
    store.register_partner(provider, client_id, str(data.get("secret") or ""),
                           str(data.get("callback_url") or ""), str(data.get("callback_token") or ""))
    return {"provider": provider, "client_id": client_id, "callback_url": data.get("callback_url")}


@couriers_bp.post(f"{ADMIN}/reset")
@admin_json
def admin_reset(provider: str):
    store.reset(provider)
    return {"reset": provider}


@couriers_bp.get(f"{ADMIN}/scenario")
@admin_json
def admin_scenario(provider: str):
    return {"scenario": store.default_scenario(provider), "scenarios": store.scenarios(provider)}


@couriers_bp.put(f"{ADMIN}/scenario")
@admin_json
def admin_set_scenario(provider: str):
    store.set_scenario(provider, str(body().get("scenario")))
    return {"scenario": store.default_scenario(provider)}


@couriers_bp.get(f"{ADMIN}/bookings")
@admin_json
def admin_bookings(provider: str):
    return {"bookings": store.bookings(provider)}


@couriers_bp.get(f"{ADMIN}/bookings/<ref>")
@admin_json
def admin_booking(provider: str, ref: str):
    return store.booking(provider, ref)


@couriers_bp.put(f"{ADMIN}/bookings/<ref>/scenario")
@admin_json
def admin_booking_scenario(provider: str, ref: str):
    return store.set_booking_scenario(provider, ref, str(body().get("scenario")))


@couriers_bp.post(f"{ADMIN}/bookings/<ref>/advance")
@admin_json
def admin_advance(provider: str, ref: str):
    return store.advance(provider, ref)


@couriers_bp.post(f"{ADMIN}/bookings/<ref>/run")
@admin_json
def admin_run(provider: str, ref: str):
    return store.run(provider, ref)


@couriers_bp.put(f"{ADMIN}/bookings/<ref>/status")
@admin_json
def admin_status(provider: str, ref: str):
    data = body()
    return store.set_status(provider, ref, str(data.get("status")), data.get("reason"))


@couriers_bp.post(f"{ADMIN}/bookings/<ref>/replay")
@admin_json
def admin_replay(provider: str, ref: str):
    return store.replay_last_callback(provider, ref)


@couriers_bp.post(f"{ADMIN}/bookings/<ref>/callbacks")
@admin_json
def admin_send_callback(provider: str, ref: str):
    data = body()
    return store.send_callback(provider, ref, str(data.get("status")), data.get("event_id"))


@couriers_bp.get(f"{ADMIN}/callbacks")
@admin_json
def admin_callbacks(provider: str):
    return {"callbacks": webhooks.attempts(provider), "mode": webhooks.mode()}


@couriers_bp.put(f"{ADMIN}/callback-mode")
@admin_json
def admin_callback_mode(provider: str):
    webhooks.set_mode(str(body().get("mode")))
    return {"mode": webhooks.mode()}


@couriers_bp.put(f"{ADMIN}/auto-advance")
@admin_json
def admin_auto_advance(provider: str):
    seconds = body().get("seconds")
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))):
        raise ValueError("seconds must be a number or null")
    store.set_auto_advance(provider, seconds)
    return {"auto_advance": store.auto_advance(provider), "seconds": seconds}


@couriers_bp.put(f"{ADMIN}/token-lifetime")
@admin_json
def admin_token_lifetime(provider: str):
    seconds = body().get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ValueError("seconds must be an integer")
    store.set_token_lifetime(seconds)
    return {"seconds": seconds}


@couriers_bp.get(f"{ADMIN}/tokens")
@admin_json
def admin_tokens(provider: str):
    return {"token_requests": store.token_requests(provider)}
