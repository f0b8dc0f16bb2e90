"""The city comes from the URL; unknown is a 404 page, suspended a paused page."""
from __future__ import annotations

import re

from saas.extensions import db
from saas.tenancy.services import get_tenant, suspend_tenant


def test_each_city_portal_shows_its_own_name_and_theme(client):
    for slug, city in (("balikpapan", "Kota Balikpapan"), ("surabaya", "Kota Surabaya")):
        page = client.get(f"/{slug}/")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert city in html
        assert f"/{slug}/theme.css" in html and f"/{slug}/logo.svg" in html
    theme = client.get("/surabaya/theme.css").get_data(as_text=True)
    assert "--brand: #b3261e" in theme


def test_unknown_city_is_a_404_page_in_indonesian(client):
    page = client.get("/atlantis/")
    assert page.status_code == 404
    assert "Halaman tidak ditemukan" in page.get_data(as_text=True)
    assert client.get("/atlantis/office/login").status_code == 404


def test_suspended_city_shows_the_paused_page_in_indonesian(app, client):
    with app.app_context():
        suspend_tenant(get_tenant("bontang"), "audit")
        db.session.commit()
    page = client.get("/bontang/")
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "Layanan dihentikan sementara" in html
    assert "Kota Bontang" in html
    assert client.get("/bontang/office/login").status_code == 503
    assert client.get("/balikpapan/").status_code == 200


def test_logo_is_served_as_svg_that_cannot_run_script(client):
    logo = client.get("/makassar/logo.svg")
    assert logo.status_code == 200
    assert logo.mimetype == "image/svg+xml"
    assert "default-src 'none'" in logo.headers["Content-Security-Policy"]


def test_platform_home_lists_the_active_cities_with_logo_and_link(app, client):
    with app.app_context():
        suspend_tenant(get_tenant("makassar"), "paused")
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    for slug in ("balikpapan", "samarinda", "bontang", "surabaya", "tangerang-selatan"):
        assert f'href="/{slug}/"' in html and f"/{slug}/logo.svg" in html
    assert 'href="/makassar/"' not in html


def test_pages_load_nothing_from_another_host(client):
    for url in ("/", "/balikpapan/", "/balikpapan/office/login", "/admin/login"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        # Links to elsewhere (wa.me, mailto) are fine; nothing the page loads may come from another host.
        loaded = re.findall(r'(?:src|srcset)=["\']https?://[^"\']*|<link[^>]+href=["\']https?://[^"\']*'
                            r'|url\(["\']?https?://[^)]*', html)
        assert [x for x in loaded if "//antar.test" not in x] == [], url
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
