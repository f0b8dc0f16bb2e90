"""The office API: per-city Bearer tokens, JSON errors, masked NIKs, the OpenAPI document."""
from __future__ import annotations

import sqlalchemy as sa

from saas.api.services import create_token
from saas.extensions import db
from saas.tenancy.services import get_tenant, suspend_tenant
from tests.factories import add_document, document_values, make_nik


def _token(app, slug="balikpapan"):
    with app.app_context():
        _, raw = create_token(tenant=get_tenant(slug) if slug else None, name="SIAK bridge")
        db.session.commit()
        return raw


def _auth(raw):
    return {"Authorization": f"Bearer {raw}"}


def test_tokens_create_prints_the_token_alone_on_its_last_line(app):
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--tenant", "balikpapan", "--name", "SIAK"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("antar_") and " " not in token
    assert app.test_client().get("/api/v1/balikpapan/documents", headers=_auth(token)).status_code == 200
    refused = app.test_cli_runner().invoke(args=["tokens", "create", "--name", "x"])
    assert refused.exit_code != 0


def test_missing_wrong_or_revoked_token_is_401_and_another_citys_is_404(app, client):
    raw = _token(app)
    assert client.get("/api/v1/balikpapan/documents").status_code == 401
    assert client.get("/api/v1/balikpapan/documents", headers=_auth("antar_nope")).status_code == 401
    other = client.get("/api/v1/samarinda/documents", headers=_auth(raw))
    assert other.status_code == 404 and other.get_json()["error"] == "not_found"
    with app.app_context():
        from saas.api.models import ApiToken
        from saas.api.services import revoke_token

        for token in db.session.scalars(sa.select(ApiToken)):
            revoke_token(token)
        db.session.commit()
    revoked = client.get("/api/v1/balikpapan/documents", headers=_auth(raw))
    assert revoked.status_code == 401 and revoked.get_json()["message"]


def test_post_documents_creates_the_good_ones_and_lists_the_rest(app, client):
    raw = _token(app)
    existing = add_document(app, registration_no="API-0009")
    body = {"documents": [
        document_values(1, registration_no="API-0001"),
        document_values(2, registration_no="API-0002", doc_type="kia", kk_number=None, kecamatan="64.71.01"),
        document_values(3, registration_no="API-0003", nik="123"),
        document_values(4, registration_no=existing),
        document_values(5, registration_no="API-0001"),
    ]}
    response = client.post("/api/v1/balikpapan/documents", json=body, headers=_auth(raw))
    assert response.status_code == 201
    payload = response.get_json()
    assert [d["registration_no"] for d in payload["created"]] == ["API-0001", "API-0002"]
    assert all(d["status"] == "received" and d["nik_masked"].startswith("6471**") for d in payload["created"])
    assert [(e["index"], e["reason"]) for e in payload["errors"]] == [
        (2, "bad_nik"), (3, "already_registered"), (4, "duplicate_in_file")]
    assert "nik" in payload["errors"][0]["errors"]
    bad = client.post("/api/v1/balikpapan/documents", json={"documents": []}, headers=_auth(raw))
    # not the shape of a request at all: a 400, as the OpenAPI document says (422 is "nothing created")
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid"


def test_get_and_transition_documents(app, client):
    raw = _token(app)
    nik = make_nik(serial=8123)
    add_document(app, registration_no="API-0100", nik=nik)
    add_document(app, registration_no="API-0101", status="ready")
    listing = client.get("/api/v1/balikpapan/documents?status=received", headers=_auth(raw)).get_json()
    assert [d["registration_no"] for d in listing["documents"]] == ["API-0100"] and listing["total"] == 1
    one = client.get("/api/v1/balikpapan/documents/API-0100", headers=_auth(raw))
    assert one.status_code == 200 and nik not in one.get_data(as_text=True)
    assert one.get_json()["nik_masked"] == "6471**********" + nik[-2:]
    moved = client.post("/api/v1/balikpapan/documents/API-0100/transitions", json={"to": "ready", "note": "cetak"},
                        headers=_auth(raw))
    assert moved.status_code == 200 and moved.get_json()["status"] == "ready"
    assert [e["to_status"] for e in moved.get_json()["events"]] == ["received", "ready"]
    refused = client.post("/api/v1/balikpapan/documents/API-0101/transitions", json={"to": "received"},
                          headers=_auth(raw))
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "transition_refused" and refused.get_json()["message"]
    assert client.get("/api/v1/balikpapan/documents/NOPE", headers=_auth(raw)).status_code == 404
    assert client.get("/api/v1/balikpapan/documents?status=lost", headers=_auth(raw)).status_code == 422


def test_a_suspended_city_api_answers_503(app, client):
    raw = _token(app, "bontang")
    with app.app_context():
        suspend_tenant(get_tenant("bontang"), "audit")
        db.session.commit()
    response = client.get("/api/v1/bontang/documents", headers=_auth(raw))
    assert response.status_code == 503 and response.get_json()["error"] == "service_paused"


def test_openapi_document_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/{slug}/documents" in spec["paths"]
    assert "/api/v1/{slug}/documents/{registration_no}/transitions" in spec["paths"]
    assert "DocumentIn" in spec["components"]["schemas"]
