"""Couriers without an API (PT Pos, the office's own driver): the office records the trip by hand."""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from saas.couriers.providers.base import Booking, CourierProvider, Place, ProviderError, Quote, StatusReport
from saas.geo import road_distance_km


class ManualSettings(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True)
    fee = fields.Integer(required=True, validate=validate.Range(0, 1_000_000))
    cash_on_delivery = fields.Boolean(load_default=True)
    tracking_url = fields.String(load_default=None)


class ManualCourier(CourierProvider):
    """Staff book the trip themselves and type in the tracking number and the outcome."""

    name = "manual"
    label = "Manual"
    has_api = False
    #: The city's fixed fee: a price without knowing where exactly the citizen lives.
    needs_location = False
    max_distance_km = 40.0
    settings_schema = ManualSettings
    statuses = {"booked": "booked", "picked_up": "picked_up", "delivered": "delivered",
                "returned": "returned", "failed": "failed", "cancelled": "cancelled"}

    @property
    def display_name(self) -> str:
        return self.settings.get("name", "Kurir kantor")

    def quote(self, pickup: Place, dropoff: Place) -> Quote:
        located = dropoff.latitude is not None and dropoff.longitude is not None
        return Quote(price=int(self.settings.get("fee", 0)), service="manual",
                     distance_km=road_distance_km(pickup.latitude, pickup.longitude,
                                                  dropoff.latitude, dropoff.longitude) if located else 0.0,
                     cash_on_delivery=bool(self.settings.get("cash_on_delivery", True)))

    def book(self, delivery, pickup: Place, dropoff: Place, item: str) -> Booking:
        return Booking(ref=delivery.store_order_id, provider_status="booked")

    def get_status(self, ref: str) -> StatusReport:
        raise ProviderError("a manual courier reports through the office, not an API")

    def cancel(self, ref: str) -> None:
        """Nothing to call: the office simply does not send the trip."""

    def verify_callback(self, headers) -> bool:
        return False

    @classmethod
    def parse_callback(cls, body: dict) -> StatusReport:
        raise ValueError("a manual courier has no callbacks")
