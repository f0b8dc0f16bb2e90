"""Go-Send-shaped API (Gojek's courier for businesses) under ``/sandbox/gosend``.

Partners authenticate with ``Client-ID`` and ``Pass-Key`` headers; errors come in an
``Error-Message`` header and an ``errors`` list in the body, as Go-Send reports them.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, jsonify, request, url_for

from saas.sandboxes.couriers import couriers_bp, geo, store, tariff
from saas.sandboxes.couriers.phones import is_indonesian_mobile

PROVIDER = "gosend"
MAX_KM = 40
JAKARTA = ZoneInfo("Asia/Jakarta")
SAME_DAY_HOURS = (6, 17)  # SameDay bookings are taken from 06:00 until 17:00 WIB
CORPORATE_PAYMENT = 3  # the only payment type for business accounts


@dataclass(frozen=True)
class Method:
    name: str
    description: str
    booking_type: str  # as the webhook spells it
    per_km: int
    minimum: int


METHODS = {
    "Instant": Method("Instant", "Instant Delivery", "instant", 2500, 15000),
    "SameDay": Method("SameDay", "Same Day Delivery", "same_day", 1800, 12000),
}

PICKUP = ("confirmed", "allocated", "out_for_pickup", "picked")
PATHS = {
    "happy": (*PICKUP, "out_for_delivery", "delivered"),
    "no_driver": ("confirmed", "no_driver"),
    "on_hold": (*PICKUP, "on_hold", "out_for_delivery", "delivered"),
    "rejected": (*PICKUP, "out_for_delivery", "rejected"),
    "cancelled_by_driver": ("confirmed", "allocated", "cancelled"),
}
REASONS = {
    "no_driver": "No driver found nearby",
    "cancelled": "Driver cancelled the booking",
    "rejected": "Receiver refused the package; it is going back to the sender",
}
PARTNER_CANCEL_REASON = "Cancelled by the partner"
ROUTE_FIELDS = (
    "originName", "originContactName", "originContactPhone", "originLatLong", "originAddress",
    "destinationName", "destinationContactName", "destinationContactPhone", "destinationLatLong",
    "destinationAddress", "item", "storeOrderId",
)


def callback_body(booking: store.Booking, status: str, event_id: str | None) -> dict:
    """Go-Send's booking webhook: one per status change, told apart by ``event_id``."""
    driver = booking.driver
    return {
        "entity_id": booking.ref,
        "type": "booking_event",
        "event_id": event_id or str(uuid.uuid4()),
        "event_date": int(store.clock().timestamp() * 1000),
        "partner_id": booking.client_id,
        "booking_id": booking.number,
        "status": status,
        "booking_type": METHODS[booking.service].booking_type,
        "store_order_id": booking.merchant_order_id,
        "driver_name": driver.name if driver else None,
        "driver_phone": driver.phone if driver else None,
        "driver_photo_url": driver.photo_url if driver else None,
        "vehicle_number": driver.plate if driver else None,
        "receiver_name": (booking.receiver_name or booking.destination.contact_name) if status == "delivered" else None,
        "total_distance_in_kms": booking.distance_km,
        "price": booking.price,
        "cancellation_reason": booking.reason_for(status) or None,
        "live_tracking_url": booking.tracking_url,
    }


COURIER = store.Courier(
    name=PROVIDER,
    label="Go-Send",
    paths=PATHS,
    terminal=frozenset({"delivered", "no_driver", "rejected", "cancelled"}),
    cancellable=frozenset({"confirmed", "allocated", "out_for_pickup"}),
    with_driver=frozenset({"allocated", "out_for_pickup", "picked", "on_hold", "out_for_delivery",
                           "delivered", "rejected"}),
    delivered="delivered",
    resume={"on_hold": "out_for_delivery"},
    reasons=REASONS,
    callback_body=callback_body,
)
store.register_courier(COURIER)


# -- answers ----------------------------------------------------------------------------
def error(status: int, title: str, message: str):
    response = jsonify({"errors": [{"message": message, "message_title": title, "message_severity": "error"}]})
    response.status_code = status
    response.headers["Error-Message"] = message
    return response


def refuse(status: int, title: str, message: str):
    abort(error(status, title, message))


def invalid(message: str):
    refuse(400, "Invalid request", message)


def authenticated_partner() -> str:
    client_id = request.headers.get("Client-ID")
    if not store.authenticate(PROVIDER, client_id, request.headers.get("Pass-Key")):
        refuse(401, "Unauthorized", "Invalid Client-ID or Pass-Key")
    return client_id


def lat_long(value: object, name: str) -> tuple[float, float]:
    try:
        return geo.parse_lat_long(value)
    except (TypeError, ValueError):
        invalid(f"{name} must be 'latitude,longitude'")


def check_payment_type(value: object) -> None:
    if str(value) != str(CORPORATE_PAYMENT):
        invalid(f"paymentType must be {CORPORATE_PAYMENT} (corporate)")


def same_day_open(now: datetime) -> bool:
    opens, closes = SAME_DAY_HOURS
    return opens <= now.astimezone(JAKARTA).hour < closes


def refusals(method: Method, km: float) -> list[dict]:
    """Why ``method`` cannot carry a parcel this far, now (empty when it can)."""
    found = []
    if km > MAX_KM:
        found.append({"code": "DISTANCE_LIMIT_EXCEEDED",
                      "message": f"Distance exceeds {MAX_KM} km ({km} km)"})
    if method.name == "SameDay" and not same_day_open(store.clock()):
        found.append({"code": "OUTSIDE_SERVICE_HOURS",
                      "message": "SameDay is booked between 06:00 and 17:00 WIB"})
    return found


def local_time(at: datetime | None) -> str | None:
    return at.astimezone(JAKARTA).isoformat(timespec="seconds") if at else None


def order_json(booking: store.Booking) -> dict:
    driver = booking.driver
    closed_at = booking.history[-1][1] if booking.closed else None
    return {
        "id": booking.number,
        "orderNo": booking.ref,
        "storeOrderId": booking.merchant_order_id,
        "status": booking.status,
        "driverId": driver.id if driver else None,
        "driverName": driver.name if driver else None,
        "driverPhone": driver.phone if driver else None,
        "driverPhoto": driver.photo_url if driver else None,
        "vehicleNumber": driver.plate if driver else None,
        "totalPrice": booking.price,
        "receiverName": booking.receiver_name,
        "orderCreatedTime": local_time(booking.created_at),
        "orderDispatchTime": local_time(booking.reached("allocated")),
        "orderArrivalTime": local_time(booking.reached("picked")),
        "orderClosedTime": local_time(closed_at),
        "sellerAddressName": booking.origin.address,
        "buyerAddressName": booking.destination.address,
        "cancelDescription": booking.reason or None,
        "liveTrackingUrl": booking.tracking_url,
    }


# -- endpoints --------------------------------------------------------------------------
@couriers_bp.get("/gosend/gokilat/v10/calculate/price")
def gosend_price():
    authenticated_partner()
    origin = lat_long(request.args.get("origin"), "origin")
    destination = lat_long(request.args.get("destination"), "destination")
    if "paymentType" in request.args:
        check_payment_type(request.args["paymentType"])
    km = geo.road_km(origin, destination)
    quotes = {}
    for method in METHODS.values():
        problems = refusals(method, km)
        quotes[method.name] = {
            "shipment_method": method.name,
            "shipment_method_description": method.description,
            "serviceable": not problems,
            "active": True,
            "distance": km,
            "price": {"total_price": tariff.fare(km, method.per_km, method.minimum)},
            "errors": problems,
        }
    return quotes


@couriers_bp.post("/gosend/gokilat/v10/booking")
def gosend_book():
    client_id = authenticated_partner()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        invalid("Request body must be a JSON object")
    if "paymentType" not in data:
        invalid("paymentType is required")
    check_payment_type(data["paymentType"])
    method = METHODS.get(data.get("shipment_method"))
    if method is None:
        invalid(f"shipment_method must be one of {', '.join(METHODS)}")
    routes = data.get("routes")
    if not isinstance(routes, list) or len(routes) != 1 or not isinstance(routes[0], dict):
        invalid("routes must hold exactly one route")
    route = routes[0]
    for name in ROUTE_FIELDS:
        value = route.get(name)
        if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
            invalid(f"{name} is required")
    for name in ("originContactPhone", "destinationContactPhone"):
        if not is_indonesian_mobile(route[name]):
            invalid(f"{name} is not a valid Indonesian phone number")
    origin_point = lat_long(route["originLatLong"], "originLatLong")
    destination_point = lat_long(route["destinationLatLong"], "destinationLatLong")
    km = geo.road_km(origin_point, destination_point)
    if km > MAX_KM:
        refuse(422, "Distance limit", f"Distance exceeds {MAX_KM} km ({km} km)")
    if method.name == "SameDay" and not same_day_open(store.clock()):
        refuse(422, "Outside service hours", "SameDay is booked between 06:00 and 17:00 WIB")

    booking = store.Booking(
        provider=PROVIDER,
        ref=store.new_ref(PROVIDER, lambda: f"GK-11-{random.randint(0, 999999):06d}"),
        number=random.randint(10_000_000, 99_999_999),
        client_id=client_id,
        merchant_order_id=str(route["storeOrderId"]),
        service=method.name,
        origin=place(route, "origin", origin_point),
        destination=place(route, "destination", destination_point),
        items=str(route["item"]),
        price=tariff.fare(km, method.per_km, method.minimum),
        distance_km=km,
        scenario=store.default_scenario(PROVIDER),
        sandbox_url=url_for("sandbox_couriers.driver_page", provider=PROVIDER, _external=True).rstrip("/"),
        request={"insuranceDetails": route.get("insuranceDetails")},
    )
    store.add_booking(booking, first_status="confirmed")
    return {"id": booking.number, "orderNo": booking.ref, "storeOrderId": booking.merchant_order_id}, 201


def place(route: dict, side: str, point: tuple[float, float]) -> store.Place:
    return store.Place(
        name=str(route[f"{side}Name"]), address=str(route[f"{side}Address"]), lat=point[0], lng=point[1],
        contact_name=str(route[f"{side}ContactName"]), contact_phone=str(route[f"{side}ContactPhone"]),
        note=str(route.get(f"{side}Note") or ""),
    )


@couriers_bp.get("/gosend/gokilat/v10/booking/orderno/<order_no>")
def gosend_order(order_no: str):
    client_id = authenticated_partner()
    with store.LOCK:
        try:
            return order_json(store.find(PROVIDER, order_no, client_id))
        except store.UnknownBooking:
            refuse(404, "Order not found", f"Order {order_no} not found")


@couriers_bp.get("/gosend/gokilat/v10/booking/storeOrderId/<store_order_id>")
def gosend_order_by_store_order_id(store_order_id: str):
    client_id = authenticated_partner()
    with store.LOCK:
        try:
            return order_json(store.find_by_merchant_order(PROVIDER, store_order_id, client_id))
        except store.UnknownBooking:
            refuse(404, "Order not found", f"No order with storeOrderId {store_order_id}")


@couriers_bp.put("/gosend/gokilat/v10/booking/cancel")
def gosend_cancel():
    client_id = authenticated_partner()
    data = request.get_json(silent=True)
    order_no = data.get("orderNo") if isinstance(data, dict) else None
    if not isinstance(order_no, str) or not order_no:
        invalid("orderNo is required")
    try:
        store.cancel(PROVIDER, order_no, client_id, "cancelled", PARTNER_CANCEL_REASON)
    except store.UnknownBooking:
        refuse(404, "Order not found", f"Order {order_no} not found")
    except store.NotCancellable as exc:
        refuse(422, "Order cannot be cancelled", f"Order cannot be cancelled at status {exc}")
    return {"statusCode": 200, "message": "Order cancelled"}
