"""Messages per second through the whole path with two workers, beside RQ's rate for an empty job.

Starts its own redis-server, serves the app (with the WhatsApp sandbox) on a local port and
runs two real ``flask --app wsgi worker`` processes. The whole path is: a document marked
ready → outbox row → job → claim → HTTP send to the gateway → row marked sent.

    .venv/bin/python -m tests.benchmarks.messages --database postgresql://postgres@127.0.0.1/antar_bench
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from werkzeug.serving import make_server

from saas.config import PROJECT_ROOT
from saas.documents.lifecycle import Actor, transition
from saas.documents.models import Document
from saas.documents.services import DocumentRules, register_many
from saas.extensions import db
from saas.jobs import runtime
from saas.notifications.models import Notification
from saas.sandboxes import messages as gateway
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.benchmarks.common import benchmark_app, dialect_name, machine, parse_args
from tests.conftest import RedisServer, free_port
from tests.factories import document_values


def workers(env: dict, queue: str, count: int = 2) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "-q", queue, "--no-cron"],
                             cwd=PROJECT_ROOT, env={**os.environ, **env}, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(count)]


def stop(processes) -> None:
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        process.wait(30)


def empty_job_rate(app, env: dict, jobs: int) -> float:
    queue = runtime(app).queue("default")
    for start in range(0, jobs, 1000):
        queue.enqueue_many([queue.prepare_data("builtins.len", ("",)) for _ in range(min(1000, jobs - start))])
    started = time.perf_counter()
    processes = workers(env, "default")
    while queue.count or queue.started_job_registry.count:
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    stop(processes)
    return jobs / elapsed


def whole_path_rate(app, env: dict, count: int) -> tuple[float, float]:
    with app.app_context():
        tenant = get_tenant("tangerang-selatan")
        with tenant_bound(tenant):
            rules = DocumentRules(tenant)
            register_many([rules.check(document_values(n, registration_no=f"M-{n:05d}", phone=f"08125{n:06d}7"))
                                   for n in range(count)], Actor.system("bench"), note="bench")
            db.session.commit()
    processes = workers(env, "notifications")
    time.sleep(3)  # the workers are up before the clock starts
    started = time.perf_counter()
    with app.app_context():
        tenant = get_tenant("tangerang-selatan")
        with tenant_bound(tenant):
            for document in db.session.scalars(sa.select(Document)):
                transition(document, "ready", Actor.system("bench"))
            db.session.commit()
    marked = time.perf_counter() - started
    while True:
        with app.app_context(), all_tenants():
            sent = db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
                Notification.status.in_(("sent", "delivered"))))
        if sent >= count:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    stop(processes)
    assert len(gateway.received("whatsapp")) == count
    return count / elapsed, marked


def main() -> None:
    args = parse_args(__doc__)
    count = int(2000 * args.scale)
    workdir = Path(tempfile.mkdtemp(prefix="antar-bench-redis-"))
    redis = RedisServer(workdir)
    redis.start()
    port = free_port()
    try:
        with benchmark_app(args.database, REDIS_URL=redis.url, SANDBOXES_ENABLED=True,
                           PUBLIC_BASE_URL=f"http://127.0.0.1:{port}") as app:
            gateway.set_receipt_mode("off")
            server = make_server("127.0.0.1", port, app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": redis.url,
                   "SECRET_KEY": app.config["SECRET_KEY"], "ANTAR_DATA_KEY": app.config["DATA_KEY"],
                   "ANTAR_INSTANCE_DIR": app.config["INSTANCE_DIR"], "ANTAR_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                   "ANTAR_SANDBOXES": "1", "ANTAR_EMBEDDED_WORKER": "off"}
            with app.app_context():
                empty = empty_job_rate(app, env, 5000)
            rate, marked = whole_path_rate(app, env, count)
            print(f"# {dialect_name(app)}, {machine()}, two worker processes, receipts off")
            print(f"RQ, an empty job:                 {empty:7.0f} jobs/s")
            print(f"Antar, document ready → sent:     {rate:7.0f} messages/s "
                  f"({count:,} messages; marking them ready took {marked:.1f} s of it)")
            server.shutdown()
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
