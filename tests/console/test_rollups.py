"""Rollups kept by jobs equal a recomputation from the raw events, in each city's own days."""
from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from saas.documents.lifecycle import Actor, transition
from saas.documents.models import Document, DocumentEvent
from saas.documents.services import get_document
from saas.extensions import db
from saas.jobs import runtime
from saas.stats.models import HISTOGRAM_COLUMNS, DailyCityStats
from saas.stats.services import histogram
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import make_user, sign_in
from tests.factories import add_document

UTC = timezone.utc


def _move(app, slug, number, steps):
    with app.app_context():
        tenant = get_tenant(slug)
        with tenant_bound(tenant):
            document = get_document(number)
            for status, at in steps:
                transition(document, status, Actor.system("test"), at=at)
            db.session.commit()
        runtime(app).run_pending()


def _recompute(app, slug):
    """Independent of the stats code: raw events grouped by the city's local date in Python."""
    with app.app_context():
        tenant = get_tenant(slug)
        zone = ZoneInfo(tenant.timezone)
        with tenant_bound(tenant):
            events = db.session.execute(sa.select(DocumentEvent.to_status, DocumentEvent.from_status,
                                                  DocumentEvent.at, Document.ready_at)
                                        .join(Document, Document.id == DocumentEvent.document_id)).all()
    days: dict = {}
    for to_status, from_status, at, ready_at in events:
        day = at.astimezone(zone).date()
        figures = days.setdefault(day, Counter())
        if to_status == "ready" and from_status == "received":
            figures["ready"] += 1
        if to_status in ("collected", "delivered"):
            figures[to_status] += 1
            figures.setdefault("hours", [])
            figures["hours_list"] = figures.get("hours_list", []) + [(at - ready_at).total_seconds() / 3600]
    return days


def _rollups(app, slug):
    with app.app_context():
        tenant = get_tenant(slug)
        with tenant_bound(tenant):
            return {row.day: row for row in db.session.scalars(sa.select(DailyCityStats))}


def test_rollups_equal_a_recomputation_across_time_zones(app):
    # 23:30 WITA on 1 March in Balikpapan is 15:30 UTC: it is 1 March there, whatever UTC says.
    late_wita = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
    # 23:30 WIB on 1 March in Surabaya is 16:30 UTC; 00:30 WIB on 2 March is 17:30 UTC.
    late_wib, early_wib = datetime(2026, 3, 1, 16, 30, tzinfo=UTC), datetime(2026, 3, 1, 17, 30, tzinfo=UTC)
    a = add_document(app, slug="balikpapan", registration_no="RU-A")
    b = add_document(app, slug="balikpapan", registration_no="RU-B")
    c = add_document(app, slug="surabaya", registration_no="RU-C")
    d = add_document(app, slug="surabaya", registration_no="RU-D")
    _move(app, "balikpapan", a, [("ready", late_wita), ("collected", late_wita + timedelta(hours=13))])
    _move(app, "balikpapan", b, [("ready", late_wita + timedelta(minutes=45)),
                                 ("delivery_requested", late_wita + timedelta(hours=2)),
                                 ("with_courier", late_wita + timedelta(hours=20)),
                                 ("delivered", late_wita + timedelta(hours=22))])
    _move(app, "surabaya", c, [("ready", late_wib), ("collected", late_wib + timedelta(days=3, hours=2))])
    _move(app, "surabaya", d, [("ready", early_wib)])
    for slug in ("balikpapan", "surabaya"):
        expected, stored = _recompute(app, slug), _rollups(app, slug)
        for day, figures in expected.items():
            row = stored[day]
            assert (row.ready, row.collected, row.delivered) == (
                figures["ready"], figures["collected"], figures["delivered"]), (slug, day)
            assert [getattr(row, c) for c in HISTOGRAM_COLUMNS] == histogram(figures.get("hours_list", [])), (slug, day)
    from datetime import date

    balikpapan, surabaya = _rollups(app, "balikpapan"), _rollups(app, "surabaya")
    assert balikpapan[date(2026, 3, 1)].ready == 1 and balikpapan[date(2026, 3, 2)].ready == 1
    assert surabaya[date(2026, 3, 1)].ready == 1 and surabaya[date(2026, 3, 2)].ready == 1


def test_compare_page_csv_and_api_give_the_same_numbers(app, client):
    day = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    for n, slug in enumerate(("balikpapan", "samarinda", "bontang")):
        for k in range(n + 1):
            number = add_document(app, slug=slug, registration_no=f"CP-{n}{k}", doc_type="ktp_el" if slug != "samarinda" else "kk")
            _move(app, slug, number, [("ready", day), ("collected", day + timedelta(hours=5 + k))])
    make_user(app, None, "superadmin", "root@antar.test")
    sign_in(client, None, "root@antar.test")
    page = client.get("/admin/compare?from=2026-11-01&to=2026-11-30&sort=ready&dir=desc").get_data(as_text=True)
    table = page.split("<tbody>")[1]
    assert table.index("Kota Bontang") < table.index("Kota Samarinda") < table.index("Kota Balikpapan")
    assert "<svg class=\"sparkline\"" in page and "<svg class=\"chart\"" in page
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/compare.csv?from=2026-11-01&to=2026-11-30")
                                           .get_data(as_text=True))))
    by_slug = {r["slug"]: r for r in rows}
    assert len(rows) == 6
    assert (by_slug["bontang"]["ready"], by_slug["bontang"]["collected"], by_slug["bontang"]["courier_share"]) == ("3", "3", "0.0")
    assert by_slug["surabaya"]["median_hours"] == ""
    from saas.api.services import create_token

    with app.app_context():
        _, token = create_token(tenant=None, name="api")
        db.session.commit()
    api = client.get("/api/v1/admin/compare?from=2026-11-01&to=2026-11-30",
                     headers={"Authorization": f"Bearer {token}"}).get_json()
    for city in api["cities"]:
        row = by_slug[city["slug"]]
        assert str(city["ready"]) == row["ready"] and str(city["collected"]) == row["collected"]
        assert ("" if city["median_hours"] is None else str(city["median_hours"])) == row["median_hours"]


def test_stats_rebuild_reproduces_the_rollups(app):
    number = add_document(app, slug="makassar", registration_no="RB-1")
    _move(app, "makassar", number, [("ready", datetime(2026, 10, 5, 2, 0, tzinfo=UTC)),
                                    ("collected", datetime(2026, 10, 6, 2, 0, tzinfo=UTC))])
    before = {d: (r.ready, r.collected) for d, r in _rollups(app, "makassar").items()}
    with app.app_context(), all_tenants():
        db.session.execute(sa.delete(DailyCityStats))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["stats", "rebuild", "--tenant", "makassar"])
    assert result.exit_code == 0 and "makassar:" in result.output
    after = {d: (r.ready, r.collected) for d, r in _rollups(app, "makassar").items() if d in before}
    assert after == before
