"""Finding a document: POST lookups with one uniform answer, rate limits, signed expiring links."""
from __future__ import annotations

import re
import time

from saas.documents.links import document_token
from saas.documents.services import get_document
from saas.tenancy.scope import tenant_bound
from tests.conftest import csrf_token_from, submit
from tests.factories import add_document, make_nik


def _lookup(client, registration_no, nik, slug="balikpapan"):
    return submit(client, f"/{slug}/", {"registration_no": registration_no, "nik": nik}, action=f"/{slug}/cari")


def test_lookup_by_number_and_nik_opens_the_document(app, client):
    nik = make_nik(serial=4401)
    add_document(app, registration_no="PT-0001", status="ready", nik=nik, name="Siti Aminah")
    response = _lookup(client, "pt-0001", nik)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Siti Aminah" in page and "Ambil di kantor" in page and "Antar ke rumah" in page
    assert nik not in page


def test_the_answer_is_the_same_whether_the_number_exists_or_not(app, client):
    add_document(app, registration_no="PT-0002", status="ready", nik=make_nik(serial=4402))
    wrong_nik = _lookup(client, "PT-0002", make_nik(serial=4403))
    unknown = _lookup(client, "PT-9999", make_nik(serial=4403))
    nonsense = _lookup(client, "PT-0002", "12345")

    def body(response):
        """The page, less what differs by construction: the CSRF token and the number typed in."""
        html = response.get_data(as_text=True)
        return re.sub(r'value="PT-\d+"', 'value=""', html.replace(csrf_token_from(html), ""))

    assert wrong_nik.status_code == unknown.status_code == nonsense.status_code == 200
    assert body(wrong_nik) == body(unknown) == body(nonsense)
    assert "Kami tidak menemukan dokumen" in body(unknown)
    assert "PT-0002" not in body(wrong_nik).split("</form>")[-1]


def test_lookups_are_rate_limited_per_registration_number(app, client):
    for _ in range(5):
        assert _lookup(client, "PT-0003", make_nik(serial=4404)).status_code == 200
    limited = _lookup(client, "PT-0003", make_nik(serial=4404))
    assert limited.status_code == 429 and "Terlalu banyak percobaan" in limited.get_data(as_text=True)
    assert _lookup(client, "PT-0004", make_nik(serial=4404)).status_code == 200  # another number still answers


def test_lookups_are_rate_limited_per_address(app, client):
    for n in range(10):
        assert _lookup(client, f"PT-10{n}", make_nik(serial=4405)).status_code == 200
    assert _lookup(client, "PT-0999", make_nik(serial=4405)).status_code == 429


def test_the_notification_link_opens_the_document(app, client):
    number = add_document(app, registration_no="PT-0004", status="ready", name="Budi")
    with app.app_context():
        from saas.tenancy.services import get_tenant

        with tenant_bound(get_tenant("balikpapan")):
            token = document_token(get_document(number))
    response = client.get(f"/balikpapan/d/{token}")
    assert response.status_code == 302
    assert "Budi" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/samarinda/d/{token}").status_code == 404  # another city's path


def test_expired_and_tampered_links_are_refused_cleanly(app, client, monkeypatch):
    number = add_document(app, registration_no="PT-0005", status="ready")
    with app.app_context():
        from saas.tenancy.services import get_tenant

        with tenant_bound(get_tenant("balikpapan")):
            token = document_token(get_document(number))
    tampered = client.get(f"/balikpapan/d/{token[:-3]}xyz")
    assert tampered.status_code == 404 and "Tautan ini tidak sah" in tampered.get_data(as_text=True)
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() + 15 * 86400)
    expired = client.get(f"/balikpapan/d/{token}")
    assert expired.status_code == 410 and "Tautan ini sudah kedaluwarsa" in expired.get_data(as_text=True)


def test_a_document_page_needs_a_grant(app, client):
    number = add_document(app, registration_no="PT-0006", status="ready")
    with app.app_context():
        from saas.tenancy.services import get_tenant

        with tenant_bound(get_tenant("balikpapan")):
            document_id = get_document(number).id
    assert client.get(f"/balikpapan/dokumen/{document_id}").status_code == 404


def test_json_twin_answers_status_and_next_steps_or_one_uniform_404(app, client):
    nik = make_nik(serial=4406)
    add_document(app, registration_no="PT-0007", status="ready", nik=nik)
    ok = client.post("/api/v1/balikpapan/public/status", json={"registration_no": "PT-0007", "nik": nik})
    assert ok.status_code == 200
    assert ok.get_json()["status"] == "ready" and ok.get_json()["next_steps"] == ["book_pickup_slot", "request_courier"]
    misses = [client.post("/api/v1/balikpapan/public/status", json=body) for body in (
        {"registration_no": "PT-0007", "nik": make_nik(serial=4407)},
        {"registration_no": "PT-NOPE", "nik": nik})]
    assert [m.status_code for m in misses] == [404, 404] and misses[0].get_json() == misses[1].get_json()
    assert nik not in ok.get_data(as_text=True)
