"""The "play the driver" pages, the tracking page and the sandbox's photos."""
from __future__ import annotations

from saas.sandboxes import couriers
from tests.sandboxes.couriers.payloads import gosend_booking, grab_delivery


def gosend_order(sandbox, auth) -> str:
    response = sandbox.post("/sandbox/gosend/gokilat/v10/booking", json=gosend_booking(), headers=auth)
    return response.get_json()["orderNo"]


def press(sandbox, provider, ref, action):
    response = sandbox.post(f"/sandbox/{provider}/_driver/{ref}/{action}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/sandbox/{provider}/")
    return response


def test_page_lists_bookings_newest_first_with_the_buttons_that_apply(sandbox, gosend_auth):
    assert "No bookings yet" in sandbox.get("/sandbox/gosend/").get_data(as_text=True)
    first, second = gosend_order(sandbox, gosend_auth), gosend_order(sandbox, gosend_auth)
    page = sandbox.get("/sandbox/gosend/").get_data(as_text=True)
    assert page.index(second) < page.index(first)
    assert 'name="viewport"' in page and "<script" not in page and "http" not in page.split("<body>")[0]
    for label in ("Next step", "No driver", "Deliver", "Cancel"):
        assert f">{label}</button>" in page
    assert ">On hold</button>" not in page  # offered only once the parcel is picked up


def test_buttons_move_a_gosend_booking(sandbox, gosend_auth, receiver):
    order_no = gosend_order(sandbox, gosend_auth)
    press(sandbox, "gosend", order_no, "next")
    assert couriers.booking("gosend", order_no)["status"] == "allocated"
    press(sandbox, "gosend", order_no, "next")
    press(sandbox, "gosend", order_no, "next")
    assert ">On hold</button>" in sandbox.get("/sandbox/gosend/").get_data(as_text=True)
    press(sandbox, "gosend", order_no, "hold")
    assert couriers.booking("gosend", order_no)["status"] == "on_hold"
    press(sandbox, "gosend", order_no, "deliver")
    assert receiver.statuses("gosend")[-3:] == ["on_hold", "out_for_delivery", "delivered"]
    closed = press(sandbox, "gosend", order_no, "next")
    assert "note=" in closed.headers["Location"]
    page = sandbox.get(closed.headers["Location"]).get_data(as_text=True)
    assert "already delivered" in page and ">Next step</button>" not in page

    no_driver = gosend_order(sandbox, gosend_auth)
    press(sandbox, "gosend", no_driver, "no_driver")
    assert couriers.booking("gosend", no_driver)["status"] == "no_driver"
    cancelled = gosend_order(sandbox, gosend_auth)
    press(sandbox, "gosend", cancelled, "cancel")
    assert receiver.bodies("gosend")[-1]["status"] == "cancelled"


def test_buttons_move_a_grab_delivery_and_set_the_scenario(sandbox, grab_auth, receiver):
    response = sandbox.post("/sandbox/grab/_driver/scenario", data={"scenario": "returned"})
    assert response.status_code == 302
    created = sandbox.post("/sandbox/grab/v1/deliveries", json=grab_delivery(), headers=grab_auth)
    delivery_id = created.get_json()["deliveryID"]
    assert couriers.booking("grab", delivery_id)["scenario"] == "returned"
    page = sandbox.get("/sandbox/grab/").get_data(as_text=True)
    assert delivery_id in page and 'value="returned" selected' in page
    for _ in range(3):
        press(sandbox, "grab", delivery_id, "next")
    press(sandbox, "grab", delivery_id, "return")
    press(sandbox, "grab", delivery_id, "next")
    assert receiver.statuses("grab")[-2:] == ["IN_RETURN", "RETURNED"]
    assert sandbox.post("/sandbox/grab/_driver/IN-2-NOPE/next").status_code == 302


def test_tracking_page_and_driver_photo(sandbox, gosend_auth):
    order_no = gosend_order(sandbox, gosend_auth)
    couriers.advance("gosend", order_no)
    snapshot = couriers.booking("gosend", order_no)
    page = sandbox.get(f"/sandbox/gosend/track/{order_no}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert order_no in text and snapshot["driver"]["name"] in text and "allocated" in text
    photo = sandbox.get(snapshot["driver"]["photo_url"].removeprefix("http://localhost"))
    assert photo.status_code == 200 and photo.mimetype == "image/svg+xml"
    initials = "".join(part[0] for part in snapshot["driver"]["name"].split()[:2])
    assert f">{initials}</text>".encode() in photo.data
    assert sandbox.get("/sandbox/gosend/track/GK-11-000000").status_code == 404
