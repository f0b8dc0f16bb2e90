"""``flask --app wsgi worker``, unchanged, that also writes down the CPU it has spent and its database
round trips (statements, commits, rollbacks), for the messages benchmark only:

    python -m tests.benchmarks.worker_probe -q notifications …   (ANTAR_BENCH_PROBE=<file>)

Every quarter second the file holds ``{"cpu": seconds, "statements": n, "commits": n, "rollbacks": n}``.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

counts = {"statements": 0, "commits": 0, "rollbacks": 0}


@event.listens_for(Engine, "before_cursor_execute")
def _statement(*_args):
    counts["statements"] += 1


@event.listens_for(Engine, "commit")
def _commit(*_args):
    counts["commits"] += 1


@event.listens_for(Pool, "reset")
def _rollback(*_args):  # a connection returned to the pool is rolled back: one more round trip
    counts["rollbacks"] += 1


def _write(path: str) -> None:
    while True:
        times = os.times()
        with open(path + ".tmp", "w") as out:
            json.dump({"cpu": times.user + times.system, **counts}, out)
        os.replace(path + ".tmp", path)
        time.sleep(0.25)


if __name__ == "__main__":
    threading.Thread(target=_write, args=(os.environ["ANTAR_BENCH_PROBE"],), daemon=True).start()
    from flask.cli import main

    sys.argv = ["flask", "--app", "wsgi", "worker", *sys.argv[1:]]
    main()
