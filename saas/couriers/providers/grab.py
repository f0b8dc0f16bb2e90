"""GrabExpress delivery API: OAuth client credentials, quotes, deliveries, cancel, callbacks."""
from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime, timezone

from marshmallow import RAISE, Schema, fields, validate

from saas.couriers.providers.base import (
    AlreadyBooked,
    Booking,
    CourierProvider,
    Place,
    ProviderError,
    Quote,
    StatusReport,
    callback_object,
    callback_text,
)
from saas.couriers.providers.http import call, register_with_sandbox
from saas.forms_input import callback_moment
from saas.tenancy.settings import EnvName

_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()
SCOPE = "grab_express.partner_deliveries"



def _moment(text) -> datetime | None:
    """Grab's timeline times ("2026-12-01T03:15:00Z"); anything else is no estimate."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

class GrabSettings(Schema):
    class Meta:
        unknown = RAISE

    client_id_env = EnvName(required=True)
    client_secret_env = EnvName(required=True)
    callback_secret_env = EnvName(required=True)
    service_type = fields.String(load_default="INSTANT", validate=validate.OneOf(("INSTANT", "SAME_DAY")))


def _error_message(response) -> str | None:
    try:
        return response.json().get("message")
    except ValueError:
        return None


def _split_name(full: str) -> tuple[str, str]:
    first, _, last = full.strip().partition(" ")
    return first or full, last or "-"


class GrabExpress(CourierProvider):
    name = "grab"
    label = "GrabExpress"
    max_distance_km = 35.0
    settings_schema = GrabSettings
    statuses = {
        "QUEUEING": "booked",
        "ALLOCATING": "booked",
        "PENDING_PICKUP": "driver_assigned",
        "PICKING_UP": "driver_assigned",
        "PENDING_DROP_OFF": "picked_up",
        "IN_DELIVERY": "picked_up",
        "COMPLETED": "delivered",
        "IN_RETURN": "on_hold",
        "RETURNED": "returned",
        "CANCELED": "cancelled",
        "CANCELLED": "cancelled",
        "FAILED": "failed",
    }

    @property
    def service_type(self) -> str:
        return self.settings.get("service_type", "INSTANT")

    def callback_token(self) -> str:
        return self.secret("callback_secret_env")

    # -- OAuth: one token per client, reused until shortly before it expires ----------------------
    def _token(self, refresh: bool = False) -> str:
        client_id, client_secret = self.secret("client_id_env"), self.secret("client_secret_env")
        register_with_sandbox(self, client_id, client_secret)
        key = (self.base_url(), client_id)
        with _tokens_lock:
            cached = _tokens.get(key)
            if cached and not refresh and cached[1] - 60 > time.time():
                return cached[0]
        response = call("POST", f"{self.base_url()}/grabid/v1/oauth2/token", json={
            "client_id": client_id, "client_secret": client_secret,
            "grant_type": "client_credentials", "scope": SCOPE}, error_text=_error_message)
        data = response.json()
        token = data["access_token"]
        with _tokens_lock:
            _tokens[key] = (token, time.time() + float(data.get("expires_in", 3600)))
        return token

    def _api(self, method: str, path: str, **kwargs):
        for attempt in (0, 1):
            headers = {"Authorization": f"Bearer {self._token(refresh=attempt == 1)}"}
            try:
                return call(method, f"{self.base_url()}{path}", headers=headers, error_text=_error_message,
                            **kwargs)
            except ProviderError as exc:
                if exc.status != 401 or attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def _locations(self, pickup: Place, dropoff: Place, item: str) -> dict:
        def place(p: Place) -> dict:
            return {"address": p.address, "keywords": p.name,
                    "coordinates": {"latitude": p.latitude, "longitude": p.longitude}}

        return {
            "serviceType": self.service_type,
            "packages": [{"name": item, "description": item, "quantity": 1, "price": 0,
                          "dimensions": {"height": 1, "width": 24, "depth": 35, "weight": 200}}],
            "origin": place(pickup), "destination": place(dropoff),
        }

    def quote(self, pickup: Place, dropoff: Place) -> Quote:
        try:
            response = self._api("POST", "/v1/deliveries/quotes", json=self._locations(pickup, dropoff, "dokumen"))
        except ProviderError as exc:
            if exc.status == 400:
                return Quote(price=0, distance_km=0, service=self.service_type, serviceable=False,
                             reason=str(exc))
            raise
        quote = (response.json().get("quotes") or [{}])[0]
        return Quote(price=int(quote.get("amount") or 0), distance_km=round((quote.get("distance") or 0) / 1000, 1),
                     service=self.service_type, arrives_by=_moment((quote.get("estimatedTimeline") or {}).get("dropoff")))

    def book(self, delivery, pickup: Place, dropoff: Place, item: str) -> Booking:
        recipient_first, recipient_last = _split_name(dropoff.contact_name)
        sender_first, sender_last = _split_name(pickup.contact_name)
        body = {
            **self._locations(pickup, dropoff, item),
            "merchantOrderID": delivery.store_order_id,
            "paymentMethod": "CASHLESS",
            "recipient": {"firstName": recipient_first, "lastName": recipient_last, "email": "",
                          "phone": dropoff.contact_phone, "smsEnabled": True},
            "sender": {"firstName": sender_first, "lastName": sender_last, "email": "",
                       "phone": pickup.contact_phone, "smsEnabled": False},
        }
        try:
            response = self._api("POST", "/v1/deliveries", json=body)
        except ProviderError as exc:
            if exc.status == 409:
                raise AlreadyBooked(str(exc)) from exc
            raise
        data = response.json()
        return Booking(ref=data["deliveryID"], provider_status=data.get("status", "ALLOCATING"),
                       tracking_url=data.get("trackingURL"))

    def get_status(self, ref: str) -> StatusReport:
        data = self._api("GET", f"/v1/deliveries/{ref}").json()
        courier = data.get("courier") or {}
        vehicle = courier.get("vehicle") or {}
        return StatusReport(ref=ref, provider_status=data["status"], store_order_id=data.get("merchantOrderID"),
                            driver_name=courier.get("name"), driver_phone=courier.get("phone"),
                            driver_plate=vehicle.get("plateNumber") or vehicle.get("licensePlate"),
                            tracking_url=data.get("trackingURL"),
                            proof_photo_url=(data.get("proofOfDelivery") or {}).get("photoURL"),
                            reason=(data.get("advanceInfo") or {}).get("failedReason") or None)

    def cancel(self, ref: str) -> None:
        self._api("DELETE", f"/v1/deliveries/{ref}")

    @classmethod
    def parse_callback(cls, body: dict) -> StatusReport:
        try:
            ref, status, stamp = body["deliveryID"], body["status"], body["timestamp"]
        except (KeyError, TypeError):
            raise ValueError("not a GrabExpress delivery callback") from None
        if not isinstance(status, str) or not ref or not isinstance(ref, (str, int)) or stamp is None:
            raise ValueError("not a GrabExpress delivery callback")
        at = callback_moment(stamp)
        driver, proof = callback_object(body, "driver"), callback_object(body, "proofOfDelivery")
        # Grab sends no event id: the same (delivery, status, time) is the same event.
        key = hashlib.sha256(f"{ref}|{status}|{stamp}".encode()).hexdigest()[:40]
        return StatusReport(ref=str(ref), provider_status=status, event_key=key,
                            store_order_id=callback_text(body, "merchantOrderID"),
                            at=at,
                            driver_name=callback_text(driver, "name"), driver_phone=callback_text(driver, "phone"),
                            driver_plate=callback_text(driver, "licensePlate"),
                            tracking_url=callback_text(body, "trackURL"),
                            proof_photo_url=callback_text(proof, "photoURL"),
                            reason=callback_text(body, "failedReason") or None,
                            extra={"pickup_pin": body.get("pickupPin")})


__all__ = ["GrabExpress", "AlreadyBooked"]
