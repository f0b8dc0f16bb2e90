"""The console's comparison with 514 cities (every kabupaten/kota) and a year of history.

Times the comparison (service, page and API, read from the rollups) beside the same figures
computed straight from the documents table.

    .venv/bin/python -m tests.benchmarks.compare --database postgresql://postgres@127.0.0.1/antar_bench
    .venv/bin/python -m tests.benchmarks.compare                       # SQLite, smaller by default
    … --part measure    # PostgreSQL: time again on the data an earlier run left (no fill)
"""
from __future__ import annotations

import random
import statistics
import time
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from saas.accounts.services import create_user
from saas.api.services import create_token
from saas.documents.models import Document
from saas.extensions import db
from saas.stats.models import FLOW_COLUMNS, HISTOGRAM_COLUMNS, DailyCityStats
from saas.stats.services import compare, histogram, roll_up_months
from saas.tenancy.models import Tenant
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.benchmarks.common import benchmark_app, dialect_name, machine, parse_args, timed

CITIES = 514
ZONES = ["Asia/Jakarta"] * 6 + ["Asia/Makassar"] * 3 + ["Asia/Jayapura"]
UTC = timezone.utc


def make_cities(app, count: int) -> list[int]:
    with app.app_context():
        template = get_tenant("balikpapan")
        fields = {c: getattr(template, c) for c in ("branding", "office", "areas", "document_settings",
                                                     "pickup_settings", "courier_settings", "notification_settings")}
        rows = [{"slug": f"kota-{n:03d}", "name": f"Disdukcapil Kota {n:03d}", "city_name": f"Kota {n:03d}",
                 "region_code": f"{11 + n % 80:02d}.{n % 99 + 1:02d}", "timezone": ZONES[n % len(ZONES)],
                 "status": "active", "settings_digest": "bench", "message_templates": {},
                 "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC), **fields} for n in range(count)]
        db.session.execute(sa.insert(Tenant), rows)
        db.session.commit()
        return list(db.session.scalars(sa.select(Tenant.id).where(Tenant.slug.like("kota-%")).order_by(Tenant.id)))


def fill(app, tenant_ids: list[int], days: int, per_day: int) -> tuple[date, date]:
    """Rollup rows for every city-day, and the documents they summarise, in bulk."""
    rng = random.Random(514)
    last = date(2026, 11, 27)
    first = last - timedelta(days=days - 1)
    with app.app_context():
        doc_id = 0
        for index, tenant_id in enumerate(tenant_ids):
            stats_rows, documents = [], []
            courier_rate = 0.05 + 0.25 * rng.random()
            for offset in range(days):
                day = first + timedelta(days=offset)
                hours, ready, collected, delivered = [], 0, 0, 0
                for n in range(per_day):
                    doc_id += 1
                    ready_at = datetime(day.year, day.month, day.day, 2, tzinfo=UTC) + timedelta(hours=rng.uniform(0, 8))
                    wait = rng.expovariate(1 / (24 * (1 + index % 7)))
                    closed = ready_at + timedelta(hours=wait)
                    by_courier = rng.random() < courier_rate
                    ready += 1
                    if closed.date() <= last:
                        hours.append(wait)
                        delivered += by_courier
                        collected += not by_courier
                    documents.append({"id": doc_id, "tenant_id": tenant_id, "registration_no": f"B{doc_id:09d}",
                                      "doc_type": "ktp_el", "status": ("delivered" if by_courier else "collected")
                                      if closed.date() <= last else "ready", "owner_name": "Warga",
                                      "owner_name_search": "warga", "nik_hash": "x", "nik_tail_hash": "x",
                                      "nik_encrypted": "x", "nik_masked": "3171**********01", "phone": "+628120000000",
                                      "ready_at": ready_at, "closed_at": closed if closed.date() <= last else None,
                                      "created_at": ready_at, "updated_at": ready_at, "version": 1})
                row = {"tenant_id": tenant_id, "day": day, "ready": ready, "collected": collected,
                       "delivered": delivered, "deliveries_closed": delivered, "deliveries_failed": rng.randint(0, 1),
                       "deliveries_returned": 0, "notifications_total": ready, "notifications_delivered": ready - 1,
                       "ratings_count": 2, "ratings_sum": 9, "uncollected_7d": rng.randint(0, 30),
                       "updated_at": datetime.now(UTC)}
                row.update({f"h{b:02d}": c for b, c in enumerate(histogram(hours))})
                stats_rows.append(row)
            with tenant_bound(tenant_id):  # bulk inserts: PostgreSQL's policy wants the city told
                db.session.execute(sa.insert(DailyCityStats), stats_rows)
                for start in range(0, len(documents), 10000):
                    db.session.execute(sa.insert(Document), documents[start:start + 10000])
                roll_up_months(db.session.get(Tenant, tenant_id), first, last)  # the months, as a refresh makes them
                db.session.commit()
            if index % 50 == 0:
                print(f"  … {index + 1}/{len(tenant_ids)} cities filled", flush=True)
        if db.engine.dialect.name == "postgresql":
            owner = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)  # only the owner may ANALYZE
            with owner.begin() as connection:
                connection.execute(sa.text("ANALYZE document; ANALYZE daily_city_stats; ANALYZE monthly_city_stats"))
            owner.dispose()
    return first, last


def straight_from_documents(app, tenant_ids: list[int], first: date, last: date) -> int:
    """The same figures with no rollups: every document of the range, per city's local day."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            rows = db.session.execute(sa.text("""
                SELECT d.tenant_id,
                       count(*) FILTER (WHERE (d.ready_at AT TIME ZONE t.timezone)::date BETWEEN :first AND :last),
                       count(*) FILTER (WHERE d.status = 'collected'
                                        AND (d.closed_at AT TIME ZONE t.timezone)::date BETWEEN :first AND :last),
                       count(*) FILTER (WHERE d.status = 'delivered'
                                        AND (d.closed_at AT TIME ZONE t.timezone)::date BETWEEN :first AND :last),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.closed_at - d.ready_at) / 3600),
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM d.closed_at - d.ready_at) / 3600)
                FROM document d JOIN tenant t ON t.id = d.tenant_id
                WHERE d.tenant_id = ANY(:ids) AND d.ready_at >= :since
                GROUP BY d.tenant_id"""), {"first": first, "last": last, "ids": tenant_ids,
                                           "since": datetime.combine(first - timedelta(days=1), datetime.min.time(), UTC)}).all()
            return len(rows)
        per_city: dict = {}
        for tenant_id, ready_at, closed_at in db.session.execute(sa.select(
                Document.tenant_id, Document.ready_at, Document.closed_at).where(
                Document.tenant_id.in_(tenant_ids)).execution_options(all_tenants=True)):
            figures = per_city.setdefault(tenant_id, [0, []])
            figures[0] += 1
            if closed_at is not None:
                figures[1].append((closed_at - ready_at).total_seconds() / 3600)
        for figures in per_city.values():
            if figures[1]:
                statistics.quantiles(figures[1], n=10)
        return len(per_city)


def from_daily_rows(app, tenant_ids: list[int], first: date, last: date) -> int:
    """The comparison's two reads as they were before the monthly rollup: the 44 sums and the
    volume line's buckets, each over every daily row of the range (kept to show what months save)."""
    s = DailyCityStats
    step = -(-((last - first).days + 1) // 60)
    with app.app_context():
        sums = [sa.func.sum(getattr(s, c)) for c in FLOW_COLUMNS + HISTOGRAM_COLUMNS]
        rows = db.session.execute(sa.select(s.tenant_id, *sums).where(
            s.tenant_id.in_(tenant_ids), s.day >= first, s.day <= last).group_by(s.tenant_id)
            .execution_options(all_tenants=True)).all()
        if db.engine.dialect.name == "postgresql":
            offset = (s.day - first) // step
        else:
            offset = sa.cast((sa.func.julianday(s.day) - sa.func.julianday(first.isoformat())) / step, sa.Integer)
        line = db.session.execute(sa.select(s.tenant_id, offset.label("bucket"), sa.func.sum(s.ready)).where(
            s.tenant_id.in_(tenant_ids), s.day >= first, s.day <= last).group_by(s.tenant_id, "bucket")
            .execution_options(all_tenants=True)).all()
        return len(rows) + len(line)


def main() -> None:
    args = parse_args(__doc__)
    again = args.part == "measure" and args.database != "sqlite"
    with benchmark_app(args.database, fresh=not again) as app:
        name = dialect_name(app)
        days = 365
        per_day = max(1, round((10 if name == "postgresql" else 2) * args.scale))
        start = time.perf_counter()
        if again:
            with app.app_context():
                ids = list(db.session.scalars(sa.select(Tenant.id).where(Tenant.slug.like("kota-%")).order_by(Tenant.id)))
                first, last = date(2026, 11, 27) - timedelta(days=days - 1), date(2026, 11, 27)
                print(f"# {name}, {machine()}: {len(ids)} cities × {days} days, the data of an earlier run")
                _token, raw = create_token(tenant=None, name="bench")
                db.session.commit()
        else:
            ids = make_cities(app, CITIES)
            first, last = fill(app, ids, days, per_day)
            print(f"# {name}, {machine()}: {CITIES} cities × {days} days; {CITIES * days:,} rollup rows, "
                  f"{CITIES * days * per_day:,} documents (filled in {time.perf_counter() - start:.0f} s)")
            with app.app_context():
                create_user(tenant=None, role="superadmin", email="bench@antar.test", password="benchmark!!")
                _token, raw = create_token(tenant=None, name="bench")
                db.session.commit()
        with app.app_context():
            tenants = list(db.session.scalars(sa.select(Tenant).where(Tenant.id.in_(ids))))
        client = app.test_client()
        login = client.get("/admin/login").get_data(as_text=True)
        csrf = login.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post("/admin/login", data={"email": "bench@antar.test", "password": "benchmark!!", "csrf_token": csrf})
        month = (last - timedelta(days=29)).isoformat()
        for label, fn in [
            ("compare(), 30 days, 514 cities", lambda: _in_app(app, lambda: compare(tenants, last - timedelta(days=29), last))),
            ("compare(), 365 days, 514 cities", lambda: _in_app(app, lambda: compare(tenants, first, last))),
            ("GET /admin/compare (page), 30 days", lambda: client.get(f"/admin/compare?from={month}&to={last}")),
            ("GET /api/v1/admin/compare, 30 days", lambda: client.get(
                f"/api/v1/admin/compare?from={month}&to={last}", headers={"Authorization": f"Bearer {raw}"})),
            ("GET /api/v1/admin/compare, 365 days", lambda: client.get(
                f"/api/v1/admin/compare?from={first}&to={last}", headers={"Authorization": f"Bearer {raw}"})),
        ]:
            median, worst = timed(fn, repeat=5)
            print(f"  {label:<40} {median:8.1f} ms median, {worst:8.1f} ms worst")
        for label, span in (("30 days", last - timedelta(days=29)), ("365 days", first)):
            median, worst = timed(lambda: straight_from_documents(app, ids, span, last), repeat=3)
            print(f"  {'straight from documents, ' + label:<40} {median:8.1f} ms median, {worst:8.1f} ms worst")
        # The target's ratio, in interleaved rounds (the machine is shared): compare() over 365 days
        # (median of 5 a round) beside one straight scan, three rounds.
        # The daily rows alone (the reads before the monthly rollup) are timed beside them.
        ours, daily, raw = [], [], []
        for _round in range(3):
            ours.append(timed(lambda: _in_app(app, lambda: compare(tenants, first, last)), repeat=5)[0])
            daily.append(timed(lambda: from_daily_rows(app, ids, first, last), repeat=5)[0])
            raw.append(timed(lambda: straight_from_documents(app, ids, first, last), repeat=1)[0])
        ours_ms, daily_ms, raw_ms = (statistics.median(x) for x in (ours, daily, raw))
        print(f"  365 days, 3 interleaved rounds (load average {_load()}):\n"
              f"    compare() {ours_ms:.1f} ms; the same reads from the daily rows alone {daily_ms:.1f} ms; "
              f"straight scan {raw_ms:.1f} ms\n"
              f"    compare() is {raw_ms / ours_ms:.1f}x faster than the straight scan (target: under 150 ms "
              f"and at least 20x); the daily rows alone {raw_ms / daily_ms:.1f}x")


def _load() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "unknown"


def _in_app(app, fn):
    with app.app_context():
        return fn()


if __name__ == "__main__":
    main()
