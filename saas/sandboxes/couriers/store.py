"""The courier sandboxes' memory and the life of a booking.

State lives in module-level structures guarded by one re-entrant lock: the Flask dev server is
threaded and auto-advance runs in its own thread. Callbacks are built under the lock but sent
after it is released, because the partner receiving one may well call the sandbox back.

Each courier module (``gosend``, ``grab``) registers a ``Courier``: its status paths per
scenario and the shape of its webhook. Everything here speaks in those terms only.
"""
from __future__ import annotations

import hmac
import itertools
import secrets
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping

from saas.sandboxes.couriers import drivers, webhooks
from saas.sandboxes.couriers.drivers import Driver

LOCK = threading.RLock()
DEFAULT_TOKEN_LIFETIME = 604799  # what Grab's token endpoint says: one second short of a week


def clock() -> datetime:
    """Now, timezone-aware. Tests replace it to move the sandbox through the day."""
    return datetime.now(timezone.utc)


class UnknownBooking(LookupError):
    pass


class BookingClosed(ValueError):
    """The booking reached a final status; nothing moves it any more."""


class NotCancellable(ValueError):
    pass


class DuplicateOrder(ValueError):
    """The partner's order id already has a delivery under way."""


@dataclass(frozen=True)
class Courier:
    name: str
    label: str
    paths: Mapping[str, tuple[str, ...]]  # scenario → statuses from booking to the end
    terminal: frozenset[str]
    cancellable: frozenset[str]
    with_driver: frozenset[str]  # statuses that mean a driver has been assigned
    delivered: str
    resume: Mapping[str, str]  # where a status outside the booking's path leads next
    reasons: Mapping[str, str]  # why a booking ended up in this status, told to the partner
    callback_body: Callable[["Booking", str, str | None], dict]  # (booking, status, event id)

    @property
    def statuses(self) -> frozenset[str]:
        return frozenset(itertools.chain(*self.paths.values(), self.resume))


@dataclass(frozen=True)
class Place:
    name: str
    address: str
    lat: float
    lng: float
    contact_name: str = ""
    contact_phone: str = ""
    note: str = ""

    @property
    def point(self) -> tuple[float, float]:
        return (self.lat, self.lng)


@dataclass
class Partner:
    provider: str
    client_id: str
    secret: str
    callback_url: str
    callback_token: str


@dataclass
class Booking:
    provider: str
    ref: str  # Go-Send orderNo, Grab deliveryID
    client_id: str
    merchant_order_id: str  # Go-Send storeOrderId, Grab merchantOrderID
    service: str  # Go-Send shipment method, Grab service type
    origin: Place
    destination: Place
    items: object  # Go-Send item text, Grab packages
    price: int
    distance_km: float
    scenario: str
    sandbox_url: str  # this courier's sandbox root, for tracking and photo links
    number: int = 0  # Go-Send's numeric booking id
    pickup_pin: str = ""
    request: dict = field(default_factory=dict)  # what the partner sent, echoed back by Grab
    status: str = ""
    history: list[tuple[str, datetime]] = field(default_factory=list)
    driver: Driver | None = None
    receiver_name: str | None = None
    proof_photo_url: str | None = None
    reason: str = ""
    last_callback: dict | None = None
    sequence: int = 0

    @property
    def tracking_url(self) -> str:
        return f"{self.sandbox_url}/track/{self.ref}"

    @property
    def created_at(self) -> datetime:
        return self.history[0][1]

    @property
    def closed(self) -> bool:
        return self.status in courier(self.provider).terminal

    def reached(self, status: str) -> datetime | None:
        """When the booking first reached ``status``, if it did."""
        return next((at for name, at in self.history if name == status), None)

    def reason_for(self, status: str) -> str:
        return self.reason if status == self.status else courier(self.provider).reasons.get(status, "")

    def snapshot(self) -> dict:
        """Everything about the booking as plain JSON, for the admin endpoints and tests."""
        return {
            "provider": self.provider, "ref": self.ref, "number": self.number, "client_id": self.client_id,
            "merchant_order_id": self.merchant_order_id, "service": self.service, "scenario": self.scenario,
            "status": self.status, "closed": self.closed, "reason": self.reason,
            "history": [[status, at.isoformat()] for status, at in self.history],
            "origin": asdict(self.origin), "destination": asdict(self.destination), "items": self.items,
            "price": self.price, "distance_km": self.distance_km, "pickup_pin": self.pickup_pin,
            "driver": asdict(self.driver) if self.driver else None, "receiver_name": self.receiver_name,
            "proof_photo_url": self.proof_photo_url, "tracking_url": self.tracking_url,
            "last_callback": self.last_callback,
        }


_couriers: dict[str, Courier] = {}
_partners: dict[tuple[str, str], Partner] = {}
_bookings: dict[str, dict[str, Booking]] = {}
_default_scenario: dict[str, str] = {}
_tokens: dict[str, tuple[str, str, datetime]] = {}  # access token → (provider, client_id, expiry)
_token_lifetime = DEFAULT_TOKEN_LIFETIME
_token_requests: dict[str, int] = {}
_sequence = itertools.count(1)
_auto_advance: dict[str, threading.Event] = {}


def register_courier(spec: Courier) -> None:
    with LOCK:
        _couriers[spec.name] = spec
        _bookings.setdefault(spec.name, {})
        _default_scenario.setdefault(spec.name, "happy")


def courier(provider: str) -> Courier:
    try:
        return _couriers[provider]
    except KeyError:
        raise ValueError(f"unknown courier {provider!r}") from None


def providers() -> list[str]:
    return list(_couriers)


# -- partners ---------------------------------------------------------------------------
def register_partner(provider: str, client_id: str, secret: str, callback_url: str, callback_token: str) -> None:
    """What a partner arranges with the courier out of band: credentials and its webhook."""
    courier(provider)
    if not client_id or not secret:
        raise ValueError("client_id and secret are required")
    with LOCK:
        _partners[(provider, client_id)] = Partner(provider, client_id, secret, callback_url, callback_token)


def authenticate(provider: str, client_id: str | None, secret: str | None) -> bool:
    with LOCK:
        partner = _partners.get((provider, client_id or ""))
    return bool(partner and secret and hmac.compare_digest(partner.secret.encode(), secret.encode()))


# -- scenarios --------------------------------------------------------------------------
def scenarios(provider: str) -> list[str]:
    return list(courier(provider).paths)


def set_scenario(provider: str, name: str) -> None:
    """The scenario new bookings follow."""
    _check_scenario(provider, name)
    with LOCK:
        _default_scenario[provider] = name


def default_scenario(provider: str) -> str:
    return _default_scenario[provider]


def set_booking_scenario(provider: str, ref: str, name: str) -> dict:
    """Send one booking down another path from where it is now."""
    _check_scenario(provider, name)
    with LOCK:
        booking = _find(provider, ref)
        booking.scenario = name
        return booking.snapshot()


def _check_scenario(provider: str, name: str) -> None:
    if name not in courier(provider).paths:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(courier(provider).paths)}")


# -- bookings ---------------------------------------------------------------------------
def add_booking(booking: Booking, first_status: str, unique_merchant_order: bool = False) -> None:
    """Keep a new booking in ``first_status`` and tell the partner.

    With ``unique_merchant_order`` a booking whose merchant order id has another delivery under
    way is refused (DuplicateOrder), checked and stored in one step.
    """
    with LOCK:
        bookings = _bookings[booking.provider]
        if unique_merchant_order and any(
            other.client_id == booking.client_id and other.merchant_order_id == booking.merchant_order_id
            and not other.closed for other in bookings.values()
        ):
            raise DuplicateOrder(booking.merchant_order_id)
        booking.sequence = next(_sequence)
        bookings[booking.ref] = booking
        body = _enter(booking, first_status)
        target = _callback_target(booking)
    webhooks.deliver(booking.provider, booking.ref, *target, body)


def new_ref(provider: str, make: Callable[[], str]) -> str:
    """A fresh reference from ``make`` that no booking of this courier has yet."""
    with LOCK:
        while (ref := make()) in _bookings[provider]:
            continue
        return ref


def find(provider: str, ref: str, client_id: str | None = None) -> Booking:
    """The live booking (read it under LOCK); a partner only ever finds its own."""
    with LOCK:
        booking = _find(provider, ref)
        if client_id is not None and booking.client_id != client_id:
            raise UnknownBooking(ref)
        return booking


def find_by_merchant_order(provider: str, merchant_order_id: str, client_id: str) -> Booking:
    """The partner's newest booking for its own order id."""
    with LOCK:
        matches = [b for b in _bookings[provider].values()
                   if b.client_id == client_id and b.merchant_order_id == merchant_order_id]
        if not matches:
            raise UnknownBooking(merchant_order_id)
        return max(matches, key=lambda b: b.sequence)


def exists(provider: str, ref: str) -> bool:
    with LOCK:
        return ref in _bookings[provider]


def booking(provider: str, ref: str) -> dict:
    with LOCK:
        return _find(provider, ref).snapshot()


def bookings(provider: str) -> list[dict]:
    """Newest first."""
    with LOCK:
        return [b.snapshot() for b in sorted(_bookings[provider].values(), key=lambda b: -b.sequence)]


def _find(provider: str, ref: str) -> Booking:
    try:
        return _bookings[courier(provider).name][ref]
    except KeyError:
        raise UnknownBooking(ref) from None


# -- stepping ---------------------------------------------------------------------------
def next_status(booking: Booking) -> str:
    """The status after the current one on the booking's path.

    A status off the path (forced on hold, say) goes where the courier resumes from it; a
    status the path lacks (the scenario changed mid-way) continues along the happy path.
    """
    spec = courier(booking.provider)
    path, happy = spec.paths[booking.scenario], spec.paths["happy"]
    if booking.status in path:
        return path[path.index(booking.status) + 1]
    if booking.status in spec.resume:
        return spec.resume[booking.status]
    if booking.status in happy:
        return happy[happy.index(booking.status) + 1]
    raise BookingClosed(booking.status)


def advance(provider: str, ref: str) -> dict:
    """Move the booking one step along its scenario and tell the partner."""
    def step(booking: Booking) -> str:
        if booking.closed:
            raise BookingClosed(f"booking {ref} is already {booking.status}")
        return next_status(booking)

    return _change(provider, ref, step)


def run(provider: str, ref: str) -> dict:
    """Advance until the booking reaches a final status."""
    snapshot = booking(provider, ref)
    for _ in range(len(courier(provider).statuses) + 1):
        if snapshot["closed"]:
            break
        snapshot = advance(provider, ref)
    return snapshot


def set_status(provider: str, ref: str, status: str, reason: str | None = None) -> dict:
    """Force a status (the courier's own systems, a driver's app) and tell the partner."""
    if status not in courier(provider).statuses:
        raise ValueError(f"unknown {provider} status {status!r}")
    return _change(provider, ref, lambda booking: status, reason)


def cancel(provider: str, ref: str, client_id: str, status: str, reason: str) -> dict:
    """The partner cancels: allowed only in the statuses the courier allows it."""
    def refuse_or_cancel(booking: Booking) -> str:
        if booking.client_id != client_id:
            raise UnknownBooking(ref)
        if booking.status not in courier(provider).cancellable:
            raise NotCancellable(booking.status)
        return status

    return _change(provider, ref, refuse_or_cancel, reason)


def _change(provider: str, ref: str, choose: Callable[[Booking], str], reason: str | None = None) -> dict:
    """Move a booking to the status ``choose`` picks (it may refuse), then send the callback."""
    with LOCK:
        booking = _find(provider, ref)
        body = _enter(booking, choose(booking), reason)
        snapshot, target = booking.snapshot(), _callback_target(booking)
    webhooks.deliver(provider, ref, *target, body)
    return snapshot


def replay_last_callback(provider: str, ref: str) -> dict:
    """Send the last callback again, byte for byte (same event id): a courier's duplicate."""
    with LOCK:
        booking = _find(provider, ref)
        body, target = booking.last_callback, _callback_target(booking)
    if body is None:
        raise BookingClosed(f"booking {ref} has sent no callback yet")
    webhooks.deliver(provider, ref, *target, body)
    return body


def send_callback(provider: str, ref: str, status: str, event_id: str | None = None) -> dict:
    """A callback for any status without changing the booking: a late or out-of-order one.

    ``event_id`` is Go-Send's; Grab's webhooks carry none, so it is ignored there.
    """
    with LOCK:
        booking = _find(provider, ref)
        body = courier(provider).callback_body(booking, status, event_id)
        target = _callback_target(booking)
    webhooks.deliver(provider, ref, *target, body)
    return body


def _enter(booking: Booking, status: str, reason: str | None = None) -> dict:
    """Record the new status and what comes with it; return the callback that tells of it."""
    spec = courier(booking.provider)
    booking.status = status
    booking.history.append((status, clock()))
    booking.reason = reason if reason is not None else spec.reasons.get(status, "")
    if status in spec.with_driver and booking.driver is None:
        booking.driver = drivers.hire(booking.origin.point, f"{booking.sandbox_url}/_photos/drivers")
    if status == spec.delivered:
        booking.receiver_name = booking.destination.contact_name
        booking.proof_photo_url = f"{booking.sandbox_url}/_photos/proof/{booking.ref}.svg"
    booking.last_callback = spec.callback_body(booking, status, None)
    return booking.last_callback


def _callback_target(booking: Booking) -> tuple[str | None, str | None]:
    partner = _partners.get((booking.provider, booking.client_id))
    return (partner.callback_url, partner.callback_token) if partner else (None, None)


# -- auto-advance -----------------------------------------------------------------------
def set_auto_advance(provider: str, seconds: float | None) -> None:
    """Every ``seconds``, move each open booking one step (for the demo); None stops it."""
    courier(provider)
    with LOCK:
        running = _auto_advance.pop(provider, None)
        if running:
            running.set()
        if seconds is None:
            return
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        stop = threading.Event()
        _auto_advance[provider] = stop
    threading.Thread(target=_auto_advance_loop, args=(provider, float(seconds), stop),
                     name=f"courier-sandbox-{provider}-auto-advance", daemon=True).start()


def auto_advance(provider: str) -> bool:
    return provider in _auto_advance


def _auto_advance_loop(provider: str, seconds: float, stop: threading.Event) -> None:
    while not stop.wait(seconds):
        with LOCK:
            open_refs = [b.ref for b in _bookings[provider].values() if not b.closed]
        for ref in open_refs:
            if stop.is_set():
                return
            try:
                advance(provider, ref)
            except (UnknownBooking, BookingClosed):
                continue


# -- OAuth tokens (Grab) ---------------------------------------------------------------
def issue_token(provider: str, client_id: str) -> tuple[str, int]:
    """A new access token and its lifetime in seconds."""
    with LOCK:
        _token_requests[provider] = _token_requests.get(provider, 0) + 1
        token = secrets.token_urlsafe(32)
        _tokens[token] = (provider, client_id, clock() + timedelta(seconds=_token_lifetime))
        return token, _token_lifetime


def token_client(provider: str, token: str) -> str | None:
    """The partner a live token belongs to; None for unknown or expired tokens."""
    with LOCK:
        owner, client_id, expires = _tokens.get(token, (None, None, None))
        if owner != provider or clock() >= expires:
            return None
        return client_id


def set_token_lifetime(seconds: int) -> None:
    """How long new tokens live (tests make one short to see a partner renew it)."""
    global _token_lifetime
    with LOCK:
        _token_lifetime = int(seconds)


def token_requests(provider: str = "grab") -> int:
    """How many tokens were issued: a partner that caches its token asks rarely."""
    return _token_requests.get(provider, 0)


# -- everything -------------------------------------------------------------------------
def reset(provider: str | None = None) -> None:
    """Forget bookings, partners, scenarios and the callback log (one courier's, or all)."""
    global _token_lifetime
    names = [courier(provider).name] if provider else providers()
    for name in names:
        set_auto_advance(name, None)
    with LOCK:
        for name in names:
            _bookings[name].clear()
            _default_scenario[name] = "happy"
            for key in [key for key in _partners if key[0] == name]:
                del _partners[key]
            _token_requests.pop(name, None)
            for token in [token for token, owner in _tokens.items() if owner[0] == name]:
                del _tokens[token]
        if provider is None:
            _token_lifetime = DEFAULT_TOKEN_LIFETIME
    webhooks.clear(provider)
    if provider is None:
        webhooks.set_mode("async")
