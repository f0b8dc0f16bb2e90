"""The cron leader: each periodic job runs once per interval, whoever leads, and a takeover is quick."""
from __future__ import annotations

import time

import pytest

from saas.jobs import runtime, selfcheck

# -- the cron leader: one run per interval, whoever leads ---------------------------------------
def _enqueued_functions(job_runtime) -> dict[str, int]:
    counts: dict[str, int] = {}
    for queue in job_runtime.queues():
        for job in queue.get_jobs():
            counts[job.func_name] = counts.get(job.func_name, 0) + 1
    return counts


def _periodic_names(job_runtime) -> set[str]:
    return {f"{item.func.__module__}.{item.func.__name__}" for item in job_runtime.periodic_jobs}


class _Clock:
    def __init__(self):
        from datetime import datetime, timezone

        self.now = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.now += timedelta(seconds=seconds)


def test_a_new_cron_leader_runs_nothing_before_its_interval_has_passed(app):
    """A takeover used to re-run every periodic job at once (reminders, digests, the address purge)."""
    from saas.jobs import CronLeader

    job_runtime = runtime(app)
    clock = _Clock()
    first = CronLeader(job_runtime, clock=clock)
    first.tick()
    once = _enqueued_functions(job_runtime)
    assert once == {name: 1 for name in _periodic_names(job_runtime)}  # each never-run job runs once
    first.stop()

    clock.advance(30)
    second = CronLeader(job_runtime, clock=clock)
    second.tick()
    assert second.is_leader
    assert _enqueued_functions(job_runtime) == once  # nothing early

    clock.advance(31)  # 61 s after the first round: only the sweeper (every 60 s) is due
    second.tick()
    again = _enqueued_functions(job_runtime)
    assert again.pop("saas.notifications.jobs.sweep_outbox") == 2
    assert all(again[name] == 1 for name in again)
    second.stop()


def test_an_interval_job_never_run_before_runs_once_under_a_new_leader(app):
    """Keeping last runs must not keep a newly added periodic job from ever running."""
    from saas.jobs import CronLeader, PeriodicJob

    job_runtime = runtime(app)
    clock = _Clock()
    CronLeader(job_runtime, clock=clock).tick()  # the old leader, then killed: it never stops
    added = PeriodicJob(selfcheck, "default", interval=600)
    job_runtime.periodic_jobs.append(added)
    try:
        job_runtime.connection().delete("antar:cron:leader")  # its lease has run out
        clock.advance(5)
        newcomer = CronLeader(job_runtime, clock=clock)
        newcomer.tick()
        newcomer.tick()
        counts = _enqueued_functions(job_runtime)
        assert counts["saas.jobs.selfcheck"] == 1
        assert all(counts[name] == 1 for name in _periodic_names(job_runtime))
    finally:
        job_runtime.periodic_jobs.remove(added)


def test_a_cron_leader_that_stops_hands_over_at_once_and_a_killed_one_within_its_lease(app):
    """Takeover took 52-56 s: periodic work stood still for most of a minute after each restart."""
    from saas.jobs import CronLeader
    from tests.conftest import wait_for

    job_runtime = runtime(app)
    stopping = CronLeader(job_runtime)
    stopping.start()
    wait_for(lambda: stopping.is_leader, timeout=10, message="the first leader")
    stopping.stop()
    successor = CronLeader(job_runtime)
    successor.tick()
    assert successor.is_leader  # no wait at all after a clean stop

    # The successor now dies without a word (SIGKILL): its lease must run out soon enough.
    started = time.monotonic()
    heir = CronLeader(job_runtime)
    heir.start()
    try:
        wait_for(lambda: heir.is_leader, timeout=30, interval=0.2, message="a new leader after a kill")
    finally:
        heir.stop()
    assert time.monotonic() - started <= 30


# -- a real leader process killed -----------------------------------------------------------------
def _leader_pid(connection) -> int | None:
    """The pid in the lease holder's identity (``antar-cron-<host>-<pid>-<random>``)."""
    from saas.jobs import CRON_LEADER_KEY

    identity = connection.get(CRON_LEADER_KEY)
    return int(identity.decode().split("-")[-2]) if identity else None


def _runs(connection, names: set[str]) -> dict[str, list[float]]:
    """Each periodic job's enqueue times (Redis clock), oldest first, from RQ's cron history."""
    from rq.cron import get_cron_job_history_key

    return {name: sorted(score for _id, score in connection.zrange(get_cron_job_history_key(name), 0, -1,
                                                                     withscores=True)) for name in names}


@pytest.mark.services
def test_killing_the_cron_leader_process_runs_each_periodic_job_once_and_loses_no_job(app, redis_server, tmp_path):
    """Two real workers; the one holding the cron lease is SIGKILLed (that process alone). Its heir
    takes over within the lease and runs nothing before its time: each periodic job once, the
    sweeper (every 10 s here, 60 s in production) never sooner than its interval after the last
    run, whichever leader ran it. Jobs enqueued during the takeover all run."""
    import os
    import signal
    import subprocess
    import sys

    from redis import Redis
    from rq import Queue

    from saas.config import PROJECT_ROOT
    from tests.conftest import process_env, wait_for

    connection = Redis.from_url(redis_server.url)
    env = {**os.environ, **process_env(app, REDIS_URL=redis_server.url, ANTAR_SWEEP_INTERVAL="10")}
    names = _periodic_names(runtime(app))
    sweeper = "saas.notifications.jobs.sweep_outbox"
    interval_jobs = {f"{p.func.__module__}.{p.func.__name__}" for p in runtime(app).periodic_jobs if p.cron is None}
    workers = []
    for n in (1, 2):
        with open(tmp_path / f"worker-{n}.log", "w") as log:
            workers.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--name",
                                             f"cron-kill-{n}"], cwd=PROJECT_ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True))
    try:
        wait_for(lambda: all(_runs(connection, interval_jobs).values()), timeout=90, interval=0.2,
                 message="the first leader to run every periodic job once")
        leader = _leader_pid(connection)
        victim = next(w for w in workers if w.pid == leader)
        heir = next(w for w in workers if w.pid != leader)
        victim.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        victim.wait(10)

        queue = Queue("default", connection=connection)
        jobs = [queue.enqueue("saas.jobs.selfcheck", f"takeover-{n}", result_ttl=600) for n in range(12)]
        wait_for(lambda: _leader_pid(connection) == heir.pid, timeout=30, interval=0.2, message="the heir to lead")
        assert time.monotonic() - killed_at <= 30
        time.sleep(12)  # the heir's own sweeper run, at least one interval after the dead leader's
        wait_for(lambda: all(j.get_status(refresh=True).value == "finished" for j in jobs), timeout=30,
                 interval=0.2, message="every job enqueued during the takeover to run")

        runs = _runs(connection, names)
        for name in interval_jobs - {sweeper}:
            assert len(runs[name]) == 1, f"{name} ran {len(runs[name])} times across the takeover"
        for name in names - interval_jobs:  # cron-scheduled: at most its own time, once
            assert len(runs[name]) <= 1, name
        gaps = [b - a for a, b in zip(runs[sweeper], runs[sweeper][1:])]
        assert len(runs[sweeper]) >= 2 and all(gap >= 10 - 0.01 for gap in gaps), runs[sweeper]
    finally:
        for process in workers:
            if process.poll() is None:
                process.terminate()
        for process in workers:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
