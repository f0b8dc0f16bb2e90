"""Live and test tokens (GOV.UK Notify's key types): a SIAK-side script tried with a test token
gets the same answers, but what it registers is test data, never messaged nor sent by courier."""
from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from saas.api.services import create_token
from saas.couriers.services import DeliveryRefused, order_by_citizen
from saas.documents.lifecycle import Actor
from saas.documents.services import get_document, status_counts
from saas.extensions import db
from saas.jobs import runtime
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import make_user, sign_in, submit
from tests.factories import add_document, document_values
from tests.notifications.conftest import drain, notifications

API = "/api/v1/balikpapan"


def _token(app, kind: str) -> str:
    with app.app_context():
        _, raw = create_token(tenant=get_tenant("balikpapan"), name=f"SIAK {kind}", kind=kind)
        db.session.commit()
        return raw


def _auth(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def _register_and_mark_ready(client, raw: str, number: str, serial: int) -> dict:
    created = client.post(f"{API}/documents", json={"documents": [document_values(serial, registration_no=number)]},
                          headers=_auth(raw))
    assert created.status_code == 201, created.get_json()
    moved = client.post(f"{API}/documents/{number}/transitions", json={"to": "ready"}, headers=_auth(raw))
    assert moved.status_code == 200, moved.get_json()
    return moved.get_json()


def test_the_kind_shows_in_the_token_itself_and_a_bad_kind_is_refused(app):
    runner = app.test_cli_runner()
    live = runner.invoke(args=["tokens", "create", "--tenant", "balikpapan", "--name", "SIAK"])
    test = runner.invoke(args=["tokens", "create", "--tenant", "balikpapan", "--name", "SIAK try", "--kind", "test"])
    assert live.exit_code == 0 and test.exit_code == 0
    assert live.output.strip().splitlines()[-1].startswith("antar_live_")
    assert test.output.strip().splitlines()[-1].startswith("antar_test_") and "Test token" in test.output
    bad = runner.invoke(args=["tokens", "create", "--tenant", "balikpapan", "--name", "x", "--kind", "staging"])
    assert bad.exit_code != 0 and "Unknown token kind 'staging': use 'live' or 'test'." in bad.output
    platform = runner.invoke(args=["tokens", "create", "--platform", "--name", "x", "--kind", "test"])
    assert platform.exit_code != 0 and "platform's tokens are live" in platform.output
    with app.app_context():
        from saas.api.models import ApiToken

        kinds = sorted((t.kind, t.prefix[:11]) for t in db.session.scalars(sa.select(ApiToken)))
    assert kinds == [("live", "antar_live_"), ("test", "antar_test_")]


def test_the_admin_chooses_the_kind_and_the_list_shows_it(app, client, staff):
    staff("admin")
    page = "/balikpapan/office/settings/"
    made = submit(client, page, {"name": "Skrip SIAK (coba)", "kind": "test"})
    html = made.get_data(as_text=True)
    assert made.status_code == 200 and "antar_test_" in html
    row = html.split("Skrip SIAK (coba)")[1].split("</tr>")[0]
    assert ">uji<" in row and "antar_test_" in row
    live = submit(client, page, {"name": "Skrip SIAK", "kind": "live"}).get_data(as_text=True)
    assert ">live<" in live.split("Skrip SIAK</td>")[1].split("</tr>")[0]
    refused = submit(client, page, {"name": "Skrip lain", "kind": "staging"}).get_data(as_text=True)
    assert "Pilih jenis token: live atau uji." in refused and "Skrip lain" not in refused.split("<tbody>")[1].split("</tbody>")[0]


def test_a_test_token_works_as_a_live_one_but_no_message_reaches_the_gateway(app, client, staff, message_gateways):
    raw = _token(app, "test")
    answer = _register_and_mark_ready(client, raw, "UJI-0001", 1)
    assert answer["status"] == "ready" and answer["test"] is True
    assert [e["to_status"] for e in answer["events"]] == ["received", "ready"]
    listing = client.get(f"{API}/documents?status=ready", headers=_auth(raw)).get_json()
    assert [d["registration_no"] for d in listing["documents"]] == ["UJI-0001"]
    drain(app)
    assert message_gateways.received("whatsapp") == [] and message_gateways.received("sms") == []
    assert [(n.event, n.status) for n in notifications(app)] == [("document_ready", "test")]

    staff("operator")
    queue = client.get("/balikpapan/office/").get_data(as_text=True)
    assert "UJI-0001" not in queue  # no envelope on a shelf: not in the operator's queue
    tests = client.get("/balikpapan/office/?test=1").get_data(as_text=True)
    assert "UJI-0001" in tests and ">uji<" in tests
    page = client.get("/balikpapan/office/documents/UJI-0001").get_data(as_text=True)
    assert "data uji" in page and "Tidak dikirim: data uji" in page
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        assert status_counts()["ready"] == 0 and status_counts()["received"] == 0


def test_a_live_token_sends_as_before(app, client, message_gateways):
    raw = _token(app, "live")
    answer = _register_and_mark_ready(client, raw, "LIVE-0001", 2)
    assert answer["status"] == "ready" and answer["test"] is False
    drain(app)
    assert len(message_gateways.received("whatsapp")) == 1
    assert [n.status for n in notifications(app)] in (["sent"], ["delivered"])


def test_each_kind_sees_and_moves_only_its_own_documents(app, client):
    live, test = _token(app, "live"), _token(app, "test")
    add_document(app, registration_no="REAL-0001")
    assert client.get(f"{API}/documents/REAL-0001", headers=_auth(test)).status_code == 404
    refused = client.post(f"{API}/documents/REAL-0001/transitions", json={"to": "ready"}, headers=_auth(test))
    assert refused.status_code == 404
    assert client.get(f"{API}/documents", headers=_auth(test)).get_json()["total"] == 0
    _register_and_mark_ready(client, test, "UJI-0002", 3)
    assert client.get(f"{API}/documents/UJI-0002", headers=_auth(live)).status_code == 404
    assert client.get(f"{API}/documents", headers=_auth(live)).get_json()["total"] == 1
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        assert get_document("REAL-0001").status == "received"
    again = client.post(f"{API}/documents", json={"documents": [
        document_values(8, registration_no="UJI-0002"), document_values(9, registration_no="REAL-0001")]},
        headers=_auth(live)).get_json()
    assert [e["errors"]["registration_no"] for e in again["errors"]] == [
        "Already registered, as test data (with a test token).", "Already registered."]


def test_no_courier_is_booked_for_test_data(app, client):
    _register_and_mark_ready(client, _token(app, "test"), "UJI-0003", 4)
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        with pytest.raises(DeliveryRefused) as refused:
            order_by_citizen([get_document("UJI-0003")], "Warga", "+6281234567890", Actor.system("test"))
        assert "Ini data uji" in str(refused.value.message)
        db.session.rollback()
        assert get_document("UJI-0003").status == "ready" and get_document("UJI-0003").delivery_id is None


def test_the_citys_figures_ignore_test_documents(app, client):
    _register_and_mark_ready(client, _token(app, "live"), "LIVE-0002", 5)
    _register_and_mark_ready(client, _token(app, "test"), "UJI-0004", 6)
    _register_and_mark_ready(client, _token(app, "test"), "UJI-0005", 7)
    runtime(app).run_pending()
    make_user(app, None, "superadmin", "root@antar.test")
    sign_in(client, None, "root@antar.test")
    rows = {r["slug"]: r for r in csv.DictReader(io.StringIO(
        client.get("/admin/compare.csv").get_data(as_text=True)))}
    assert rows["balikpapan"]["ready"] == "1"
