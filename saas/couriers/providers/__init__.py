"""Every courier provider, found by looking in this package: adding one is adding a module."""
from __future__ import annotations

import importlib
import pkgutil

from saas.couriers.providers.base import CourierProvider
from saas.tenancy.scope import current_tenant

_SKIP = {"base", "http"}


def _discover() -> dict[str, type[CourierProvider]]:
    found = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name in _SKIP:
            continue
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        for value in vars(loaded).values():
            if isinstance(value, type) and issubclass(value, CourierProvider) and value.name \
                    and value.__module__ == loaded.__name__:
                found[value.name] = value
    return found


PROVIDERS: dict[str, type[CourierProvider]] = _discover()


def provider_for(name: str) -> CourierProvider:
    tenant = current_tenant
    cls = PROVIDERS[name]
    return cls(tenant, (tenant.courier_settings or {}).get(name) or {})
