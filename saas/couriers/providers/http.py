"""The HTTP plumbing shared by API couriers: timeouts, error mapping, sandbox registration."""
from __future__ import annotations

from typing import TYPE_CHECKING

from saas.couriers.providers.base import ProviderError
from saas.sandbox_registry import is_sandbox, register_once

if TYPE_CHECKING:
    import requests

TIMEOUT = (3.05, 10)


def call(method: str, url: str, *, error_text=None, **kwargs) -> requests.Response:
    """One request; network trouble and 5xx are transient, other refusals are not."""
    import requests  # here, not at the top: a web worker that never calls a courier never loads it

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
    if is_sandbox(base):
        register_once((base, client_id), lambda: call(
            "PUT", f"{base}/_admin/partners/{client_id}",
            json={"secret": secret, "callback_url": provider.callback_url(),
                  "callback_token": provider.callback_token()}))
