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
