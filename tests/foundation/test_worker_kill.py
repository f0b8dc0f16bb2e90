"""One worker process SIGKILLed among several: no job may vanish, no process of its may linger."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Retry, Worker

from saas.config import PROJECT_ROOT
from tests.conftest import process_env, wait_for

pytestmark = pytest.mark.services


def _children_of(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (from /proc: no psutil needed)."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            children.add(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_worker(app, redis_url: str, name: str) -> subprocess.Popen:
    env = {**os.environ, **process_env(app, REDIS_URL=redis_url)}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--no-cron", "--name", name],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_killing_one_worker_loses_no_job_and_leaves_no_process_behind(app, redis_server):
    """RQ's forked scheduler outlived its SIGKILLed worker, holding its BLPOP socket: the next job vanished."""
    connection = Redis.from_url(redis_server.url)
    workers = [_start_worker(app, redis_server.url, f"kill-test-{n}") for n in (1, 2)]
    left_behind: set[int] = set()
    try:
        def both_idle():
            found = Worker.all(connection=connection)
            return len(found) == 2 and all(w.get_state() == "idle" for w in found)

        wait_for(both_idle, timeout=60, interval=0.2, message="two idle workers")
        # The worst case: the worker that runs the scheduler, if either has a child process.
        victim = next((w for w in workers if _children_of(w.pid)), workers[0])
        left_behind = _children_of(victim.pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)

        queue = Queue("default", connection=connection)
        jobs = []
        for n in range(12):
            jobs.append(queue.enqueue("saas.jobs.selfcheck", f"after-kill-{n}", result_ttl=600))
            time.sleep(0.1)  # one by one, so each blocked connection gets its turn

        def all_finished():
            return all(job.get_status(refresh=True).value == "finished" for job in jobs)

        try:
            wait_for(all_finished, timeout=30, interval=0.2, message="every job to finish")
        except AssertionError:
            lost = [job.id for job in jobs if job.get_status(refresh=True).value != "finished"]
            raise AssertionError(f"{len(lost)} of {len(jobs)} jobs never ran after the kill: {lost}") from None

        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in left_behind) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in left_behind if _alive(pid)], "a child of the killed worker is still running"

        # Delayed work still moves: a job for later, and a job's retry.
        later = queue.enqueue_in(timedelta(seconds=1), "saas.jobs.selfcheck", "later", result_ttl=600)
        retried = queue.enqueue("tests.foundation.job_helpers.fail_once", "test:fail-once", result_ttl=600,
                                retry=Retry(max=1, interval=1))
        wait_for(lambda: later.get_status(refresh=True).value == "finished"
                 and retried.get_status(refresh=True).value == "finished",
                 timeout=30, interval=0.2, message="the delayed job and the retry to run")
    finally:
        for process in workers:
            if process.poll() is None:
                process.terminate()
        for process in workers:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        for pid in left_behind:  # an orphan the old code left: it is ours to end
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
