"""Holes found by the outside security test (issue 12), each shut at the edge.

Every test here is what a user or an attacker sees: a refusal, a clear message, and nothing stored.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from saas.config import ConfigError, load_config
from saas.couriers.models import CourierCallback
from saas.extensions import db
from saas.notifications.models import Notification
from tests.conftest import make_user, sign_in, submit
from tests.factories import add_document, make_nik

CONTROL_MESSAGE = "Isian ini memuat karakter yang tidak diizinkan."


# -- 1. production refuses sandboxes, weak keys and derived credentials ----------------------------------
PRODUCTION_VARIABLES = ("ANTAR_ENV", "SECRET_KEY", "ANTAR_DATA_KEY", "DATABASE_URL", "REDIS_URL",
                        "WHATSAPP_VERIFY_TOKEN", "ANTAR_SANDBOXES", "ANTAR_METRICS_TOKEN")


@pytest.fixture
def production(tmp_path, monkeypatch):
    """A production environment that starts; each test then spoils one thing."""
    for name in PRODUCTION_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTAR_INSTANCE_DIR", str(tmp_path))
    values = {"ANTAR_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
              "ANTAR_DATA_KEY": Fernet.generate_key().decode(), "DATABASE_URL": "postgresql://antar@db/antar",
              "REDIS_URL": "redis://127.0.0.1:6379/0", "WHATSAPP_VERIFY_TOKEN": secrets.token_urlsafe(24)}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_a_sound_production_environment_starts_without_sandboxes(production):
    config = load_config()
    assert config["ANTAR_ENV"] == "production" and not config["SANDBOXES_ENABLED"]
    assert config["WHATSAPP_VERIFY_TOKEN"]
    assert config["METRICS_TOKEN"] is None
    production.setenv("ANTAR_METRICS_TOKEN", secrets.token_urlsafe(32))
    assert load_config()["METRICS_TOKEN"]


@pytest.mark.parametrize("name, value", [
    ("ANTAR_SANDBOXES", "1"),
    ("SECRET_KEY", "x"),
    ("SECRET_KEY", "s" * 40),                      # long, but one character repeated
    ("SECRET_KEY", "passwordpasswordpasswordpassword"),
    ("ANTAR_DATA_KEY", "k"),
    ("ANTAR_DATA_KEY", "k" * 44),                  # not 32 bytes of urlsafe base64
    ("ANTAR_DATA_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),  # 32 zero bytes
    ("WHATSAPP_VERIFY_TOKEN", None),
    ("ANTAR_METRICS_TOKEN", "metrics"),             # unset is fine (no /metrics); set, it is a secret
    ("ANTAR_METRICS_TOKEN", "prometheusprometheusprometheus12"),
])
def test_production_refuses_to_start_unsafe(production, name, value):
    if value is None:
        production.delenv(name)
    else:
        production.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        load_config()
    assert name in str(refused.value)


def test_production_refuses_sandboxes_switched_on_by_overrides(production):
    with pytest.raises(ConfigError, match="ANTAR_SANDBOXES"):
        load_config({"SANDBOXES_ENABLED": True})


def _signed(body: bytes, secret: str) -> dict:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


def test_production_never_accepts_the_derived_sandbox_credentials(app, client, monkeypatch):
    """Even with the sandboxes flag left on, production has no built-in secrets to fall back on."""
    from saas.couriers.providers.base import ProviderError
    from saas.couriers.services import provider_for
    from saas.notifications.channels.base import SendError
    from saas.notifications.channels.sms import Sms
    from saas.notifications.channels.whatsapp import WhatsApp
    from saas.tenancy.scope import tenant_bound
    from saas.tenancy.services import get_tenant

    for name in ("BALIKPAPAN_GOSEND_CALLBACK_TOKEN", "BALIKPAPAN_WA_PHONE_NUMBER_ID", "BALIKPAPAN_SMS_USERKEY",
                 "WHATSAPP_APP_SECRET", "SMS_REPORT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(app.config, "ANTAR_ENV", "production")
    monkeypatch.setitem(app.config, "SANDBOXES_ENABLED", True)
    monkeypatch.setitem(app.config, "WHATSAPP_BASE_URL", "https://graph.example")
    monkeypatch.setitem(app.config, "SMS_BASE_URL", "https://sms.example")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        tenant = get_tenant("balikpapan")
        gosend = provider_for("gosend")
        assert not gosend.verify_callback({"Authorization": "sandbox-balikpapan-gosend-callback_token"})
        with pytest.raises(ProviderError, match="BALIKPAPAN_GOSEND_CALLBACK_TOKEN is not set"):
            gosend.callback_token()
        with pytest.raises(SendError, match="BALIKPAPAN_WA_PHONE_NUMBER_ID is not set") as whatsapp:
            WhatsApp(tenant).send(Notification(recipient="+6281234567890", template="x", language="id",
                                               params=[]))
        assert whatsapp.value.permanent
        with pytest.raises(SendError, match="BALIKPAPAN_SMS_USERKEY is not set"):
            Sms(tenant).send(Notification(recipient="+6281234567890", body="x"))
    # The receipts' built-in secrets are refused too.
    body = json.dumps({"object": "whatsapp_business_account", "entry": []}).encode()
    assert client.post("/webhooks/messages/whatsapp", data=body,
                       headers=_signed(body, "sandbox-whatsapp-app-secret")).status_code == 401
    assert client.post("/webhooks/messages/sms", json={"messageId": "1", "status": "DELIVERED"},
                       headers={"Authorization": "Bearer sandbox-sms-report-token"}).status_code == 401
    handshake = client.get("/webhooks/messages/whatsapp?hub.mode=subscribe&hub.verify_token=sandbox-verify-token"
                           "&hub.challenge=42")
    assert handshake.status_code == 403


# -- 2. no open redirect after sign-in ------------------------------------------------------------------
BAD_NEXT = ["/%09/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example", "//evil.example",
            "/\\evil.example", "\\/evil.example", "https://evil.example/", "/%20/evil.example",
            "javascript:alert(1)", "/%00/evil.example"]


@pytest.mark.parametrize("slug, home", [("balikpapan", "/balikpapan/office/"), (None, "/admin/")])
def test_sign_in_goes_only_to_a_path_on_this_site(app, monkeypatch, slug, home):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "1000 per minute")
    role = "operator" if slug else "superadmin"
    email = f"{role}@{slug or 'platform'}.test"
    make_user(app, slug, role, email)
    login = f"/{slug}/office/login" if slug else "/admin/login"
    for target in BAD_NEXT:
        client = app.test_client()
        response = submit(client, f"{login}?next={target}", {"email": email, "password": "correct horse battery"})
        assert response.status_code == 302, (target, response.status_code)
        assert response.headers["Location"] == home, (target, response.headers["Location"])
    response = submit(app.test_client(), f"{login}?next={home}?status=ready",
                      {"email": email, "password": "correct horse battery"})
    assert response.headers["Location"] == f"{home}?status=ready"


# -- 3. courier webhooks: bad bodies are a clear 4xx and store nothing -------------------------------------
def _callbacks(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(CourierCallback)
                                 .execution_options(all_tenants=True))


def _gosend(**changes) -> dict:
    body = {"entity_id": "GK-1", "type": "booking_event", "event_id": "evt-x", "event_date": 1764000000000,
            "status": "allocated", "store_order_id": None, "driver_name": "Agus"}
    body.update(changes)
    return body


def _grab(**changes) -> dict:
    body = {"deliveryID": "IN-1", "merchantOrderID": None, "status": "ALLOCATING", "timestamp": 1764000000,
            "driver": {"name": "Agus", "phone": "081234567890", "licensePlate": "KT 1 AB"}}
    body.update(changes)
    return body


@pytest.mark.parametrize("provider, raw", [
    ("gosend", json.dumps(_gosend(event_date=1e300))),
    ("gosend", json.dumps(_gosend(event_date=-1e300))),
    ("gosend", json.dumps(_gosend(store_order_id="ANTAR-99999999999999999999"))),
    ("gosend", json.dumps(_gosend(entity_id=None, order_no=None, store_order_id="ANTAR-99999999999999999999"))),
    ("gosend", json.dumps(_gosend(driver_name={"first": "Agus"}))),
    ("gosend", json.dumps(_gosend(status="allocated", event_id=["x"]))),
    ("gosend", json.dumps(_gosend(entity_id="GK-\x001"))),
    ("gosend", json.dumps(_gosend(cancellation_reason={"why": "x"}))),
    ("grab", json.dumps(_grab(timestamp=1e300))),
    ("grab", json.dumps(_grab()).replace("1764000000", "Infinity")),
    ("grab", json.dumps(_grab()).replace("1764000000", "NaN")),
    ("grab", json.dumps(_grab(driver="str"))),
    ("grab", json.dumps(_grab(driver={"name": ["Agus"]}))),
    ("grab", json.dumps(_grab(proofOfDelivery="photo"))),
    ("grab", json.dumps(_grab(merchantOrderID="ANTAR-99999999999999999999", deliveryID="IN-404"))),
])
def test_courier_webhooks_answer_bad_bodies_with_a_clear_4xx(app, client, provider, raw):
    before = _callbacks(app)
    response = client.post(f"/webhooks/couriers/{provider}", data=raw, content_type="application/json",
                           headers={"Authorization": f"sandbox-balikpapan-{provider}-callback_token"})
    assert 400 <= response.status_code < 500, response.status_code
    body = response.get_json()
    assert set(body) >= {"error", "message"} and body["message"]
    assert _callbacks(app) == before


# -- 4. a NUL byte is refused at the edge ---------------------------------------------------------------
def test_a_nul_in_the_sign_in_email_is_a_clear_refusal(app, client):
    make_user(app, "balikpapan", "operator", "operator@balikpapan.test")
    response = submit(client, "/balikpapan/office/login",
                      {"email": "operator\x00@balikpapan.test", "password": "correct horse battery"})
    assert response.status_code in (400, 401)
    assert CONTROL_MESSAGE in response.get_data(as_text=True)


def test_a_nul_in_the_portal_lookup_is_a_clear_refusal(app, client):
    add_document(app, registration_no="NUL-0001", status="ready", nik=make_nik(serial=501))
    for data in ({"registration_no": "NUL-0001\x00", "nik": make_nik(serial=501)},
                 {"registration_no": "NUL-0001", "nik": make_nik(serial=501) + "\x00"}):
        response = submit(client, "/balikpapan/", data, action="/balikpapan/cari")
        assert response.status_code == 400
        assert CONTROL_MESSAGE in response.get_data(as_text=True)


def test_a_nul_in_the_api_lookup_is_a_json_400(app, client):
    for body in ({"registration_no": "NUL\x00-1", "nik": make_nik(serial=502)},
                 {"registration_no": "NUL-1", "nik": "\x00" + make_nik(serial=502)},
                 {"registration_no": ["NUL-1"], "nik": make_nik(serial=502)}):
        response = client.post("/api/v1/balikpapan/public/status", json=body)
        assert response.status_code == 400
        assert response.get_json()["error"] == "invalid" and response.get_json()["message"]


# -- 5. a signed WhatsApp receipt of the wrong shape is a 400 ----------------------------------------------
@pytest.mark.parametrize("payload", [
    {"object": "whatsapp_business_account", "entry": "string"},
    {"object": "whatsapp_business_account", "entry": ["string"]},
    {"object": "whatsapp_business_account", "entry": [{"changes": "x"}]},
    {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": "x"}]}]},
    {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"statuses": [1]}}]}]},
    {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"statuses": [
        {"id": {"a": 1}, "status": "delivered"}]}}]}]},
    {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"statuses": [
        {"id": "wamid.1", "status": "delivered", "timestamp": "99999999999999999999"}]}}]}]},
    {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"statuses": [
        {"id": "wamid.1", "status": "failed", "errors": "boom"}]}}]}]},
    {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"statuses": [
        {"id": "wamid.1", "status": "failed", "errors": ["boom"]}]}}]}]},
])
def test_a_signed_receipt_of_the_wrong_shape_is_a_400(client, payload):
    body = json.dumps(payload).encode()
    response = client.post("/webhooks/messages/whatsapp", data=body,
                           headers=_signed(body, "sandbox-whatsapp-app-secret"))
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_a_signed_receipt_of_the_right_shape_still_applies(client):
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
               "value": {"statuses": [{"id": "wamid.unknown", "status": "delivered", "timestamp": "1764000000"}]}}]}]}
    body = json.dumps(payload).encode()
    response = client.post("/webhooks/messages/whatsapp", data=body,
                           headers=_signed(body, "sandbox-whatsapp-app-secret"))
    assert response.status_code == 200 and response.get_json()["applied"] == 0


# -- 6. huge numbers and far or reversed dates in filters ---------------------------------------------------
OUT_OF_RANGE = "Nomor di luar jangkauan."


def test_office_queue_refuses_huge_numbers_and_bad_dates_with_a_message(app, client, staff):
    staff("supervisor")
    for query, message in (("after=99999999999999999999999", "Nomor di luar jangkauan."),
                           ("before=-99999999999999999999999", "Nomor di luar jangkauan."),
                           ("from=0001-01-01", "Tanggal di luar jangkauan"),
                           ("to=9999-12-31", "Tanggal di luar jangkauan"),
                           ("from=2026-12-01&to=2026-01-01", "Tanggal awal harus sebelum tanggal akhir.")):
        response = client.get(f"/balikpapan/office/?{query}")
        assert response.status_code == 400, (query, response.status_code)
        assert message in response.get_data(as_text=True), query
    for url in ("/balikpapan/office/report?day=0001-01-01", "/balikpapan/office/report?day=9999-12-31",
                "/balikpapan/office/bookings?day=9999-12-31", "/balikpapan/office/bookings?day=0001-01-01",
                "/balikpapan/office/import/1?page=99999999999999999999999"):
        response = client.get(url)
        assert response.status_code in (400, 404), (url, response.status_code)
    for url in ("/balikpapan/office/import/99999999999999999999", "/balikpapan/office/deliveries/99999999999999999999",
                "/balikpapan/dokumen/99999999999999999999"):
        assert client.get(url).status_code == 404, url


def test_console_comparison_refuses_far_or_reversed_dates_with_a_message(app, client):
    make_user(app, None, "superadmin", "root@antar.test")
    assert sign_in(client, None, "root@antar.test").status_code == 302
    for query, message in (("from=0001-01-01&to=0001-01-31", "Tanggal di luar jangkauan"),
                           ("from=9999-12-01&to=9999-12-31", "Tanggal di luar jangkauan"),
                           ("from=2026-12-01&to=2026-01-01", "Tanggal awal harus sebelum tanggal akhir."),
                           ("from=2020-01-01&to=2026-01-01", "Rentang tanggal paling panjang 732 hari."),
                           ("from=2026-13-01", "Tanggal tidak valid")):
        page = client.get(f"/admin/compare?{query}")
        assert page.status_code == 400 and message in page.get_data(as_text=True), (query, page.status_code)
        assert client.get(f"/admin/compare.csv?{query}").status_code == 400


def test_the_platform_api_refuses_far_dates_in_json(app, client):
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--platform", "--name", "dashboard"])
    platform = result.output.strip().splitlines()[-1]
    response = client.get("/api/v1/admin/compare?from=0001-01-01&to=0001-01-31",
                          headers={"Authorization": f"Bearer {platform}"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid" and "out of range" in response.get_json()["message"]


def test_the_city_api_refuses_a_huge_page_number(app, client):
    from saas.api.services import create_token
    from saas.tenancy.services import get_tenant

    with app.app_context():
        _, token = create_token(tenant=get_tenant("balikpapan"), name="t")
        db.session.commit()
    response = client.get("/api/v1/balikpapan/documents?page=99999999999999999999",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422 and response.get_json()["error"] == "invalid"


# -- 7. the driver page and the two lookup doors share one limiter -----------------------------------------
def test_the_driver_page_is_rate_limited(client):
    answers = [client.get(f"/balikpapan/driver/ABCD{n:04d}").status_code for n in range(12)]
    assert answers[0] == 404 and answers[-1] == 429


def test_the_api_lookup_shares_the_portals_counters(app, client):
    add_document(app, registration_no="PT-0100", status="ready", nik=make_nik(serial=601))
    wrong = make_nik(serial=602)
    for _ in range(5):
        submit(client, "/balikpapan/", {"registration_no": "PT-0100", "nik": wrong}, action="/balikpapan/cari")
    response = client.post("/api/v1/balikpapan/public/status", json={"registration_no": "PT-0100", "nik": wrong})
    assert response.status_code == 429
