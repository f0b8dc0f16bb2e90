"""Shared set-up for the benchmarks: a fresh database, migrated, with the shipped cities."""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from saas import create_app
from saas.config import PROJECT_ROOT
from saas.extensions import db
from saas.tenancy.services import sync_tenants


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database", default="sqlite",
                        help="'sqlite' (a temporary file) or a PostgreSQL URL of a throwaway database")
    parser.add_argument("--scale", type=float, default=1.0, help="shrink or grow the data (1.0 = as documented)")
    parser.add_argument("--part", default="all", help="run only this part of a benchmark (e.g. 'import', 'queue')")
    return parser.parse_args()


@contextmanager
def benchmark_app(database: str, fresh: bool = True, **config):
    """An app on ``database``, emptied, migrated and given the shipped cities; with ``fresh=False``
    (PostgreSQL) the data of an earlier run is kept, and only migrated."""
    from flask_migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="antar-bench-"))
    url = f"sqlite:///{workdir / 'bench.sqlite3'}" if database == "sqlite" else database
    app = create_app({"INSTANCE_DIR": str(workdir), "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None,
                      "SECRET_KEY": "bench", "DATA_KEY": "u8hQe2D2kq0oXg5p5yq4l9cY3G3Vbq2wY2pW2mQ1s7Q=",
                      "PASSWORD_HASH_COST": "test", "EMBEDDED_WORKER": "off", "RATELIMIT_ENABLED": False,
                      "TENANTS_DIR": str(PROJECT_ROOT / "tenants"), **config})
    with app.app_context():
        if db.engine.dialect.name == "postgresql" and fresh:
            owner = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)  # the app's role may not
            with owner.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            owner.dispose()
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        sync_tenants(PROJECT_ROOT / "tenants")
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def timed(fn, repeat: int = 5) -> tuple[float, float]:
    """Median and worst wall time in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def timed_p95(fn, repeat: int = 40) -> tuple[float, float]:
    """Median and 95th percentile wall time in milliseconds (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


def dialect_name(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {'.'.join(map(str, __import__('sys').version_info[:3]))}"
