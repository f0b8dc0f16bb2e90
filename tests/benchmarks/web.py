"""The citizen's web paths under load, each beside its bare-Flask ceiling in the same run.

Seeds a throwaway PostgreSQL database with bulk ``COPY`` (1,000,000 documents across the six cities
by default, with their events and deliveries), starts its own redis-server, serves Antar and the
bare-Flask ceilings with gunicorn (5 workers × 4 threads, as production would on this machine),
drives them with wrk in interleaved rounds and prints medians, ratios and the machine:

    .venv/bin/python -m tests.benchmarks.web --database postgresql://postgres@127.0.0.1/antar_bench
    .venv/bin/python -m tests.benchmarks.web --database … --documents 100000 --rounds 3 --seconds 10
    .venv/bin/python -m tests.benchmarks.web --database … --only footprint --compare /tmp/antar-base

``--only footprint`` measures just the workers' RSS after the mixed requests and ``import wsgi``;
``--compare DIR`` also serves another checkout of the code (e.g. ``git archive BASE | tar -x -C DIR``)
from the same database, alternating with this one round by round, for a before/after in one run.

The database is emptied first (its name must contain ``bench`` or ``test``). wrk is installed with
``apt-get install -y wrk`` when missing.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from saas.config import PROJECT_ROOT
from tests.conftest import RedisServer, free_port

CITIES = ("balikpapan", "bontang", "makassar", "samarinda", "surabaya", "tangerang-selatan")
STATUSES = (["received"] * 5 + ["ready"] * 10 + ["collected"] * 55 + ["delivered"] * 20 +
            ["pickup_booked", "delivery_requested", "with_courier", "returned", "cancelled"] * 2)
PATH_BEFORE = {"ready": "received", "collected": "ready", "delivered": "with_courier", "pickup_booked": "ready",
               "delivery_requested": "ready", "with_courier": "delivery_requested", "returned": "with_courier",
               "cancelled": "received"}
NAMES = ["Siti Aminah", "Budi Santoso", "Dewi Lestari", "Agus Saputra", "Rina Wulandari", "Eko Hidayat"]
TARGETS = {  # issue 13
    "lookup_ratio": 0.75, "lookup_p99_ms": 100.0, "page_ratio": 0.25, "rss_mb": 90.0, "import_s": 0.6,
}


# -- the data ------------------------------------------------------------------------------------------
def nik(region: str, n: int) -> str:
    day, month, year = n % 28 + 1 + (40 if n % 2 else 0), n % 12 + 1, 60 + n % 40
    return f"{region}01{day:02d}{month:02d}{year:02d}{n % 9999 + 1:04d}"


def _copy(cursor, table: str, columns: tuple[str, ...], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        block = []
        for row in rows:
            block.append("\t".join("\\N" if v is None else str(v) for v in row))
            if len(block) == 20000:
                copy.write("\n".join(block) + "\n")
                block = []
        if block:
            copy.write("\n".join(block) + "\n")


def seed(app, documents: int) -> dict:
    """Documents spread over the six cities and a year, each with its events; one in five with a trip."""
    from saas.documents.identity import encrypt, identity_hash, tail_hash
    from saas.extensions import db
    from saas.security import mask_nik

    started = time.perf_counter()
    with app.app_context():
        tenants = dict(db.session.execute(sa.text("SELECT slug, id FROM tenant")).all())
        regions = dict(db.session.execute(sa.text("SELECT slug, replace(region_code, '.', '') FROM tenant")).all())
        pool = {}
        for slug in CITIES:  # a thousand owners per city; hashing and encrypting is the slow part
            numbers = [nik(regions[slug], n) for n in range(1000)]
            pool[slug] = [(number, identity_hash(number), tail_hash(number), encrypt(number), mask_nik(number))
                          for number in numbers]
        now = time.time()
        document_rows, event_rows, delivery_rows, delivery_event_rows = [], [], [], []
        samples = {slug: [] for slug in CITIES}
        event_id = delivery_id = delivery_event_id = 0
        per_city = documents // len(CITIES)
        from datetime import datetime, timezone

        for c, slug in enumerate(CITIES):
            tenant_id = tenants[slug]
            chosen = set(random.Random(slug).sample(range(per_city), min(per_city, 400)))  # looked up later
            for i in range(per_city):
                doc_id = c * per_city + i + 1
                owner = pool[slug][i % 1000]
                status = STATUSES[i % len(STATUSES)]
                created = datetime.fromtimestamp(now - (per_city - i) * 30, timezone.utc)
                ready_at = None if status == "received" else created + timedelta(hours=20)
                closed = created + timedelta(days=2) if status in ("collected", "delivered", "cancelled") else None
                registration = f"{slug[:3].upper()}-{i:07d}"
                this_delivery = None
                if status in ("delivered", "with_courier", "returned"):
                    delivery_id += 1
                    this_delivery = delivery_id
                    d_status = {"delivered": "delivered", "with_courier": "picked_up", "returned": "returned"}[status]
                    delivery_rows.append((delivery_id, tenant_id, "gosend", "office_booking", d_status,
                                          f"GK-{delivery_id}", "Instant", 25000, 4.2, "citizen", "f",
                                          f"P{delivery_id:08d}", f"{delivery_id % 1000000:06d}", f"SEAL-{delivery_id}",
                                          1, 0, 1, created, created))
                    for d_event in ("booked", "driver_assigned", "picked_up", d_status)[:3 if d_status == "picked_up" else 4]:
                        delivery_event_id += 1
                        delivery_event_rows.append((delivery_event_id, tenant_id, delivery_id, d_event, "callback", created))
                document_rows.append((doc_id, tenant_id, registration, ("ktp_el", "kia", "kk")[i % 3], status,
                                      NAMES[i % 6], NAMES[i % 6].lower(), owner[1], owner[2], owner[3], owner[4],
                                      f"+62812{i:08d}", f"64710{i % 6 + 1}", ready_at, closed, this_delivery,
                                      1, created, created))
                for before, after in ((None, "received"), ("received", PATH_BEFORE.get(status)), (PATH_BEFORE.get(status), status)):
                    if after is None or after == before or (after == "received" and before is not None):
                        continue
                    event_id += 1
                    event_rows.append((event_id, tenant_id, doc_id, before, after, "staff", created))
                if i in chosen and status != "received" and len(samples[slug]) < 200:
                    samples[slug].append({"id": doc_id, "registration_no": registration, "nik": owner[0],
                                          "tenant_id": tenant_id})
        # As the tables' owner (the app's role may not switch off foreign-key triggers, nor COPY
        # into a table under row-level security).
        owner = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
        raw = owner.raw_connection()
        try:
            cursor = raw.cursor()
            # The rows are made consistent here; checking each one's foreign keys would be most of the time.
            cursor.execute("SET LOCAL session_replication_role = replica")
            # and an index is built faster once than kept up row by row: drop the plain ones, build them after.
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('document', 'document_event', "
                           "'delivery', 'delivery_event') AND indexname NOT IN (SELECT conname FROM pg_constraint) "
                           "AND indexdef NOT LIKE 'CREATE UNIQUE%'")  # same-city keys' foreign keys need those
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            copied = time.perf_counter()
            _copy(cursor, "delivery", ("id", "tenant_id", "provider", "mode", "status", "provider_ref", "service",
                                       "fee", "distance_km", "payer", "cash_on_delivery", "pickup_code", "receipt_pin",
                                       "seal_number", "booking_attempts", "rebook_count", "version", "created_at",
                                       "updated_at"), delivery_rows)
            _copy(cursor, "delivery_event", ("id", "tenant_id", "delivery_id", "status", "source", "at"),
                  delivery_event_rows)
            _copy(cursor, "document", ("id", "tenant_id", "registration_no", "doc_type", "status", "owner_name",
                                       "owner_name_search", "nik_hash", "nik_tail_hash", "nik_encrypted", "nik_masked",
                                       "phone", "kecamatan_code", "ready_at", "closed_at", "delivery_id", "version",
                                       "created_at", "updated_at"), document_rows)
            _copy(cursor, "document_event", ("id", "tenant_id", "document_id", "from_status", "to_status",
                                             "actor_kind", "at"), event_rows)
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)
            for table in ("document", "document_event", "delivery", "delivery_event"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute("ANALYZE document, document_event, delivery, delivery_event")
            raw.commit()
            print(f"  rows made in {copied - started:.1f} s, copied in {time.perf_counter() - copied:.1f} s", flush=True)
        finally:
            raw.close()
            owner.dispose()
    return {"documents": len(document_rows), "events": len(event_rows), "deliveries": len(delivery_rows),
            "seconds": time.perf_counter() - started, "samples": samples}


# -- servers and load ---------------------------------------------------------------------------------------
def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: apt-get install -y wrk", flush=True)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


class Gunicorn:
    def __init__(self, target: str, env: dict, workers: int, threads: int, root: Path = PROJECT_ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
             "--worker-class", "gthread", "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "--backlog", "2048", target],
            cwd=root, env={**env, "PYTHONPATH": str(root)}, start_new_session=True)

    def wait(self, path: str, timeout: float = 90) -> None:
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + path, timeout=2)
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited ({self.process.returncode})")
                time.sleep(0.3)
        raise RuntimeError(f"{self.url} did not answer")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
        return sizes

    def worker_pss_mb(self) -> list[float]:
        """Proportional set sizes: each shared page counted once among the processes sharing it."""
        return [int(re.search(r"Pss:\s+(\d+)", Path(f"/proc/{pid}/smaps_rollup").read_text()).group(1)) / 1024
                for pid in self.worker_pids()]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def lua_script(workdir: Path, name: str, requests: list[dict]) -> Path:
    """A wrk script that cycles through prepared requests (method, path, body, headers)."""
    lines = ["local reqs = {}"]
    for r in requests:
        headers = "{" + ", ".join(f'[{json.dumps(k)}] = {json.dumps(v)}' for k, v in r.get("headers", {}).items()) + "}"
        body = json.dumps(r["body"]) if r.get("body") is not None else "nil"
        lines.append(f'table.insert(reqs, wrk.format({json.dumps(r["method"])}, {json.dumps(r["path"])}, '
                     f'{headers}, {body}))')
    lines += ["local i = 0", "math.randomseed(os.time())",
              "request = function()", "  i = math.random(#reqs)", "  return reqs[i]", "end",
              "done = function(summary, latency, requests)",
              "  io.write(string.format('WRK_JSON {\"requests\": %d, \"rps\": %f, \"p50\": %f, \"p99\": %f, "
              "\"non2xx\": %d, \"errors\": %d}\\n', summary.requests, summary.requests / (summary.duration / 1e6), "
              "latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status, "
              "summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))",
              "end"]
    path = workdir / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_wrk(wrk: str, url: str, script: Path, seconds: int, connections: int) -> dict:
    done = subprocess.run([wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url],
                          capture_output=True, text=True)
    if "WRK_JSON " not in done.stdout:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-500:]} {done.stderr[-500:]}")
    return json.loads(done.stdout.split("WRK_JSON ", 1)[1].splitlines()[0])


def import_time(env: dict, runs: int = 5, root: Path = PROJECT_ROOT) -> tuple[float, float]:
    """Median wall and CPU seconds of ``import wsgi`` in fresh processes (CPU time says more on a busy machine)."""
    code = ("import time; t, c = time.perf_counter(), time.process_time(); import wsgi; "
            "print(time.perf_counter() - t, time.process_time() - c)")
    runs_ = [subprocess.run([sys.executable, "-c", code], cwd=root, env={**env, "PYTHONPATH": str(root)},
                            capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1].split()
             for _ in range(runs)]
    return statistics.median(float(w) for w, _ in runs_), statistics.median(float(c) for _, c in runs_)


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 1024 / 1024
    load = os.getloadavg()[0]
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip() if shutil.which("psql") else "?"
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.1f} GB, {platform.platform()}, Python {platform.python_version()}, "
            f"{pg}, load average {load:.1f} at the start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=os.environ.get("ANTAR_BENCH_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1/antar_bench"))
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--mixed", type=int, default=10_000, help="requests before the workers' RSS is read")
    parser.add_argument("--skip-seed", action="store_true", help="reuse the data of the previous run")
    parser.add_argument("--only", choices=("footprint",), help="just the workers' RSS and `import wsgi`")
    parser.add_argument("--compare", type=Path, metavar="DIR",
                        help="with --only footprint: also measure the code checked out in DIR, alternating")
    args = parser.parse_args()
    database = sa.engine.make_url(args.database).database or ""
    if not re.search(r"bench|test", database):
        sys.exit("--database must name a throwaway database ('bench' or 'test' in its name): it is emptied")
    if args.compare and args.only != "footprint":
        sys.exit("--compare goes with --only footprint")
    saved_file = Path(tempfile.gettempdir()) / f"antar-web-bench-{database}.json"  # one per database

    from saas import create_app

    wrk = ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="antar-web-bench-"))
    redis = RedisServer(workdir)
    redis.start()
    env = {**os.environ, "ANTAR_ENV": "production", "DATABASE_URL": args.database, "REDIS_URL": redis.url,
           "SECRET_KEY": secrets.token_urlsafe(48),
           "ANTAR_DATA_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
           "WHATSAPP_VERIFY_TOKEN": "bench", "ANTAR_INSTANCE_DIR": str(workdir), "PYTHONPATH": str(PROJECT_ROOT)}
    if args.skip_seed:
        saved = json.loads(saved_file.read_text())
        env["SECRET_KEY"], env["ANTAR_DATA_KEY"] = saved["secret_key"], saved["data_key"]
    app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1),
                      "SECRET_KEY": env["SECRET_KEY"], "DATA_KEY": env["ANTAR_DATA_KEY"], "REDIS_URL": redis.url,
                      "INSTANCE_DIR": str(workdir), "ANTAR_ENV": "development", "SANDBOXES_ENABLED": False,
                      "EMBEDDED_WORKER": "off"})
    print(f"# Antar web benchmark · {machine()}", flush=True)
    if args.skip_seed:
        samples = saved["samples"]
        print(f"reusing the seeded data ({saved['documents']:,} documents)", flush=True)
    else:
        from flask_migrate import upgrade

        from saas.extensions import db
        from saas.tenancy.services import sync_tenants

        with app.app_context():
            # As the owner, not the app's role: on a fresh cluster that role is made by the migration.
            owner = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
            with owner.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            owner.dispose()
            upgrade(directory=str(PROJECT_ROOT / "migrations"))
            sync_tenants(PROJECT_ROOT / "tenants")
            db.session.commit()
        seeded = seed(app, args.documents)
        samples = seeded["samples"]
        print(f"seeded {seeded['documents']:,} documents, {seeded['events']:,} events, {seeded['deliveries']:,} "
              f"courier trips with COPY in {seeded['seconds']:.1f} s", flush=True)
        saved_file.write_text(json.dumps({
            "secret_key": env["SECRET_KEY"], "data_key": env["ANTAR_DATA_KEY"], "samples": samples,
            "documents": seeded["documents"]}))

    lookups = [{"method": "POST", "path": f"/api/v1/{slug}/public/status", "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"registration_no": s["registration_no"], "nik": s["nik"]})}
               for slug in CITIES for s in samples[slug]]
    homes = [{"method": "GET", "path": f"/{slug}/"} for slug in CITIES]
    if args.only == "footprint":
        _footprint(wrk, env, workdir, args, lookups, homes, samples, app)
        redis.stop()
        return
    antar = Gunicorn("tests.benchmarks.web_servers:antar", env, args.workers, args.threads)
    ceiling = Gunicorn("tests.benchmarks.web_servers:ceiling", env, args.workers, args.threads)
    try:
        antar.wait("/healthz")
        ceiling.wait("/json")
        documents = _document_pages(app, antar.url, samples)
        scripts = {
            "lookup": lua_script(workdir, "lookup", lookups),
            "json": lua_script(workdir, "json", [{**r, "path": "/json"} for r in lookups]),
            "home": lua_script(workdir, "home", homes),
            "document": lua_script(workdir, "document", documents),
        }
        runs = [  # (row, server, script)
            ("lookup", antar, "lookup"), ("bare+sql", ceiling, "lookup"), ("bare json", ceiling, "json"),
            ("home", antar, "home"), ("bare get", ceiling, "home"), ("document", antar, "document"),
        ]
        for _, server, script in runs:  # warm every worker: imports, pools, the tenant cache
            run_wrk(wrk, server.url, scripts[script], 2, args.connections)
        results: dict[str, list[dict]] = {name: [] for name, _, _ in runs}
        for round_no in range(args.rounds):
            order = runs if round_no % 2 == 0 else list(reversed(runs))
            for name, server, script in order:
                result = run_wrk(wrk, server.url, scripts[script], args.seconds, args.connections)
                results[name].append(result)
                print(f"  round {round_no + 1} {name:<10} {result['rps']:8.0f} req/s  p50 {result['p50']:6.1f} ms  "
                      f"p99 {result['p99']:6.1f} ms  non-2xx {result['non2xx']}  errors {result['errors']}", flush=True)
    finally:
        antar.stop()
        ceiling.stop()

    rss = _rss_after_mixed(wrk, env, workdir, args, lookups, homes, samples, app)
    seconds = import_time(env)
    _print_table(results, rss, seconds, args)
    redis.stop()


def _document_pages(app, base_url: str, samples: dict) -> list[dict]:
    """Citizens' document pages, each reached as a citizen does: the signed link sets the grant (the
    cookie is read by hand: production marks it Secure, and the benchmark speaks plain HTTP)."""
    import http.client
    from urllib.parse import urlsplit

    from saas.documents.links import document_token
    from saas.documents.models import Document
    from saas.extensions import db
    from saas.tenancy.scope import tenant_bound
    from saas.tenancy.services import get_tenant

    requests = []
    with app.app_context():
        for slug in CITIES:
            with tenant_bound(get_tenant(slug)):
                for sample in samples[slug][:10]:
                    conn = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=30)
                    conn.request("GET", f"/{slug}/d/{document_token(db.session.get(Document, sample['id']))}")
                    answer = conn.getresponse()
                    answer.read()
                    cookie = answer.getheader("Set-Cookie").split(";", 1)[0]
                    conn.close()
                    requests.append({"method": "GET", "path": f"/{slug}/dokumen/{sample['id']}",
                                     "headers": {"Cookie": cookie}})
    return requests


def _footprint(wrk, env, workdir, args, lookups, homes, samples, app) -> None:
    """The RSS and import rows alone, for this checkout and (``--compare``) another, in alternate rounds."""
    trees = {"this": PROJECT_ROOT, **({"compare": args.compare.resolve()} if args.compare else {})}
    rss: dict[str, list[dict]] = {name: [] for name in trees}
    imports: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    for round_no in range(args.rounds):
        order = list(trees.items()) if round_no % 2 == 0 else list(reversed(trees.items()))
        for name, root in order:
            sizes = _rss_after_mixed(wrk, env, workdir, args, lookups, homes, samples, app, root,
                                     bare=(round_no == 0 and name == "this"))
            rss[name].append(sizes)
            imports[name].append(import_time(env, root=root))
            print(f"  round {round_no + 1} {name:<8} worker RSS {max(sizes['antar']['rss']):5.1f} MB (all: "
                  f"{', '.join(f'{r:.0f}' for r in sizes['antar']['rss'])}; PSS {max(sizes['antar']['pss']):.0f}) after {sizes['antar']['served']:,} requests; "
                  f"import {imports[name][-1][0]:.2f} s wall, {imports[name][-1][1]:.2f} s CPU; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    bare = max(rss["this"][0]["bare"]["rss"])
    print(f"\nMedians of {args.rounds} alternated rounds, gunicorn {args.workers} workers × {args.threads} threads, "
          f"load average {os.getloadavg()[0]:.1f} at the end:\n")
    print("| code | worker RSS (largest of the workers) | bare Flask worker | `import wsgi` wall | CPU |")
    print("|---|---|---|---|---|")
    for name, root in trees.items():
        largest = statistics.median(max(s["antar"]["rss"]) for s in rss[name])
        wall = statistics.median(w for w, _ in imports[name])
        cpu = statistics.median(c for _, c in imports[name])
        print(f"| {name} ({root}) | {largest:.0f} MB | {bare:.0f} MB | {wall:.2f} s | {cpu:.2f} s |")


def _rss_after_mixed(wrk, env, workdir, args, lookups, homes, samples, app, root: Path = PROJECT_ROOT,
                     bare: bool = True) -> dict:
    """A fresh Antar and a fresh ceiling, each given at least ``--mixed`` requests of the three kinds."""
    sizes = {}
    for name, target in (("antar", "tests.benchmarks.web_servers:antar"),
                         ("bare", "tests.benchmarks.web_servers:ceiling")):
        if name == "bare" and not bare:
            continue
        server = Gunicorn(target, env, args.workers, args.threads, root)
        try:
            server.wait("/healthz" if name == "antar" else "/json")
            mixed = lookups + homes * 20 + (_document_pages(app, server.url, samples) * 3 if name == "antar" else [])
            script = lua_script(workdir, f"mixed-{name}", mixed)
            served = 0
            while served < args.mixed:
                served += run_wrk(wrk, server.url, script, 3, 8)["requests"]
            sizes[name] = {"served": served, "rss": server.worker_rss_mb(), "pss": server.worker_pss_mb()}
        finally:
            server.stop()
    return sizes


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def _print_table(results: dict, rss: dict, seconds: float, args) -> None:
    med = {name: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99")}
           for name, runs in results.items()}
    errors = {name: sum(r["non2xx"] + r["errors"] for r in runs) for name, runs in results.items()}
    t = TARGETS
    print(f"\nMedians of {args.rounds} interleaved rounds, wrk {args.connections} connections × {args.seconds} s, "
          f"gunicorn {args.workers} workers × {args.threads} threads (gthread):\n")
    print("| path | Antar | ceiling in the same run | ratio | target |")
    print("|---|---|---|---|---|")
    lookup, sql, bare_json = med["lookup"], med["bare+sql"], med["bare json"]
    ok = lookup["rps"] / sql["rps"] >= t["lookup_ratio"] and lookup["p99"] < t["lookup_p99_ms"]
    print(f"| `POST /api/v1/<slug>/public/status`, real document | {lookup['rps']:,.0f} req/s, p99 {lookup['p99']:.0f} ms "
          f"| bare Flask + same SQL {sql['rps']:,.0f} req/s (p99 {sql['p99']:.0f} ms); bare Flask JSON "
          f"{bare_json['rps']:,.0f} req/s | {_ratio(lookup['rps'], sql['rps'])} of bare+SQL, "
          f"{_ratio(lookup['rps'], bare_json['rps'])} of bare | ≥ 0.75, p99 < 100 ms: {'met' if ok else 'missed'} |")
    for name, label in (("home", "portal home `GET /<slug>/`"), ("document", "citizen's document page")):
        row = med[name]
        ratio = row["rps"] / med["bare get"]["rps"]
        print(f"| {label} | {row['rps']:,.0f} req/s, p99 {row['p99']:.0f} ms | bare Flask GET "
              f"{med['bare get']['rps']:,.0f} req/s | {ratio:.2f} | ≥ 0.25: {'met' if ratio >= t['page_ratio'] else 'missed'} |")
    antar_rss, bare_rss = max(rss["antar"]["rss"]), max(rss["bare"]["rss"])
    print(f"| web worker RSS after {rss['antar']['served']:,} mixed requests (largest of {len(rss['antar']['rss'])}) "
          f"| {antar_rss:.0f} MB | bare Flask worker {bare_rss:.0f} MB | {antar_rss / bare_rss:.1f}× "
          f"| < 90 MB: {'met' if antar_rss < t['rss_mb'] else 'missed'} |")
    wall, cpu = seconds
    print(f"| `import wsgi` (median of 5 fresh processes) | {wall:.2f} s wall, {cpu:.2f} s CPU | | | < 0.6 s: "
          f"{'met' if wall < t['import_s'] else 'missed'} |")
    if any(errors.values()):
        print(f"\nnon-2xx answers or socket errors: {errors}")


if __name__ == "__main__":
    main()
