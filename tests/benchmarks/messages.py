"""Messages: fan-out across six cities beside RQ's empty-job rate, fairness, and the cost of one message.

Starts its own redis-server, a gateway stand-in (``gateway_standin``: cheap, keep-alive, enforcing
80 messages/s per WhatsApp business number with error 130429) and two real
``flask --app wsgi worker`` processes (``worker_probe``: the same command, also writing down its
CPU time and database round trips). The same two workers work every round.

- fan-out: ``--count`` (10,000) documents marked ready across the six cities (a transaction of 100
  at a time, the cities in turn), interleaved with rounds of as many empty RQ jobs; medians of
  ``--rounds`` rounds. Messages/s end to end = messages / (first commit → last message accepted).
  Commit-to-send: each document's commit to its message's acceptance at the stand-in.
- sending only: as many documents marked ready while the workers are suspended (RQ's own
  suspension), then the workers resumed: messages / (resume → last message accepted). The office's
  marking is out of this figure, which is the outbox's own rate.
- fairness: Surabaya's 2,000-message burst, and one Balikpapan message committed 1 s later.
- per message: the workers' CPU ms and database round trips during the fan-out rounds.

    .venv/bin/python -m tests.benchmarks.messages --database postgresql://postgres@127.0.0.1/antar_bench
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from bisect import bisect_left
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa

from saas.config import PROJECT_ROOT
from saas.documents.lifecycle import Actor, transition
from saas.documents.models import Document
from saas.documents.services import DocumentRules, register_many
from saas.extensions import db
from saas.jobs import runtime
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.benchmarks import gateway_standin
from tests.benchmarks.common import benchmark_app, dialect_name, machine
from tests.conftest import RedisServer, free_port
from tests.factories import document_values

CITIES = ("balikpapan", "bontang", "makassar", "samarinda", "surabaya", "tangerang-selatan")
PER_SECOND = 80  # WhatsApp's default per business number, enforced by the stand-in
MARK_BATCH = 100


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="sqlite",
                        help="'sqlite' (a temporary file) or a PostgreSQL URL of a throwaway database")
    parser.add_argument("--count", type=int, default=10_000, help="messages per fan-out round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians are printed)")
    parser.add_argument("--burst", type=int, default=2_000, help="the fairness burst")
    return parser.parse_args()


class Probes:
    """The two workers' CPU seconds and database round trips, as their probes last wrote them."""

    def __init__(self, paths: list[Path]):
        self.paths = paths

    def read(self) -> dict:
        total: dict = defaultdict(float)
        for path in self.paths:
            for key, value in json.loads(path.read_text()).items():
                total[key] += value
        return total

    def settled(self) -> dict:
        time.sleep(0.6)  # two writes of the probe: the figures include the last job
        return self.read()


def start_workers(env: dict, workdir: Path) -> tuple[list[subprocess.Popen], Probes]:
    processes, paths = [], []
    for n in range(2):
        path = workdir / f"probe-{n}.json"
        paths.append(path)
        processes.append(subprocess.Popen(  # no cron: no sweeper or rollup in the figures
            [sys.executable, "-m", "tests.benchmarks.worker_probe", "--no-cron", "--name", f"bench-{n}"],
            cwd=PROJECT_ROOT, env={**os.environ, **env, "ANTAR_BENCH_PROBE": str(path)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    deadline = time.monotonic() + 60
    while not all(p.exists() for p in paths) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # the workers are listening before the clock starts
    return processes, Probes(paths)


def accepted(port: int) -> tuple[list, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_log", timeout=30) as answer:
        data = json.load(answer)
    return data["accepted"], data["rejected"]


def wait_for_accepted(port: int, total: int, timeout: float = 1800) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log, _rejected = accepted(port)
        if len(log) >= total:
            return log
        time.sleep(0.25)
    raise SystemExit(f"only {len(log)} of {total} messages reached the gateway in {timeout:.0f} s")


def register(app, per_city: dict[str, int], prefix: str) -> dict[str, list[int]]:
    """Documents waiting to be marked ready, each with a phone of its own (the recipient's key)."""
    made = {}
    for c, (slug, count) in enumerate(per_city.items()):
        with app.app_context():
            tenant = get_tenant(slug)
            with tenant_bound(tenant):
                rules = DocumentRules(tenant)
                serial = 10 + sum(map(ord, prefix)) % 90
                items = [rules.check(document_values(n, registration_no=f"{prefix}{c}-{n:06d}",
                                                     phone=f"0812{serial:02d}{c}{n:06d}"))
                         for n in range(count)]
                if refused := next((item.errors for item in items if item.errors), None):
                    raise SystemExit(f"the benchmark's own documents were refused: {refused}")
                register_many(items, Actor.system("bench"), note="bench")
                db.session.commit()
                made[slug] = list(db.session.scalars(sa.select(Document.id).where(
                    Document.registration_no.like(f"{prefix}{c}-%")).order_by(Document.id)))
    return made


def mark(app, slug: str, ids: list[int], committed: dict[str, float]) -> list[str]:
    with app.app_context():
        tenant = get_tenant(slug)
        with tenant_bound(tenant):
            documents = db.session.scalars(sa.select(Document).where(Document.id.in_(ids))).all()
            for document in documents:
                transition(document, "ready", Actor.system("bench"))
            phones = [document.phone for document in documents]
            db.session.commit()
            now = time.time()
    keys = [phone.lstrip("+") for phone in phones]
    for key in keys:
        committed[key] = now
    return keys


def mark_interleaved(app, documents: dict[str, list[int]], committed: dict[str, float]) -> None:
    """The six offices marking in turn, a transaction of ``MARK_BATCH`` each."""
    queues = {slug: list(ids) for slug, ids in documents.items()}
    while any(queues.values()):
        for slug, ids in queues.items():
            if ids:
                mark(app, slug, ids[:MARK_BATCH], committed)
                del ids[:MARK_BATCH]


def busiest_second(times: list[float]) -> int:
    """The most messages in any one-second window [t, t + 1)."""
    times = sorted(times)
    return max((bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def empty_round(app, count: int) -> float:
    queue = runtime(app).queue("default")
    for start in range(0, count, 1000):
        queue.enqueue_many([queue.prepare_data("builtins.len", ("",))
                            for _ in range(min(1000, count - start))])
    started = time.perf_counter()
    while queue.count or queue.started_job_registry.count:
        time.sleep(0.005)
    return count / (time.perf_counter() - started)


def fan_out_round(app, port: int, count: int, prefix: str, seen: int) -> dict:
    per_city = {slug: count // len(CITIES) + (1 if i < count % len(CITIES) else 0) for i, slug in enumerate(CITIES)}
    documents = register(app, per_city, prefix)
    committed: dict[str, float] = {}
    started = time.time()
    mark_interleaved(app, documents, committed)
    marked = time.time() - started
    log = wait_for_accepted(port, seen + count)[seen:]
    finished = max(t for t, _number, _to in log)
    waits = sorted(t - committed[to] for t, _number, to in log if to in committed)
    by_number = defaultdict(list)
    for t, number, _to in log:
        by_number[number].append(t)
    return {"rate": count / (finished - started), "marked": marked, "p95": waits[int(0.95 * (len(waits) - 1))],
            "p50": statistics.median(waits),
            "busiest": {number: busiest_second(times) for number, times in by_number.items()}}


def held_round(app, port: int, count: int, prefix: str, seen: int) -> dict:
    """The outbox's own rate: every message waiting before the workers may start."""
    from rq import Worker
    from rq.suspension import resume, suspend

    per_city = {slug: count // len(CITIES) + (1 if i < count % len(CITIES) else 0) for i, slug in enumerate(CITIES)}
    documents = register(app, per_city, prefix)
    connection = runtime(app).connection()
    suspend(connection)
    # A worker blocked waiting on its queues sees the suspension only after its next job: empty
    # jobs wake them, then the ones left over are dropped once every worker says it is suspended.
    queue = runtime(app).queue("default")
    queue.enqueue_many([queue.prepare_data("builtins.len", ("",)) for _ in range(4)])
    deadline = time.monotonic() + 60
    while not all(w.get_state() == "suspended" for w in Worker.all(connection=connection)):
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not suspend within a minute")
        time.sleep(0.1)
    queue.empty()
    committed: dict[str, float] = {}
    started = time.time()
    mark_interleaved(app, documents, committed)
    marked = time.time() - started
    resumed = time.time()
    resume(connection)
    log = wait_for_accepted(port, seen + count)[seen:]
    early = sum(1 for t, _number, _to in log if t < resumed)
    finished = max(t for t, _number, _to in log)
    return {"rate": count / (finished - resumed), "marked": marked, "early": early}


def fairness(app, port: int, burst: int, seen: int) -> tuple[float, float]:
    documents = register(app, {"surabaya": burst, "balikpapan": 1}, "F")
    committed: dict[str, float] = {}
    for start in range(0, burst, 500):  # the print run, committed in a few transactions
        mark(app, "surabaya", documents["surabaya"][start:start + 500], committed)
    time.sleep(1)
    (single,) = mark(app, "balikpapan", documents["balikpapan"], committed)
    log = wait_for_accepted(port, seen + burst + 1)[seen:]
    sent = next(t for t, _number, to in log if to == single)
    burst_done = max(t for t, _number, to in log)
    return sent - committed[single], burst_done - min(committed.values())


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="antar-bench-messages-"))
    redis = RedisServer(workdir)
    redis.start()
    port = free_port()
    standin = gateway_standin.start(port, PER_SECOND)
    try:
        with benchmark_app(args.database, REDIS_URL=redis.url, SANDBOXES_ENABLED=True) as app:
            env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": redis.url,
                   "SECRET_KEY": app.config["SECRET_KEY"], "ANTAR_DATA_KEY": app.config["DATA_KEY"],
                   "ANTAR_INSTANCE_DIR": app.config["INSTANCE_DIR"], "ANTAR_SANDBOXES": "1",
                   "ANTAR_EMBEDDED_WORKER": "off", "WHATSAPP_BASE_URL": f"http://127.0.0.1:{port}/wa",
                   "SMS_BASE_URL": f"http://127.0.0.1:{port}/sms"}
            processes, probes = start_workers(env, workdir)
            try:
                empties, rounds, cpu, trips, seen = [], [], 0.0, 0.0, 0
                empty_cost, held = [], []
                for n in range(args.rounds):
                    before = probes.settled()
                    empties.append(empty_round(app, args.count))
                    after = probes.settled()
                    empty_cost.append((after["cpu"] - before["cpu"]) / args.count)
                    rounds.append(fan_out_round(app, port, args.count, f"R{n}", seen))
                    seen += args.count
                    done = probes.settled()
                    cpu += done["cpu"] - after["cpu"]
                    trips += sum(done[k] - after[k] for k in ("statements", "commits", "rollbacks"))
                    held.append(held_round(app, port, args.count, f"H{n}", seen))
                    seen += args.count
                    print(f"  round {n + 1}: empty jobs {empties[-1]:.0f}/s, messages {rounds[-1]['rate']:.0f}/s "
                          f"(marking {rounds[-1]['marked']:.1f} s), p95 commit→send {rounds[-1]['p95']:.2f} s; "
                          f"sending only {held[-1]['rate']:.0f}/s ({held[-1]['early']} sent before the resume)",
                          flush=True)
                single, burst_time = fairness(app, port, args.burst, seen)
                _log, rejected = accepted(port)
            finally:
                for process in processes:
                    process.terminate()
                for process in processes:
                    process.wait(30)
            empty, rate = statistics.median(empties), statistics.median(r["rate"] for r in rounds)
            busiest = max((b for r in rounds for number, b in r["busiest"].items() if not number.startswith("sms:")),
                          default=0)
            messages = args.count * args.rounds
            print(f"# {dialect_name(app)}, {machine()}, two worker processes, {args.count:,} messages a round "
                  f"over six cities, medians of {args.rounds} interleaved rounds")
            print(f"RQ, an empty job:                     {empty:7.0f} jobs/s ({statistics.median(empty_cost) * 1000:.2f} "
                  "ms worker CPU each)")
            print(f"Antar, document ready → accepted:     {rate:7.0f} messages/s = {rate / empty:.2f}× RQ's empty job "
                  f"(target ≥ 1.0×)")
            sending = statistics.median(h["rate"] for h in held)
            print(f"Antar, sending only (outbox → accepted): {sending:5.0f} messages/s = {sending / empty:.2f}× RQ's "
                  "empty job")
            print(f"commit → send, p50 / p95:             {statistics.median(r['p50'] for r in rounds):.2f} / "
                  f"{statistics.median(r['p95'] for r in rounds):.2f} s")
            print(f"busiest second of any WhatsApp number: {busiest} messages (limit {PER_SECOND}); "
                  f"{rejected} sends refused with 130429")
            print(f"per message, in the workers:          {cpu / messages * 1000:.2f} ms CPU, "
                  f"{trips / messages:.1f} database round trips")
            print(f"fairness: one Balikpapan message 1 s after Surabaya's {args.burst:,}: sent {single:.2f} s after "
                  f"its commit (target < 2 s); the burst took {burst_time:.1f} s")
    finally:
        standin.terminate()
        redis.stop()


if __name__ == "__main__":
    main()
