"""About 90 days of believable history for each demo city, so every page has something to show.

Each city gets its own rhythm: Balikpapan prints 300–400 documents a working day and sends
40–70 by Go-Send; smaller cities print fewer; each has its own courier habits, failure rate,
message channel and backlog. Rows are written in bulk with ``insert_rows``, as the SIAK import
writes them (the same column types redact and encrypt; the lifecycle rules are respected by
construction), then the rollups are rebuilt from them.

The demo makes it in two parts: the last few days of every city before it serves (so the offices,
the portal and a citizen's link have documents from the first page), and the older days after,
in the background, city by city, each city's older days and rollups in one transaction.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import click
import sqlalchemy as sa

from saas.couriers.codes import new_pickup_code, new_receipt_pin
from saas.couriers.models import Delivery, DeliveryEvent
from saas.documents.identity import protect_kk, protect_nik
from saas.documents.lifecycle import recount_statuses
from saas.documents.models import Document, DocumentEvent
from saas.extensions import db
from saas.models import insert_rows, utcnow
from saas.notifications.models import Notification
from saas.portal.models import PickupBooking, Rating
from saas.stats.services import rebuild
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import list_tenants

DAYS = 90
#: Days made before the demo serves; the older ones follow in the background.
RECENT_DAYS = 4
#: Daily volumes as a share of each city's rhythm (the tests shrink it).
SCALE = 1.0
FIRST = ["Siti", "Budi", "Dewi", "Agus", "Rina", "Eko", "Nur", "Andi", "Putri", "Rahmat", "Ayu", "Hendra",
         "Sri", "Yusuf", "Fitri", "Dedi", "Wati", "Joko", "Lestari", "Bayu", "Indah", "Irfan", "Maya", "Rizky"]
LAST = ["Aminah", "Santoso", "Lestari", "Saputra", "Wulandari", "Hidayat", "Pratama", "Kusuma", "Rahayu",
        "Nugroho", "Siregar", "Hasibuan", "Daeng", "Pangaribuan", "Syahputra", "Maulana", "Ramadhan"]


@dataclass(frozen=True)
class Rhythm:
    printed: tuple[int, int]        # documents made ready per working day
    couriered: tuple[int, int]      # of which leave by courier
    collect_days: float             # mean days from ready to collection at the desk
    fail_rate: float                # courier trips that fail or come back
    delivered_rate: float           # messages that reach the phone
    rating_mean: float
    backlog_rate: float             # documents nobody comes for (yet)


RHYTHMS = {
    "balikpapan": Rhythm((300, 400), (40, 70), 2.5, 0.03, 0.96, 4.5, 0.02),
    "samarinda": Rhythm((120, 180), (10, 20), 4.0, 0.06, 0.90, 4.1, 0.06),
    "bontang": Rhythm((50, 80), (5, 12), 3.0, 0.02, 0.93, 4.6, 0.03),
    "surabaya": Rhythm((250, 340), (30, 50), 3.5, 0.05, 0.94, 4.2, 0.04),
    "makassar": Rhythm((150, 220), (15, 30), 6.0, 0.10, 0.88, 3.7, 0.09),
    "tangerang-selatan": Rhythm((180, 260), (35, 60), 2.0, 0.04, 0.97, 4.4, 0.02),
}


def _working_days(tenant, end: date, days: int = DAYS, skip_newest: int = 0) -> list[date]:
    open_days = {d for row in tenant.office.get("opening_hours", []) for d in row["days"]}
    codes = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return [end - timedelta(days=n) for n in range(days, skip_newest, -1)
            if codes[(end - timedelta(days=n)).weekday()] in open_days]


def _at(tenant, day: date, hour: float) -> datetime:
    local = datetime.combine(day, time.min, tzinfo=tenant.zone) + timedelta(hours=hour)
    return local.astimezone(timezone.utc)


def _nik(region: str, rng: random.Random, serial: int) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 26000))
    day = born.day + (40 if rng.random() < 0.5 else 0)
    return f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}{serial % 9999 + 1:04d}"


def fill_city(tenant, rng: random.Random, now: datetime, *, days: int = DAYS, scale: float = 1.0,
              skip_newest: int = 0, print_run: bool = True) -> int:
    """Writes, without committing, the city's documents ready on its working days from ``days`` to
    ``skip_newest + 1`` days ago, and (``print_run``) today's print run; ``scale`` shrinks the
    daily volumes (the tests use a twentieth)."""
    rows = plan_city(tenant, rng, now, days=days, scale=scale, skip_newest=skip_newest, print_run=print_run)
    return write_city(tenant, rows)


def plan_city(tenant, rng: random.Random, now: datetime, *, days: int = DAYS, scale: float = 1.0,
              skip_newest: int = 0, print_run: bool = True) -> dict:
    """The rows of ``fill_city``, by table, with their ids given; only reads the database."""
    rhythm = RHYTHMS.get(tenant.slug, RHYTHMS["bontang"])
    today = now.astimezone(tenant.zone).date()
    kecamatan = [k["code"] for k in tenant.areas]
    types = tenant.document_settings.get("types", ["ktp_el"])
    providers = [p for p in tenant.courier_settings.get("providers", []) if p]
    mode = tenant.courier_settings.get("mode", "office_booking")
    channel = (tenant.notification_settings.get("channels") or ["sms"])[0]
    reminder_days = tenant.notification_settings.get("uncollected_reminder_days") or []
    used_codes = set(db.session.scalars(sa.select(Delivery.pickup_code).where(Delivery.tenant_id == tenant.id)
                                        .execution_options(all_tenants=True)))

    def fresh_code() -> str:
        """Years of history draw enough codes to meet a collision for certain: draw again."""
        while (code := new_pickup_code()) in used_codes:
            pass
        used_codes.add(code)
        return code
    protected = [protect_nik(_nik(kecamatan[i % len(kecamatan)].replace(".", ""), rng, i)) for i in range(400)]
    families = [protect_kk(f"{kecamatan[i % len(kecamatan)].replace('.', '')}0101{20 + i % 5:02d}{i + 1:04d}")
                for i in range(200)]
    documents, events, deliveries, delivery_events = [], [], [], []
    notifications, bookings, ratings = [], [], []
    next_id = {"document": (db.session.scalar(sa.select(sa.func.max(Document.id)).execution_options(
        all_tenants=True)) or 0) + 1,
               "delivery": (db.session.scalar(sa.select(sa.func.max(Delivery.id)).execution_options(
                   all_tenants=True)) or 0) + 1}
    serial = 0
    for day in _working_days(tenant, today, days, skip_newest):
        printed = max(1, round(rng.randint(*rhythm.printed) * scale))
        couriered = round(rng.randint(*rhythm.couriered) * scale)
        for n in range(printed):
            serial += 1
            doc_id = next_id["document"]
            next_id["document"] += 1
            received = _at(tenant, day - timedelta(days=rng.randint(1, 3)), rng.uniform(8, 15))
            ready = _at(tenant, day, rng.uniform(8, 15.5))
            identity = protected[serial % len(protected)]
            family = families[serial % len(families)] if rng.random() < 0.6 else protect_kk(None)
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            doc = {"id": doc_id, "tenant_id": tenant.id, "registration_no": f"{tenant.region_code.replace('.', '')}-"
                   f"{day:%y%m%d}-{n:04d}", "doc_type": rng.choice(types), "owner_name": name,
                   "owner_name_search": name.lower(), **identity, **family, "phone": f"+62812{rng.randrange(10**7, 10**8)}",
                   "email": None, "kecamatan_code": rng.choice(kecamatan), "ready_at": ready, "created_at": received,
                   "updated_at": ready, "version": 1, "delivery_id": None, "closed_at": None}
            events.append((doc_id, None, "received", "staff", received, "SIAK"))
            events.append((doc_id, "received", "ready", "staff", ready, None))
            notice = {"tenant_id": tenant.id, "document_id": doc_id, "event": "document_ready",
                      "event_key": f"document_ready:{doc_id}:demo", "channel": channel,
                      "recipient": doc["phone"] if channel != "email" else f"warga{doc_id}@example.test",
                      "language": "id", "template": "antar_document_ready", "params": [], "body": "(demo)",
                      "status": "delivered" if rng.random() < rhythm.delivered_rate else rng.choice(("sent", "dead")),
                      "attempts": 1, "created_at": ready, "updated_at": ready, "sent_at": ready}
            notifications.append(notice)
            status, closed = "ready", None
            requested = ready + timedelta(hours=rng.uniform(0.5, 20))
            picked = requested + timedelta(hours=rng.uniform(0.5, 4))
            ended = picked + timedelta(hours=rng.uniform(0.4, 2.5))
            if n < couriered and providers and ended < now:
                provider = rng.choice(providers)
                delivery_id = next_id["delivery"]
                next_id["delivery"] += 1
                failed = rng.random() < rhythm.fail_rate
                final = ("returned" if rng.random() < 0.5 else "failed") if failed else "delivered"
                deliveries.append({
                    "id": delivery_id, "tenant_id": tenant.id, "provider": provider, "mode": mode, "status": final,
                    "provider_ref": f"DEMO-{delivery_id}", "provider_status": final, "service": "Instant",
                    "fee": rng.randrange(15000, 42000, 500), "distance_km": round(rng.uniform(2, 18), 1),
                    "payer": "citizen", "cash_on_delivery": provider == "manual", "recipient_name": name,
                    "pickup_code": fresh_code(), "receipt_pin": new_receipt_pin(), "seal_number": f"SG-{delivery_id:06d}",
                    "driver_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "driver_plate": "KT 1234 AB",
                    "handed_over_at": picked, "booked_at": requested, "closed_at": ended, "created_at": requested,
                    "updated_at": ended, "booking_attempts": 1, "rebook_count": 0, "version": 1,
                    "address_purged_at": ended if ended < now - timedelta(days=90) else None,
                    "failure_reason": "penerima tidak ada di tempat" if failed else None})
                for step, at in (("booked", requested), ("driver_assigned", requested + timedelta(minutes=8)),
                                 ("picked_up", picked), (final, ended)):
                    delivery_events.append({"tenant_id": tenant.id, "delivery_id": delivery_id, "status": step,
                                            "source": "callback", "at": at})
                doc["delivery_id"] = delivery_id
                events.append((doc_id, "ready", "delivery_requested", "citizen", requested, None))
                events.append((doc_id, "delivery_requested", "with_courier", "staff", picked, None))
                if final == "delivered":
                    events.append((doc_id, "with_courier", "delivered", "courier", ended, None))
                    status, closed = "delivered", ended
                else:
                    events.append((doc_id, "with_courier", "returned", "courier", ended + timedelta(hours=3), None))
                    status = "returned"
            elif rng.random() > rhythm.backlog_rate:
                wait_days = rng.expovariate(1 / rhythm.collect_days)
                collected = ready + timedelta(days=wait_days, hours=rng.uniform(0, 6))
                if collected < now:
                    if rng.random() < 0.6:
                        slot = collected.replace(minute=0, second=0, microsecond=0)
                        events.append((doc_id, "ready", "pickup_booked", "citizen", collected - timedelta(hours=20), None))
                        bookings.append({"tenant_id": tenant.id, "document_id": doc_id, "starts_at": slot,
                                         "code": f"JDW-D{doc_id:06d}"[:12], "status": "used",
                                         "created_at": collected - timedelta(hours=20), "updated_at": collected})
                        events.append((doc_id, "pickup_booked", "collected", "staff", collected, None))
                    else:
                        events.append((doc_id, "ready", "collected", "staff", collected, None))
                    status, closed = "collected", collected
            doc["status"], doc["closed_at"] = status, closed
            documents.append(doc)
            reached = [d for d in reminder_days if status in ("ready", "returned") and ready < now - timedelta(days=d)]
            if reached:  # history is history: the reminder it already had, not one waiting to go
                step = max(reached)
                notifications.append(dict(
                    notice, event="uncollected_reminder", template="antar_uncollected_reminder", status="delivered",
                    event_key=f"uncollected_reminder:{doc_id}:{step}d:{ready.astimezone(timezone.utc):%Y%m%d%H%M}",
                    created_at=ready + timedelta(days=step), updated_at=ready + timedelta(days=step),
                    sent_at=ready + timedelta(days=step)))
            if closed is not None and rng.random() < 0.22:
                score = max(1, min(5, round(rng.gauss(rhythm.rating_mean, 0.8))))
                ratings.append({"tenant_id": tenant.id, "document_id": doc_id, "delivery_id": doc["delivery_id"],
                                "score": score, "comment": None, "at": closed + timedelta(hours=rng.uniform(0.2, 30))})
    for n in range(rng.randint(20, 40) if print_run else 0):  # today's print run, waiting to be marked ready
        serial += 1
        doc_id = next_id["document"]
        next_id["document"] += 1
        received = now - timedelta(minutes=rng.randint(5, 240))
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        documents.append({"id": doc_id, "tenant_id": tenant.id, "registration_no": f"{tenant.region_code.replace('.', '')}-"
                          f"{today:%y%m%d}-{n:04d}", "doc_type": rng.choice(types), "owner_name": name,
                          "owner_name_search": name.lower(), **protected[serial % len(protected)], **protect_kk(None),
                          "phone": f"+62812{rng.randrange(10**7, 10**8)}", "email": None,
                          "kecamatan_code": rng.choice(kecamatan), "ready_at": None, "created_at": received,
                          "updated_at": received, "version": 1, "delivery_id": None, "closed_at": None,
                          "status": "received"})
        events.append((doc_id, None, "received", "staff", received, "SIAK"))
    ratings = [r for r in ratings if r["at"] < now]
    event_rows = [{"tenant_id": tenant.id, "document_id": d, "from_status": f, "to_status": t, "actor_kind": k,
                   "at": at, "note": note, "actor_label": "demo"} for d, f, t, k, at, note in events]
    return {Delivery: deliveries, Document: documents, DocumentEvent: event_rows, DeliveryEvent: delivery_events,
            Notification: notifications, PickupBooking: bookings, Rating: ratings}


def write_city(tenant, rows: dict) -> int:
    """Writes planned rows as multi-row INSERTs, in the order their keys need; returns the documents."""
    for model, table_rows in rows.items():
        for start in range(0, len(table_rows), 5000):
            insert_rows(model.__table__, table_rows[start:start + 5000])
    if db.engine.dialect.name == "postgresql":  # ids were given explicitly: move the sequences past them
        with all_tenants():  # past every city's ids, not only this one's
            for table in ("document", "delivery"):
                db.session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                           f"(SELECT max(id) FROM {table}))"))
    return len(rows[Document])


def _has_documents(older_than: datetime | None = None) -> bool:
    query = sa.select(Document.id).limit(1)
    if older_than is not None:
        query = query.where(Document.ready_at < older_than)
    return db.session.scalar(query) is not None


def fill_recent(*, now: datetime | None = None, scale: float | None = None) -> list[str]:
    """The last RECENT_DAYS and today's print run for every city that has no document yet; returns
    the cities filled. Quick: the demo serves right after."""
    rng = random.Random(2020_06_17)
    now = now or utcnow()
    filled = []
    for tenant in list_tenants():
        with tenant_bound(tenant):
            if _has_documents():
                continue
            fill_city(tenant, rng, now, days=RECENT_DAYS, scale=SCALE if scale is None else scale)
            recount_statuses()  # written in bulk, not moved through the lifecycle
            db.session.commit()
        filled.append(tenant.slug)
    return filled


def fill_older(*, now: datetime | None = None, scale: float | None = None, progress=None) -> list[str]:
    """The days before the recent ones, and every rollup, for each city that lacks them; returns the
    cities filled. One transaction per city: stopped half-way, the next run makes that city again.
    ``progress(slug, documents, days)`` is called as each city is done."""
    rng = random.Random(2020_06_18)
    now = now or utcnow()
    filled = []
    for tenant in list_tenants():
        with tenant_bound(tenant):
            if _has_documents(older_than=now - timedelta(days=RECENT_DAYS + 2)):
                continue
            rows = plan_city(tenant, rng, now, scale=SCALE if scale is None else scale,
                             skip_newest=RECENT_DAYS, print_run=False)
            # Planning only read: end that read so the writes below wait their turn (SQLite's
            # busy timeout) instead of failing on a snapshot a request has written past.
            db.session.rollback()
            count = write_city(tenant, rows)
            recount_statuses()
            days = rebuild(tenant)  # commits the city's older days and rollups together
        filled.append(tenant.slug)
        if progress:
            progress(tenant.slug, count, days)
    return filled


def fill_history(*, scale: float | None = None) -> int:
    """Both parts at once, for every city lacking them (a second run adds nothing); returns cities filled."""
    recent = fill_recent(scale=scale)
    older = fill_older(scale=scale, progress=lambda slug, count, days: click.echo(
        f"  {slug}: {count:,} documents of {DAYS} days' history, {days} days of figures"))
    return len(set(recent) | set(older))
