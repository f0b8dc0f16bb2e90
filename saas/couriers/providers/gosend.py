"""Go-Send (Gojek) integration API: price, booking, status by order number, cancel, callbacks."""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from saas.couriers.providers.base import (
    AlreadyBooked,
    Booking,
    CourierProvider,
    Place,
    ProviderError,
    Quote,
    StatusReport,
    callback_text,
)
from saas.couriers.providers.http import call, register_with_sandbox
from saas.forms_input import callback_moment
from saas.tenancy.settings import EnvName

PAYMENT_TYPE_CORPORATE = 3


class GoSendSettings(Schema):
    class Meta:
        unknown = RAISE

    client_id_env = EnvName(required=True)
    pass_key_env = EnvName(required=True)
    callback_token_env = EnvName(required=True)
    shipment_method = fields.String(load_default="Instant", validate=validate.OneOf(("Instant", "SameDay")))


def _error_message(response) -> str | None:
    return response.headers.get("Error-Message")


class GoSend(CourierProvider):
    name = "gosend"
    label = "Go-Send"
    max_distance_km = 40.0
    settings_schema = GoSendSettings
    statuses = {
        "confirmed": "booked",
        "allocated": "driver_assigned",
        "out_for_pickup": "driver_assigned",
        "picked": "picked_up",
        "out_for_delivery": "picked_up",
        "on_hold": "on_hold",
        "delivered": "delivered",
        "cancelled": "cancelled",
        "rejected": "failed",
        "no_driver": "failed",
    }

    @property
    def method(self) -> str:
        return self.settings.get("shipment_method", "Instant")

    def _headers(self) -> dict:
        client_id, pass_key = self.secret("client_id_env"), self.secret("pass_key_env")
        register_with_sandbox(self, client_id, pass_key)
        return {"Client-ID": client_id, "Pass-Key": pass_key, "Content-Type": "application/json"}

    def quote(self, pickup: Place, dropoff: Place) -> Quote:
        response = call("GET", f"{self.base_url()}/gokilat/v10/calculate/price", headers=self._headers(),
                        params={"origin": pickup.latlong, "destination": dropoff.latlong,
                                "paymentType": PAYMENT_TYPE_CORPORATE}, error_text=_error_message)
        option = response.json().get(self.method) or {}
        errors = option.get("errors") or []
        return Quote(price=int((option.get("price") or {}).get("total_price") or 0),
                     distance_km=float(option.get("distance") or 0), service=self.method,
                     serviceable=bool(option.get("serviceable")) and bool(option.get("active", True)),
                     reason=(errors[0].get("message") if errors else None))

    def book(self, delivery, pickup: Place, dropoff: Place, item: str) -> Booking:
        body = {
            "paymentType": PAYMENT_TYPE_CORPORATE,
            "shipment_method": self.method,
            "routes": [{
                "originName": pickup.name, "originNote": pickup.note,
                "originContactName": pickup.contact_name, "originContactPhone": pickup.contact_phone,
                "originLatLong": pickup.latlong, "originAddress": pickup.address,
                "destinationName": dropoff.name, "destinationNote": dropoff.note,
                "destinationContactName": dropoff.contact_name,
                "destinationContactPhone": dropoff.contact_phone,
                "destinationLatLong": dropoff.latlong, "destinationAddress": dropoff.address,
                "item": item, "storeOrderId": delivery.store_order_id,
            }],
        }
        response = call("POST", f"{self.base_url()}/gokilat/v10/booking", headers=self._headers(), json=body,
                        error_text=_error_message)
        data = response.json()
        return Booking(ref=data["orderNo"], provider_status="confirmed")

    def find_booking(self, store_order_id: str) -> Booking | None:
        try:
            response = call("GET", f"{self.base_url()}/gokilat/v10/booking/storeOrderId/{store_order_id}",
                            headers=self._headers(), error_text=_error_message)
        except ProviderError as exc:
            if exc.status == 404:
                return None
            raise
        data = response.json()
        return Booking(ref=data["orderNo"], provider_status=data.get("status", "confirmed"),
                       tracking_url=data.get("liveTrackingUrl"))

    def get_status(self, ref: str) -> StatusReport:
        response = call("GET", f"{self.base_url()}/gokilat/v10/booking/orderno/{ref}", headers=self._headers(),
                        error_text=_error_message)
        data = response.json()
        return StatusReport(ref=data.get("orderNo", ref), provider_status=data["status"],
                            store_order_id=data.get("storeOrderId"), driver_name=data.get("driverName"),
                            driver_phone=data.get("driverPhone"), driver_plate=data.get("vehicleNumber"),
                            receiver_name=data.get("receiverName"), tracking_url=data.get("liveTrackingUrl"),
                            reason=data.get("cancelDescription"))

    def cancel(self, ref: str) -> None:
        call("PUT", f"{self.base_url()}/gokilat/v10/booking/cancel", headers=self._headers(),
             json={"orderNo": ref}, error_text=_error_message)

    @classmethod
    def parse_callback(cls, body: dict) -> StatusReport:
        try:
            status, event_id = body["status"], body["event_id"]
            ref = body.get("entity_id") or body.get("order_no")
        except (KeyError, TypeError):
            raise ValueError("not a Go-Send booking event") from None
        if not isinstance(status, str) or not ref or not event_id or not isinstance(ref, (str, int)) \
                or not isinstance(event_id, (str, int)):
            raise ValueError("not a Go-Send booking event")
        text = {key: callback_text(body, key) for key in (
            "store_order_id", "driver_name", "driver_phone", "vehicle_number", "receiver_name",
            "live_tracking_url", "cancellation_reason")}
        return StatusReport(ref=str(ref), provider_status=status, event_key=str(event_id),
                            store_order_id=text["store_order_id"],
                            at=callback_moment(body.get("event_date"), per_second=1000),
                            driver_name=text["driver_name"], driver_phone=text["driver_phone"],
                            driver_plate=text["vehicle_number"], receiver_name=text["receiver_name"],
                            tracking_url=text["live_tracking_url"],
                            reason=text["cancellation_reason"])


__all__ = ["GoSend", "AlreadyBooked"]
