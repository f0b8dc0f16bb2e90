"""Sessions bound to the browser that signed in, and the devices an account knows.

A successful sign-in gives the browser a *device cookie* (``antar_device``: a random secret and the
accounts that signed in on it, signed with the app's key, HttpOnly) and binds the new session to a
fingerprint of that secret and the browser's User-Agent. A session cookie copied into another
client lacks the device secret or shows another User-Agent, and is dropped before any page reads
it: that client is sent to sign in. The same cookie lets the account's owner in while an outsider's
wrong guesses hold the account back (see ``saas.accounts.views``).
"""
from __future__ import annotations

import hashlib
import secrets

from flask import current_app, g, request, session
from itsdangerous import BadSignature, URLSafeSerializer

DEVICE_COOKIE = "antar_device"
DEVICE_DAYS = 180
BINDING_KEY = "_antar_binding"
MAX_ACCOUNTS = 20


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="antar-device")


def read_device() -> dict | None:
    """The browser's device cookie, if it is one we signed: ``{"d": secret, "u": [user ids]}``."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("d"), str) or not isinstance(value.get("u"), list):
        return None
    return value


def device_knows(user_id: int) -> bool:
    """Has this account signed in on this browser before?"""
    device = read_device()
    return bool(device and user_id in device["u"])


def _fingerprint(secret: str) -> str:
    agent = request.headers.get("User-Agent", "")
    return hashlib.sha256(f"{secret}\0{agent}".encode()).hexdigest()[:40]


def bind_session(user_id: int) -> None:
    """Call right after ``login_user``: bind the fresh session to this browser and remember the
    account on its device cookie (set on the response by ``set_device_cookie``)."""
    device = read_device() or {"d": secrets.token_urlsafe(24), "u": []}
    if user_id not in device["u"]:
        device["u"] = (device["u"] + [user_id])[-MAX_ACCOUNTS:]
    session[BINDING_KEY] = _fingerprint(device["d"])
    g.antar_device = device


def set_device_cookie(response):
    device = g.pop("antar_device", None)
    if device is not None:
        response.set_cookie(DEVICE_COOKIE, _serializer().dumps(device), max_age=DEVICE_DAYS * 86400,
                            httponly=True, samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def drop_unbound_session() -> None:
    """Before every request: a signed-in session that is not this browser's is forgotten."""
    if "_user_id" not in session:
        return
    device = read_device()
    if device is None or session.get(BINDING_KEY) != _fingerprint(device["d"]):
        session.clear()
        g.antar_session_dropped = True
