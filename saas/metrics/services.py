"""What ``/metrics`` says: request latency kept as it happens, the rest read at scrape time.

The latency histogram is the only figure a process keeps. Under gunicorn each worker keeps its
own; with ``PROMETHEUS_MULTIPROC_DIR`` set (before the process starts) prometheus_client writes
them to files there and the scrape adds every worker's up. Everything else is read when Prometheus
asks — the job queues from Redis, messages and courier trips from the database, across all cities —
so every web process answers the same, and nothing is counted twice or lost with a worker.

Labels name a city by its slug, a queue, a channel, a provider, a status, a Flask endpoint; never
an id, a URL, a phone number or a NIK.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta

import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from redis.exceptions import RedisError
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from rq.utils import str_to_date

from saas.couriers.models import DELIVERY_STATUSES, TERMINAL, Delivery
from saas.extensions import db
from saas.jobs import QUEUE_NAMES, JobRuntime
from saas.models import utcnow
from saas.notifications.models import Notification
from saas.notifications.services import SENDABLE
from saas.tenancy.models import Tenant

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
#: Settled messages and closed trips are counted for the rows written in this window; those still
#: waiting or open are counted whatever their age. Counting every row ever written would scan
#: the whole outbox at every scrape; this reads what the indexes on status and creation time give.
RECENT = timedelta(hours=24)
OPEN_TRIPS = tuple(status for status in DELIVERY_STATUSES if status not in TERMINAL)

#: One histogram per process (the app may be made more than once in a process: tests, commands).
REQUEST_SECONDS = Histogram(
    "antar_http_request_duration_seconds",
    "Time from a request's arrival to its response, by Flask endpoint, city (where the route has "
    "one) and status class.",
    ("endpoint", "city", "status_class"), registry=None)
_timing_failed = False  # said once in the log, not at every request


def observe_request(endpoint: str, city: str, status: int, seconds: float) -> None:
    """Never fails the request it times: a full disk under PROMETHEUS_MULTIPROC_DIR costs the
    timing, said once in the log, not the citizen's page."""
    global _timing_failed
    try:
        REQUEST_SECONDS.labels(endpoint, city, f"{status // 100}xx").observe(seconds)
    except OSError:
        if not _timing_failed:
            _timing_failed = True
            log.warning("metrics: request timings cannot be written", exc_info=True)


def exposition(job_runtime: JobRuntime) -> bytes:
    """The scrape, in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(PlatformCollector(job_runtime))
    return generate_latest(registry)


class PlatformCollector:
    """The platform's state at scrape time: one Redis round trip or two, two grouped queries.

    A source that cannot be read (Redis or the database down) is reported as such
    (``antar_metrics_source_up``) and its figures are left out; the rest still answers.
    """

    def __init__(self, job_runtime: JobRuntime):
        self.job_runtime = job_runtime

    def collect(self):
        up = GaugeMetricFamily("antar_metrics_source_up",
                               "1 when this scrape could read the source, 0 when it could not.",
                               labels=("source",))
        now = utcnow()
        try:
            families = queue_families(self.job_runtime, now)
            up.add_metric(("redis",), 1)
        except RedisError:
            log.warning("metrics: the job queues could not be read", exc_info=True)
            families = []
            up.add_metric(("redis",), 0)
        yield from families
        try:
            cities = _cities()
            families = [*message_families(cities, now), *trip_families(cities, now)]
            up.add_metric(("database",), 1)
        except sa.exc.DBAPIError:
            db.session.rollback()
            log.warning("metrics: the database could not be read", exc_info=True)
            families = []
            up.add_metric(("database",), 0)
        yield from families
        yield up


# -- the job queues -----------------------------------------------------------------------------
def queue_families(job_runtime: JobRuntime, now: datetime) -> list[GaugeMetricFamily]:
    """Per RQ queue: jobs waiting, how long the oldest has waited, delayed jobs, failed jobs.

    Read-only: RQ's own registry counts clean up as they count; a scrape must change nothing."""
    connection = job_runtime.connection()
    queues = job_runtime.queues(connection)
    with connection.pipeline(transaction=False) as pipe:
        for queue in queues:
            pipe.llen(queue.key)
            pipe.lindex(queue.key, 0)  # RQ appends and workers pop from the front: the oldest
            pipe.zcard(ScheduledJobRegistry(queue=queue).key)
            pipe.zcard(FailedJobRegistry(queue=queue).key)
        answers = pipe.execute()
    rows = [answers[i:i + 4] for i in range(0, len(answers), 4)]
    oldest_ids = [first for _count, first, _scheduled, _failed in rows]
    with connection.pipeline(transaction=False) as pipe:
        for job_id in oldest_ids:
            if job_id is not None:
                pipe.hget(Job.key_for(job_id.decode() if isinstance(job_id, bytes) else job_id), "enqueued_at")
        stamps = iter(pipe.execute())
    queued = GaugeMetricFamily("antar_jobs_queued", "Jobs waiting in the RQ queue.", labels=("queue",))
    oldest = GaugeMetricFamily("antar_jobs_oldest_queued_seconds",
                               "How long the queue's oldest waiting job has waited (0 when none waits).",
                               labels=("queue",))
    scheduled = GaugeMetricFamily("antar_jobs_scheduled", "Delayed jobs (retries, later sends) of the queue.",
                                  labels=("queue",))
    failed = GaugeMetricFamily("antar_jobs_failed", "Jobs of the queue that failed for good (RQ's failed registry).",
                               labels=("queue",))
    for name, (count, first, delayed, dead) in zip(QUEUE_NAMES, rows):
        stamp = next(stamps) if first is not None else None
        waited = 0.0
        if stamp:
            waited = max((now - str_to_date(stamp)).total_seconds(), 0.0)
        queued.add_metric((name,), count)
        oldest.add_metric((name,), waited)
        scheduled.add_metric((name,), delayed)
        failed.add_metric((name,), dead)
    return [queued, oldest, scheduled, failed]


# -- messages and courier trips, across cities ----------------------------------------------------
def _cities() -> dict[int, str]:
    return dict(db.session.execute(sa.select(Tenant.id, Tenant.slug)).all())


def message_counts(cities: dict[int, str], now: datetime):
    """(city id, channel, status, messages, oldest written) for every message still to be sent and
    every message written in the last ``RECENT``: one grouped query, on the outbox's indexes on
    (city, status, …) and (city, created_at)."""
    n = Notification
    return db.session.execute(
        sa.select(n.tenant_id, n.channel, n.status, sa.func.count(), sa.func.min(n.created_at))
        .where(n.tenant_id.in_(list(cities)), sa.or_(n.status.in_(SENDABLE), n.created_at >= now - RECENT))
        .group_by(n.tenant_id, n.channel, n.status)
        .execution_options(all_tenants=True)).all()


def trip_counts(cities: dict[int, str], now: datetime):
    """(city id, provider, status, trips, oldest requested) for every open trip and every trip
    requested in the last ``RECENT``: one grouped query, on the indexes on (city, status, …) and
    (city, created_at)."""
    d = Delivery
    return db.session.execute(
        sa.select(d.tenant_id, d.provider, d.status, sa.func.count(), sa.func.min(d.created_at))
        .where(d.tenant_id.in_(list(cities)), sa.or_(d.status.in_(OPEN_TRIPS), d.created_at >= now - RECENT))
        .group_by(d.tenant_id, d.provider, d.status)
        .execution_options(all_tenants=True)).all()


def _age(now: datetime, since: datetime | None) -> float:
    return max((now - since).total_seconds(), 0.0) if since is not None else 0.0


def _counted_families(rows, cities: dict[int, str], now: datetime, *, name: str, what: str, oldest_name: str,
                      oldest_what: str, kind: str, open_statuses) -> list[GaugeMetricFamily]:
    """A count per (city, ``kind``, status), and the age of the oldest row in each open status."""
    labels = ("city", kind, "status")
    counted = GaugeMetricFamily(name, what, labels=labels)
    oldest = GaugeMetricFamily(oldest_name, oldest_what, labels=labels)
    for tenant_id, value, status, count, first in rows:
        these = (cities[tenant_id], value, status)
        counted.add_metric(these, count)
        if status in open_statuses:
            oldest.add_metric(these, _age(now, first))
    return [counted, oldest]


def message_families(cities: dict[int, str], now: datetime) -> list[GaugeMetricFamily]:
    return _counted_families(
        message_counts(cities, now), cities, now, kind="channel", open_statuses=SENDABLE,
        name="antar_messages",
        what="Outbox messages by city, channel and status: every one still waiting to be sent (pending, "
             "queued, failed), and of the others those written in the last 24 hours.",
        oldest_name="antar_messages_oldest_waiting_seconds",
        oldest_what="How long ago the oldest message still waiting to be sent was written.")


def trip_families(cities: dict[int, str], now: datetime) -> list[GaugeMetricFamily]:
    return _counted_families(
        trip_counts(cities, now), cities, now, kind="provider", open_statuses=OPEN_TRIPS,
        name="antar_courier_trips",
        what="Courier trips by city, provider and status: every open one, and of the closed ones those "
             "requested in the last 24 hours.",
        oldest_name="antar_courier_trips_oldest_open_seconds",
        oldest_what="How long ago the oldest trip still open in this status was requested.")
