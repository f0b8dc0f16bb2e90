"""Places and request bodies the courier sandbox tests book with."""
from __future__ import annotations

import copy

OFFICE = (-1.2561, 116.8745)  # Kantor Disdukcapil Kota Balikpapan
HOME = (-1.2561, 116.9745)  # 13.9 road km east
NEXT_DOOR = (-1.2561, 116.8800)  # 0.8 road km: minimum fares
BEYOND_GRAB = (-1.2561, 117.1345)  # 36.1 road km: Go-Send yes, Grab no
BEYOND_BOTH = (-1.2561, 117.1745)  # 41.7 road km


def lat_long(point: tuple[float, float]) -> str:
    return f"{point[0]},{point[1]}"


def gosend_booking(destination=HOME, method="Instant", **route_overrides) -> dict:
    route = {
        "originName": "Disdukcapil Balikpapan", "originNote": "Loket 3",
        "originContactName": "Petugas Loket", "originContactPhone": "081234567890",
        "originLatLong": lat_long(OFFICE), "originAddress": "Jl. Jend. Sudirman No. 1, Balikpapan",
        "destinationName": "Rumah", "destinationNote": "Pagar hijau",
        "destinationContactName": "Siti Rahmawati", "destinationContactPhone": "+6281345678901",
        "destinationLatLong": lat_long(destination), "destinationAddress": "Jl. Mulawarman No. 12, Sepinggan",
        "item": "KTP-el (1 document)", "storeOrderId": "ANTAR-BPN-0001",
    }
    route.update(route_overrides)
    return {"paymentType": 3, "shipment_method": method, "routes": [route]}


def grab_shipment(destination=HOME, service="INSTANT") -> dict:
    return {
        "serviceType": service,
        "packages": [{"name": "KTP-el", "description": "Population document", "quantity": 1, "price": 0,
                      "dimensions": {"height": 1, "width": 10, "depth": 15, "weight": 50}}],
        "origin": {"address": "Jl. Jend. Sudirman No. 1, Balikpapan",
                   "coordinates": {"latitude": OFFICE[0], "longitude": OFFICE[1]}},
        "destination": {"address": "Jl. Mulawarman No. 12, Sepinggan",
                        "coordinates": {"latitude": destination[0], "longitude": destination[1]}},
    }


def grab_delivery(merchant_order_id="ANTAR-BPN-0001", destination=HOME, service="INSTANT", **overrides) -> dict:
    body = grab_shipment(destination, service)
    body.update({
        "merchantOrderID": merchant_order_id, "paymentMethod": "CASHLESS",
        "sender": {"firstName": "Disdukcapil", "lastName": "Balikpapan", "email": "loket@balikpapan.go.id",
                   "phone": "081234567890", "smsEnabled": False},
        "recipient": {"firstName": "Siti", "lastName": "Rahmawati", "email": "", "phone": "6281345678901",
                      "smsEnabled": True},
    })
    body.update(copy.deepcopy(overrides))
    return body
