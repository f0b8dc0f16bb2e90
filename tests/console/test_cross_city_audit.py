"""Every read across cities made for a person is in the platform's audit log: who, why, when; the
operator reads it, translated, on the console's audit page. Webhooks, jobs and a city's own pages
leave no row."""
from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from saas.api.services import create_token
from saas.console.models import PlatformAuditLog
from saas.extensions import db
from saas.stats.services import compare
from saas.tenancy.services import get_tenant, list_tenants
from tests.conftest import make_user, sign_in
from tests.factories import add_document


def _crossings(app):
    with app.app_context():
        return [(row.user.email if row.user else None, row.target, row.detail) for row in db.session.scalars(
            sa.select(PlatformAuditLog).where(PlatformAuditLog.action == "read_across_cities")
            .order_by(PlatformAuditLog.id))]


def test_a_comparison_leaves_a_row_naming_the_operator_shown_on_the_audit_page(app, client):
    make_user(app, None, "superadmin", "root@antar.test")
    assert sign_in(client, None, "root@antar.test").status_code == 302
    assert _crossings(app) == []  # signing in reads no city's rows
    assert client.get("/admin/compare?from=2026-11-01&to=2026-11-27").status_code == 200
    assert _crossings(app) == [("root@antar.test", "compare", {})]
    assert client.get("/admin/compare.csv?from=2026-11-01&to=2026-11-27").status_code == 200
    assert _crossings(app)[-1] == ("root@antar.test", "compare_csv", {})

    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Membaca lintas kota" in page and "Perbandingan kota" in page and "root@antar.test" in page
    assert "read_across_cities" not in page and ">compare<" not in page


def test_the_platform_api_is_audited_by_its_token_and_a_city_s_pages_and_jobs_are_not(app, client, staff):
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--platform", "--name", "dashboard"])
    platform = result.output.strip().splitlines()[-1]
    answer = client.get("/api/v1/admin/compare?from=2026-11-01&to=2026-11-27",
                        headers={"Authorization": f"Bearer {platform}"})
    assert answer.status_code == 200
    assert _crossings(app) == [(None, "compare_api", {"token": "dashboard"})]

    with app.app_context():  # the platform's own work (no request, no person) reading across cities
        compare(list_tenants(), date(2026, 11, 1), date(2026, 11, 27))
    number = add_document(app, registration_no="AU-0001")
    supervisor = staff("supervisor")
    assert supervisor.get(f"/balikpapan/office/documents/{number}").status_code == 200
    assert len(_crossings(app)) == 1  # neither the job nor the city's own page left a row

    make_user(app, None, "superadmin", "root@antar.test")
    operator = app.test_client()
    assert sign_in(operator, None, "root@antar.test").status_code == 302
    page = operator.get("/admin/audit").get_data(as_text=True)
    counted = page.split("Pembacaan lintas kota oleh platform sendiri", 1)[1]
    assert "Pekerjaan platform lainnya" in counted and "API: dashboard" in page


def test_a_job_reading_across_cities_is_counted_as_the_platforms_work_not_audited(app, client):
    from saas.jobs import enqueue, runtime
    from saas.notifications.services import send

    with app.app_context():
        enqueue(send, 424242, queue="notifications")  # a message's send reads its row across cities
        assert runtime(app).run_pending() == 1
    assert _crossings(app) == []
    make_user(app, None, "superadmin", "root@antar.test")
    assert sign_in(client, None, "root@antar.test").status_code == 302
    counted = client.get("/admin/audit").get_data(as_text=True).split(
        "Pembacaan lintas kota oleh platform sendiri", 1)[1]
    assert re.search(r"<td>Mengirim pesan</td><td>1</td>", counted)


def test_a_city_token_refused_by_the_platform_api_leaves_no_row(app, client):
    with app.app_context():
        _, city = create_token(tenant=get_tenant("balikpapan"), name="city")
        db.session.commit()
    assert client.get("/api/v1/admin/compare", headers={"Authorization": f"Bearer {city}"}).status_code == 403
    assert _crossings(app) == []


def test_webhooks_and_jobs_are_counted_in_the_process_and_written_to_redis_together(app, client, monkeypatch):
    """A WhatsApp receipt is one request per message: its count must not cost a Redis round trip
    each; the counts reach Redis in one go, and the audit page still shows every one."""
    from saas.console import services
    from saas.jobs import runtime

    key = services.CROSSING_COUNTS_KEY.format(day=date.today().isoformat())
    with app.app_context():
        redis = runtime(app).connection()
        for _ in range(5):
            services._count({"web:message_webhooks.whatsapp_receipt"})
        assert redis.hgetall(key) == {}  # nothing written per request
        monkeypatch.setattr(services, "CROSSING_FLUSH_SECONDS", 0.0)
        services._count({"web:message_webhooks.whatsapp_receipt"})
        assert {k.decode() if isinstance(k, bytes) else k: int(v) for k, v in redis.hgetall(key).items()} == {
            "web:message_webhooks.whatsapp_receipt": 6}
    make_user(app, None, "superadmin", "root@antar.test")
    assert sign_in(client, None, "root@antar.test").status_code == 302
    counted = client.get("/admin/audit").get_data(as_text=True).split(
        "Pembacaan lintas kota oleh platform sendiri", 1)[1]
    assert re.search(r"<td>[^<]*[Ww]ebhook[^<]*</td><td>6</td>", counted), counted[:1500]
