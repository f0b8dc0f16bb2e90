"""The one small interface every courier provider implements, and the values it speaks in."""
from __future__ import annotations

import hmac
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from marshmallow import Schema

from saas.sandbox_registry import stand_ins_allowed


@dataclass(frozen=True)
class Place:
    name: str
    address: str
    latitude: float
    longitude: float
    contact_name: str
    contact_phone: str  # E.164
    note: str = ""

    @property
    def latlong(self) -> str:
        return f"{self.latitude:.6f},{self.longitude:.6f}"


@dataclass(frozen=True)
class Quote:
    price: int  # IDR
    distance_km: float
    service: str
    serviceable: bool = True
    reason: str | None = None
    cash_on_delivery: bool = False
    #: When the courier's own estimate says the envelope reaches the citizen (UTC), if it gives one.
    arrives_by: datetime | None = None


@dataclass(frozen=True)
class Booking:
    ref: str
    provider_status: str
    tracking_url: str | None = None


@dataclass
class StatusReport:
    """What a courier says about a booking, by callback or when asked."""

    ref: str | None
    provider_status: str
    event_key: str | None = None
    store_order_id: str | None = None
    at: datetime | None = None
    driver_name: str | None = None
    driver_phone: str | None = None
    driver_plate: str | None = None
    receiver_name: str | None = None
    proof_photo_url: str | None = None
    tracking_url: str | None = None
    reason: str | None = None
    extra: dict = field(default_factory=dict)


def callback_text(body: dict, key: str) -> str | None:
    """A callback's text field: a string (or number) or nothing; any other shape is not a callback."""
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"{key} is not text")


def callback_object(body: dict, key: str) -> dict:
    """A callback's nested object, or an empty one; a string where an object belongs is refused."""
    value = body.get(key) or {}
    if not isinstance(value, dict):
        raise ValueError(f"{key} is not an object")
    return value


class ProviderError(Exception):
    """A courier API refused or failed; ``transient`` errors are worth retrying."""

    def __init__(self, message: str, *, transient: bool = False, status: int | None = None):
        self.transient = transient
        self.status = status
        super().__init__(message)


class AlreadyBooked(ProviderError):
    """The courier already holds a booking for our id (a retry after a lost answer)."""

    def __init__(self, message: str, ref: str | None = None):
        super().__init__(message)
        self.ref = ref


class CourierProvider(ABC):
    """Subclass per courier, in its own module of this package: nothing else needs changing.

    ``name`` is the key in tenant.toml; ``settings_schema`` checks the city's ``[couriers.<name>]``
    section; ``statuses`` maps the courier's own codes onto the unified delivery statuses.
    """

    name: str = ""
    label: str = ""
    has_api: bool = True
    needs_location: bool = True  # its price depends on the exact drop-off point
    max_distance_km: float = 40.0
    settings_schema: type[Schema] | None = None
    statuses: dict[str, str] = {}

    def __init__(self, tenant, settings: dict):
        self.tenant = tenant
        self.settings = settings or {}

    # -- helpers for subclasses ------------------------------------------------------------
    def secret(self, key: str) -> str:
        """A credential named in the city's settings, read from the environment.

        With the sandboxes on and the variable unset, a sandbox credential is derived from the
        city and provider, so the demo and the tests run with no secrets at all; never in
        production, where anyone could derive it.
        """
        env_name = self.settings.get(key)
        value = os.environ.get(env_name, "") if env_name and not self._in_trial() else ""
        if not value and stand_ins_allowed():
            value = f"sandbox-{self.tenant.slug}-{self.name}-{key.removesuffix('_env')}"
        if not value:
            raise ProviderError(f"{env_name or key} is not set for {self.tenant.slug}")
        return value

    def _in_trial(self) -> bool:
        """A city in trial mode books couriers only in the sandbox, never the real service."""
        if not getattr(self.tenant, "trial", False):
            return False
        if not stand_ins_allowed():
            raise ProviderError(f"{self.tenant.slug} is in trial mode: couriers are booked only in the sandbox, "
                                "which this installation does not run")
        return True

    def base_url(self) -> str:
        key = f"{self.name.upper()}_BASE_URL"
        configured = None if self._in_trial() else current_app.config.get(key) or os.environ.get(key)
        if configured:
            return configured.rstrip("/")
        if stand_ins_allowed():
            return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/sandbox/{self.name}"
        raise ProviderError(f"{key} is not configured")

    def callback_url(self) -> str:
        return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/webhooks/couriers/{self.name}"

    @property
    def display_name(self) -> str:
        """The courier's name as the city's staff and citizens know it."""
        return self.label

    def unified(self, provider_status: str) -> str | None:
        return self.statuses.get(provider_status)

    # -- the interface -----------------------------------------------------------------------
    @abstractmethod
    def quote(self, pickup: Place, dropoff: Place) -> Quote:
        """See the class docstring."""

    @abstractmethod
    def book(self, delivery, pickup: Place, dropoff: Place, item: str) -> Booking:
        """See the class docstring."""

    @abstractmethod
    def get_status(self, ref: str) -> StatusReport:
        """See the class docstring."""

    @abstractmethod
    def cancel(self, ref: str) -> None:
        """See the class docstring."""

    def find_booking(self, store_order_id: str) -> Booking | None:
        """The booking the courier holds for our id, when it can tell (retries use it)."""
        return None

    def callback_token(self) -> str:
        return self.secret("callback_token_env")

    def verify_callback(self, headers) -> bool:
        """The city registered a static token with the courier; compare in constant time."""
        given = headers.get("Authorization", "")
        if given.startswith("Bearer "):
            given = given[len("Bearer "):]
        try:
            expected = self.callback_token()
        except ProviderError:
            return False
        return bool(given) and hmac.compare_digest(given.encode(), expected.encode())

    @classmethod
    @abstractmethod
    def parse_callback(cls, body: dict) -> StatusReport:
        """A callback body as a StatusReport; ValueError when it is not one."""
