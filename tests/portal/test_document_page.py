"""The citizen's document page: its forms written in the template, the rating, the reports and the
booking read in one look, the page's words bound once to its language."""
from __future__ import annotations

import re

from saas.extensions import db
from saas.tenancy.services import get_tenant
from tests.conftest import csrf_token_from, submit
from tests.factories import add_document, make_nik


def _open(client, number, nik, slug="balikpapan"):
    response = submit(client, f"/{slug}/", {"registration_no": number, "nik": nik}, action=f"/{slug}/cari")
    assert response.status_code == 302
    return response.headers["Location"]


def test_the_page_shows_what_the_citizen_did_and_every_form_posts_with_the_page_token(app, client):
    nik = make_nik(serial=7701)
    page_url = _open(client, add_document(app, registration_no="DP-0001", status="collected", nik=nik), nik)
    page = client.get(page_url).get_data(as_text=True)
    assert "penilaian Anda" not in page and "Laporan masalah Anda" not in page
    tokens = set(re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', page))
    assert len(tokens) == 1 and tokens == {csrf_token_from(page)}
    assert page.count('name="score" required type="radio"') == 5 and "Segel amplop rusak" in page

    assert client.post(page_url + "/nilai", data={"csrf_token": csrf_token_from(page), "score": "4"}).status_code == 302
    assert client.post(page_url + "/masalah", data={"csrf_token": csrf_token_from(page), "kind": "broken_seal",
                                                    "note": "Segel sobek"}).status_code == 302
    assert client.post(page_url + "/nilai", data={"score": "5"}).status_code == 400  # no token: refused

    page = client.get(page_url).get_data(as_text=True)
    assert "penilaian Anda: 4" in page
    assert "Segel amplop rusak" in page.split('id="reports"')[1]  # the report is listed


def test_a_booked_slot_is_on_the_page(app, client):
    nik = make_nik(serial=7702)
    page_url = _open(client, add_document(app, registration_no="DP-0002", status="ready", nik=nik), nik)
    assert "Jadwal ambil Anda" not in client.get(page_url).get_data(as_text=True)
    slots_page = client.get(page_url + "/jadwal").get_data(as_text=True)
    first = re.search(r'name="starts_at" value="([^"]+)"', slots_page).group(1)
    assert submit(client, page_url + "/jadwal", {"starts_at": first}).status_code == 302
    assert "Jadwal ambil Anda" in client.get(page_url).get_data(as_text=True)


def test_the_page_words_follow_the_language_and_escape_what_they_carry(app, client):
    with app.app_context():
        tenant = get_tenant("bontang")
        tenant.city_name = "Kota <b>Bontang</b>"
        db.session.commit()
    home = client.get("/bontang/").get_data(as_text=True)
    assert "Layanan dokumen Kota &lt;b&gt;Bontang&lt;/b&gt;" in home and "<b>Bontang</b>" not in home
    english = client.get("/bontang/?lang=en").get_data(as_text=True)
    assert "Document service of Kota &lt;b&gt;Bontang&lt;/b&gt;" in english and 'lang="en"' in english
