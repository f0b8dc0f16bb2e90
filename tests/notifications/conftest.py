"""Notification tests send to the built-in WhatsApp/SMS/SMTP sandboxes over real HTTP."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from saas.extensions import db
from saas.jobs import runtime
from saas import sandbox_registry
from saas.notifications.models import Notification
from saas.sandboxes import messages as gateway
from saas.tenancy.scope import all_tenants


@pytest.fixture(autouse=True)
def message_gateways(app, live_server):
    gateway.reset()
    gateway.set_receipt_mode("async")
    gateway.set_receipt_delay(0.02)
    sandbox_registry.forget()
    before = app.config["NOTIFICATION_RETRY_DELAYS"]
    app.config["NOTIFICATION_RETRY_DELAYS"] = [0.05, 0.05, 0.05, 0.05]
    yield gateway
    app.config["NOTIFICATION_RETRY_DELAYS"] = before
    gateway.reset()


def drain(app, seconds: float = 10) -> None:
    """Work every job, scheduled retries included, until nothing is left or time is up."""
    deadline = time.monotonic() + seconds
    with app.app_context():
        job_runtime = runtime(app)
        while time.monotonic() < deadline:
            job_runtime.run_pending(include_scheduled=True)
            queues = job_runtime.queues()
            if not any(q.count for q in queues) and not any(q.scheduled_job_registry.count for q in queues):
                return
            time.sleep(0.05)


def notifications(app, **filters) -> list[Notification]:
    with app.app_context(), all_tenants():
        statement = sa.select(Notification).order_by(Notification.id)
        for key, value in filters.items():
            statement = statement.where(getattr(Notification, key) == value)
        rows = db.session.scalars(statement).all()
        db.session.expunge_all()
        return rows
