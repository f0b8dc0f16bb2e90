"""Pages with personal data are never kept by a browser or proxy; HTTPS is sticky (HSTS)."""
from __future__ import annotations


def test_office_and_citizen_document_pages_are_not_stored(app, staff, client):
    office = staff("operator")
    assert office.get("/balikpapan/office/").headers["Cache-Control"] == "no-store"
    assert client.get("/admin/login").headers["Cache-Control"] == "no-store"
    assert client.get("/balikpapan/d/not-a-token").headers.get("Cache-Control") == "no-store"
    home = client.get("/balikpapan/")
    assert "no-store" not in home.headers.get("Cache-Control", "")  # no personal data: may be cached
    assert "no-store" not in client.get("/balikpapan/theme.css").headers.get("Cache-Control", "")


def test_https_answers_carry_hsts(app, client):
    assert "Strict-Transport-Security" not in client.get("/balikpapan/").headers
    secure = client.get("/balikpapan/", base_url="https://antar.test")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
