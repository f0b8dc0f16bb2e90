"""Liveness and readiness for the load balancer and the operator."""
from __future__ import annotations

from flask import Blueprint
from sqlalchemy import text

from saas.extensions import db, limiter
from saas.jobs import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
@limiter.exempt
def readyz():
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("select 1"))
        checks["database"] = "ok"
    except Exception as exc:
        db.session.rollback()
        checks["database"] = f"unreachable: {type(exc).__name__}"
    job_runtime = runtime()
    try:
        job_runtime.connection().ping()
        checks["redis"] = "ok (embedded)" if job_runtime.embedded else "ok"
    except Exception as exc:
        checks["redis"] = f"unreachable: {type(exc).__name__}"
    ready = all(value.startswith("ok") for value in checks.values())
    return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503
