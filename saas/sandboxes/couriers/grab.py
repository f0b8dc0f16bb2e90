"""GrabExpress-shaped API under ``/sandbox/grab``.

Partners get a Bearer token from Grab's OAuth endpoint with client credentials and send it
on every call. Refusals have Grab's ``{"arg", "message", "reason"}`` body.
"""
from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import Response, abort, jsonify, request, url_for

from saas.sandboxes.couriers import couriers_bp, geo, store, tariff
from saas.sandboxes.couriers.phones import is_indonesian_mobile

PROVIDER = "grab"
MAX_KM = 35
SCOPE = "grab_express.partner_deliveries"
PAYMENT_METHODS = ("CASHLESS", "CASH")


@dataclass(frozen=True)
class Service:
    id: int
    type: str
    name: str
    per_km: int
    minimum: int
    first_status: str  # same-day deliveries wait in a queue before a driver is sought
    pickup_after: timedelta
    minutes_per_km: int


SERVICES = {
    "INSTANT": Service(0, "INSTANT", "GrabExpress Instant", 2400, 14000, "ALLOCATING", timedelta(minutes=10), 3),
    "SAME_DAY": Service(1, "SAME_DAY", "GrabExpress Same Day", 1700, 11000, "QUEUEING", timedelta(hours=2), 10),
}

TO_DROP_OFF = ("ALLOCATING", "PENDING_PICKUP", "PICKING_UP", "PENDING_DROP_OFF", "IN_DELIVERY")
PATHS = {
    "happy": (*TO_DROP_OFF, "COMPLETED"),
    "no_driver": ("ALLOCATING", "FAILED"),
    "returned": (*TO_DROP_OFF, "IN_RETURN", "RETURNED"),
    "cancelled_by_driver": ("ALLOCATING", "PENDING_PICKUP", "CANCELED"),
}
REASONS = {
    "FAILED": "No driver available",
    "CANCELED": "Driver cancelled the delivery",
    "IN_RETURN": "Recipient could not be reached",
    "RETURNED": "Recipient could not be reached",
}
# Where the driver is, as a share of the way from destination back to origin, per status.
DRIVER_FROM_DESTINATION = {
    "PENDING_PICKUP": 0.9, "PICKING_UP": 1.0, "PENDING_DROP_OFF": 1.0, "IN_DELIVERY": 0.5,
    "COMPLETED": 0.0, "IN_RETURN": 0.3, "RETURNED": 1.0, "CANCELED": 0.9,
}
TIMELINE = {
    "QUEUEING": "queueing", "ALLOCATING": "allocating", "PENDING_PICKUP": "allocate",
    "PICKING_UP": "arriveAtPickup", "PENDING_DROP_OFF": "pickup", "IN_DELIVERY": "inDelivery",
    "COMPLETED": "completed", "CANCELED": "cancel", "FAILED": "fail", "IN_RETURN": "return",
    "RETURNED": "returned",
}


def utc(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def driver_json(booking: store.Booking, status: str) -> dict | None:
    """The driver as the webhook shows him, with where he roughly is at ``status``."""
    if booking.driver is None or status not in DRIVER_FROM_DESTINATION:
        return None
    lat, lng = geo.along(booking.destination.point, booking.origin.point, DRIVER_FROM_DESTINATION[status])
    driver = booking.driver
    return {"name": driver.name, "phone": driver.phone, "licensePlate": driver.plate,
            "photoURL": driver.photo_url, "currentLat": lat, "currentLng": lng}


def proof_of_delivery(booking: store.Booking) -> dict:
    return {"photoURL": booking.proof_photo_url or f"{booking.sandbox_url}/_photos/proof/{booking.ref}.svg"}


def callback_body(booking: store.Booking, status: str, event_id: str | None) -> dict:
    """Grab's delivery webhook. It has no event id: a duplicate repeats (deliveryID, status, timestamp)."""
    body = {
        "deliveryID": booking.ref,
        "merchantOrderID": booking.merchant_order_id,
        "timestamp": int(store.clock().timestamp()),
        "status": status,
        "trackURL": booking.tracking_url,
        "failedReason": booking.reason_for(status),
        "driver": driver_json(booking, status),
        "pickupPin": booking.pickup_pin,
    }
    if status == "COMPLETED":
        body["proofOfDelivery"] = proof_of_delivery(booking)
    return body


COURIER = store.Courier(
    name=PROVIDER,
    label="GrabExpress",
    paths=PATHS,
    terminal=frozenset({"COMPLETED", "FAILED", "CANCELED", "RETURNED"}),
    cancellable=frozenset({"QUEUEING", "ALLOCATING", "PENDING_PICKUP", "PICKING_UP"}),
    with_driver=frozenset({"PENDING_PICKUP", "PICKING_UP", "PENDING_DROP_OFF", "IN_DELIVERY", "COMPLETED",
                           "IN_RETURN", "RETURNED"}),
    delivered="COMPLETED",
    resume={"QUEUEING": "ALLOCATING", "IN_RETURN": "RETURNED"},
    reasons=REASONS,
    callback_body=callback_body,
)
store.register_courier(COURIER)


# -- answers ----------------------------------------------------------------------------
def refuse(status: int, arg: str, message: str, reason: str):
    response = jsonify({"arg": arg, "message": message, "reason": reason})
    response.status_code = status
    abort(response)


def invalid(arg: str, message: str):
    refuse(400, arg, message, "INVALID_ARGUMENT")


def authenticated_partner() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    client_id = store.token_client(PROVIDER, token.strip()) if scheme.lower() == "bearer" else None
    if client_id is None:
        response = jsonify({"message": "Unauthorized"})
        response.status_code = 401
        abort(response)
    return client_id


def json_object() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        invalid("body", "request body must be a JSON object")
    return data


def text(data: dict, key: str, arg: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        invalid(arg, f"{arg} is required")
    return value


def number(data: dict, key: str, arg: str, integer: bool = False) -> float:
    value = data.get(key)
    kinds = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < 0:
        invalid(arg, f"{arg} must be a non-negative {'integer' if integer else 'number'}")
    return value


def checked_packages(data: dict) -> list[dict]:
    packages = data.get("packages")
    if not isinstance(packages, list) or not packages:
        invalid("packages", "packages must list at least one package")
    for i, package in enumerate(packages):
        arg = f"packages[{i}]"
        if not isinstance(package, dict):
            invalid(arg, f"{arg} must be an object")
        text(package, "name", f"{arg}.name")
        if not isinstance(package.get("description"), str):
            invalid(f"{arg}.description", f"{arg}.description is required")
        if number(package, "quantity", f"{arg}.quantity", integer=True) < 1:
            invalid(f"{arg}.quantity", f"{arg}.quantity must be at least 1")
        number(package, "price", f"{arg}.price")
        dimensions = package.get("dimensions")
        if not isinstance(dimensions, dict):
            invalid(f"{arg}.dimensions", f"{arg}.dimensions is required")
        for side in ("height", "width", "depth", "weight"):
            number(dimensions, side, f"{arg}.dimensions.{side}")
    return packages


def checked_point(data: dict, side: str) -> tuple[float, float]:
    location = data.get(side)
    if not isinstance(location, dict):
        invalid(side, f"{side} is required")
    text(location, "address", f"{side}.address")
    coordinates = location.get("coordinates")
    if not isinstance(coordinates, dict):
        invalid(f"{side}.coordinates", f"{side}.coordinates is required")
    try:
        return geo.checked_point(coordinates.get("latitude"), coordinates.get("longitude"))
    except (TypeError, ValueError):
        invalid(f"{side}.coordinates", f"{side}.coordinates must hold a valid latitude and longitude")


@dataclass(frozen=True)
class Shipment:
    """What a quote and a delivery request have in common, checked."""

    service: Service
    packages: list[dict]
    origin: dict
    destination: dict
    origin_point: tuple[float, float]
    destination_point: tuple[float, float]
    km: float

    def quote(self, now: datetime) -> dict:
        pickup = now + self.service.pickup_after
        dropoff = pickup + timedelta(minutes=10 + self.service.minutes_per_km * self.km)
        return {
            "service": {"id": self.service.id, "type": self.service.type, "name": self.service.name},
            "currency": {"code": "IDR", "symbol": "Rp", "exponent": 0},
            "amount": tariff.fare(self.km, self.service.per_km, self.service.minimum),
            "estimatedTimeline": {"pickup": utc(pickup), "dropoff": utc(dropoff)},
            "distance": round(self.km * 1000),
        }


def checked_shipment(data: dict) -> Shipment:
    service = SERVICES.get(data.get("serviceType"))
    if service is None:
        invalid("serviceType", f"serviceType must be one of {', '.join(SERVICES)}")
    packages = checked_packages(data)
    origin_point, destination_point = checked_point(data, "origin"), checked_point(data, "destination")
    km = geo.road_km(origin_point, destination_point)
    if km > MAX_KM:
        refuse(400, "destination", f"Distance exceeds the maximum of {MAX_KM} km", "DISTANCE_LIMIT")
    return Shipment(service, packages, data["origin"], data["destination"], origin_point, destination_point, km)


def checked_person(data: dict, role: str) -> dict:
    person = data.get(role)
    if not isinstance(person, dict):
        invalid(role, f"{role} is required")
    text(person, "firstName", f"{role}.firstName")
    if not is_indonesian_mobile(person.get("phone")):
        invalid(f"{role}.phone", f"{role}.phone is not a valid Indonesian phone number")
    email = person.get("email")
    if email not in (None, "") and (not isinstance(email, str) or "@" not in email):
        invalid(f"{role}.email", f"{role}.email is not an email address")
    return person


def full_name(person: dict) -> str:
    return " ".join(part for part in (person.get("firstName"), person.get("lastName")) if part)


def delivery_json(booking: store.Booking) -> dict:
    driver, where = booking.driver, driver_json(booking, booking.status)
    courier = None
    if driver and where:
        courier = {"name": driver.name, "phone": driver.phone, "pictureURL": driver.photo_url,
                   "rating": driver.rating,
                   "coordinates": {"latitude": where["currentLat"], "longitude": where["currentLng"]},
                   "vehicle": {"plateNumber": driver.plate, "model": driver.motorbike, "licensePlate": driver.plate}}
    timeline = {"create": utc(booking.created_at)}
    for status, at in booking.history[1:]:
        timeline.setdefault(TIMELINE[status], utc(at))
    body = {
        "deliveryID": booking.ref,
        "merchantOrderID": booking.merchant_order_id,
        "paymentMethod": booking.request["paymentMethod"],
        "quote": booking.request["quote"],
        "sender": booking.request["sender"],
        "recipient": booking.request["recipient"],
        "status": booking.status,
        "trackingURL": booking.tracking_url,
        "pickupPin": booking.pickup_pin,
        "advanceInfo": {"failedReason": booking.reason},
        "courier": courier,
        "timeline": timeline,
    }
    if booking.status == "COMPLETED":
        body["proofOfDelivery"] = proof_of_delivery(booking)
    return body


# -- endpoints --------------------------------------------------------------------------
@couriers_bp.post("/grab/grabid/v1/oauth2/token")
def grab_token():
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    data = data if isinstance(data, dict) else {}
    if data.get("grant_type") != "client_credentials":
        return {"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"}, 400
    if SCOPE not in str(data.get("scope", "")).split():
        return {"error": "invalid_scope", "error_description": f"scope must include {SCOPE}"}, 400
    client_id = data.get("client_id")
    if not store.authenticate(PROVIDER, client_id, data.get("client_secret")):
        return {"error": "invalid_client", "error_description": "Client authentication failed"}, 401
    token, lifetime = store.issue_token(PROVIDER, client_id)
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}


@couriers_bp.post("/grab/v1/deliveries/quotes")
def grab_quotes():
    authenticated_partner()
    shipment = checked_shipment(json_object())
    return {"quotes": [shipment.quote(store.clock())], "origin": shipment.origin,
            "destination": shipment.destination, "packages": shipment.packages}


@couriers_bp.post("/grab/v1/deliveries")
def grab_deliver():
    client_id = authenticated_partner()
    data = json_object()
    shipment = checked_shipment(data)
    merchant_order_id = text(data, "merchantOrderID", "merchantOrderID")
    if data.get("paymentMethod") not in PAYMENT_METHODS:
        invalid("paymentMethod", f"paymentMethod must be one of {', '.join(PAYMENT_METHODS)}")
    sender, recipient = checked_person(data, "sender"), checked_person(data, "recipient")
    quote = shipment.quote(store.clock())
    quote.update(origin=shipment.origin, destination=shipment.destination, packages=shipment.packages)
    booking = store.Booking(
        provider=PROVIDER,
        ref=store.new_ref(PROVIDER, new_delivery_id),
        client_id=client_id,
        merchant_order_id=merchant_order_id,
        service=shipment.service.type,
        origin=place(shipment.origin, shipment.origin_point, sender),
        destination=place(shipment.destination, shipment.destination_point, recipient),
        items=shipment.packages,
        price=quote["amount"],
        distance_km=shipment.km,
        scenario=store.default_scenario(PROVIDER),
        sandbox_url=url_for("sandbox_couriers.driver_page", provider=PROVIDER, _external=True).rstrip("/"),
        pickup_pin=f"{random.randint(0, 9999):04d}",
        request={"paymentMethod": data["paymentMethod"], "sender": sender, "recipient": recipient, "quote": quote},
    )
    try:
        store.add_booking(booking, first_status=shipment.service.first_status, unique_merchant_order=True)
    except store.DuplicateOrder:
        refuse(409, "merchantOrderID", "duplicate merchantOrderID", "DUPLICATE")
    with store.LOCK:
        return delivery_json(booking)


def new_delivery_id() -> str:
    return "IN-2-" + "".join(random.choices(string.ascii_uppercase + string.digits, k=22))


def place(location: dict, point: tuple[float, float], person: dict) -> store.Place:
    return store.Place(name=str(location.get("keywords") or location["address"]), address=location["address"],
                       lat=point[0], lng=point[1], contact_name=full_name(person), contact_phone=person["phone"])


def not_found(delivery_id: str):
    refuse(404, "deliveryID", f"delivery {delivery_id} not found", "NOT_FOUND")


@couriers_bp.get("/grab/v1/deliveries/<delivery_id>")
def grab_delivery(delivery_id: str):
    client_id = authenticated_partner()
    with store.LOCK:
        try:
            return delivery_json(store.find(PROVIDER, delivery_id, client_id))
        except store.UnknownBooking:
            not_found(delivery_id)


@couriers_bp.delete("/grab/v1/deliveries/<delivery_id>")
def grab_cancel(delivery_id: str):
    client_id = authenticated_partner()
    try:
        store.cancel(PROVIDER, delivery_id, client_id, "CANCELED", reason="")
    except store.UnknownBooking:
        not_found(delivery_id)
    except store.NotCancellable as exc:
        refuse(409, "deliveryID", f"Delivery cannot be cancelled at status {exc}", "NOT_CANCELLABLE")
    return Response(status=204)
