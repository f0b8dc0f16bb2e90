"""The GrabExpress-shaped sandbox: OAuth, quotes, deliveries, webhooks, scenarios."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from saas.sandboxes import couriers
from saas.sandboxes.couriers import store
from tests.sandboxes.couriers.conftest import CALLBACK_TOKEN, GRAB_CLIENT, GRAB_SECRET
from tests.sandboxes.couriers.payloads import BEYOND_GRAB, HOME, NEXT_DOOR, grab_delivery, grab_shipment

TOKEN_URL = "/sandbox/grab/grabid/v1/oauth2/token"
API = "/sandbox/grab/v1/deliveries"


def credentials(**overrides) -> dict:
    return {"client_id": GRAB_CLIENT, "client_secret": GRAB_SECRET, "grant_type": "client_credentials",
            "scope": "grab_express.partner_deliveries", **overrides}


def deliver(sandbox, auth, **kwargs) -> dict:
    response = sandbox.post(API, json=grab_delivery(**kwargs), headers=auth)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_token_is_issued_for_the_right_client_credentials_only(sandbox, receiver):
    couriers.register_partner("grab", GRAB_CLIENT, GRAB_SECRET, receiver.url("grab"), CALLBACK_TOKEN)
    wrong = sandbox.post(TOKEN_URL, json=credentials(client_secret="nope"))
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "invalid_client"
    assert sandbox.post(TOKEN_URL, json=credentials(grant_type="password")).status_code == 400
    assert couriers.token_requests() == 0
    issued = sandbox.post(TOKEN_URL, data=credentials())  # form-encoded, as OAuth clients often send
    assert issued.status_code == 200
    token = issued.get_json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 604799 and len(token["access_token"]) > 20
    assert couriers.token_requests() == 1
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    quotes = sandbox.post(f"{API}/quotes", json=grab_shipment(), headers=auth)
    assert quotes.status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic abc", "not-even-a-scheme"])
def test_calls_without_a_valid_bearer_token_are_401(sandbox, grab_auth, header):
    headers = {"Authorization": header} if header else {}
    for response in (sandbox.post(f"{API}/quotes", json=grab_shipment(), headers=headers),
                     sandbox.post(API, json=grab_delivery(), headers=headers),
                     sandbox.get(f"{API}/IN-2-X", headers=headers), sandbox.delete(f"{API}/IN-2-X", headers=headers)):
        assert response.status_code == 401 and response.get_json() == {"message": "Unauthorized"}


def test_an_expired_token_is_refused_and_a_new_one_works(sandbox, receiver, monkeypatch):
    couriers.register_partner("grab", GRAB_CLIENT, GRAB_SECRET, receiver.url("grab"), CALLBACK_TOKEN)
    couriers.set_token_lifetime(60)
    token = sandbox.post(TOKEN_URL, json=credentials()).get_json()
    assert token["expires_in"] == 60
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    assert sandbox.post(f"{API}/quotes", json=grab_shipment(), headers=auth).status_code == 200
    later = store.clock() + timedelta(seconds=61)
    monkeypatch.setattr(store, "clock", lambda: later)
    assert sandbox.post(f"{API}/quotes", json=grab_shipment(), headers=auth).status_code == 401
    fresh = sandbox.post(TOKEN_URL, json=credentials()).get_json()["access_token"]
    renewed = sandbox.post(f"{API}/quotes", json=grab_shipment(), headers={"Authorization": f"Bearer {fresh}"})
    assert renewed.status_code == 200
    assert couriers.token_requests() == 2


def test_quotes_price_the_road_distance_per_service(sandbox, grab_auth):
    response = sandbox.post(f"{API}/quotes", json=grab_shipment(), headers=grab_auth)
    assert response.status_code == 200
    body = response.get_json()
    quote = body["quotes"][0]
    assert quote["service"] == {"id": 0, "type": "INSTANT", "name": "GrabExpress Instant"}
    assert quote["currency"] == {"code": "IDR", "symbol": "Rp", "exponent": 0}
    assert quote["amount"] == 33500 and quote["distance"] == 13900  # 2400 × 13.9 = 33360 → 33500
    assert quote["estimatedTimeline"]["pickup"] < quote["estimatedTimeline"]["dropoff"]
    assert body["origin"] == grab_shipment()["origin"] and body["packages"] == grab_shipment()["packages"]
    same_day = sandbox.post(f"{API}/quotes", json=grab_shipment(service="SAME_DAY"), headers=grab_auth).get_json()
    assert same_day["quotes"][0]["amount"] == 24000  # 1700 × 13.9 = 23630 → 24000
    near = sandbox.post(f"{API}/quotes", json=grab_shipment(NEXT_DOOR), headers=grab_auth).get_json()
    assert near["quotes"][0]["amount"] == 14000


def test_beyond_35_km_and_malformed_requests_are_400_with_grabs_error_shape(sandbox, grab_auth):
    far = sandbox.post(f"{API}/quotes", json=grab_shipment(BEYOND_GRAB), headers=grab_auth)
    assert far.status_code == 400
    assert far.get_json() == {"arg": "destination", "message": "Distance exceeds the maximum of 35 km",
                              "reason": "DISTANCE_LIMIT"}
    assert sandbox.post(API, json=grab_delivery(destination=BEYOND_GRAB), headers=grab_auth).status_code == 400
    body = grab_shipment()
    body["packages"][0]["dimensions"].pop("weight")
    broken = sandbox.post(f"{API}/quotes", json=body, headers=grab_auth).get_json()
    assert broken["arg"] == "packages[0].dimensions.weight" and set(broken) == {"arg", "message", "reason"}
    body = grab_shipment()
    body["origin"]["coordinates"]["latitude"] = "north"
    assert sandbox.post(f"{API}/quotes", json=body, headers=grab_auth).get_json()["arg"] == "origin.coordinates"
    assert sandbox.post(f"{API}/quotes", json=grab_shipment(service="BIKE"), headers=grab_auth).status_code == 400


@pytest.mark.parametrize("field, value, arg", [
    ("merchantOrderID", "", "merchantOrderID"),
    ("paymentMethod", "CREDIT", "paymentMethod"),
    ("recipient", {"firstName": "Siti", "phone": "12345"}, "recipient.phone"),
    ("sender", {"lastName": "Balikpapan", "phone": "081234567890"}, "sender.firstName"),
])
def test_delivery_request_is_validated(sandbox, grab_auth, field, value, arg):
    response = sandbox.post(API, json=grab_delivery(**{field: value}), headers=grab_auth)
    assert response.status_code == 400 and response.get_json()["arg"] == arg


def test_delivery_is_created_allocating_with_a_pin_and_tells_the_partner(sandbox, grab_auth, receiver):
    delivery = deliver(sandbox, grab_auth)
    assert re.fullmatch(r"IN-2-[A-Z0-9]+", delivery["deliveryID"])
    assert delivery["status"] == "ALLOCATING" and delivery["courier"] is None
    assert re.fullmatch(r"\d{4}", delivery["pickupPin"])
    assert delivery["merchantOrderID"] == "ANTAR-BPN-0001" and delivery["paymentMethod"] == "CASHLESS"
    assert delivery["quote"]["amount"] == 33500 and delivery["quote"]["destination"]["address"]
    assert delivery["recipient"]["firstName"] == "Siti" and delivery["advanceInfo"] == {"failedReason": ""}
    assert delivery["trackingURL"] == f"http://localhost/sandbox/grab/track/{delivery['deliveryID']}"
    assert set(delivery["timeline"]) == {"create"}
    [call] = receiver.calls
    assert call["authorization"] == CALLBACK_TOKEN
    assert call["body"] == {
        "deliveryID": delivery["deliveryID"], "merchantOrderID": "ANTAR-BPN-0001",
        "timestamp": call["body"]["timestamp"], "status": "ALLOCATING", "trackURL": delivery["trackingURL"],
        "failedReason": "", "driver": None, "pickupPin": delivery["pickupPin"],
    }
    assert isinstance(call["body"]["timestamp"], int) and call["body"]["timestamp"] < 10**11  # seconds


def test_a_repeated_merchant_order_id_is_409_until_the_first_delivery_ends(sandbox, grab_auth):
    first = deliver(sandbox, grab_auth)
    duplicate = sandbox.post(API, json=grab_delivery(), headers=grab_auth)
    assert duplicate.status_code == 409
    assert duplicate.get_json() == {"arg": "merchantOrderID", "message": "duplicate merchantOrderID",
                                    "reason": "DUPLICATE"}
    assert sandbox.delete(f"{API}/{first['deliveryID']}", headers=grab_auth).status_code == 204
    assert deliver(sandbox, grab_auth)["deliveryID"] != first["deliveryID"]


def test_happy_path_reports_driver_timeline_and_proof_of_delivery(sandbox, grab_auth, receiver):
    delivery_id = deliver(sandbox, grab_auth)["deliveryID"]
    couriers.advance("grab", delivery_id)
    allocated = sandbox.get(f"{API}/{delivery_id}", headers=grab_auth).get_json()
    assert allocated["status"] == "PENDING_PICKUP"
    courier = allocated["courier"]
    assert courier["name"] and courier["phone"].startswith("08") and 4.6 <= courier["rating"] <= 5.0
    assert courier["vehicle"]["plateNumber"] == courier["vehicle"]["licensePlate"] and courier["vehicle"]["model"]
    assert courier["pictureURL"].startswith("http://localhost/sandbox/grab/_photos/drivers/")
    assert "proofOfDelivery" not in allocated

    couriers.run("grab", delivery_id)
    completed = sandbox.get(f"{API}/{delivery_id}", headers=grab_auth).get_json()
    assert completed["status"] == "COMPLETED"
    assert completed["proofOfDelivery"]["photoURL"].endswith(f"/sandbox/grab/_photos/proof/{delivery_id}.svg")
    assert set(completed["timeline"]) >= {"create", "allocate", "pickup", "completed"}
    assert receiver.statuses("grab") == ["ALLOCATING", "PENDING_PICKUP", "PICKING_UP", "PENDING_DROP_OFF",
                                         "IN_DELIVERY", "COMPLETED"]
    bodies = receiver.bodies("grab")
    assert all("eventID" not in body and "event_id" not in body for body in bodies)
    assert bodies[1]["driver"]["licensePlate"].startswith("KT ")
    assert bodies[-1]["driver"]["currentLat"] == pytest.approx(HOME[0])
    assert bodies[-1]["proofOfDelivery"] == completed["proofOfDelivery"]
    assert all("proofOfDelivery" not in body for body in bodies[:-1])
    photo = sandbox.get(completed["proofOfDelivery"]["photoURL"].removeprefix("http://localhost"))
    assert photo.status_code == 200 and photo.mimetype == "image/svg+xml" and b"Siti Rahmawati" in photo.data


@pytest.mark.parametrize("scenario, path, failed_reason", [
    ("no_driver", ["ALLOCATING", "FAILED"], "No driver available"),
    ("returned", ["ALLOCATING", "PENDING_PICKUP", "PICKING_UP", "PENDING_DROP_OFF", "IN_DELIVERY", "IN_RETURN",
                  "RETURNED"], "Recipient could not be reached"),
    ("cancelled_by_driver", ["ALLOCATING", "PENDING_PICKUP", "CANCELED"], "Driver cancelled the delivery"),
])
def test_each_unhappy_scenario_follows_its_path(sandbox, grab_auth, receiver, scenario, path, failed_reason):
    couriers.set_scenario("grab", scenario)
    delivery_id = deliver(sandbox, grab_auth)["deliveryID"]
    couriers.run("grab", delivery_id)
    assert receiver.statuses("grab") == path
    assert receiver.bodies("grab")[-1]["failedReason"] == failed_reason
    delivery = sandbox.get(f"{API}/{delivery_id}", headers=grab_auth).get_json()
    assert delivery["status"] == path[-1] and delivery["advanceInfo"]["failedReason"] == failed_reason
    assert "proofOfDelivery" not in delivery
    if scenario == "no_driver":
        assert delivery["courier"] is None and receiver.bodies("grab")[-1]["driver"] is None


def test_same_day_waits_in_the_queue_before_allocation(sandbox, grab_auth, receiver):
    delivery = deliver(sandbox, grab_auth, service="SAME_DAY")
    assert delivery["status"] == "QUEUEING" and delivery["quote"]["amount"] == 24000
    couriers.run("grab", delivery["deliveryID"])
    assert receiver.statuses("grab")[:3] == ["QUEUEING", "ALLOCATING", "PENDING_PICKUP"]
    assert receiver.statuses("grab")[-1] == "COMPLETED"


def test_cancel_is_allowed_until_the_driver_has_the_parcel(sandbox, grab_auth, receiver):
    delivery_id = deliver(sandbox, grab_auth)["deliveryID"]
    couriers.advance("grab", delivery_id)
    couriers.advance("grab", delivery_id)  # PICKING_UP
    response = sandbox.delete(f"{API}/{delivery_id}", headers=grab_auth)
    assert response.status_code == 204 and response.data == b""
    assert receiver.statuses("grab")[-1] == "CANCELED"

    picked = deliver(sandbox, grab_auth, merchant_order_id="ANTAR-BPN-0002")["deliveryID"]
    for _ in range(4):
        couriers.advance("grab", picked)
    refused = sandbox.delete(f"{API}/{picked}", headers=grab_auth)
    assert refused.status_code == 409
    assert refused.get_json() == {"arg": "deliveryID", "reason": "NOT_CANCELLABLE",
                                  "message": "Delivery cannot be cancelled at status IN_DELIVERY"}
    assert sandbox.delete(f"{API}/IN-2-NOPE", headers=grab_auth).status_code == 404
    assert sandbox.get(f"{API}/IN-2-NOPE", headers=grab_auth).get_json()["reason"] == "NOT_FOUND"


def test_replay_repeats_the_webhook_exactly(sandbox, grab_auth, receiver):
    delivery_id = deliver(sandbox, grab_auth)["deliveryID"]
    couriers.advance("grab", delivery_id)
    couriers.replay_last_callback("grab", delivery_id)
    first, again = receiver.bodies("grab")[-2:]
    assert first == again and first["status"] == "PENDING_PICKUP"
    late = couriers.send_callback("grab", delivery_id, "ALLOCATING")
    assert receiver.bodies("grab")[-1] == late and late["status"] == "ALLOCATING"
    assert couriers.booking("grab", delivery_id)["status"] == "PENDING_PICKUP"


def test_admin_endpoints_for_grab(sandbox, receiver):
    assert sandbox.put("/sandbox/grab/_admin/partners/city-y", json={
        "secret": "s", "callback_url": receiver.url("grab"), "callback_token": "tok"}).status_code == 200
    issued = sandbox.post(TOKEN_URL, json=credentials(client_id="city-y", client_secret="s"))
    auth = {"Authorization": f"Bearer {issued.get_json()['access_token']}"}
    assert sandbox.get("/sandbox/grab/_admin/tokens").get_json() == {"token_requests": 1}
    delivery_id = deliver(sandbox, auth)["deliveryID"]
    forced = sandbox.put(f"/sandbox/grab/_admin/bookings/{delivery_id}/status", json={"status": "IN_RETURN"})
    assert forced.status_code == 200 and forced.get_json()["status"] == "IN_RETURN"
    assert sandbox.post(f"/sandbox/grab/_admin/bookings/{delivery_id}/run").get_json()["status"] == "RETURNED"
    unknown = sandbox.put(f"/sandbox/grab/_admin/bookings/{delivery_id}/status", json={"status": "LOST"})
    assert unknown.status_code == 400
    assert sandbox.put("/sandbox/grab/_admin/token-lifetime", json={"seconds": 0}).status_code == 200
    assert sandbox.get(f"{API}/{delivery_id}", headers=auth).status_code == 200  # issued before the change
