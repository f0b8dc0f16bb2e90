"""The HTTP plumbing shared by API couriers: timeouts, error mapping, sandbox registration."""
from __future__ import annotations

import threading

import requests
from flask import current_app

from saas.couriers.providers.base import ProviderError

TIMEOUT = (3.05, 10)
_registered: set[tuple[str, str]] = set()
_lock = threading.Lock()


def call(method: str, url: str, *, error_text=None, **kwargs) -> requests.Response:
    """One request; network trouble and 5xx are transient, other refusals are not."""
    kwargs.setdefault("timeout", TIMEOUT)
    try:
        response = requests.request(method, url, **kwargs)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise ProviderError(f"{method} {url}: {type(exc).__name__}", transient=True) from exc
    if response.status_code >= 500:
        raise ProviderError(f"{method} {url}: HTTP {response.status_code}", transient=True,
                            status=response.status_code)
    if response.status_code >= 400:
        message = (error_text(response) if error_text else None) or f"HTTP {response.status_code}"
        raise ProviderError(message, status=response.status_code)
    return response


def register_with_sandbox(provider, client_id: str, secret: str) -> None:
    """Tell a sandbox courier who we are and where to call back, as a partner does once."""
    base = provider.base_url()
    if not current_app.config.get("SANDBOXES_ENABLED") or "/sandbox/" not in base:
        return
    key = (base, client_id)
    with _lock:
        if key in _registered:
            return
    call("PUT", f"{base}/_admin/partners/{client_id}",
         json={"secret": secret, "callback_url": provider.callback_url(),
               "callback_token": provider.callback_token()})
    with _lock:
        _registered.add(key)


def forget_sandbox_registrations() -> None:
    with _lock:
        _registered.clear()
