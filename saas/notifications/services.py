"""The outbox: write a message with its cause, send it once, retry, fall back, record receipts.

Persist, then enqueue (as GOV.UK Notify does): the row is the truth and the job only a nudge.
A sender acts only on a row it has claimed in the state it expects; a sweeper replays what a
Redis outage or a dead worker left behind; WhatsApp echoes our id in its receipts, so a message
sent just before a worker died is recognised rather than sent again.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from concurrent import futures
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from saas import events
from saas.accounts.models import User
from saas.couriers.models import Delivery
from saas.documents.links import document_link
from saas.documents.models import DOCUMENT_TYPE_LABELS, Document
from saas.extensions import db
from saas.i18n import weekday_name
from saas.jobs import after_commit, runtime
from saas.models import utcnow
from saas.notifications import pacing
from saas.notifications.channels import channel_for
from saas.notifications.channels.base import SendError
from saas.notifications.channels import CHANNEL_CLASSES
from saas.notifications.models import MessageOptOut, Notification
from saas.notifications.templates import EVENTS, QUICK_REPLIES, render  # noqa: F401 (offered above)
from saas.routing import look_up, remember, remember_many
from saas.tenancy.models import Tenant
from saas.tenancy.scope import all_tenants, current_tenant, set_city_setting, tenant_bound

log = logging.getLogger(__name__)
#: The external-reference kind that maps a WhatsApp business number (phone_number_id) to its city.
BUSINESS_NUMBER = "whatsapp:number"
#: The job that drains one lane across the cities with due messages, named rather than imported:
#: jobs import services, never the other way.
DRAIN_JOB = "saas.notifications.jobs.drain_lane"
SENDABLE = ("pending", "queued", "failed")
STATUS_ORDER = {"pending": 0, "queued": 1, "failed": 1, "sent": 2, "delivered": 3, "dead": 4, "superseded": 4, "test": 4}
#: Two lanes, two RQ queues; workers take the transactional one first (``saas.jobs.QUEUE_NAMES``).
TRANSACTIONAL, BULK = "notifications", "notifications_bulk"
#: Reminders and digests can wait; everything a citizen is waiting to hear cannot.
BULK_EVENTS = frozenset({"uncollected_reminder", "pickup_reminder", "supervisor_digest"})
#: What a citizen who wrote "stop" no longer gets on that number: the reminders. What they asked
#: for (ready, their booking, their courier) is the service itself and still goes.
NON_ESSENTIAL = frozenset({"uncollected_reminder", "pickup_reminder"})
#: A free-form reply in the WhatsApp chat (``say``): WhatsApp only, never a template.
CHAT_EVENT = "chat_reply"
#: WhatsApp's customer-service window: free-form messages only this long after the citizen's own.
SESSION_WINDOW = timedelta(hours=24)


def lane_of(event: str) -> str:
    return BULK if event in BULK_EVENTS else TRANSACTIONAL


def batch_size() -> int:
    return int(current_app.config.get("NOTIFICATION_BATCH_SIZE", 50))


@dataclass(frozen=True)
class NotificationChanged:
    """Told when a message is written or reaches the phone (the rollups count both)."""

    notification: Notification


def retry_delays() -> list[float]:
    return [float(x) for x in current_app.config.get("NOTIFICATION_RETRY_DELAYS", (30, 120, 600, 3600))]


def claim_timeout() -> timedelta:
    return timedelta(seconds=float(current_app.config.get("NOTIFICATION_CLAIM_TIMEOUT", 120)))


def receipt_grace() -> timedelta:
    """How long a WhatsApp message whose sender died waits for its receipt before it is resent."""
    return timedelta(seconds=float(current_app.config.get("NOTIFICATION_RECEIPT_GRACE", 300)))


def stuck_after() -> timedelta:
    return timedelta(seconds=float(current_app.config.get("NOTIFICATION_STUCK_AFTER", 120)))


# -- what a message is about ----------------------------------------------------------------------
def office_hours() -> str:
    tenant = current_tenant
    parts = []
    for row in tenant.office.get("opening_hours", []):
        days = row["days"]
        label = weekday_name(days[0]) if len(days) == 1 else f"{weekday_name(days[0])}–{weekday_name(days[-1])}"
        parts.append(f"{label} {row['open'].replace(':', '.')}–{row['close'].replace(':', '.')}")
    return "; ".join(parts)


def masked_driver(delivery) -> str:
    name = (delivery.driver_name or "").strip()
    shown = (name[:2] + "***") if name else "-"
    return f"{shown} ({delivery.driver_plate})" if delivery.driver_plate else shown


def document_context(document: Document, language: str) -> dict:
    tenant = current_tenant
    with force_locale(language):
        type_label = str(DOCUMENT_TYPE_LABELS.get(document.doc_type, document.doc_type))
        hours = office_hours()
    return {
        "name": document.owner_name, "document_type": type_label, "registration_no": document.registration_no,
        "city": tenant.city_name, "office_name": tenant.office.get("name", tenant.name),
        "office_address": tenant.office.get("address", ""), "office_hours": hours,
        "link": document_link(document, tenant),
    }


def format_slot(moment: datetime, language: str) -> str:
    tenant = current_tenant
    with force_locale(language):
        return format_datetime(moment.astimezone(tenant.zone), "EEEE, d MMMM y HH.mm", rebase=False)


def delivery_context(delivery) -> dict:
    from saas.couriers.providers import PROVIDERS

    provider = PROVIDERS[delivery.provider]
    courier = provider.label
    if delivery.provider == "manual":
        courier = (delivery.tenant.courier_settings.get("manual") or {}).get("name", courier)
    fee = f"Rp{(delivery.fee or 0):,}".replace(",", ".")
    return {"courier": courier, "receipt_pin": delivery.receipt_pin, "fee": fee,
            "driver": masked_driver(delivery), "reason": delivery.failure_reason or "-"}


# -- writing the outbox ---------------------------------------------------------------------------
def _targets(document: Document | None, delivery=None, user=None) -> dict:
    if user is not None:
        return {"email": user.email}
    phone = (delivery.recipient_phone if delivery is not None and delivery.recipient_phone else None) \
        or (document.phone if document is not None else None)
    return {"phone": phone, "email": document.email if document is not None else None}


def _channels_in_order(after: str | None = None) -> list[str]:
    tenant = current_tenant
    channels = list((tenant.notification_settings or {}).get("channels", []))
    if after in channels:
        channels = channels[channels.index(after) + 1:]
    return channels


def was_notified(event: str, occurrence: str) -> bool:
    return db.session.scalar(sa.select(Notification.id).where(
        Notification.event_key == f"{event}:{occurrence}").limit(1)) is not None


TRIAL_HELD = "trial mode: only the city's own staff receive messages until it goes live"


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def trial_recipients() -> set[str]:
    """Who a city in trial mode may message: its own office numbers and its staff's addresses."""
    tenant = current_tenant
    office = tenant.office or {}
    contact = ((tenant.courier_settings or {}).get("pickup_point") or {}).get("contact_phone")
    phones = {_digits(p) for p in (office.get("phone"), office.get("whatsapp"), contact) if p}
    emails = {e.lower() for e in db.session.scalars(sa.select(User.email).where(
        User.tenant_id == tenant.id, User.active.is_(True)))}
    if office.get("email"):
        emails.add(office["email"].lower())
    return phones | emails


def _held_by_trial(recipient: str) -> bool:
    if not current_tenant.trial:
        return False
    allowed = trial_recipients()
    return recipient.lower() not in allowed and _digits(recipient) not in allowed


def _is_test(document: Document | None, delivery) -> bool:
    """About test data (made with a test API token): the message is kept, marked, and never sent."""
    if document is not None and document.is_test:
        return True
    return delivery is not None and any(d.is_test for d in delivery.documents)


def notify(event: str, occurrence: str, *, document: Document | None = None, delivery=None,
           user=None, extra: dict | None = None, channels: list[str] | None = None,
           language: str | None = None) -> Notification | None:
    """Write the message for an event into the outbox (in the caller's transaction), once.

    It goes on the city's first channel that can reach the person; later channels are tried
    only when an earlier one gives up.
    """
    tenant = current_tenant
    language = language or (tenant.notification_settings or {}).get("language", "id")
    event_key = f"{event}:{occurrence}"
    targets = _targets(document, delivery, user)
    for channel_name in channels if channels is not None else _channels_in_order():
        recipient = channel_for(channel_name).can_reach(targets)
        if not recipient:
            continue
        if event in NON_ESSENTIAL and channel_name != "email" and has_withdrawn(recipient):
            continue
        existing = db.session.scalar(sa.select(Notification).where(
            Notification.event_key == event_key, Notification.channel == channel_name))
        if existing is not None:
            return existing
        context = document_context(document, language) if document is not None else {}
        if delivery is not None:
            context.update(delivery_context(delivery))
        context.update(extra or {})
        body, subject, params = render(event, language, context)
        notification = Notification(
            tenant_id=tenant.id, document_id=document.id if document is not None else None,
            delivery_id=delivery.id if delivery is not None else None, user_id=user.id if user is not None else None,
            event=event, event_key=event_key, channel=channel_name, recipient=recipient, language=language,
            template=f"antar_{event}", params=params, subject=subject, body=body,
            html=_email_html(body, subject) if channel_name == "email" else None, status="pending",
        )
        if _is_test(document, delivery):  # written for the office to read, never handed to a gateway
            notification.status = "test"
        elif _held_by_trial(recipient):  # kept in the outbox for the office to see, never sent
            notification.status, notification.last_error = "superseded", TRIAL_HELD
        db.session.add(notification)
        db.session.flush()
        if notification.status == "pending":
            after_commit(enqueue_sends, (tenant.id, lane_of(event), notification.id))
        events.publish(NotificationChanged(notification))
        return notification
    return None


def say(occurrence: str, *, recipient: str, body: str, payload: dict, document: Document | None = None,
        language: str = "id") -> Notification:
    """Write a free-form WhatsApp message (``payload``: its ``text`` or ``interactive`` part) to a
    citizen who wrote to the city: sent like every message, from the outbox, once per occurrence.
    The capability that talks in the chat checks at send time that the window is still open
    (``check_cause``); ``body`` is what the office reads."""
    tenant = current_tenant
    event_key = f"{CHAT_EVENT}:{occurrence}"
    existing = db.session.scalar(sa.select(Notification).where(Notification.event_key == event_key,
                                                               Notification.channel == "whatsapp"))
    if existing is not None:
        return existing
    notification = Notification(
        tenant_id=tenant.id, document_id=document.id if document is not None else None, event=CHAT_EVENT,
        event_key=event_key, channel="whatsapp", recipient=recipient, language=language, template="session",
        params=[], payload=payload, body=body, status="test" if _is_test(document, None) else "pending")
    db.session.add(notification)
    db.session.flush()
    if notification.status == "pending":
        after_commit(enqueue_sends, (tenant.id, TRANSACTIONAL, notification.id))
    events.publish(NotificationChanged(notification))
    return notification


def _email_html(body: str, subject: str) -> str:
    tenant = current_tenant
    from flask import render_template

    return render_template("notifications/email.html", tenant=tenant, body=body, subject=subject)


def enqueue_sends(items: list[tuple[int, str, int]]) -> None:
    """After their commit: mark the rows queued, note their cities as having due messages in their
    lanes, and make sure each lane has a drain job waiting. Items are ``(tenant_id, lane, notification_id)``."""
    by_city: dict[int, list[int]] = {}
    for tenant_id, _lane, notification_id in items:
        by_city.setdefault(tenant_id, []).append(notification_id)
    table = Notification.__table__
    with db.engine.begin() as conn:
        for tenant_id, ids in by_city.items():
            set_city_setting(conn, tenant_id)  # its own connection: tell PostgreSQL the city
            conn.execute(sa.update(table).where(table.c.tenant_id == tenant_id, table.c.id.in_(ids),
                                                table.c.status == "pending")
                         .values(status="queued", queued_at=utcnow(), updated_at=utcnow()))
    by_lane: dict[str, set[int]] = {}
    for tenant_id, lane, _id in items:
        by_lane.setdefault(lane, set()).add(tenant_id)
    connection = runtime().connection()
    for lane, tenant_ids in by_lane.items():
        connection.sadd(_due_key(lane), *tenant_ids)
        nudge_lane(lane)


def _due_key(lane: str) -> str:
    """The cities that may have messages due in a lane (a Redis set): what a drain looks at."""
    return f"antar:due:{lane}"


#: How long a queued drain keeps the lane's key. A drain job lost before it started (a worker
#: killed as it took it) holds the whole lane back until then, so it is short; a second drain
#: queued meanwhile is harmless (claims skip each other's rows).
DRAIN_KEY_SECONDS = 15


def _drain_key(lane: str) -> str:
    return f"antar:drain:{lane}"


def _drain_options(lane: str) -> dict:
    return {"queue": lane, "job_timeout": 300, "result_ttl": 300, "failure_ttl": 7 * 86400}


def nudge(tenant_id: int, lane: str, *, delay: float | None = None) -> None:
    """The city has messages due in ``lane`` (after ``delay`` seconds, for a retry or a pause)."""
    job_runtime = runtime()
    if delay:
        job_runtime.enqueue_in(delay, DRAIN_JOB, lane, tenant_id, **_drain_options(lane))
        return
    job_runtime.connection().sadd(_due_key(lane), tenant_id)
    nudge_lane(lane)


def nudge_lane(lane: str) -> None:
    """One drain job waiting per lane (a Redis ``SET NX`` key, dropped when the job starts): a
    burst of commits is one job, and a drain that starts lets the next nudge queue another, which
    an idle worker takes (so several workers drain a lane together)."""
    job_runtime = runtime()
    if job_runtime.connection().set(_drain_key(lane), 1, nx=True, ex=DRAIN_KEY_SECONDS):
        job_runtime.enqueue(DRAIN_JOB, lane, **_drain_options(lane))


def _in_lane(lane: str):
    return Notification.event.in_(BULK_EVENTS) if lane == BULK else Notification.event.not_in(BULK_EVENTS)


def _claimable(now: datetime):
    return (Notification.status.in_(SENDABLE),
            sa.or_(Notification.claimed_at.is_(None), Notification.claimed_at < now - claim_timeout()),
            # RQ schedules in whole seconds, so a retry's drain may come up to a second early.
            sa.or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now + timedelta(seconds=1)))


def claim_batch(lane: str, limit: int) -> tuple[list[int], datetime, int]:
    """Take up to ``limit`` of the bound city's due messages in ``lane`` for this worker, oldest
    first, in one statement; rows another worker is claiming are skipped, not waited for.
    Returns the ids, the claim's time (which marks them as this worker's), and how many due rows
    were looked at: fewer claimed than seen (put off for a receipt, taken meanwhile by another
    worker) does not mean the city has no more."""
    now = utcnow()
    candidates = sa.select(Notification.id).where(_in_lane(lane), *_claimable(now)).order_by(Notification.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    rows = db.session.execute(candidates.with_only_columns(
        Notification.id, Notification.channel, Notification.claimed_at)).all()
    # A lapsed claim on WhatsApp: its worker may have sent it and died before recording it, and
    # WhatsApp's receipt (which names our row) may still be on its way: wait for it a while
    # rather than send again. SMS has its recorded intent; e-mail has no receipt to wait for.
    waiting = {r.id: r.claimed_at + receipt_grace() for r in rows
               if r.channel == "whatsapp" and r.claimed_at is not None and r.claimed_at + receipt_grace() > now}
    for notification_id, until in waiting.items():
        db.session.execute(sa.update(Notification).where(Notification.id == notification_id)
                           .values(claimed_at=None, next_attempt_at=until).execution_options(synchronize_session=False))
    ids = [r.id for r in rows if r.id not in waiting]
    claimed: list[int] = []
    if ids:
        claimed = list(db.session.scalars(
            sa.update(Notification).where(Notification.id.in_(ids), *_claimable(now)[:2])
            .values(claimed_at=now, attempts=Notification.attempts + 1, updated_at=now)
            .returning(Notification.id).execution_options(synchronize_session=False)))
    db.session.commit()
    return sorted(claimed), now, len(rows)


def _release(ids: list[int], claimed_at: datetime) -> None:
    """Give back claimed rows not sent yet (their attempt was not made, nor their send begun),
    if still ours."""
    db.session.execute(
        sa.update(Notification).where(Notification.id.in_(ids), Notification.claimed_at == claimed_at,
                                      Notification.status.in_(SENDABLE))
        .values(claimed_at=None, attempts=Notification.attempts - 1, send_started_at=None)
        .execution_options(synchronize_session=False))
    db.session.commit()


def drain_seconds() -> float:
    """How long one drain job takes new batches before it queues itself again behind other jobs."""
    return float(current_app.config.get("NOTIFICATION_DRAIN_SECONDS", 10))


def drain(lane: str, tenant_id: int | None = None) -> int:
    """Send the lane's due messages of every city that has some, interleaved (``LaneDrain``);
    ``tenant_id`` names a city whose messages have just become due (a retry's drain).
    Returns how many messages were claimed."""
    connection = runtime().connection()
    connection.delete(_drain_key(lane))  # a later commit queues another drain, for another worker
    if tenant_id is not None:
        connection.sadd(_due_key(lane), tenant_id)
    return LaneDrain(lane, connection).run()


# -- sending --------------------------------------------------------------------------------------
def claim(notification_id: int) -> bool:
    """Take the row for this worker; False if it is sent, dead, or being sent by someone else.
    The row is named by its id alone, so this reads across cities: its city is the row's."""
    now = utcnow()
    table = Notification.__table__
    with all_tenants():
        result = db.session.execute(
            sa.update(table).where(
                table.c.id == notification_id, table.c.status.in_(SENDABLE),
                sa.or_(table.c.claimed_at.is_(None), table.c.claimed_at < now - claim_timeout()))
            .values(claimed_at=now, attempts=table.c.attempts + 1, updated_at=now))
        db.session.commit()
    return result.rowcount == 1


def send(notification_id: int) -> str:
    """Send one message once. Idempotent: a row already sent or claimed elsewhere is left alone."""
    if not claim(notification_id):
        return "not sendable"
    with all_tenants():
        notification = db.session.get(Notification, notification_id)
    with tenant_bound(notification.tenant):
        return send_claimed(notification)


def send_claimed(notification: Notification) -> str:
    """Send one row this worker has claimed (its city bound), unless what it says is no longer true."""
    outcome = _before_send(notification)
    if outcome is not None:
        return outcome
    channel = channel_for(notification.channel)
    if not channel.repeatable:
        _record_intent([notification.id])
    try:
        sent = channel.send(notification)
    except Exception as exc:
        return _not_sent(notification, channel, exc)
    _record_sent([(notification, sent)])
    return "sent"


def send_concurrency() -> int:
    """How many of a batch's messages may be on their way to the gateways at once."""
    return max(1, int(current_app.config.get("NOTIFICATION_SEND_CONCURRENCY", 8)))


_senders: dict[tuple[int, int], ThreadPoolExecutor] = {}
_senders_lock = threading.Lock()


def _sending_threads(size: int) -> ThreadPoolExecutor:
    """The worker's sending threads, made once per process (each keeps its gateway connections)."""
    key = (os.getpid(), size)
    with _senders_lock:
        if key not in _senders:
            _senders[key] = ThreadPoolExecutor(max_workers=size, thread_name_prefix="antar-send")
        return _senders[key]


def sms_wave() -> int:
    """How many SMS of one city are on their way at once: their intents are committed together
    before, so a worker that dies mid-wave leaves at most this many "maybe sent"."""
    return max(1, int(current_app.config.get("NOTIFICATION_SMS_WAVE", 8)))


#: How often a drain looks for cities that have become due while it sends (seconds).
LOOK_EVERY = 0.2


@dataclass
class _Batch:
    """One city's claimed rows in a drain, ready to go: ``pending`` (notification, channel,
    outgoing) in order; ``ready_at`` when its number may send again."""

    tenant: Tenant
    claimed_at: datetime
    deadline: float  # monotonic: half the claim's life, when what has not left is given back
    pending: deque
    full: bool
    ready_at: float = 0.0
    in_flight: int = 0
    wave: int = 0  # SMS on their way, recorded together when the last answers
    handed_over: int = 0
    sent: list = None  # (notification, Sent) not recorded yet
    wave_sent: list = None

    def __post_init__(self):
        self.sent, self.wave_sent = [], []

    @property
    def finished(self) -> bool:
        return not self.pending and not self.in_flight


class LaneDrain:
    """One drain of a lane across cities: a batch claimed for each city with due messages (each
    claim with its city bound), the messages sent round robin across the cities. A city whose
    number must wait is passed over and another city's message goes instead; the drain sleeps
    only when no city's message may go. Each city keeps its own pacing (WhatsApp's per-number
    bucket in Redis, shared by every worker) and its own claims (``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL, so several workers drain at once without sending a row twice).

    A city's batch stops at half its claim's life and gives back what has not left, so no claim
    lapses mid-batch. SMS go in waves (``sms_wave``): the wave's intents in one commit, the wave
    sent side by side, its results in one statement. The bulk lane stops taking batches when a
    transactional drain is waiting for a worker.
    """

    def __init__(self, lane: str, connection):
        self.lane, self.redis = lane, connection
        self.limit, self.concurrency, self.wave_size = batch_size(), send_concurrency(), sms_wave()
        self.threads = _sending_threads(self.concurrency)
        self.batches: list[_Batch] = []
        self.in_flight: dict = {}  # future -> (batch, notification, channel)
        self.tenants: dict[int, Tenant | None] = {}
        self.claimed = 0
        self.rotation = 0

    def run(self) -> int:
        session = db.session()
        keep, session.expire_on_commit = session.expire_on_commit, False  # rows are read once, not per commit
        try:
            self._run()
        except BaseException:
            self._record_what_left()  # a Redis or database error mid-drain: what went out is not forgotten
            raise
        finally:
            session.expire_on_commit = keep
            session.expire_all()
        return self.claimed

    def _record_what_left(self) -> None:
        """Wait for the sends on their way and record them, so that an error elsewhere (Redis gone)
        does not leave a wave of SMS "maybe sent" or WhatsApp waiting for receipts; if the
        database is what failed, the intents and receipts still hold."""
        try:
            db.session.rollback()
            futures.wait(list(self.in_flight), timeout=30)
            self._collect(wait=False)
            for batch in self.batches:
                # An SMS wave whose every send has answered is recorded too: its intents would
                # otherwise end it as "maybe sent" although the gateway took each one.
                done = batch.sent + (batch.wave_sent if not batch.wave else [])
                if done:
                    with tenant_bound(batch.tenant):
                        _record_sent(done)
                    batch.sent = []
                    if not batch.wave:
                        batch.wave_sent = []
        except Exception:
            log.warning("could not record a broken drain's sends; the intents and receipts will", exc_info=True)

    def _run(self) -> None:
        until, next_look, stopping = time.monotonic() + drain_seconds(), 0.0, False
        while True:
            now = time.monotonic()
            if not stopping and now >= until:
                stopping = True
            if not stopping and (now >= next_look or not any(b.pending for b in self.batches)):
                next_look = now + LOOK_EVERY
                if self._transactional_waiting():
                    stopping = True
                else:
                    self._take_batches()
            if not self.batches and not self.in_flight:
                break
            moved = self._send_round_robin()
            self._collect(wait=not moved)
            self._close_finished()
        if self.redis.scard(_due_key(self.lane)):
            nudge_lane(self.lane)  # what is left goes on in a drain queued behind the other jobs

    def _transactional_waiting(self) -> bool:
        return self.lane == BULK and runtime().queue(TRANSACTIONAL, self.redis).count > 0

    # claiming
    def _tenant(self, tenant_id: int) -> Tenant | None:
        if tenant_id not in self.tenants:
            self.tenants[tenant_id] = db.session.get(Tenant, tenant_id)
        return self.tenants[tenant_id]

    def _take_batches(self) -> None:
        """A batch for each due city that has none left to send; a city whose batch came full
        stays due (for the next batch, or another worker's drain)."""
        due_key, busy = _due_key(self.lane), {b.tenant.id for b in self.batches if b.pending}
        more = False
        for tenant_id in sorted(int(t) for t in self.redis.smembers(due_key)):
            if tenant_id in busy:
                continue
            # Dropped before the claim: a message committed after the claim's look adds it again.
            self.redis.srem(due_key, tenant_id)
            tenant = self._tenant(tenant_id)
            if tenant is None:
                continue
            _batch, more_due = self._claim(tenant)
            if more_due:
                self.redis.sadd(due_key, tenant_id)
                more = True
        if more:
            nudge_lane(self.lane)  # an idle worker may join

    def _claim(self, tenant: Tenant) -> tuple[_Batch | None, bool]:
        """The city's next batch (None if nothing could be claimed), and whether it may have more."""
        with tenant_bound(tenant):
            ids, claimed_at, seen = claim_batch(self.lane, self.limit)
            more_due = seen >= self.limit
            if not ids:
                return None, more_due
            self.claimed += len(ids)
            rows = db.session.scalars(sa.select(Notification).where(Notification.id.in_(ids))
                                      .options(selectinload(Notification.document)).order_by(Notification.id)
                                      .execution_options(populate_existing=True)).all()
            channels: dict[str, object] = {}
            pending: deque = deque()
            for notification in rows:
                if _before_send(notification) is not None:
                    continue
                channel = channels.setdefault(notification.channel, channel_for(notification.channel))
                try:
                    pending.append((notification, channel, channel.prepare(notification)))
                except Exception as exc:
                    _not_sent(notification, channel, exc)
            db.session.commit()
        # Half the claim's life, counted from the claim itself (its commit and these reads took time too).
        deadline = time.monotonic() + claim_timeout().total_seconds() / 2 - (utcnow() - claimed_at).total_seconds()
        batch = _Batch(tenant, claimed_at, deadline, pending, full=more_due)
        if pending:
            self.batches.append(batch)
        return batch, more_due

    # sending
    def _send_round_robin(self) -> bool:
        """One message (or one SMS wave) of each city in turn that may send now, while sending
        threads are free; True if anything moved."""
        moved = False
        while len(self.in_flight) < self.concurrency:
            now, passed = time.monotonic(), False
            self.rotation += 1
            order = self.batches[self.rotation % len(self.batches):] + self.batches[:self.rotation % len(self.batches)] \
                if self.batches else []
            for batch in order:
                if len(self.in_flight) >= self.concurrency:
                    break
                if not batch.pending or batch.wave:
                    continue
                if batch.handed_over and now > batch.deadline:  # at least one goes, so a batch moves on
                    self._give_back(batch)
                    continue
                if batch.ready_at > now:
                    continue
                passed = self._send_next(batch, now) or passed
            if not passed:
                break
            moved = True
        return moved

    def _send_next(self, batch: _Batch, now: float) -> bool:
        notification, channel, outgoing = batch.pending[0]
        if not channel.repeatable:
            wave = []
            room = min(self.wave_size, self.concurrency - len(self.in_flight))
            while batch.pending and len(wave) < room and not batch.pending[0][1].repeatable:
                wave.append(batch.pending.popleft())
            with tenant_bound(batch.tenant):
                _record_intent([n.id for n, _c, _o in wave])  # committed before the gateway is asked
            for notification, channel, outgoing in wave:
                self._submit(batch, notification, channel, outgoing)
            batch.wave = len(wave)
            return True
        later = channel.try_turn(outgoing)
        if later is None:
            batch.pending.popleft()
            self._submit(batch, notification, channel, outgoing)
            return True
        if later.person or later.wait > pacing.LONGEST_SLEEP:
            batch.pending.popleft()  # handed back for later, spending no attempt
            batch.handed_over += 1
            with tenant_bound(batch.tenant):
                _failed(notification, SendError(later.reason, retry_after=later.wait, throttled=True))
            return True
        batch.ready_at = now + later.wait  # the other cities' messages go meanwhile
        return False

    def _submit(self, batch: _Batch, notification, channel, outgoing) -> None:
        batch.handed_over += 1
        batch.in_flight += 1
        self.in_flight[self.threads.submit(channel.transmit, outgoing)] = (batch, notification, channel)

    def _give_back(self, batch: _Batch) -> None:
        """What has not left is given back first, while the claim is surely still ours."""
        with tenant_bound(batch.tenant):
            _release([n.id for n, _c, _o in batch.pending], batch.claimed_at)
        batch.pending.clear()
        self.redis.sadd(_due_key(self.lane), batch.tenant.id)  # due again, for the next batch

    def _collect(self, wait: bool) -> None:
        """Take the answers that are in; when nothing could move, wait for one (or for the
        soonest number's turn)."""
        if wait:
            waiting = [b.ready_at for b in self.batches if b.pending and not b.wave]
            timeout = max(0.0, min(waiting, default=time.monotonic() + LOOK_EVERY) - time.monotonic())
            timeout = min(timeout, LOOK_EVERY)
            if self.in_flight:
                futures.wait(list(self.in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
            elif timeout:
                time.sleep(timeout)
        for future in [f for f in self.in_flight if f.done()]:
            batch, notification, channel = self.in_flight.pop(future)
            batch.in_flight -= 1
            try:
                sent = future.result()
            except Exception as exc:
                with tenant_bound(batch.tenant):
                    _not_sent(notification, channel, exc)
            else:
                (batch.wave_sent if not channel.repeatable else batch.sent).append((notification, sent))
            if not channel.repeatable:
                batch.wave -= 1
                if not batch.wave and batch.wave_sent:
                    with tenant_bound(batch.tenant):
                        _record_sent(batch.wave_sent)
                    batch.wave_sent = []

    def _close_finished(self) -> None:
        for batch in [b for b in self.batches if b.finished]:
            if batch.sent:
                with tenant_bound(batch.tenant):
                    _record_sent(batch.sent)
            self.batches.remove(batch)


def _before_send(notification: Notification) -> str | None:
    """What becomes of a claimed row before any send: None when it is to go out."""
    if not still_true(notification):
        return _superseded(notification)
    if notification.attempts > len(retry_delays()) + 3:
        # Claimed again and again by workers that died mid-send: stop, and say so.
        return _failed(notification, SendError("gave up: the sending worker kept dying", permanent=True))
    if not channel_for(notification.channel).repeatable and notification.send_started_at is not None:
        return _uncertain(notification, "the worker stopped during the send")  # an earlier claim asked, then died
    return None


def _not_sent(notification: Notification, channel, exc: Exception) -> str:
    if isinstance(exc, SendError):
        if exc.uncertain and not channel.repeatable:
            return _uncertain(notification, str(exc))
        return _failed(notification, exc)
    # An answer we did not expect: treat it as passing trouble.
    log.warning("sending notification %s failed unexpectedly", notification.id, exc_info=exc)
    return _failed(notification, SendError(f"unexpected {type(exc).__name__}"))


def _record_sent(sent: list[tuple[Notification, object]]) -> None:
    """The sends of a batch in one UPDATE (and their gateway ids in one INSERT), then one commit.
    A receipt that raced ahead ("delivered") is never put back to "sent"."""
    if not sent:
        return
    now, table = utcnow(), Notification.__table__
    gateway_id = sa.case({notification.id: result.provider_message_id for notification, result in sent},
                         value=table.c.id)
    db.session.execute(sa.update(table).where(table.c.id.in_([n.id for n, _ in sent])).values(
        status=sa.case((table.c.status.in_(SENDABLE), "sent"), else_=table.c.status),
        provider_message_id=sa.func.coalesce(table.c.provider_message_id, gateway_id),
        sent_at=sa.func.coalesce(table.c.sent_at, now), claimed_at=None, last_error=None,
        next_attempt_at=None, send_started_at=None, updated_at=now))
    remember_many([(f"message:{n.channel}", result.provider_message_id, n.tenant_id, n.id) for n, result in sent])
    db.session.commit()


def _record_intent(ids: list[int]) -> None:
    """Committed before the gateway is asked, so a crash after its answer is not a blind resend."""
    if not ids:
        return
    now, table = utcnow(), Notification.__table__
    db.session.execute(sa.update(table).where(table.c.id.in_(ids)).values(send_started_at=now))
    db.session.commit()


def _uncertain(notification: Notification, why: str) -> str:
    """At most once: an SMS that may have gone out is not sent again; the office sees it among the
    messages that could not be sent, with why, and can send it again by hand."""
    now, table = utcnow(), Notification.__table__
    db.session.execute(sa.update(table).where(table.c.id == notification.id, table.c.status.in_(SENDABLE)).values(
        status="dead", dead_at=now, claimed_at=None, updated_at=now,
        last_error=f"maybe sent, not repeated: {why}"[:500]))
    db.session.commit()
    return "uncertain"


# -- send only what is still true ---------------------------------------------------------------------
_CAUSE_CHECKS = "antar_notification_cause_checks"
#: The document statuses in which each document event still says something true.
_DOCUMENT_STILL = {
    "document_ready": ("ready", "returned", "pickup_booked", "delivery_requested"),
    "uncollected_reminder": ("ready", "returned"),
}
#: Courier news that a cancelled or failed trip makes untrue.
_TRIP_NEWS = ("courier_booked", "driver_assigned")


def check_cause(app, event: str, check) -> None:
    """A capability above tells whether its messages still hold: ``check(notification) -> bool``
    (the portal's slot bookings, for one)."""
    checks = app.extensions.setdefault(_CAUSE_CHECKS, {}).setdefault(event, [])
    if check not in checks:
        checks.append(check)


def still_true(notification: Notification) -> bool:
    """At send time: is what this message announces still so? (Slot cancelled, document collected,
    trip cancelled: then it is not sent.)"""
    document = notification.document
    if notification.event in NON_ESSENTIAL and notification.channel != "email" \
            and has_withdrawn(notification.recipient):
        return False
    if notification.event in _DOCUMENT_STILL and document is not None \
            and document.status not in _DOCUMENT_STILL[notification.event]:
        return False
    if notification.event in _TRIP_NEWS and notification.delivery_id is not None:
        delivery = db.session.get(Delivery, notification.delivery_id)
        if delivery is not None and delivery.status in ("cancelled", "failed"):
            return False
    return all(check(notification) for check in
               current_app.extensions.get(_CAUSE_CHECKS, {}).get(notification.event, ()))


def _superseded(notification: Notification) -> str:
    now, table = utcnow(), Notification.__table__
    db.session.execute(sa.update(table).where(table.c.id == notification.id, table.c.status.in_(SENDABLE))
                       .values(status="superseded", claimed_at=None, next_attempt_at=None, updated_at=now,
                               last_error="no longer true when its turn came"))
    db.session.commit()
    return "superseded"


def _failed(notification: Notification, error: SendError) -> str:
    """Record a failed attempt, unless a receipt meanwhile showed the message went out after all."""
    now, table = utcnow(), Notification.__table__
    row, still_unsent = table.c.id == notification.id, table.c.status.in_(SENDABLE)
    if error.throttled:  # the limit said "later": no attempt is spent, nothing is failed
        wait = max(error.retry_after or 1.0, 0.05)
        waiting = db.session.execute(sa.update(table).where(row, still_unsent).values(
            attempts=table.c.attempts - 1,  # the claim counted one
            next_attempt_at=now + timedelta(seconds=wait), claimed_at=None, send_started_at=None, updated_at=now))
        db.session.commit()
        if waiting.rowcount:
            try:
                nudge(notification.tenant_id, lane_of(notification.event), delay=wait)
            except Exception:
                log.warning("could not schedule notification %s after its pause; the sweeper will", notification.id)
        return f"waiting {wait:.1f} s for its turn"
    delays = retry_delays()
    if error.permanent or notification.attempts > len(delays):
        died = db.session.execute(sa.update(table).where(row, still_unsent).values(
            status="dead", dead_at=now, last_error=str(error)[:500], claimed_at=None, send_started_at=None,
            updated_at=now))
        fallback = _fall_back(notification) if died.rowcount else None
        db.session.commit()
        return f"dead{'; falling back to ' + fallback.channel if fallback else ''}"
    delay = max(delays[notification.attempts - 1], error.retry_after or 0)
    retrying = db.session.execute(sa.update(table).where(row, still_unsent).values(
        status="failed", next_attempt_at=now + timedelta(seconds=delay), last_error=str(error)[:500],
        claimed_at=None, send_started_at=None, updated_at=now))
    db.session.commit()
    if not retrying.rowcount:
        return "sent after all"
    try:
        nudge(notification.tenant_id, lane_of(notification.event), delay=delay)
    except Exception:
        log.warning("could not schedule the retry of notification %s; the sweeper will", notification.id)
    return f"failed; retry in {delay:.0f} s"


def _fall_back(notification: Notification) -> Notification | None:
    """The city's next channel for the same message, when this one gives up for good."""
    if notification.payload:  # a reply in the chat belongs to the chat
        return None
    occurrence = notification.event_key.split(":", 1)[1]
    for channel_name in _channels_in_order(after=notification.channel):
        created = notify(notification.event, occurrence, channels=[channel_name],
                         language=notification.language, extra=_extra_of(notification), **_subjects(notification))
        if created is not None:
            return created
    return None


def _extra_of(notification: Notification) -> dict:
    """The event-specific values the first channel's message carried, for the next one."""
    fields = EVENTS[notification.event]["whatsapp"]
    return {name: value for name, value in zip(fields, notification.params)
            if name not in ("name", "document_type", "link", "city")}


def _subjects(notification: Notification) -> dict:
    """The document, delivery and user a message was about, to write it again."""
    from saas.accounts.models import User

    return {
        "document": db.session.get(Document, notification.document_id) if notification.document_id else None,
        "delivery": db.session.get(Delivery, notification.delivery_id) if notification.delivery_id else None,
        "user": db.session.get(User, notification.user_id) if notification.user_id else None,
    }


def resend(notification: Notification) -> Notification | None:
    """A supervisor sends a message again: a new row, so the first one's history stays."""
    if notification.payload:  # a reply in the chat is only true in its moment
        return None
    occurrence = notification.event_key.split(":", 1)[1] + f":resend:{utcnow():%Y%m%d%H%M%S}"
    return notify(notification.event, occurrence, language=notification.language,
                  extra=_extra_of(notification), **_subjects(notification))


# -- receipts -------------------------------------------------------------------------------------
def apply_receipt(notification: Notification, status: str, *, provider_message_id: str | None = None,
                  error: str | None = None, at: datetime | None = None) -> None:
    """A gateway's word on a message; statuses only move forward (receipts arrive in any order,
    several at once): each change is a conditional UPDATE, so the later word never loses."""
    now, table = at or utcnow(), Notification.__table__
    row = table.c.id == notification.id
    if provider_message_id:
        db.session.execute(sa.update(table).where(row).values(
            provider_message_id=sa.func.coalesce(table.c.provider_message_id, provider_message_id)))
        remember(f"message:{notification.channel}", provider_message_id, notification.tenant_id, notification.id)
    if status == "sent":
        db.session.execute(sa.update(table).where(row, table.c.status.in_(SENDABLE)).values(
            status="sent", claimed_at=None))
        db.session.execute(sa.update(table).where(row).values(sent_at=sa.func.coalesce(table.c.sent_at, now)))
    elif status in ("delivered", "read"):
        newly = db.session.execute(sa.update(table).where(row, table.c.status.not_in(("dead", "delivered")))
                                   .values(status="delivered", claimed_at=None)).rowcount
        db.session.execute(sa.update(table).where(row).values(
            sent_at=sa.func.coalesce(table.c.sent_at, now), delivered_at=sa.func.coalesce(table.c.delivered_at, now),
            read_at=sa.func.coalesce(table.c.read_at, now) if status == "read" else table.c.read_at))
        if newly:
            db.session.expire(notification)  # the subscribers read the row as it now is
            events.publish(NotificationChanged(notification))
    elif status == "failed":
        died = db.session.execute(sa.update(table).where(row, table.c.status.not_in(("delivered", "dead"))).values(
            status="dead", dead_at=now, last_error=(error or "the gateway reported the message failed")[:500]))
        if died.rowcount:  # only the receipt that actually killed it writes the next channel's message
            _fall_back(notification)
    db.session.expire(notification)


def find_for_receipt(channel: str, provider_message_id: str | None, opaque: str | None) -> Notification | None:
    notification_id = None
    if opaque and opaque.startswith("antar:") and opaque[6:].isdigit():
        notification_id = int(opaque[6:])
    elif provider_message_id:
        found = look_up(f"message:{channel}", provider_message_id)
        notification_id = found[1] if found else None
    if notification_id is None:
        return None
    with all_tenants():
        notification = db.session.get(Notification, notification_id)
    if notification is None or notification.channel != channel:
        return None
    return notification


# -- consent: "stop" and "mulai" -----------------------------------------------------------------
def has_withdrawn(phone: str) -> bool:
    """Has the person on this number told the bound city to stop its non-essential messages?"""
    return db.session.scalar(sa.select(MessageOptOut.id).where(
        MessageOptOut.phone == phone, MessageOptOut.resumed_at.is_(None)).limit(1)) is not None


def withdraw_consent(phone: str, via: str = "whatsapp") -> bool:
    """Record that consent to reminders on this number is withdrawn; False if it already was."""
    if has_withdrawn(phone):
        return False
    db.session.add(MessageOptOut(tenant_id=current_tenant.id, phone=phone, via=via, withdrawn_at=utcnow()))
    db.session.flush()
    return True


def resume_consent(phone: str) -> bool:
    """The person wants the reminders again ("mulai"); False if nothing was withdrawn."""
    resumed = db.session.execute(sa.update(MessageOptOut).where(
        MessageOptOut.phone == phone, MessageOptOut.resumed_at.is_(None)).values(resumed_at=utcnow())
        .execution_options(synchronize_session=False))
    return bool(resumed.rowcount)


# -- messages from citizens ---------------------------------------------------------------------
@dataclass(frozen=True)
class InboundMessage:
    """One message a citizen sent to a city's WhatsApp business number, as the webhook read it.

    ``reply`` is the id of the button or list row tapped (a template button's payload), else None;
    ``text`` what the person typed or the title of what they tapped; ``replied_to`` the
    city's own message it answers (found by WhatsApp's ``context``), never by anything typed."""

    wamid: str
    sender: str  # E.164
    kind: str  # "button", "interactive", "text", or what else WhatsApp sent
    reply: str | None
    text: str
    at: datetime
    replied_to: Notification | None


_INBOUND = "antar_inbound_message_handlers"


def on_inbound(app, handler) -> None:
    """A capability above answers citizens' messages: ``handler(message: InboundMessage)``, called
    with the receiving city bound, inside the webhook's transaction."""
    handlers = app.extensions.setdefault(_INBOUND, [])
    if handler not in handlers:
        handlers.append(handler)


def receive(message: InboundMessage) -> int:
    """Hand a citizen's message to whoever answers them; how many did."""
    handlers = current_app.extensions.get(_INBOUND, [])
    for handler in handlers:
        handler(message)
    return len(handlers)


def city_of_business_number(phone_number_id: str) -> Tenant | None:
    """The city whose WhatsApp business number this is, through the platform's reference table;
    learnt from the cities' settings the first time a number is seen."""
    if not phone_number_id:
        return None
    found = look_up(BUSINESS_NUMBER, phone_number_id)
    if found is None:
        for tenant in db.session.scalars(sa.select(Tenant).where(Tenant.status == "active")):
            if "whatsapp" not in ((tenant.notification_settings or {}).get("channels") or []):
                continue
            try:
                configured = CHANNEL_CLASSES["whatsapp"](tenant).secret("phone_number_id_env")
            except SendError:
                continue
            remember(BUSINESS_NUMBER, configured, tenant.id, tenant.id)
        found = look_up(BUSINESS_NUMBER, phone_number_id)
    return db.session.get(Tenant, found[0]) if found else None


def message_replied_to(provider_message_id: str | None) -> Notification | None:
    """The bound city's WhatsApp message with this id, or None (another city's is not seen)."""
    if not provider_message_id:
        return None
    found = look_up("message:whatsapp", provider_message_id)
    if found is None or found[0] != current_tenant.id:
        return None
    return db.session.get(Notification, found[1])


# -- the sweeper ----------------------------------------------------------------------------------
def sweep(now: datetime | None = None) -> list[tuple[int, str, int]]:
    """Rows that Redis or a dead worker lost, to enqueue again, as ``enqueue_sends`` items."""
    now = now or utcnow()
    stale = now - stuck_after()
    table = Notification.__table__
    rows = db.session.execute(sa.select(Notification.tenant_id, Notification.event, Notification.id).where(
        sa.or_(
            sa.and_(Notification.status.in_(("pending", "queued")), Notification.updated_at < stale),
            sa.and_(Notification.status == "failed", Notification.next_attempt_at < stale),
        ),
        sa.or_(Notification.claimed_at.is_(None), Notification.claimed_at < now - claim_timeout()),
    ).limit(5000)).all()
    if rows:
        db.session.execute(sa.update(table).where(table.c.id.in_([r.id for r in rows])).values(updated_at=now))
        db.session.commit()
    return [(r.tenant_id, lane_of(r.event), r.id) for r in rows]


# -- reminders that respect people ----------------------------------------------------------------------
def in_quiet_hours(now: datetime | None = None) -> bool:
    """Is it the city's quiet time (default 21:00–07:00 local), when no reminder or digest goes?"""
    quiet = (current_tenant.notification_settings or {}).get("quiet_hours") or {"start": "21:00", "end": "07:00"}
    local = (now or utcnow()).astimezone(current_tenant.zone).strftime("%H:%M")
    start, end = quiet["start"], quiet["end"]
    return (start <= local or local < end) if start > end else (start <= local < end)


def awake_hours_left(now: datetime | None = None) -> int:
    """Whole hours from now until the city's quiet time begins (at least 1)."""
    quiet = (current_tenant.notification_settings or {}).get("quiet_hours") or {"start": "21:00"}
    local = (now or utcnow()).astimezone(current_tenant.zone)
    hour, minute = (int(x) for x in quiet["start"].split(":"))
    minutes = (hour * 60 + minute) - (local.hour * 60 + local.minute)
    return max(1, -(-(minutes % (24 * 60)) // 60))


def reminders_due(days_list: list[int], now: datetime) -> list[tuple[Document, int]]:
    """Each waiting document with the latest reminder step it has reached and not yet had, oldest
    first: a document waiting 15 days with steps 3, 7 and 14 gets the 14-day reminder alone."""
    steps = sorted(set(days_list))
    if not steps:
        return []
    waiting = db.session.scalars(sa.select(Document).where(
        Document.status.in_(("ready", "returned")), Document.ready_at < now - timedelta(days=steps[0]),
        Document.ready_at > now - timedelta(days=steps[-1] + 30)).order_by(Document.ready_at)).all()
    sent = set(db.session.scalars(sa.select(Notification.event_key).where(
        Notification.event == "uncollected_reminder",
        Notification.document_id.in_([d.id for d in waiting] or [0]))))
    due = []
    for document in waiting:
        step = max(d for d in steps if document.ready_at < now - timedelta(days=d))
        if f"uncollected_reminder:{reminder_occurrence(document, step)}" not in sent:
            due.append((document, step))
    return due


def reminder_occurrence(document: Document, step: int) -> str:
    return f"{document.id}:{step}d:{document.ready_at:%Y%m%d%H%M}"


# -- the office ----------------------------------------------------------------------------------
def document_messages(document: Document) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.document_id == document.id)
                                   .order_by(Notification.id)))


@dataclass(frozen=True)
class DeadPage:
    messages: list[Notification]
    total: int  # all that match the filters, not only this page
    older_than: int | None  # the id to continue from, when there are more


def dead_messages(*, event: str | None = None, day=None, before_id: int | None = None,
                  per_page: int = 50) -> DeadPage:
    """The city's messages that could not be sent, newest first, a page at a time (keyset)."""
    from saas.documents.services import local_day_bounds

    filters = [Notification.status == "dead"]
    if event:
        filters.append(Notification.event == event)
    if day is not None:
        start, end = local_day_bounds(day)
        moment = sa.func.coalesce(Notification.dead_at, Notification.updated_at)
        filters += [moment >= start, moment < end]
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(*filters)) or 0
    if before_id is not None:
        filters.append(Notification.id < before_id)
    rows = list(db.session.scalars(sa.select(Notification).where(*filters).order_by(Notification.id.desc())
                                   .limit(per_page + 1)))
    more = len(rows) > per_page
    return DeadPage(rows[:per_page], total, rows[per_page - 1].id if more else None)


def preview(event: str, language: str) -> tuple[str, str]:
    tenant = current_tenant
    from saas.notifications.templates import SAMPLE

    sample = dict(SAMPLE, city=tenant.city_name, office_name=tenant.office.get("name", ""),
                  office_address=tenant.office.get("address", ""), office_hours=office_hours())
    body, subject, _params = render(event, language, sample)
    return body, subject


_DIGEST_LINES = "antar_supervisor_digest_lines"


def add_digest_lines(app, lines) -> None:
    """A capability above adds to the supervisors' morning digest: ``lines(now) -> list[str]``,
    called with the city bound (privacy's requests falling due, for one)."""
    added = app.extensions.setdefault(_DIGEST_LINES, [])
    if lines not in added:
        added.append(lines)


def digest_summary(day, now: datetime | None = None) -> str:
    from saas.documents.services import daily_report

    report = daily_report(day)
    dead = db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.status == "dead")) or 0
    moved = report["moved"]
    lines = [
        _("Ready: %(n)d · Collected: %(c)d · Delivered: %(d)d · Returned: %(r)d",
          n=moved["ready"], c=moved["collected"], d=moved["delivered"], r=moved["returned"]),
        _("Waiting to be handed over: %(n)d (over 7 days: %(o)d)", n=report["backlog"], o=report["older_than"][7]),
        _("Messages that could not be sent: %(n)d", n=dead),
    ]
    for more in current_app.extensions.get(_DIGEST_LINES, ()):
        lines.extend(more(now or utcnow()))
    return "\n".join(lines)

