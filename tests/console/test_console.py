"""The super-admin console: who may enter, suspending and resuming, onboarding, jobs, the API."""
from __future__ import annotations

import csv
import io
import re
import shutil

import sqlalchemy as sa

from saas.api.services import create_token
from saas.console.models import PlatformAuditLog
from saas.documents.models import Document
from saas.extensions import db
from saas.tenancy.scope import all_tenants
from saas.tenancy.services import get_tenant
from tests.conftest import TENANTS_DIR, make_user, sign_in, submit
from tests.factories import add_document


def _superadmin(app, client):
    make_user(app, None, "superadmin", "root@antar.test")
    assert sign_in(client, None, "root@antar.test").status_code == 302
    return client


def _audit(app):
    with app.app_context():
        return [(a.action, a.target) for a in db.session.scalars(sa.select(PlatformAuditLog).order_by(PlatformAuditLog.id))]


def test_cities_list_shows_status_staff_and_volume(app, client):
    make_user(app, "balikpapan", "operator", "op@balikpapan.test")
    client = _superadmin(app, client)
    html = client.get("/admin/").get_data(as_text=True)
    for city in ("Kota Balikpapan", "Kota Samarinda", "Kota Bontang", "Kota Surabaya", "Kota Makassar",
                 "Kota Tangerang Selatan"):
        assert city in html
    assert ("sign_in", None) in _audit(app)


def test_suspend_and_resume_a_city(app, client):
    add_document(app, slug="makassar", registration_no="MK-0001")
    with app.app_context():
        _, city_token = create_token(tenant=get_tenant("makassar"), name="bridge")
        db.session.commit()
    admin = _superadmin(app, client)
    response = submit(admin, "/admin/cities/makassar", {"action": "suspend", "reason": "Audit keuangan", "confirm": "y"})
    assert response.status_code == 302
    visitor = app.test_client()
    assert visitor.get("/makassar/").status_code == 503
    assert "Layanan dihentikan sementara" in visitor.get("/makassar/").get_data(as_text=True)
    api = visitor.get("/api/v1/makassar/documents", headers={"Authorization": f"Bearer {city_token}"})
    assert api.status_code == 503
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1  # the data stays
    submit(admin, "/admin/cities/makassar", {"action": "resume"})
    assert visitor.get("/makassar/").status_code == 200
    assert [a for a in _audit(app) if a[1] == "makassar"] == [("suspend_city", "makassar"), ("resume_city", "makassar")]


def test_onboarding_writes_the_tenant_file_and_syncs_it(app, client, tmp_path):
    tenants_dir = tmp_path / "tenants"
    shutil.copytree(TENANTS_DIR, tenants_dir)
    before = app.config["TENANTS_DIR"]
    app.config["TENANTS_DIR"] = str(tenants_dir)
    try:
        admin = _superadmin(app, client)
        data = {"slug": "pontianak", "name": "Disdukcapil Kota Pontianak", "city_name": "Kota Pontianak",
                "region_code": "61.71", "timezone": "Asia/Pontianak", "go_live": "2027-01-04",
                "primary_color": "#14532d", "accent_color": "#facc15", "office_name": "Kantor Disdukcapil",
                "office_address": "Jl. Rahadi Usman No. 3, Pontianak", "office_phone": "+62561733333",
                "pickup_phone": "+6281234560101", "office_email": "layanan@pontianak.antar.test",
                "latitude": "-0.0263", "longitude": "109.3425", "opens": "08:00", "closes": "15:00",
                "friday_closes": "11:00", "kecamatan": "61.71.01 Pontianak Selatan\n61.71.02 Pontianak Timur",
                "types": ["ktp_el", "kk"], "collection_rule": "family_kk", "courier_mode": "office_booking",
                "providers": ["grab"], "channels": ["whatsapp", "sms"]}
        preview = submit(admin, "/admin/cities/new", data)
        assert "tenants/pontianak/tenant.toml" in preview.get_data(as_text=True)
        assert not (tenants_dir / "pontianak").exists()
        bad = submit(admin, "/admin/cities/new", {**data, "primary_color": "green"})
        assert "Tulis warna sebagai #rrggbb" in bad.get_data(as_text=True)  # the form says it, in Indonesian
        created = submit(admin, "/admin/cities/new", {**data, "create": "1"})
        assert created.status_code == 302
        assert (tenants_dir / "pontianak" / "tenant.toml").exists()
        assert app.test_client().get("/pontianak/").status_code == 200
        with app.app_context():
            assert get_tenant("pontianak").trial is True  # messages only its own staff until it goes live
        from saas.tenancy.services import sync_tenants

        with app.app_context():
            assert sync_tenants(tenants_dir) == []  # console and `tenants sync` agree
        assert ("onboard_city", "pontianak") in _audit(app)
    finally:
        app.config["TENANTS_DIR"] = before


def test_jobs_page_retries_and_deletes_failed_jobs(app, client):
    from saas.jobs import runtime

    with app.app_context():
        queue = runtime().queue("default")
        failing = queue.enqueue("saas.no_such_module.missing")
        runtime().run_pending()
    admin = _superadmin(app, client)
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert failing.id in page
    assert submit(admin, "/admin/jobs", {}, action=f"/admin/jobs/default/{failing.id}/retry").status_code == 302
    with app.app_context():
        assert runtime().queue("default").count == 1
        runtime().run_pending()
    submit(admin, "/admin/jobs", {}, action=f"/admin/jobs/default/{failing.id}/delete")
    assert failing.id not in admin.get("/admin/jobs").get_data(as_text=True)
    assert ("retry_job", failing.id) in _audit(app) and ("delete_job", failing.id) in _audit(app)


def test_the_admin_api_wants_a_platform_token(app, client):
    with app.app_context():
        _, city = create_token(tenant=get_tenant("balikpapan"), name="city")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--platform", "--name", "dashboard"])
    platform = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/admin/compare").status_code == 401
    assert client.get("/api/v1/admin/compare", headers={"Authorization": f"Bearer {city}"}).status_code == 403
    ok = client.get("/api/v1/admin/compare?from=2026-11-01&to=2026-11-27",
                    headers={"Authorization": f"Bearer {platform}"})
    assert ok.status_code == 200 and len(ok.get_json()["cities"]) == 6
    assert client.get("/api/v1/admin/compare?from=2026-12-01&to=2026-11-01",
                      headers={"Authorization": f"Bearer {platform}"}).status_code == 400


def test_the_comparison_is_in_the_openapi_document_and_its_400s_are_json(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/admin/compare"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"from", "to", "city"}
    assert set(operation["responses"]) == {"200", "400", "401", "403"}
    figures = spec["components"]["schemas"]["CityFigures"]["properties"]
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--platform", "--name", "dashboard"])
    platform = {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}
    ok = client.get("/api/v1/admin/compare?from=2026-11-01&to=2026-11-27&city=balikpapan", headers=platform)
    [city] = ok.get_json()["cities"]
    assert set(city) == set(figures)
    for query in ("from=2026-12-01&to=2026-11-01", "from=kemarin", "from=2026-02-30", "to=99999-01-01",
                  "from=2000-01-01&to=2026-01-01"):
        refused = client.get(f"/api/v1/admin/compare?{query}", headers=platform)
        assert refused.status_code == 400 and refused.mimetype == "application/json", query
        assert set(refused.get_json()) == {"error", "message"} and refused.get_json()["message"], query


def test_the_csv_keeps_every_chosen_city_and_bad_dates_are_explained_on_the_page(app, client):
    admin = _superadmin(app, client)
    page = admin.get("/admin/compare?from=2026-11-01&to=2026-11-27&city=makassar&city=surabaya&city=bontang")
    link = re.search(r'href="(/admin/compare\.csv[^"]*)"', page.get_data(as_text=True)).group(1)
    rows = list(csv.reader(io.StringIO(admin.get(link.replace("&amp;", "&")).get_data(as_text=True))))
    assert sorted(r[1] for r in rows[1:]) == ["bontang", "makassar", "surabaya"]
    for query, message in (("from=2026-12-01&to=2026-11-01", "Tanggal awal harus sebelum tanggal akhir"),
                           ("from=2020-01-01&to=2026-11-01", "Rentang tanggal paling panjang 732 hari"),
                           ("from=kemarin", "")):
        for url in (f"/admin/compare?{query}", f"/admin/compare.csv?{query}"):
            answer = admin.get(url)
            html = answer.get_data(as_text=True)
            assert answer.status_code == 400 and answer.mimetype == "text/html", url
            assert "Bad Request" not in html and 'class="flash flash-error"' in html and message in html, url


def test_the_jobs_page_sees_the_embedded_worker_and_workers_after_a_redis_restart(app, client):
    from saas.jobs import AppWorker, EmbeddedWorker, runtime

    admin = _superadmin(app, client)
    with app.app_context():
        job_runtime = runtime()
        connection = job_runtime.connection()
        if job_runtime.embedded:
            embedded = EmbeddedWorker(job_runtime)
            embedded.beat(connection)
        worker = AppWorker(job_runtime.queues(connection), connection=connection, name="antar-worker-7", app=app)
        worker.register_birth()
        connection.flushdb()  # Redis restarted without its data: rq:workers is gone
        worker.heartbeat()  # the worker carries on and beats again
        if job_runtime.embedded:
            embedded.beat(connection)
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "antar-worker-7" in page and "Tidak ada worker" not in page
    if job_runtime.embedded:
        assert embedded.worker_name in page and "di dalam proses web" in page
    with app.app_context():
        runtime().connection().flushdb()


def test_suspending_asks_for_a_confirmation_and_the_paused_city_keeps_its_face(app, client):
    admin = _superadmin(app, client)
    unconfirmed = submit(admin, "/admin/cities/balikpapan", {"action": "suspend", "reason": "Audit"})
    assert unconfirmed.status_code == 400 and "Centang kotak" in unconfirmed.get_data(as_text=True)
    assert app.test_client().get("/balikpapan/").status_code == 200  # nothing changed
    submit(admin, "/admin/cities/balikpapan", {"action": "suspend", "reason": "Audit keuangan", "confirm": "y"})
    visitor = app.test_client()
    paused = visitor.get("/balikpapan/").get_data(as_text=True)
    assert "/balikpapan/logo.svg" in paused and "/balikpapan/theme.css" in paused
    assert visitor.get("/balikpapan/logo.svg").status_code == 200
    assert visitor.get("/balikpapan/theme.css").status_code == 200
    office = visitor.get("/balikpapan/office/login")
    assert office.status_code == 503
    text = office.get_data(as_text=True)
    assert "operator platform" in text and "Audit keuangan" in text and "Dokumen Anda aman" not in text
    assert "Kota Balikpapan" not in visitor.get("/").get_data(as_text=True)
    admin.get("/admin/audit")
    assert "Audit keuangan" in admin.get("/admin/audit").get_data(as_text=True)


def test_a_city_is_listed_publicly_from_its_go_live_day(app, client):
    from datetime import timedelta

    from saas.models import utcnow

    with app.app_context():
        tenant = get_tenant("bontang")
        tenant.go_live_date = tenant.local_date(utcnow()) + timedelta(days=3)
        db.session.commit()
    home = client.get("/").get_data(as_text=True)
    assert "Kota Bontang" not in home and "Kota Balikpapan" in home
    with app.app_context():
        tenant = get_tenant("bontang")
        tenant.go_live_date = tenant.local_date(utcnow())
        db.session.commit()
    assert "Kota Bontang" in client.get("/").get_data(as_text=True)


def test_a_new_city_starts_in_trial_its_first_admin_signs_up_once_and_the_operator_switches_it_live(app, client):
    from saas.notifications.models import Notification
    from saas.tenancy.scope import tenant_bound

    admin = _superadmin(app, client)
    with app.app_context():
        get_tenant("bontang").trial = True  # as the console leaves a city it onboards
        office_phone = get_tenant("bontang").courier_settings["pickup_point"]["contact_phone"]
        db.session.commit()
    citizen = add_document(app, slug="bontang", status="ready", nik="647401" + "170890" + "0101",
                           phone="081234567890")
    staff_test = add_document(app, slug="bontang", status="ready", nik="647401" + "170890" + "0102",
                              phone=office_phone)
    with app.app_context(), tenant_bound(get_tenant("bontang")):
        by_document = {n.document.registration_no: n for n in db.session.scalars(sa.select(Notification))}
        assert by_document[citizen].status == "superseded" and "trial" in by_document[citizen].last_error
        assert by_document[staff_test].status in ("pending", "queued")
    page = submit(admin, "/admin/cities/bontang", {"action": "invite", "email": "Kepala@Bontang.test"})
    link = re.search(r'(http://[^<"]+/bontang/office/welcome/[^<"]+)', page.get_data(as_text=True)).group(1)
    path = link.split("localhost", 1)[-1] if "localhost" in link else "/" + link.split("/", 3)[3]
    newcomer = app.test_client()
    assert "kepala@bontang.test" in newcomer.get(path).get_data(as_text=True)
    weak = submit(newcomer, path, {"name": "Kepala Dinas", "password": "short", "again": "short"})
    assert weak.status_code == 400
    made = submit(newcomer, path, {"name": "Kepala Dinas", "password": "correct horse battery",
                                   "again": "correct horse battery"})
    assert made.status_code == 302
    assert sign_in(newcomer, "bontang", "kepala@bontang.test").status_code == 302
    again = app.test_client().get(path)
    assert again.status_code == 410 and "sudah dipakai" in again.get_data(as_text=True)
    assert app.test_client().get(path + "x").status_code == 410
    assert app.test_client().get(path.replace("/bontang/", "/makassar/")).status_code == 410
    unconfirmed = submit(admin, "/admin/cities/bontang", {"action": "go_live"})
    assert unconfirmed.status_code == 400
    submit(admin, "/admin/cities/bontang", {"action": "go_live", "confirm": "y"})
    with app.app_context():
        assert get_tenant("bontang").trial is False
    assert ("invite_admin", "bontang") in _audit(app) and ("go_live", "bontang") in _audit(app)


def test_a_trial_city_books_couriers_only_in_the_sandbox(app):
    from saas.couriers.providers import provider_for
    from saas.tenancy.scope import tenant_bound

    app.config["GOSEND_BASE_URL"] = "https://integration-kilat-api.gojekapi.com"
    try:
        with app.app_context():
            tenant = get_tenant("balikpapan")
            with tenant_bound(tenant):
                assert provider_for("gosend").base_url().startswith("https://integration")
                tenant.trial = True
                assert provider_for("gosend").base_url().endswith("/sandbox/gosend")
                db.session.rollback()
    finally:
        app.config.pop("GOSEND_BASE_URL")
