"""Jobs go through RQ: after commit, on real Redis with real workers, or embedded in-process."""
from __future__ import annotations

import os
import time

import pytest
from rq.job import Job

from saas import create_app
from saas.extensions import db
from saas.jobs import enqueue_after_commit, runtime, selfcheck
from tests.conftest import base_config, flask_command, process_env


def test_enqueue_after_commit_waits_for_the_commit_and_forgets_a_rollback(app):
    with app.app_context():
        queue = runtime().queue("default")
        enqueue_after_commit(selfcheck, "rolled-back")
        db.session.rollback()
        assert queue.count == 0
        enqueue_after_commit(selfcheck, "committed")
        assert queue.count == 0
        db.session.commit()
        assert queue.count == 1
        assert runtime().run_pending() == 1
        job = Job.fetch(queue.finished_job_registry.get_job_ids()[0], connection=runtime().connection())
        assert job.return_value()["marker"] == "committed"


def test_embedded_mode_runs_jobs_in_the_background_through_rq(tmp_path, database_url):
    app = create_app(base_config(tmp_path, database_url, REDIS_URL=None, EMBEDDED_WORKER="thread"))
    job_runtime = runtime(app)
    assert job_runtime.embedded
    try:
        with app.app_context():
            job = job_runtime.enqueue(selfcheck, "embedded")
        deadline = time.monotonic() + 15
        while job.get_status(refresh=True).value != "finished" and time.monotonic() < deadline:
            time.sleep(0.05)
        result = job.return_value()
        assert result["marker"] == "embedded" and result["database"] is True
        assert result["pid"] == os.getpid()  # the same process: no server needed
    finally:
        job_runtime.stop_embedded_worker()


@pytest.mark.services
def test_a_job_runs_through_real_redis_in_a_real_worker_process(app, redis_server):
    worker_app = create_app({**app.config, "REDIS_URL": redis_server.url})
    with worker_app.app_context():
        job = runtime(worker_app).enqueue(selfcheck, "real-redis", result_ttl=600)
    flask_command("worker", "--burst", env=process_env(app, REDIS_URL=redis_server.url))
    job.refresh()
    assert job.get_status().value == "finished"
    answer = job.return_value()
    assert answer["marker"] == "real-redis" and answer["database"] is True
    assert answer["pid"] != os.getpid()


@pytest.mark.services
def test_jobs_selfcheck_command_waits_for_a_worker(app, redis_server):
    import subprocess
    import sys

    from saas.config import PROJECT_ROOT

    env = {**os.environ, **process_env(app, REDIS_URL=redis_server.url)}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--no-cron"],
                              cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        result = flask_command("jobs", "selfcheck", "--timeout", "60",
                               env=process_env(app, REDIS_URL=redis_server.url))
        assert "A worker answered" in result.stdout
    finally:
        worker.terminate()
        worker.wait(20)


# -- a database blip is retried soon, by the worker plumbing ------------------------------------
def _wait_until_done(job_runtime, job, timeout: float = 30):
    """Work the queues, delayed jobs included, until the job has an end (or time is up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job_runtime.run_pending(include_scheduled=True)
        status = job.get_status(refresh=True).value
        if status in ("finished", "failed"):
            return status
        time.sleep(0.2)
    return job.get_status(refresh=True).value


def test_a_job_that_meets_a_database_error_is_retried_soon_without_using_its_own_retries(app):
    """A PostgreSQL restart must not send a job to the failed registry to wait minutes for the sweeper."""
    from rq import Retry

    from tests.foundation.job_helpers import database_error_once

    job_runtime = runtime(app)
    with app.app_context():
        pool_before = db.engine.pool
        job = job_runtime.enqueue(database_error_once, "test:db-error-once", retry=Retry(max=2, interval=[600]))
    job_runtime.run_pending()
    job.refresh()
    assert job.get_status().value == "scheduled"  # not failed, not given up
    assert job.retries_left == 2  # the job's own retries are kept for its own troubles
    assert _wait_until_done(job_runtime, job) == "finished"
    job.refresh()
    assert job.return_value() == "after the database came back"
    assert job.retries_left == 2  # the job's own retries are kept for its own troubles
    assert job.id not in job_runtime.queue("default").failed_job_registry.get_job_ids()
    with app.app_context():
        assert db.engine.pool is not pool_before  # the broken pool was thrown away


def test_a_job_that_fails_for_another_reason_still_fails_at_once(app):
    """Only the database's connection trouble is retried quietly; a bug still shows up as a failure."""
    from tests.foundation.job_helpers import value_error

    job_runtime = runtime(app)
    with app.app_context():
        job = job_runtime.enqueue(value_error, "test:value-error")
    job_runtime.run_pending()
    assert job.get_status(refresh=True).value == "failed"
    assert job.id in job_runtime.queue("default").failed_job_registry.get_job_ids()
