"""The platform operator's work: audit every action, onboard a city as a tenants/ folder, jobs."""
from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import tomli_w
from flask import current_app, g, has_request_context, request
from flask_login import current_user
from flask_babel import lazy_gettext as _l
from redis.exceptions import RedisError
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from saas.accounts.models import User
from saas.console.models import PlatformAuditLog
from saas.extensions import db
from saas.jobs import runtime, worker_heartbeats
from saas.models import utcnow
from saas.tenancy.services import read_tenant_folder, sync_tenants

log = logging.getLogger(__name__)


def audit(user, action: str, target: str | None = None, **detail) -> None:
    db.session.add(PlatformAuditLog(user_id=user.id if user else None, action=action, target=target,
                                    detail=detail, ip_address=request.remote_addr if request else None))


def audit_sign_in(signed_in) -> None:
    audit(signed_in.user, "sign_in")


# -- reads across cities made for a person ------------------------------------------------------------
_CROSSINGS = "_antar_crossings"
_JOB_CROSSINGS = "_antar_job_crossings"
CROSSING_COUNTS_KEY = "antar:crossings:{day}"
CROSSING_COUNTS_KEPT = 35 * 24 * 3600  # seconds
#: What the platform's own work that reads across cities is, as the operator reads it.
JOB_CROSSING_LABELS = {
    "saas.notifications.services.send": _l("Sending messages"),
    "webhooks": _l("Couriers' and message providers' webhooks"),
    "other": _l("Other platform work"),
}


def reading_across_cities(reason: str) -> None:
    """Say why this request reads across cities (a code of ``CROSSING_REASONS``), for the audit."""
    g.crossing_reason = reason


def note_crossing() -> None:
    """Heard at each read across cities (``watch_crossings``): remembered for this request, or for
    this job, and written down once it ends (``audit_crossings``, ``count_job_crossings``)."""
    if has_request_context():
        g.setdefault(_CROSSINGS, set()).add(g.get("crossing_reason") or request.endpoint or "unknown")
        return
    g.setdefault(_JOB_CROSSINGS, set()).add(g.get("job_kind") or "other")


def audit_crossings(response):
    """After a request that read across cities for a signed-in person or a platform token: one
    row per reason, written on its own connection so that nothing the request rolls back (or
    never commits, as a page view does) takes the row with it. A request made for no one (a
    courier's or a message provider's webhook) is only counted, as a job is."""
    reasons = g.pop(_CROSSINGS, None)
    if not reasons:
        return response
    token = g.get("api_token")
    user = current_user if current_user and current_user.is_authenticated else None
    if user is None and token is None:
        _count({f"web:{request.endpoint or 'unknown'}"})
        return response
    detail = {"token": token.name} if token is not None and user is None else {}
    table = PlatformAuditLog.__table__
    now = utcnow()
    with db.engine.begin() as connection:
        connection.execute(table.insert(), [
            {"user_id": user.id if user else None, "action": "read_across_cities", "target": reason[:120],
             "detail": detail, "ip_address": request.remote_addr, "at": now} for reason in sorted(reasons)])
    return response


def count_job_crossings(_error=None) -> None:
    """When a job's app context ends: its kind counted once for today if it read across cities.
    The platform's own work needs no row per run; a count per kind per day shows what it does."""
    kinds = g.pop(_JOB_CROSSINGS, None)
    if kinds:
        _count(kinds)
        # Written at once: a job is a batch of work, not one receipt, and a forked work horse
        # exits without running the process's exit hooks.
        crossing_tally().flush()


#: A web process's counts reach Redis at most this often (with its next count after that, and
#: when it stops): a webhook pays a dict update, not a Redis round trip (WhatsApp's receipts come
#: one request per message). A job's are written when it ends.
CROSSING_FLUSH_SECONDS = 30.0


class CrossingTally:
    """This app's counts of reads across cities not yet written to Redis, per (day, kind)."""

    def __init__(self, app):
        self.app, self.counts, self.lock, self.flushed_at = app, Counter(), threading.Lock(), time.monotonic()

    def add(self, kinds: set[str]) -> None:
        day = utcnow().date().isoformat()
        with self.lock:
            for kind in kinds:
                self.counts[(day, kind)] += 1
            due = time.monotonic() - self.flushed_at >= CROSSING_FLUSH_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        """One pipeline for all of them; kept for the next try if Redis does not answer."""
        with self.lock:
            counts, self.counts, self.flushed_at = self.counts, Counter(), time.monotonic()
        if not counts:
            return
        try:
            pipe = runtime(self.app).connection().pipeline()
            for (day, kind), count in counts.items():
                key = CROSSING_COUNTS_KEY.format(day=day)
                pipe.hincrby(key, kind, count)
                pipe.expire(key, CROSSING_COUNTS_KEPT)
            pipe.execute()
        except RedisError as exc:  # a count is not worth failing the job or the answer for
            log.warning("could not count reads across cities: %s", exc)
            with self.lock:
                self.counts.update(counts)


def crossing_tally(app=None) -> CrossingTally:
    app = app or current_app._get_current_object()
    tally = app.extensions.get("antar_crossing_tally")
    if tally is None:
        tally = app.extensions.setdefault("antar_crossing_tally", CrossingTally(app))
    return tally


def _count(kinds: set[str]) -> None:
    crossing_tally().add(kinds)


def job_crossings(days: int = 7) -> list[dict]:
    """The platform's own reads across cities, per day and kind, the latest day first."""
    crossing_tally().flush()  # this process's own; other web processes' come with their next count after 30 s
    today = utcnow().date()
    connection = runtime().connection()
    rows = []
    for back in range(days):
        day = today - timedelta(days=back)
        counts = connection.hgetall(CROSSING_COUNTS_KEY.format(day=day.isoformat()))
        for kind, count in sorted(counts.items()):
            kind = kind.decode() if isinstance(kind, bytes) else kind
            rows.append({"day": day, "kind": kind, "label": _kind_label(kind), "count": int(count)})
    return rows


def _kind_label(kind: str) -> str | None:
    if kind in JOB_CROSSING_LABELS:
        return str(JOB_CROSSING_LABELS[kind])
    if kind.startswith(("web:courier_webhooks.", "web:message_webhooks.")):
        return str(JOB_CROSSING_LABELS["webhooks"])
    return None


def recent_audit(limit: int = 200) -> list[PlatformAuditLog]:
    return list(db.session.scalars(sa.select(PlatformAuditLog).order_by(PlatformAuditLog.id.desc()).limit(limit)))


def staff_counts() -> dict[int, int]:
    return dict(db.session.execute(sa.select(User.tenant_id, sa.func.count()).where(
        User.tenant_id.is_not(None), User.active.is_(True)).group_by(User.tenant_id)).all())


# -- onboarding: the console writes the same file `tenants sync` reads ---------------------------------
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def tenant_file(data: dict) -> dict:
    """A new city's tenant.toml content from the onboarding form (credentials by env name only)."""
    slug = data["slug"]
    env = re.sub(r"[^A-Z0-9]", "_", slug.upper())
    office = {"name": data["office_name"], "address": data["office_address"], "phone": data["office_phone"],
              "email": data["office_email"], "latitude": float(data["latitude"]),
              "longitude": float(data["longitude"]),
              "opening_hours": [{"days": list(WEEKDAYS[:4]), "open": data["opens"], "close": data["closes"]},
                                {"days": ["fri"], "open": data["opens"], "close": data["friday_closes"]}]}
    kecamatan = []
    for line in data["kecamatan"].splitlines():
        code, _, name = line.strip().partition(" ")
        if code:
            kecamatan.append({"code": code, "name": name.strip() or code})
    providers = data["providers"]
    couriers = {"mode": data["courier_mode"], "providers": providers, "payer": "citizen",
                "max_distance_km": 25, "daily_quota": 50, "rebook_limit": 2,
                "service_hours": {"start": data["opens"], "end": data["closes"]},
                "pickup_point": {"name": data["office_name"], "address": data["office_address"],
                                 "latitude": float(data["latitude"]), "longitude": float(data["longitude"]),
                                 "contact_name": "Petugas Loket Antar", "contact_phone": data["pickup_phone"]}}
    if "gosend" in providers:
        couriers["gosend"] = {"client_id_env": f"{env}_GOSEND_CLIENT_ID", "pass_key_env": f"{env}_GOSEND_PASS_KEY",
                              "callback_token_env": f"{env}_GOSEND_CALLBACK_TOKEN"}
    if "grab" in providers:
        couriers["grab"] = {"client_id_env": f"{env}_GRAB_CLIENT_ID", "client_secret_env": f"{env}_GRAB_CLIENT_SECRET",
                            "callback_secret_env": f"{env}_GRAB_CALLBACK_SECRET"}
    if "manual" in providers:
        couriers["manual"] = {"name": "PT Pos Indonesia", "fee": 15000, "cash_on_delivery": True}
    channels = data["channels"]
    notifications: dict = {"channels": channels}
    if "whatsapp" in channels:
        notifications["whatsapp"] = {"phone_number_id_env": f"{env}_WA_PHONE_NUMBER_ID",
                                     "access_token_env": f"{env}_WA_ACCESS_TOKEN"}
    if "sms" in channels:
        notifications["sms"] = {"userkey_env": f"{env}_SMS_USERKEY", "passkey_env": f"{env}_SMS_PASSKEY"}
    if "email" in channels:
        notifications["email"] = {"sender": f"noreply@{slug}.antar.test", "reply_to": data["office_email"]}
    content = {"slug": slug, "name": data["name"], "city_name": data["city_name"], "region_code": data["region_code"],
               "timezone": data["timezone"], "go_live": data["go_live"],
               "branding": {"primary_color": data["primary_color"], "accent_color": data["accent_color"],
                            "text_on_primary": "#ffffff", "tagline": "", "tagline_en": ""},
               "office": office, "kecamatan": kecamatan,
               "documents": {"types": data["types"], "collection_rule": data["collection_rule"]},
               "couriers": couriers, "notifications": notifications}
    return content


def render_tenant_file(content: dict) -> str:
    return "# Written by the Antar console; this file is the city's source of truth.\n" + tomli_w.dumps(content)


def check_tenant_file(slug: str, text: str) -> list[tuple[str, str, str]]:
    """The same checks as `tenants sync`, on a scratch copy of the folder."""
    scratch = Path(tempfile.mkdtemp(prefix="antar-onboard-"))
    try:
        folder = scratch / slug
        folder.mkdir()
        (folder / "tenant.toml").write_text(text, encoding="utf-8")
        _parsed, problems = read_tenant_folder(folder)
        return [(field, why, file) for file, field, why in problems]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def create_city(slug: str, text: str) -> list[str]:
    """Write the folder into tenants/ and sync it, exactly as an operator's `tenants sync` would."""
    tenants_dir = Path(current_app.config["TENANTS_DIR"])
    folder = tenants_dir / slug
    if folder.exists():
        raise FileExistsError(f"{folder} already exists")
    folder.mkdir(parents=True)
    (folder / "tenant.toml").write_text(text, encoding="utf-8")
    try:
        return sync_tenants(tenants_dir)
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise


# -- jobs -----------------------------------------------------------------------------------------
#: What each queue carries, as the platform operator reads it.
QUEUE_LABELS = {"notifications": _l("Messages (transactional)"), "couriers": _l("Courier bookings and polling"),
                "default": _l("Other jobs"), "notifications_bulk": _l("Messages (reminders and digests)"),
                "stats": _l("Figures for the comparison")}


WORKER_STATE_LABELS = {"idle": _l("waiting for work"), "busy": _l("working"), "started": _l("starting"),
                       "suspended": _l("paused"), "embedded": _l("inside the web process")}


def _moment(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def jobs_overview() -> dict:
    job_runtime = runtime()
    connection = job_runtime.connection()
    queues = []
    for queue in job_runtime.queues():
        failed = FailedJobRegistry(queue=queue)
        queues.append({"name": queue.name, "label": str(QUEUE_LABELS.get(queue.name, queue.name)),
                       "queued": queue.count,
                       "started": StartedJobRegistry(queue=queue).count,
                       "scheduled": ScheduledJobRegistry(queue=queue).count, "failed": failed.count,
                       "failed_jobs": [_failed_job(j) for j in Job.fetch_many(failed.get_job_ids(0, 19),
                                                                              connection=connection) if j]})
    workers = [{"name": w["name"], "state": str(WORKER_STATE_LABELS.get(w.get("state"), w.get("state") or "–")),
                "queues": [str(QUEUE_LABELS.get(q, q)) for q in (w.get("queues") or "").split(",") if q],
                "successful": int(w.get("successful_job_count") or 0), "failed": int(w.get("failed_job_count") or 0),
                "heartbeat": _moment(w.get("last_heartbeat"))} for w in worker_heartbeats(connection)]
    return {"queues": queues, "workers": workers, "embedded": job_runtime.embedded}


def _failed_job(job: Job) -> dict:
    result = job.latest_result()
    return {"id": job.id, "func_name": job.func_name, "ended_at": job.ended_at,
            "error": (result.exc_string if result is not None and result.exc_string else "")[-600:]}


def retry_failed(queue_name: str, job_id: str) -> None:
    queue = runtime().queue(queue_name)
    FailedJobRegistry(queue=queue).requeue(job_id)


def delete_failed(queue_name: str, job_id: str) -> None:
    queue = runtime().queue(queue_name)
    job = Job.fetch(job_id, connection=queue.connection)
    FailedJobRegistry(queue=queue).remove(job, delete_job=True)


def default_range(today: date) -> tuple[date, date]:
    """The last 30 days, today included."""
    return today - timedelta(days=29), today

