"""Quotes without GPS (issue 14): the citizen picks kecamatan and kelurahan from Kemendagri's lists, the
price comes from the kelurahan's centre, and where the city allows several couriers their quotes stand
side by side for the citizen to pick one."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from saas.couriers import services as couriers
from saas.couriers.providers import gosend as gosend_provider
from saas.documents.models import Document
from saas.extensions import db
from saas.portal import services
from saas.sandbox_registry import forget as forget_sandbox_registrations
from saas.sandboxes import couriers as sandbox
from saas.tenancy.regions import city_kecamatan, find_kelurahan
from saas.tenancy.scope import all_tenants
from tests.conftest import submit
from tests.couriers.conftest import run_jobs
from tests.factories import add_document, make_nik

TUESDAY_MORNING = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)  # 10.00 WIB, 11.00 WITA


@pytest.fixture(autouse=True)
def courier_sandbox(live_server, monkeypatch):
    monkeypatch.setattr(couriers, "utcnow", lambda: TUESDAY_MORNING)
    monkeypatch.setattr(services, "utcnow", lambda: TUESDAY_MORNING)
    sandbox.reset()
    forget_sandbox_registrations()
    yield sandbox
    sandbox.reset()


def _open(client, number, nik, slug):
    response = submit(client, f"/{slug}/", {"registration_no": number, "nik": nik}, action=f"/{slug}/cari")
    assert response.status_code == 302
    return response.headers["Location"]


def _kelurahan_of(page: str, kecamatan: str) -> list[str]:
    group = re.search(rf'<optgroup label="Kecamatan {kecamatan}"[^>]*>(.*?)</optgroup>', page, re.S)
    assert group, kecamatan
    return re.findall(r"<option [^>]*>([^<]+) \(" + re.escape(kecamatan) + r"\)</option>", group.group(1))


def _ask_price(client, page_url, area, **overrides):
    data = {"recipient_name": "Siti Aminah", "recipient_phone": "081234567811", "area": area,
            "address": "Jl. Contoh No. 12, RT 03", "latitude": "", "longitude": "", "driver_note": ""}
    data.update(overrides)
    return submit(client, page_url + "/kurir", data)


def _delivery(app, number):
    with app.app_context(), all_tenants():
        document = db.session.scalar(sa.select(Document).where(Document.registration_no == number))
        delivery = document.delivery
        return (document.status, delivery and (delivery.provider, delivery.latitude, delivery.longitude,
                                               delivery.kelurahan, delivery.fee))


def test_surabaya_and_balikpapan_list_their_real_kelurahan_under_each_kecamatan(app, client):
    surabaya = {name: [k.name for k in kelurahan] for _code, name, kelurahan in city_kecamatan("surabaya")}
    assert len(surabaya) == 31
    assert surabaya["Tegalsari"] == ["Tegalsari", "Dr. Soetomo", "Kedungdoro", "Keputran", "Wonorejo"]
    assert {"Darmo", "Jagir", "Ngagel", "Ngagel Rejo", "Sawunggaling", "Wonokromo"} <= set(surabaya["Wonokromo"])
    assert find_kelurahan("surabaya", "35.78.05.1002").name == "Dr. Soetomo"

    nik = make_nik("357801", serial=7401)
    page = client.get(_open(client, add_document(app, slug="surabaya", registration_no="KL-S001", status="ready",
                                                 nik=nik), nik, "surabaya") + "/kurir").get_data(as_text=True)
    assert _kelurahan_of(page, "Tegalsari") == ["Tegalsari", "Dr. Soetomo", "Kedungdoro", "Keputran", "Wonorejo"]
    assert '<option value="35.78.05.1002">Dr. Soetomo (Tegalsari)</option>' in page
    assert "Lokasi tepatnya (boleh kosong)" in page and "(wajib)" not in page

    nik = make_nik(serial=7402)
    page = client.get(_open(client, add_document(app, registration_no="KL-B001", status="ready", nik=nik), nik,
                            "balikpapan") + "/kurir").get_data(as_text=True)
    assert set(_kelurahan_of(page, "Balikpapan Kota")) == {"Damai", "Klandasan Ilir", "Klandasan Ulu", "Prapatan",
                                                            "Telaga Sari"}
    assert "Manggar Baru" in _kelurahan_of(page, "Balikpapan Timur")


def test_a_quote_without_gps_uses_the_kelurahan_centre_all_the_way_to_gosend(app, client, monkeypatch):
    asked = []
    real_call = gosend_provider.call

    def spy(method, url, **kwargs):
        if url.endswith("/calculate/price"):
            asked.append(kwargs["params"]["destination"])
        return real_call(method, url, **kwargs)

    monkeypatch.setattr(gosend_provider, "call", spy)
    centre = find_kelurahan("balikpapan", "64.71.06.1003")  # Klandasan Ulu, Balikpapan Kota
    assert centre.latitude is not None and centre.centre_of == "kelurahan"
    nik = make_nik(serial=7403)
    page_url = _open(client, add_document(app, registration_no="KL-B002", status="ready", nik=nik), nik, "balikpapan")
    quote = _ask_price(client, page_url, "64.71.06.1003")
    assert quote.status_code == 302, quote.get_data(as_text=True)
    assert asked == [f"{centre.latitude:.6f},{centre.longitude:.6f}"]
    confirm = client.get(quote.headers["Location"]).get_data(as_text=True)
    assert "Go-Send" in confirm and "Rp" in confirm and "Anda membayar kurir" in confirm
    assert "Harga diperkirakan dari titik tengah kelurahan Anda" in confirm
    assert submit(client, quote.headers["Location"], {"provider": "gosend"}).status_code == 302
    status, (provider, latitude, longitude, kelurahan, _fee) = _delivery(app, "KL-B002")
    assert (status, provider, kelurahan) == ("delivery_requested", "gosend", "Klandasan Ulu")
    assert (latitude, longitude) == (centre.latitude, centre.longitude)
    run_jobs(app)
    booked = sandbox.bookings("gosend")
    assert len(booked) == 1
    assert (booked[0]["destination"]["lat"], booked[0]["destination"]["lng"]) == (centre.latitude, centre.longitude)


def test_a_city_with_two_couriers_shows_both_quotes_and_books_the_chosen_one(app, client):
    nik = make_nik("367401", serial=7404)
    page_url = _open(client, add_document(app, slug="tangerang-selatan", registration_no="KL-T001", status="ready",
                                          nik=nik), nik, "tangerang-selatan")
    quote = _ask_price(client, page_url, "36.74.04.1006")  # Serua, Ciputat
    assert quote.status_code == 302, quote.get_data(as_text=True)
    confirm = client.get(quote.headers["Location"]).get_data(as_text=True)
    assert "Pilih kurir" in confirm
    offers = re.findall(r'<div class="card courier-offer">(.*?)</dl>', confirm, re.S)
    assert len(offers) == 2
    assert "Go-Send" in offers[0] and "GrabExpress" in offers[1]
    for offer in offers:
        assert re.search(r"Rp\d{1,3}(\.\d{3})+", offer) and "Anda membayar kurir" in offer and "Kapan tiba" in offer
    assert "Langsung dari kantor ke tempat Anda (Instant)" in offers[0]
    assert re.search(r"Tiba sekitar pukul \d\d\.\d\d WIB \(perkiraan kurir\)", offers[1])
    nothing_chosen = submit(client, quote.headers["Location"], {})
    assert nothing_chosen.status_code == 200 and "Pilih salah satu kurir." in nothing_chosen.get_data(as_text=True)
    assert _delivery(app, "KL-T001") == ("ready", None)

    assert submit(client, quote.headers["Location"], {"provider": "grab"}).status_code == 302
    status, (provider, *_rest) = _delivery(app, "KL-T001")
    assert (status, provider) == ("delivery_requested", "grab")
    run_jobs(app)
    assert len(sandbox.bookings("grab")) == 1 and sandbox.bookings("gosend") == []


def test_surabaya_without_gps_gets_both_prices_from_the_kelurahan_centre(app, client):
    """Surabaya gave no kecamatan points, so before the kelurahan centres Grab asked for a location."""
    nik = make_nik("357801", serial=7408)
    page_url = _open(client, add_document(app, slug="surabaya", registration_no="KL-S005", status="ready", nik=nik),
                     nik, "surabaya")
    quote = _ask_price(client, page_url, "35.78.04.1005")  # Darmo, Wonokromo, no GPS
    assert quote.status_code == 302, quote.get_data(as_text=True)
    confirm = client.get(quote.headers["Location"]).get_data(as_text=True)
    assert len(re.findall(r'<input type="radio" name="provider"', confirm)) == 2
    assert "PT Pos Indonesia" in confirm and "GrabExpress" in confirm
    assert "Harga diperkirakan dari titik tengah kelurahan Anda" in confirm
    assert submit(client, quote.headers["Location"], {"provider": "grab"}).status_code == 302
    darmo = find_kelurahan("surabaya", "35.78.04.1005")
    status, (provider, latitude, longitude, kelurahan, _fee) = _delivery(app, "KL-S005")
    assert (status, provider, kelurahan) == ("delivery_requested", "grab", "Darmo")
    assert (latitude, longitude) == (darmo.latitude, darmo.longitude)


def test_without_a_known_centre_the_fixed_fee_courier_still_quotes_and_the_other_says_what_it_needs(
        app, client, monkeypatch):
    from dataclasses import replace

    from saas.portal import views

    # A kelurahan whose centre nobody knows (a code newer than the shipped centres, in a city
    # that gave no kecamatan points).
    monkeypatch.setattr(views, "find_kelurahan", lambda slug, code: (
        replace(place, latitude=None, longitude=None, centre_of=None)
        if (place := find_kelurahan(slug, code)) else None))
    nik = make_nik("357801", serial=7405)
    page_url = _open(client, add_document(app, slug="surabaya", registration_no="KL-S002", status="ready", nik=nik),
                     nik, "surabaya")
    quote = _ask_price(client, page_url, "35.78.04.1005")  # Darmo, Wonokromo: no centre known, no GPS
    assert quote.status_code == 302, quote.get_data(as_text=True)
    confirm = client.get(quote.headers["Location"]).get_data(as_text=True)
    assert "PT Pos Indonesia" in confirm and "Rp12.000" in confirm
    assert "GrabExpress menghitung harga dari lokasi tepat Anda" in confirm
    assert 'value="grab"' not in confirm
    assert submit(client, quote.headers["Location"], {"provider": "grab"}).status_code == 200
    assert submit(client, quote.headers["Location"], {"provider": "manual"}).status_code == 302
    status, (provider, latitude, _lon, kelurahan, fee) = _delivery(app, "KL-S002")
    assert (status, provider, latitude, kelurahan, fee) == ("delivery_requested", "manual", None, "Darmo", 12000)


def test_with_gps_surabaya_gets_both_prices(app, client):
    nik = make_nik("357801", serial=7406)
    page_url = _open(client, add_document(app, slug="surabaya", registration_no="KL-S003", status="ready", nik=nik),
                     nik, "surabaya")
    quote = _ask_price(client, page_url, "35.78.04.1005", latitude="-7.2900", longitude="112.7380")
    confirm = client.get(quote.headers["Location"]).get_data(as_text=True)
    assert len(re.findall(r'<input type="radio" name="provider"', confirm)) == 2
    assert "titik tengah" not in confirm
    back = client.get(page_url + "/kurir").get_data(as_text=True)  # "Ubah alamat": what was typed is kept
    assert '<option value="35.78.04.1005" selected>' in back and "Jl. Contoh No. 12, RT 03" in back
    assert 'value="-7.29"' in back and 'value="112.738"' in back


@pytest.mark.parametrize("area", ["35.78.05.9999", "64.71.06.1003", "35.78.05|Tegalsari", "<b>x</b>"])
def test_a_kelurahan_code_not_in_the_citys_list_is_refused_clearly(app, client, area):
    nik = make_nik("357801", serial=7407)
    page_url = _open(client, add_document(app, slug="surabaya", registration_no="KL-S004", status="ready", nik=nik),
                     nik, "surabaya")
    refused = _ask_price(client, page_url, area)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Kelurahan itu tidak ada dalam daftar Kota Surabaya: pilih kelurahan Anda dari daftar." in html
    assert 'id="area-error"' in html and "<b>x</b>" not in html
    assert _delivery(app, "KL-S004") == ("ready", None)
