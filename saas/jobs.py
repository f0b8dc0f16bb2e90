"""Background jobs on RQ: the one place that makes queues, enqueues after commit, and runs workers.

Production talks to Redis (``REDIS_URL``) and runs ``flask --app wsgi worker`` processes.
Embedded mode (no ``REDIS_URL``) keeps the very same RQ queues, jobs and worker code, on an
in-process Redis stand-in (fakeredis) worked by a background thread, so the demo needs no server.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from flask import Flask, current_app, g
from redis import Redis
from redis.exceptions import RedisError, WatchError
from rq import Queue, Retry, SimpleWorker, Worker
from rq import cron_job_registry
from rq.cron import CronJob, CronScheduler
from rq.job import Job
from rq.scheduler import RQScheduler
from rq.scripts import acquire_or_refresh_lock, release_lock
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from saas.extensions import db

log = logging.getLogger(__name__)

#: In the order a worker takes them: what a citizen is waiting for first, bulk messages and rollups last.
QUEUE_NAMES = ("notifications", "couriers", "default", "notifications_bulk", "stats")
_PENDING_KEY = "antar_jobs_after_commit"
CRON_LEADER_KEY = "antar:cron:leader"
#: When each periodic job was last enqueued (epoch seconds, by job name), shared by every leader.
CRON_LAST_ENQUEUED_KEY = "antar:cron:last-enqueued"
#: Back-off for a job that met a dropped database connection; these retries are not the job's own.
DATABASE_RETRY_DELAYS = (1, 2, 5, 10)


@dataclass(frozen=True)
class PeriodicJob:
    func: object
    queue: str
    interval: int | None = None
    cron: str | None = None
    interval_setting: str | None = None

    def every(self, app: Flask) -> int | None:
        if self.interval_setting and app.config.get(self.interval_setting):
            return int(app.config[self.interval_setting])
        return self.interval


def periodic(*, queue: str, interval: int | None = None, cron: str | None = None,
             interval_setting: str | None = None):
    """Declare the decorated job's schedule: every ``interval`` seconds (or the app setting named
    ``interval_setting``), or a ``cron`` schedule (the worker host's clock). It runs only once
    its capability's ``wire`` hands it to ``register_periodic``."""

    def decorator(func):
        func.antar_periodic = PeriodicJob(func, queue, interval, cron, interval_setting)
        return func

    return decorator


def register_periodic(app: Flask, *funcs) -> None:
    """Give the cron leader of ``app`` these ``@periodic`` jobs."""
    registered = runtime(app).periodic_jobs
    for func in funcs:
        if func.antar_periodic not in registered:
            registered.append(func.antar_periodic)


class JobRuntime:
    """The app's handle on Redis and its queues (one per app, in ``app.extensions``)."""

    def __init__(self, app: Flask):
        self.app = app
        self.redis_url = app.config.get("REDIS_URL")
        self.embedded = not self.redis_url
        # fakeredis is imported only here: a process with a real Redis never needs the stand-in.
        self._server = _fakeredis().FakeServer() if self.embedded else None
        self._connection: Redis | None = None
        self._embedded_worker: EmbeddedWorker | None = None
        self._lock = threading.Lock()
        #: Periodic work, handed over by each capability's ``wire``; run by the cron leader.
        self.periodic_jobs: list[PeriodicJob] = []

    # -- connections -------------------------------------------------------------------
    def connection(self) -> Redis:
        """For enqueuing and reading (short timeouts: a Redis outage must not hang a page)."""
        if self._connection is None:
            if self.embedded:
                self._connection = _fakeredis().FakeRedis(server=self._server)
            else:
                self._connection = Redis.from_url(
                    self.redis_url, socket_connect_timeout=2, socket_timeout=5,
                    health_check_interval=30,
                )
        return self._connection

    def worker_connection(self) -> Redis:
        """For workers, whose blocking pops outlast any short socket timeout."""
        if self.embedded:
            return _fakeredis().FakeRedis(server=self._server)
        return Redis.from_url(self.redis_url, socket_connect_timeout=5, health_check_interval=30)

    def queue(self, name: str = "default", connection: Redis | None = None) -> Queue:
        if name not in QUEUE_NAMES:
            raise ValueError(f"unknown queue {name!r}")
        return Queue(name, connection=connection or self.connection())

    def queues(self, connection: Redis | None = None) -> list[Queue]:
        return [self.queue(name, connection) for name in QUEUE_NAMES]

    # -- enqueuing ----------------------------------------------------------------------
    def enqueue(self, func, *args, queue: str = "default", **options) -> Job:
        job = self.queue(queue).enqueue(func, *args, **options)
        self._nudge_embedded_worker()
        return job

    def enqueue_many(self, func, argument_lists: list[tuple], *, queue: str = "default", **options) -> list[Job]:
        """One Redis pipeline for many jobs of the same function (a burst of messages, say)."""
        jobs = self.queue(queue).enqueue_many(
            [Queue.prepare_data(func, args, **options) for args in argument_lists])
        self._nudge_embedded_worker()
        return jobs

    def enqueue_in(self, delay: float, func, *args, queue: str = "default", **options) -> Job:
        return self.queue(queue).enqueue_in(timedelta(seconds=delay), func, *args, **options)

    def _nudge_embedded_worker(self) -> None:
        if self.embedded:
            self.ensure_embedded_worker()
            if self._embedded_worker is not None:
                self._embedded_worker.wake()

    # -- embedded worker ------------------------------------------------------------------
    def ensure_embedded_worker(self) -> None:
        if not self.embedded or self.app.config.get("EMBEDDED_WORKER") != "thread":
            return
        with self._lock:
            if self._embedded_worker is None or not self._embedded_worker.is_alive():
                self._embedded_worker = EmbeddedWorker(self)
                self._embedded_worker.start()

    def stop_embedded_worker(self, timeout: float = 10) -> None:
        worker, self._embedded_worker = self._embedded_worker, None
        if worker is not None:
            worker.stop(timeout)

    def run_pending(self, *, include_scheduled: bool = False, rounds: int = 20) -> int:
        """Work every queued job in this thread until the queues are empty (tests, scripts).

        Jobs a job enqueues are worked too. ``include_scheduled`` first moves delayed jobs
        (retries, ``enqueue_in``) whose time has come onto their queues.
        """
        connection = self.worker_connection()
        done = 0
        for _ in range(rounds):
            if include_scheduled:
                _enqueue_due_scheduled(self, connection)
            queues = self.queues(connection)
            if not any(q.count for q in queues):
                break
            worker = InlineWorker(queues, connection=connection, app=self.app,
                                  name=f"inline-{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}")
            worker.work(burst=True, logging_level="WARNING")
            done += worker.jobs_done
        return done


class DueJobMover:
    """Moves delayed jobs (``enqueue_in``, retries) whose time has come onto their queues.

    RQ's own ``RQScheduler.enqueue_scheduled_jobs``, under RQ's per-queue scheduler locks, but
    called from a process Antar owns instead of RQ's forked scheduler: the locks are held only
    for one move (``LOCK_SECONDS`` at most, should the process die during it), so any worker
    can do the next move.
    """

    LOCK_SECONDS = 10

    def __init__(self, connection: Redis):
        self.scheduler = RQScheduler(list(QUEUE_NAMES), connection=connection, logging_level="WARNING",
                                     name=f"antar-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}")

    def move_due(self) -> None:
        scheduler = self.scheduler
        scheduler._acquired_locks = {
            name for name in QUEUE_NAMES
            if acquire_or_refresh_lock(scheduler.connection, scheduler.get_locking_key(name), scheduler.name,
                                       self.LOCK_SECONDS) != "taken"}
        scheduler._scheduled_job_registries = []
        try:
            scheduler.enqueue_scheduled_jobs()
        finally:
            scheduler.release_locks()


def _enqueue_due_scheduled(runtime: JobRuntime, connection: Redis) -> None:
    DueJobMover(connection).move_due()


class SchedulerThread(threading.Thread):
    """The worker's scheduler: a thread of the worker process, so it dies with it.

    RQ's ``work(with_scheduler=True)`` forks its scheduler as a child process; a SIGKILLed
    worker left it running with the scheduler lock and the dead worker's blocking BLPOP socket,
    and the next job Redis handed to that socket vanished.
    """

    INTERVAL_SECONDS = 1

    def __init__(self, job_runtime: JobRuntime):
        super().__init__(name="antar-scheduler", daemon=True)
        self.mover = DueJobMover(job_runtime.worker_connection())
        self._stop_event = threading.Event()

    def stop(self, timeout: float = 10) -> None:
        self._stop_event.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout)

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.mover.move_due()
            except Exception:
                log.warning("moving due delayed jobs failed", exc_info=True)
            self._stop_event.wait(self.INTERVAL_SECONDS)


def runtime(app: Flask | None = None) -> JobRuntime:
    return (app or current_app).extensions["antar_jobs"]


def enqueue(func, *args, queue: str = "default", **options) -> Job:
    """Enqueue now. Prefer ``enqueue_after_commit`` when the job reads rows this request writes."""
    return runtime().enqueue(func, *args, queue=queue, **options)


# -- after commit ---------------------------------------------------------------------------
def after_commit(action: Callable[[list], None], item) -> None:
    """Run ``action(items)`` once the current transaction commits, with every ``item`` handed
    to the same action in that transaction, in order (never for a rolled-back transaction).

    The one way a capability does something after its rows are safely written: enqueue the
    jobs that read them, mark them queued, coalesce refreshes. If the action fails (Redis
    unreachable, say) it is logged and dropped, by design harmlessly: work that must happen is
    recorded in a database row first, and a sweeper or a periodic job picks it up again.
    """
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback, even of nothing, forgets the action
    session.info.setdefault(_PENDING_KEY, {}).setdefault(action, []).append(item)


def enqueue_after_commit(func, *args, queue: str = "default", **options) -> None:
    """Enqueue once the current transaction commits; ``func`` may be a dotted name."""
    after_commit(_enqueue_all, (func, args, dict(options, queue=queue)))


def _enqueue_all(jobs: list) -> None:
    job_runtime = runtime()
    for func, args, options in jobs:
        job_runtime.enqueue(func, *args, **options)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session):
    if session.in_nested_transaction():
        return  # a savepoint was released; the real commit is still to come
    pending = session.info.pop(_PENDING_KEY, None)
    for action, items in (pending or {}).items():
        try:
            action(items)
        except Exception:
            log.warning("after-commit %s failed for %d item(s); left for the sweepers",
                        getattr(action, "__qualname__", action), len(items), exc_info=True)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session, previous_transaction):
    if previous_transaction.parent is None:  # the outermost transaction is gone
        session.info.pop(_PENDING_KEY, None)


def default_retry() -> Retry:
    """Transient failures: try again after 30 s, 2 min, 10 min and 1 h."""
    return Retry(max=4, interval=[30, 120, 600, 3600])


# -- workers ------------------------------------------------------------------------------
class _AppContextMixin:
    """Runs each job inside the Flask app's context (the job then sees db, config, …)."""

    def __init__(self, *args, app: Flask, **kwargs):
        self.app = app
        super().__init__(*args, **kwargs)

    def perform_job(self, job, queue, execution):
        with self.app.app_context():
            g.job_kind = job.func_name  # what the job is, for whoever counts its work (the console)
            return super().perform_job(job, queue, execution)

    def _finalize_failure(self, job, queue, execution, exc_info):
        """A dropped database connection (PostgreSQL restarting, say) is passing trouble: throw the
        broken pool away and try the job again shortly, as if it had returned RQ's ``Retry``.

        Those retries count in ``job.number_of_retries``, not in the job's own ``retries_left``;
        jobs are idempotent by design. After the last delay the failure takes RQ's usual path.
        """
        tries = job.number_of_retries or 0
        if is_database_connection_error(exc_info[1]) and tries < len(DATABASE_RETRY_DELAYS):
            _dispose_database_pools()
            log.warning("job %s met a database connection error (%s); retrying in %s s", job.id,
                        type(exc_info[1]).__name__, DATABASE_RETRY_DELAYS[tries])
            return self._finalize_success(job, queue, execution,
                                          Retry(max=len(DATABASE_RETRY_DELAYS), interval=list(DATABASE_RETRY_DELAYS)))
        return super()._finalize_failure(job, queue, execution, exc_info)


def _fakeredis():
    import fakeredis

    return fakeredis


def is_database_connection_error(exc: BaseException | None) -> bool:
    """True for a lost or refused database connection, anywhere in the exception's chain."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, (sa_exc.OperationalError, sa_exc.DisconnectionError)):
            return True
        if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _dispose_database_pools() -> None:
    try:
        db.session.remove()
    except Exception:  # the session's own connection may be the broken one
        log.debug("could not close the session cleanly", exc_info=True)
    for engine in db.engines.values():
        engine.dispose()


class AppWorker(_AppContextMixin, SimpleWorker):
    """The production worker: runs jobs in its own process, one after another.

    Antar's jobs are short and spend their time waiting on HTTP and the database, so the
    worker keeps its connection pools instead of forking a fresh process per job (RQ's
    default); ``flask worker --fork`` gives that isolation back where it is wanted.
    """

    max_connection_wait_time = 5.0  # back on its feet within seconds of Redis returning


class ForkingAppWorker(_AppContextMixin, Worker):
    """RQ's classic worker: a forked work horse per job."""

    max_connection_wait_time = 5.0

    def main_work_horse(self, job, queue):
        # The horse must not share the parent's database connections.
        with self.app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)
        return super().main_work_horse(job, queue)


class InlineWorker(_AppContextMixin, SimpleWorker):
    """Runs jobs in the calling thread: the embedded worker and ``run_pending``."""

    death_penalty_class = TimerDeathPenalty
    jobs_done = 0

    def execute_job(self, job, queue):
        self.jobs_done += 1
        return super().execute_job(job, queue)

    def _install_signal_handlers(self):
        if threading.current_thread() is threading.main_thread():
            super()._install_signal_handlers()


#: How long a worker's heartbeat key lives: a worker not heard of for this long is gone.
EMBEDDED_HEARTBEAT_TTL = 60


def worker_heartbeats(connection: Redis) -> list[dict]:
    """Every worker that beat lately, read from its own heartbeat key (``rq:worker:<name>``).

    RQ's ``rq:workers`` set is written only when a worker starts, so a Redis restart loses it
    while the workers carry on; each worker's heartbeat writes its own key again, so these keys
    are the ones to read. The embedded worker beats into the same kind of key.
    """
    prefix = Worker.redis_worker_namespace_prefix
    found = []
    for key in connection.scan_iter(match=f"{prefix}*", count=500):
        name = (key.decode() if isinstance(key, bytes) else key)[len(prefix):]
        if not name or ":" in name or connection.type(key) not in (b"hash", "hash"):
            continue  # rq:worker:<name>:executions and the like
        fields = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                  for k, v in connection.hgetall(key).items()}
        if fields:
            found.append({"name": name, **fields})
    return sorted(found, key=lambda w: w["name"])


class EmbeddedWorker(threading.Thread):
    """Embedded mode's worker: the same RQ queues and jobs, worked by a daemon thread."""

    def __init__(self, job_runtime: JobRuntime):
        super().__init__(name="antar-embedded-worker", daemon=True)
        self.worker_name = f"antar-embedded-{socket.gethostname()}-{os.getpid()}"
        self.runtime = job_runtime
        self._stop_event = threading.Event()
        self._wake_event = threading.Event()

    def wake(self) -> None:
        self._wake_event.set()

    def beat(self, connection: Redis) -> None:
        """Say this worker lives, where the console reads every worker's heartbeat."""
        key = f"{Worker.redis_worker_namespace_prefix}{self.worker_name}"
        connection.hset(key, mapping={"state": "embedded", "queues": ",".join(QUEUE_NAMES),
                                      "last_heartbeat": datetime.now(timezone.utc).isoformat(),
                                      "hostname": socket.gethostname(), "pid": str(os.getpid())})
        connection.expire(key, EMBEDDED_HEARTBEAT_TTL)

    def stop(self, timeout: float = 10) -> None:
        self._stop_event.set()
        self._wake_event.set()
        self.join(timeout)

    def run(self) -> None:
        cron = build_cron(self.runtime)
        last_tick = 0.0
        while not self._stop_event.is_set():
            try:
                if time.monotonic() - last_tick >= 1:
                    last_tick = time.monotonic()
                    connection = self.runtime.connection()
                    self.beat(connection)
                    _enqueue_due_scheduled(self.runtime, connection)
                    enqueue_due_periodic(cron, connection, datetime.now(timezone.utc))
                self.runtime.run_pending()
            except Exception:
                log.exception("embedded worker round failed")
            self._wake_event.wait(0.5)
            self._wake_event.clear()


def build_cron(job_runtime: JobRuntime, connection: Redis | None = None) -> CronScheduler:
    cron = CronScheduler(connection=connection or job_runtime.connection(), logging_level="WARNING",
                         name=f"antar-cron-{socket.gethostname()}-{os.getpid()}")
    for item in job_runtime.periodic_jobs:
        cron.register(item.func, queue_name=item.queue, interval=item.every(job_runtime.app), cron=item.cron)
    return cron


def enqueue_due_periodic(cron: CronScheduler, connection: Redis, now: datetime) -> list[str]:
    """Enqueue each periodic job whose time has come since it was last enqueued, by any leader.

    RQ's ``CronScheduler`` remembers last runs in its own memory only and runs a never-run
    interval job at once, so each new leader used to run everything again. The last enqueue
    time of each job lives in Redis instead (``CRON_LAST_ENQUEUED_KEY``), and a job is
    enqueued and its time recorded in one transaction: two would-be leaders cannot both run it.
    """
    return [job.name for job in cron.get_jobs() if _enqueue_if_due(job, connection, now)]


def _enqueue_if_due(job: CronJob, connection: Redis, now: datetime) -> bool:
    from rq.defaults import DEFAULT_CRON_JOB_HISTORY_LIMIT, DEFAULT_CRON_JOB_HISTORY_TTL

    stamp = now.timestamp()
    with connection.pipeline() as pipe:
        try:
            pipe.watch(CRON_LAST_ENQUEUED_KEY)
            last = pipe.hget(CRON_LAST_ENQUEUED_KEY, job.name)
            if last is not None:  # keep RQ's own view (monitoring, sleep interval) in step
                job.set_enqueue_time(datetime.fromtimestamp(float(last), timezone.utc))
            if last is not None or job.cron:
                due = job.next_enqueue_time is not None and now >= job.next_enqueue_time
            else:
                due = True  # an interval job no leader has ever run
            if not due:
                pipe.unwatch()
                return False
            pipe.multi()
            queue = Queue(job.queue_name, connection=connection)
            enqueued = queue.enqueue(job.func, args=job.args, kwargs=job.kwargs, **job.job_options, pipeline=pipe)
            pipe.hset(CRON_LAST_ENQUEUED_KEY, job.name, f"{stamp:.6f}")
            pipe.zadd(job.job_history_key, {enqueued.id: stamp})
            pipe.zremrangebyrank(job.job_history_key, 0, -(DEFAULT_CRON_JOB_HISTORY_LIMIT + 1))
            pipe.expire(job.job_history_key, DEFAULT_CRON_JOB_HISTORY_TTL)
            cron_job_registry.add(job.name, pipe, enqueue_timestamp=stamp)
            pipe.execute()
        except WatchError:
            return False  # another leader wrote a last run meanwhile: look again next round
    job.set_enqueue_time(now)
    log.info("enqueued periodic job %s", job.name)
    return True


class CronLeader(threading.Thread):
    """Enqueues periodic jobs from one worker only, however many run (a Redis lease).

    The lease lasts ``LEASE_SECONDS`` and the leader renews it every ``RENEW_SECONDS``; a
    leader that stops releases it at once (only if it still holds it), so a clean restart hands
    over within a second and a killed leader within the lease. Time is Redis's own clock
    (``TIME``), shared by every would-be leader whatever its host's clock says.
    """

    LEASE_SECONDS = 15
    RENEW_SECONDS = 5
    FOLLOWER_POLL_SECONDS = 1

    def __init__(self, job_runtime: JobRuntime, clock: Callable[[], datetime] | None = None):
        super().__init__(name="antar-cron", daemon=True)
        self.connection = job_runtime.worker_connection()
        self.cron = build_cron(job_runtime, self.connection)
        self.identity = f"{self.cron.name}-{uuid.uuid4().hex[:8]}"
        self.clock = clock or self._redis_time
        self.is_leader = False
        self._stop_event = threading.Event()

    def _redis_time(self) -> datetime:
        seconds, microseconds = self.connection.time()
        return datetime.fromtimestamp(seconds + microseconds / 1e6, timezone.utc)

    def _lead(self) -> bool:
        outcome = acquire_or_refresh_lock(self.connection, CRON_LEADER_KEY, self.identity, self.LEASE_SECONDS)
        self.is_leader = outcome != "taken"
        return self.is_leader

    def tick(self) -> list[str]:
        """One round: take or renew the lease, and if it is ours enqueue what is due."""
        if not self._lead():
            return []
        return enqueue_due_periodic(self.cron, self.connection, self.clock())

    def release(self) -> None:
        """Give the lease up now, if it is still ours (compare-and-delete)."""
        try:
            release_lock(self.connection, CRON_LEADER_KEY, self.identity)
        except RedisError:
            log.warning("could not release the cron lease; it runs out within %s s", self.LEASE_SECONDS)
        self.is_leader = False

    def stop(self, timeout: float = 10) -> None:
        self._stop_event.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout)
        self.release()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.tick()
            except Exception:
                self.is_leader = False
                log.warning("cron round failed", exc_info=True)
            if self.is_leader:
                wait = min(max(self.cron.calculate_sleep_interval(), 0.5), self.RENEW_SECONDS)
            else:
                wait = self.FOLLOWER_POLL_SECONDS
            self._stop_event.wait(wait)


def run_worker(app: Flask, queue_names: list[str], *, burst: bool = False, with_cron: bool = True,
               name: str | None = None, fork: bool = False) -> bool:
    """Work the queues until told to stop; a worker that Redis knocked over is started again.

    Delayed jobs are moved by a thread of this process (``SchedulerThread``), never by RQ's
    forked scheduler, so nothing of a killed worker outlives it.
    """
    job_runtime = runtime(app)
    worker_class = InlineWorker if job_runtime.embedded else (ForkingAppWorker if fork else AppWorker)
    leader = scheduler = None
    if burst:
        try:
            _enqueue_due_scheduled(job_runtime, job_runtime.worker_connection())
        except RedisError as exc:
            log.warning("could not move due delayed jobs (%s)", exc)
    else:
        scheduler = SchedulerThread(job_runtime)
        scheduler.start()
        if with_cron and job_runtime.periodic_jobs:
            leader = CronLeader(job_runtime)
            leader.start()
    try:
        while True:
            worker = None
            try:
                connection = job_runtime.worker_connection()
                queues = [job_runtime.queue(q, connection) for q in queue_names]
                worker = worker_class(queues, connection=connection, app=app, name=name)
                worked = worker.work(burst=burst, with_scheduler=False)
            except RedisError as exc:
                log.warning("worker cannot reach Redis (%s); trying again shortly", exc)
                worked = False
            asked_to_stop = worker is not None and (worker._stop_requested or worker._shutdown_requested_date)
            if burst or asked_to_stop:
                return worked
            time.sleep(1)
            name = None  # the old name may still be registered until its key expires
    finally:
        if leader:
            leader.stop()
        if scheduler:
            scheduler.stop()


def init_app(app: Flask) -> None:
    app.extensions["antar_jobs"] = JobRuntime(app)


def selfcheck(marker: str) -> dict:
    """A job that proves a worker runs with the app: it answers from the worker's own process."""
    from sqlalchemy import text

    return {
        "marker": marker,
        "pid": os.getpid(),
        "database": db.session.execute(text("select 1")).scalar_one() == 1,
        "app": current_app.import_name,
    }
