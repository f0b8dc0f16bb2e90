"""1,000 documents marked ready, two real worker processes, a real Redis: exactly 1,000 messages.

Also with Redis stopped for 30 seconds in the middle, and with a worker killed by SIGKILL
mid-batch. The messages are counted where they land: at the WhatsApp sandbox.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from saas import create_app
from saas.config import PROJECT_ROOT
from saas.documents.lifecycle import Actor, transition
from saas.documents.models import Document
from saas.documents.services import DocumentRules, register_many
from saas.extensions import db
from saas.notifications.models import Notification
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import process_env
from tests.factories import document_values

pytestmark = pytest.mark.services
COUNT = 1000
BATCH = 100


class Workers:
    """Real ``flask --app wsgi worker`` processes, each in its own process group."""

    def __init__(self, env: dict, logs, count: int = 2):
        self.env = {**os.environ, **env}
        self.logs = [logs / f"worker-{n}.log" for n in range(count)]
        self.processes = [self._start(n) for n in range(count)]

    def _start(self, n: int) -> subprocess.Popen:
        with open(self.logs[n], "w") as log:
            return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "-q", "notifications",
                                     "--name", f"test-worker-{n}-{time.monotonic_ns()}"],
                                    cwd=PROJECT_ROOT, env=self.env, start_new_session=True,
                                    stdout=log, stderr=subprocess.STDOUT)

    def tails(self) -> str:
        return "\n".join(f"--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-25:]) for log in self.logs)

    def kill_one(self) -> None:
        """SIGKILL to a worker and its work horse: no goodbye, no cleanup."""
        os.killpg(self.processes[0].pid, signal.SIGKILL)
        self.processes[0].wait(10)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def thousand(app, live_server, redis_server, message_gateways, tmp_path):
    """The marking side (this process) and the two workers, all on the same Redis and database."""
    message_gateways.set_receipt_delay(0.2)
    env = process_env(app, REDIS_URL=redis_server.url, ANTAR_PUBLIC_BASE_URL=live_server.url, ANTAR_SANDBOXES="1",
                      ANTAR_NOTIFICATION_RETRY_DELAYS="1,1,1,1", ANTAR_NOTIFICATION_STUCK_AFTER="5",
                      ANTAR_NOTIFICATION_CLAIM_TIMEOUT="10", ANTAR_SWEEP_INTERVAL="3",
                      # Receipts lag behind a thousand sends by tens of seconds here (the sandbox posts
                      # three a message, one at a time; over a minute on a loaded machine once the
                      # sends go at the numbers' rate): a message whose worker was killed waits this
                      # long for its receipt before it is sent again (production: 300 s).
                      ANTAR_NOTIFICATION_RECEIPT_GRACE="180")
    marker = create_app({**app.config, "REDIS_URL": redis_server.url, "PUBLIC_BASE_URL": live_server.url})
    workers = Workers(env, tmp_path)
    yield marker, workers
    workers.stop()
    print(workers.tails())  # shown when the test fails
    if os.environ.get("ANTAR_KEEP_WORKER_LOGS"):
        import shutil
        for log in workers.logs:
            shutil.copy(log, os.environ["ANTAR_KEEP_WORKER_LOGS"])


def _register(marker) -> list[int]:
    with marker.app_context():
        tenant = get_tenant("tangerang-selatan")  # WhatsApp first
        with tenant_bound(tenant):
            rules = DocumentRules(tenant)
            items = [rules.check(document_values(n, registration_no=f"K-{n:05d}", phone=f"08125{n:06d}7"))
                     for n in range(COUNT)]
            register_many(items, Actor.system("test"), note="load")
            db.session.commit()
            return list(db.session.scalars(sa.select(Document.id).order_by(Document.id)))


def _mark_ready(marker, ids: list[int], between=None) -> None:
    for start in range(0, len(ids), BATCH):
        if between is not None:
            between(start)
        with marker.app_context():
            tenant = get_tenant("tangerang-selatan")
            with tenant_bound(tenant):
                for document in db.session.scalars(sa.select(Document).where(Document.id.in_(ids[start:start + BATCH]))):
                    transition(document, "ready", Actor.system("test"))
                db.session.commit()


def _wait_until_all_sent(app, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    counts: dict = {}
    while time.monotonic() < deadline:
        with app.app_context(), all_tenants():
            counts = dict(db.session.execute(sa.select(Notification.status, sa.func.count())
                                             .group_by(Notification.status)).all())
        if counts.get("sent", 0) + counts.get("delivered", 0) == COUNT:
            return counts
        time.sleep(1)
    raise AssertionError(f"not all sent in {timeout} s: {counts}")


def _assert_exactly_once(app, gateway) -> None:
    counts = _wait_until_all_sent(app)
    received = gateway.received("whatsapp")
    links = [m["parameters"][3] for m in received if m["template"] == "antar_document_ready"]
    if len(received) != COUNT:  # say which message went twice, and what its row and receipts say
        from collections import Counter
        twice = [to for to, n in Counter(m["to"] for m in received).items() if n > 1]
        print("DOUBLED", twice, [(m["to"], m["time"], m.get("biz_opaque_callback_data")) for m in received if m["to"] in twice])
        with app.app_context(), all_tenants():
            for row in db.session.scalars(sa.select(Notification).where(Notification.recipient.in_(["+" + t for t in twice]))):
                print("ROW", row.id, row.status, row.attempts, row.claimed_at, row.sent_at, row.provider_message_id, row.last_error)
        ids = {m["id"] for m in received if m["to"] in twice}
        for entry in gateway.receipt_log("whatsapp"):
            if entry.get("message_id") in ids or not entry.get("ok"):
                print("RECEIPT", str(entry)[:400])
    assert len(received) == COUNT, f"{len(received)} messages at the gateway, rows: {counts}"
    assert len(set(links)) == COUNT  # one per document: none lost, none doubled
    assert not gateway.received("sms")  # WhatsApp never gave up, so nothing fell back


def test_a_thousand_ready_documents_make_exactly_a_thousand_messages(app, thousand, message_gateways):
    marker, _workers = thousand
    _mark_ready(marker, _register(marker))
    _assert_exactly_once(app, message_gateways)


def test_redis_stopped_for_thirty_seconds_loses_nothing(app, thousand, message_gateways, redis_server):
    marker, _workers = thousand

    def outage(start):
        if start == 300:
            redis_server.stop()
        if start == 600:
            time.sleep(30 - 3)  # three batches were marked during the outage, about a second each
            redis_server.start()

    _mark_ready(marker, _register(marker), between=outage)
    _assert_exactly_once(app, message_gateways)


def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(app, thousand, message_gateways):
    marker, workers = thousand
    ids = _register(marker)
    _mark_ready(marker, ids[:500])
    deadline = time.monotonic() + 60
    while len(message_gateways.received("whatsapp")) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers.kill_one()
    _mark_ready(marker, ids[500:])
    _assert_exactly_once(app, message_gateways)
