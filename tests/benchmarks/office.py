"""Office benchmarks: a 10,000-row SIAK import, and the queue page at 100,000 documents per city.

    .venv/bin/python -m tests.benchmarks.office                      # SQLite
    .venv/bin/python -m tests.benchmarks.office --database postgresql://postgres@127.0.0.1/antar_bench
"""
from __future__ import annotations

import random
import time
from datetime import date, timedelta

import sqlalchemy as sa

from saas.accounts.services import create_user
from saas.documents import siak_import
from saas.documents.identity import protect_nik
from saas.documents.lifecycle import recount_statuses
from saas.documents.models import Document
from saas.extensions import db
from saas.models import utcnow
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.benchmarks.common import benchmark_app, dialect_name, machine, parse_args, timed_p95

FIRST = ["Siti", "Budi", "Dewi", "Agus", "Rina", "Eko", "Nur", "Andi", "Putri", "Rahmat", "Ayu", "Hendra"]
LAST = ["Aminah", "Santoso", "Lestari", "Saputra", "Wulandari", "Hidayat", "Pratama", "Kusuma", "Rahayu"]


def nik(region: str, n: int) -> str:
    born = date(1960, 1, 1) + timedelta(days=(n * 37) % 20000)
    day = born.day + (40 if n % 2 else 0)
    return f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}{n % 9999 + 1:04d}"


def siak_csv(rows: int) -> bytes:
    lines = ["no_registrasi,nik,nama,jenis_dokumen,no_hp,email,no_kk,kecamatan"]
    for n in range(rows):
        kecamatan = f"64.71.0{n % 6 + 1}"
        lines.append(f"BPP-B-{n:06d},{nik('6471' + kecamatan[-2:], n)},{random.choice(FIRST)} "
                     f"{random.choice(LAST)},{('ktp_el', 'kia', 'skpwni')[n % 3]},0812{n:08d},,,{kecamatan}")
    return ("\n".join(lines) + "\n").encode()


def bench_import(app, rows: int) -> dict:
    raw = siak_csv(rows)
    with app.app_context():
        tenant = get_tenant("balikpapan")
        with tenant_bound(tenant):
            user = create_user(tenant=tenant, role="operator", email="bench@balikpapan.test", password="benchmark!!")
            db.session.commit()
            start = time.perf_counter()
            batch, verdicts = siak_import.preview(user, "siak.csv", raw)
            db.session.commit()
            preview_s = time.perf_counter() - start
            assert batch.rows_new == rows, (batch.rows_new, batch.rows_refused)
            start = time.perf_counter()
            siak_import.import_batch(batch, tenant, user)
            db.session.commit()
            import_s = time.perf_counter() - start
            count = db.session.scalar(sa.select(sa.func.count()).select_from(Document))
            copy_s = copy_ceiling(batch.id) if db.engine.dialect.name == "postgresql" else None
    assert count == rows
    return {"rows": rows, "preview_s": preview_s, "import_s": import_s, "total_s": preview_s + import_s,
            "copy_s": copy_s}


def copy_ceiling(batch_id: int) -> float:
    """Seconds for a plain ``COPY`` of the same document rows into a table like ``document`` (its
    indexes and defaults), in the same run: what the import could at best be. Done as the tables'
    owner (the app's role may create no table), on a connection of its own."""
    owner = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    try:
        with owner.connect() as connection:
            raw = connection.connection.driver_connection
            with raw.cursor() as cursor:
                data = bytearray()
                with cursor.copy(f"COPY (SELECT * FROM document WHERE import_batch_id = {int(batch_id)}) "
                                 "TO STDOUT") as out:
                    for block in out:
                        data += block
                cursor.execute("CREATE TABLE document_ceiling (LIKE document INCLUDING ALL)")  # logged, as document is
                raw.commit()
                start = time.perf_counter()
                with cursor.copy("COPY document_ceiling FROM STDIN") as copy:
                    copy.write(bytes(data))
                raw.commit()
                elapsed = time.perf_counter() - start
                cursor.execute("DROP TABLE document_ceiling")
                raw.commit()
    finally:
        owner.dispose()
    return elapsed


def fill(app, slug: str, count: int) -> None:
    """``count`` documents over a year, in every status, inserted in bulk (not through the import)."""
    statuses = ["received"] * 5 + ["ready"] * 10 + ["collected"] * 55 + ["delivered"] * 20 + \
               ["pickup_booked", "delivery_requested", "with_courier", "returned", "cancelled"] * 2
    with app.app_context():
        tenant = get_tenant(slug)
        region = tenant.region_code.replace(".", "")
        protected = [protect_nik(nik(region + "01", n)) for n in range(500)]  # encryption is the slow part
        now = utcnow()
        batch = []
        for n in range(count):
            created = now - timedelta(minutes=(count - n) * 5)
            status = statuses[n % len(statuses)]
            batch.append({
                "tenant_id": tenant.id, "registration_no": f"{slug[:3].upper()}-{n:07d}",
                "doc_type": ("ktp_el", "kia", "skpwni")[n % 3], "status": status,
                "owner_name": f"{random.choice(FIRST)} {random.choice(LAST)}",
                "owner_name_search": "", **protected[n % 500], "phone": f"+62812{n:08d}",
                "created_at": created, "updated_at": created,
                "ready_at": created if status != "received" else None,
            })
            batch[-1]["owner_name_search"] = batch[-1]["owner_name"].lower()
            if len(batch) == 5000:
                with tenant_bound(tenant):  # bulk inserts: PostgreSQL's policy wants the city told
                    db.session.execute(sa.insert(Document), batch)
                batch = []
        with tenant_bound(tenant):
            if batch:
                db.session.execute(sa.insert(Document), batch)
            recount_statuses()  # written in bulk, not moved through the lifecycle
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            owner = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)  # only the owner may ANALYZE
            with owner.begin() as connection:
                connection.execute(sa.text("ANALYZE document"))
            owner.dispose()


def bench_queue(app, count: int) -> dict:
    fill(app, "balikpapan", count)
    fill(app, "samarinda", count)
    with app.app_context():
        tenant = get_tenant("balikpapan")
        create_user(tenant=tenant, role="operator", email="queue@balikpapan.test", password="benchmark!!")
        db.session.commit()
        with tenant_bound(tenant):
            deep_id = db.session.scalar(sa.select(Document.id).where(
                Document.registration_no == f"BAL-{count // 50:07d}"))
    client = app.test_client()
    page = client.get("/balikpapan/office/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/balikpapan/office/login", data={"email": "queue@balikpapan.test", "password": "benchmark!!",
                                                 "csrf_token": token})
    results = {}
    for label, url in [
        ("first page, all", "/balikpapan/office/"),
        ("status tab 'ready'", "/balikpapan/office/?status=ready"),
        ("page ~1,960 (keyset)", f"/balikpapan/office/?after={deep_id}"),
        ("search by name", "/balikpapan/office/?q=siti"),
        ("search by NIK tail", "/balikpapan/office/?q=0042"),
        ("search by registration no.", "/balikpapan/office/?q=BAL-00500"),
        ("search by rare name", "/balikpapan/office/?q=zzz"),
        ("type + date filter", "/balikpapan/office/?doc_type=kia&from=2026-01-01&to=2026-06-30"),
    ]:
        assert client.get(url).status_code == 200, url
        results[label] = timed_p95(lambda: client.get(url), repeat=40)
    return results


def main() -> None:
    args = parse_args(__doc__)
    rows, documents = int(10_000 * args.scale), int(100_000 * args.scale)
    if args.part in ("all", "import"):
        with benchmark_app(args.database) as app:
            name = dialect_name(app)
            result = bench_import(app, rows)
            print(f"# {name}, {machine()}")
            print(f"SIAK import of {result['rows']:,} rows: preview {result['preview_s']:.2f} s, "
                  f"import {result['import_s']:.2f} s, total {result['total_s']:.2f} s")
            if result["copy_s"] is not None:
                copy_rate = result["rows"] / result["copy_s"]
                print(f"  plain COPY of the same rows: {result['copy_s']:.2f} s ({copy_rate:,.0f} rows/s); "
                      f"import {result['rows'] / result['import_s']:,.0f} rows/s = "
                      f"{result['copy_s'] / result['import_s']:.2f}× COPY; preview + import "
                      f"{result['rows'] / result['total_s']:,.0f} rows/s = {result['copy_s'] / result['total_s']:.2f}× COPY "
                      f"(target ≥ 0.3×)")
    if args.part not in ("all", "queue"):
        return
    with benchmark_app(args.database) as app:
        print(f"Queue page with {documents:,} documents in Balikpapan (and as many in Samarinda), "
              f"median / p95 of 40, ms (target: p95 < 40):")
        for label, (median, worst) in bench_queue(app, documents).items():
            print(f"  {label:<28} {median:7.1f} / {worst:7.1f}")


if __name__ == "__main__":
    main()
