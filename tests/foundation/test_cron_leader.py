"""The cron leader: each periodic job runs once per interval, whoever leads, and a takeover is quick."""
from __future__ import annotations

import time

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
