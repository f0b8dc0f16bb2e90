"""Courier deliveries: request, quote, book, follow, hand over, and record by hand."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError
from flask_babel import lazy_gettext as _l

from saas import events
from saas.couriers import lifecycle
from saas.couriers.codes import new_pickup_code, new_receipt_pin, normalise_pickup_code
from saas.couriers.lifecycle import DeliveryMoved
from saas.couriers.models import TERMINAL, CourierCallback, Delivery
from saas.couriers.providers import PROVIDERS, provider_for
from saas.couriers.providers.base import AlreadyBooked, Place, ProviderError, Quote, StatusReport
from saas.documents.lifecycle import Actor, DocumentMoved, DocumentMoving, TransitionRefused, transition
from saas.documents.models import DOCUMENT_TYPE_LABELS, Document
from saas.extensions import db
from saas.geo import road_distance_km
from saas.i18n import clock, kilometres, local_date, rupiah, zone_abbreviation
from saas.jobs import default_retry, enqueue_after_commit
from saas.models import utcnow
from saas.routing import look_up, remember
from saas.security import redact_niks
from saas.tenancy import calendar
from saas.tenancy.regions import find_kelurahan, kelurahan_named
from saas.tenancy.scope import all_tenants, current_tenant, tenant_bound

REQUESTABLE = ("ready", "returned")
CANCELLABLE = ("quoted", "booked", "driver_assigned")
#: The booking job, named rather than imported: jobs import services, never the other way.
BOOKING_JOB = "saas.couriers.jobs.book_delivery"
NEWS_OF_STATUS = {"booked": "courier_booked", "driver_assigned": "driver_assigned",
                  "picked_up": "picked_up", "delivered": "delivered", "returned": "delivery_returned"}


class DeliveryRefused(events.Refusal):
    """The delivery cannot be requested or recorded; ``message`` says why, for people."""


@dataclass
class Destination:
    recipient_name: str
    recipient_phone: str  # E.164
    address: str
    kecamatan_code: str
    kelurahan: str
    latitude: float | None  # None: neither the citizen nor the kelurahan list gives a point
    longitude: float | None
    driver_note: str = ""
    kelurahan_code: str = ""  # Kemendagri's; empty for requests made before the lists were shipped
    #: "" when the point is the citizen's own; else what it is the centre of ("kelurahan" or "kecamatan").
    centre_of: str = ""

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass
class CourierOffer:
    """One courier's answer for the citizen to compare: a quote, or why there is none."""

    provider: str
    label: str
    quote: Quote | None
    refusal: str | None
    payer: str  # "citizen" or "office"
    how_soon: str


# -- the city's courier settings ---------------------------------------------------------------
def courier_settings() -> dict:
    tenant = current_tenant
    return tenant.courier_settings or {}


def enabled_providers() -> list[str]:
    return [p for p in courier_settings().get("providers", []) if p in PROVIDERS]


def courier_name(provider_name: str) -> str:
    """What the city calls this courier ("PT Pos Indonesia", not the code or "Manual")."""
    if provider_name not in PROVIDERS:
        return provider_name
    return provider_for(provider_name).display_name


def contact_phone(delivery: Delivery) -> str | None:
    """Whom the office calls about a trip: the recipient, or the documents' owner once the
    recipient's number is gone (purged with the address, or never given)."""
    if delivery.recipient_phone:
        return delivery.recipient_phone
    owners = sorted(delivery.documents, key=lambda d: d.id)
    return owners[0].phone if owners else None


def pickup_place(delivery: Delivery | None = None) -> Place:
    point = courier_settings()["pickup_point"]
    note = ""
    if delivery is not None:
        note = str(_l("Show pickup code %(code)s at the Antar desk. Sealed envelope: do not open.",
                      code=delivery.pickup_code))
    return Place(name=point["name"], address=point["address"], latitude=point["latitude"],
                 longitude=point["longitude"], contact_name=point["contact_name"],
                 contact_phone=point["contact_phone"], note=note)


def dropoff_place(delivery_or_destination) -> Place:
    d = delivery_or_destination
    return Place(name=d.recipient_name, address=f"{d.address}, {d.kelurahan}".strip(", "),
                 latitude=d.latitude, longitude=d.longitude, contact_name=d.recipient_name,
                 contact_phone=d.recipient_phone, note=redact_niks(d.driver_note or "")[:200])


def _local_now(now: datetime | None = None) -> datetime:
    tenant = current_tenant
    return (now or utcnow()).astimezone(tenant.zone)


def check_service_hours(now: datetime | None = None) -> None:
    """Couriers take envelopes at the office only in its courier hours, and never on a day the office
    is shut (a national holiday, cuti bersama or the city's own closure)."""
    tenant = current_tenant
    hours = courier_settings().get("service_hours") or {}
    local = _local_now(now)
    closed = calendar.closed_reason(local.date())
    if closed:
        raise DeliveryRefused(_l("The office is closed today (%(reason)s), so no courier can take the envelope. "
                                 "Come back on the next working day, or book a pickup slot.", reason=closed))
    start, end = time.fromisoformat(hours.get("start", "00:00")), time.fromisoformat(hours.get("end", "23:59"))
    if not start <= local.time() < end:
        raise DeliveryRefused(_l(
            "Couriers are available %(start)s–%(end)s %(zone)s. Come back then, or book a pickup slot at the "
            "office.", start=clock(hours.get("start", "00:00")), end=clock(hours.get("end", "23:59")),
            zone=zone_abbreviation(tenant.timezone)))


def courier_hours_open(now: datetime | None = None) -> bool:
    try:
        check_service_hours(now)
    except DeliveryRefused:
        return False
    return True


def next_opening(now: datetime | None = None) -> datetime | None:
    """The next moment couriers take envelopes again (the city's local time): the start of courier
    hours on the first day from today the office is not shut; None past two months of closures."""
    tenant = current_tenant
    local = _local_now(now)
    opens = time.fromisoformat((courier_settings().get("service_hours") or {}).get("start", "00:00"))
    closed = calendar.closed_days(local.date(), local.date() + timedelta(days=60))
    for n in range(61):
        day = local.date() + timedelta(days=n)
        moment = datetime.combine(day, opens, tzinfo=tenant.zone)
        if day not in closed and moment > local:
            return moment
    return None


def opening_words(opening: datetime, now: datetime | None = None) -> str:
    """The next opening as the citizen says it: "besok, Selasa 1 Desember, pukul 08.00 WITA"."""
    tenant = current_tenant
    local = opening.astimezone(tenant.zone)
    today = _local_now(now).date()
    words = dict(day=local_date(local.date(), "EEEE d MMMM"), time=clock(local.strftime("%H:%M")),
                 zone=zone_abbreviation(tenant.timezone))
    if local.date() == today:
        return str(_l("today, %(day)s, at %(time)s %(zone)s", **words))
    if local.date() == today + timedelta(days=1):
        return str(_l("tomorrow, %(day)s, at %(time)s %(zone)s", **words))
    return str(_l("%(day)s, at %(time)s %(zone)s", **words))


def deliveries_today(now: datetime | None = None) -> int:
    return deliveries_on(_local_now(now).date())


def deliveries_on(day) -> int:
    """The day's courier trips: asked for that day, or waiting to be booked at its opening."""
    tenant = current_tenant
    start = datetime.combine(day, time.min, tzinfo=tenant.zone)
    end = start + timedelta(days=1)
    return db.session.scalar(sa.select(sa.func.count()).select_from(Delivery).where(
        sa.or_(sa.and_(Delivery.created_at >= start, Delivery.created_at < end),
               sa.and_(Delivery.book_at >= start, Delivery.book_at < end)),
        Delivery.previous_delivery_id.is_(None))) or 0


def check_quota(now: datetime | None = None) -> None:
    quota = courier_settings().get("daily_quota", 100)
    if deliveries_today(now) >= quota:
        raise DeliveryRefused(_l("Today's %(quota)d courier deliveries are all taken. Try again tomorrow, "
                                 "or book a pickup slot at the office.", quota=quota))


def check_scheduled_quota(book_at: datetime) -> None:
    """A trip waiting for an opening counts against the quota of the opening's day."""
    tenant = current_tenant
    quota = courier_settings().get("daily_quota", 100)
    if deliveries_on(book_at.astimezone(tenant.zone).date()) >= quota:
        raise DeliveryRefused(_l("The %(quota)d courier deliveries of the next opening are all taken. "
                                 "Book a pickup slot at the office instead.", quota=quota))


def check_area(destination: Destination, provider_name: str) -> float | None:
    """Refuse an address outside the city's service area or past the courier's reach."""
    tenant = current_tenant
    areas = {k["code"]: k for k in tenant.areas}
    area = areas.get(destination.kecamatan_code)
    if area is None:
        raise DeliveryRefused(_l("This kecamatan is outside %(city)s's service area.", city=tenant.city_name))
    if destination.kelurahan_code:
        place = find_kelurahan(tenant.slug, destination.kelurahan_code)
        if place is None or place.kecamatan_code != destination.kecamatan_code:
            raise DeliveryRefused(_l("Choose the kelurahan from the list of %(kecamatan)s.", kecamatan=area["name"]))
    elif area.get("kelurahan") and destination.kelurahan not in area["kelurahan"] \
            and not kelurahan_named(tenant.slug, destination.kecamatan_code, destination.kelurahan):
        raise DeliveryRefused(_l("Choose the kelurahan from the list of %(kecamatan)s.", kecamatan=area["name"]))
    if not destination.located:
        return None  # a listed kelurahan is inside the city; only a priced-by-distance courier needs more
    point = courier_settings()["pickup_point"]
    distance = road_distance_km(point["latitude"], point["longitude"], destination.latitude, destination.longitude)
    limit = min(float(courier_settings().get("max_distance_km", 40)), PROVIDERS[provider_name].max_distance_km)
    if distance > limit:
        raise DeliveryRefused(_l("The address is about %(km)s from the office; couriers go up to %(limit)s.",
                                 km=kilometres(distance), limit=f"{limit:.0f} km"))
    return distance


def quote(destination: Destination, provider_name: str) -> Quote:
    """The courier's own price for this trip (a manual courier's is the city's fixed fee)."""
    tenant = current_tenant
    if provider_name not in enabled_providers():
        raise DeliveryRefused(_l("This courier is not available in %(city)s.", city=tenant.city_name))
    check_area(destination, provider_name)
    if not destination.located and PROVIDERS[provider_name].needs_location:
        raise DeliveryRefused(_l("%(courier)s prices the trip from your exact location: share it, or type its "
                                 "coordinates, to see this price.", courier=courier_name(provider_name)))
    provider = provider_for(provider_name)
    try:
        result = provider.quote(pickup_place(), dropoff_place(destination))
    except ProviderError:
        raise DeliveryRefused(_l("The courier cannot give a price right now. Try again in a few minutes.")) from None
    if not result.serviceable:
        raise DeliveryRefused(_l("The courier cannot take this trip: %(reason)s",
                                 reason=result.reason or _l("not serviceable")))
    return result


def how_soon(provider_name: str, quoted: Quote) -> str:
    """How soon the envelope arrives, in the courier's own terms; never a promise Antar makes up."""
    tenant = current_tenant
    if quoted.arrives_by is not None:
        local = quoted.arrives_by.astimezone(tenant.zone)
        return str(_l("Arrives around %(time)s %(zone)s (the courier's estimate)",
                      time=clock(local.strftime("%H:%M")), zone=zone_abbreviation(tenant.timezone)))
    if quoted.service == "Instant":
        return str(_l("Straight from the office to you (Instant)"))
    if quoted.service == "SameDay":
        return str(_l("Today (Same Day)"))
    return str(_l("The office arranges the trip and tells you the day"))


def quote_all(destination: Destination) -> list[CourierOffer]:
    """Every courier the city allows, side by side: each with its price or the reason it has none."""
    payer = courier_settings().get("payer", "citizen")
    offers = []
    for name in enabled_providers():
        try:
            quoted = quote(destination, name)
        except DeliveryRefused as exc:
            offers.append(CourierOffer(name, courier_name(name), None, str(exc.message), payer, ""))
            continue
        offers.append(CourierOffer(name, courier_name(name), quoted, None, payer, how_soon(name, quoted)))
    return offers


def family_of(document: Document) -> list[Document]:
    """Documents that may travel with this one: the same owner, or the same family card."""
    clause = Document.nik_hash == document.nik_hash
    if document.kk_hash:
        clause = clause | (Document.kk_hash == document.kk_hash)
    return list(db.session.scalars(sa.select(Document).where(clause, Document.status.in_(REQUESTABLE))
                                   .order_by(Document.id)))


def _unique_pickup_code() -> str:
    while True:
        code = new_pickup_code()
        if not db.session.scalar(sa.select(Delivery.id).where(Delivery.pickup_code == code)):
            return code


def _refuse_test_data(documents: list[Document]) -> None:
    """Test data (made with a test API token) has no envelope: no courier is ever booked for it."""
    if any(d.is_test for d in documents):
        raise DeliveryRefused(_l("This is test data, made with a test API token: no courier is booked for it."))


def request_delivery(documents: list[Document], destination: Destination, provider_name: str,
                     quoted: Quote, actor: Actor, now: datetime | None = None, *,
                     at_next_opening: bool = False) -> Delivery:
    """The citizen chose a courier: the envelope is prepared and, where the city books, a job books it.

    Outside courier hours, ``at_next_opening`` records the request with its estimate instead of
    refusing it; ``book_scheduled`` books it when the couriers open. In hours it is booked now."""
    tenant = current_tenant
    settings = courier_settings()
    if not documents or any(d.status not in REQUESTABLE for d in documents):
        raise DeliveryRefused(_l("Only documents that are ready can be sent by courier."))
    _refuse_test_data(documents)
    book_at = None
    if at_next_opening and not courier_hours_open(now):
        opening = next_opening(now)
        if opening is None or settings.get("mode", "office_booking") != "office_booking":
            check_service_hours(now)  # refuses, saying when couriers work
        book_at = opening.astimezone(timezone.utc)
        check_scheduled_quota(book_at)
    else:
        check_service_hours(now)
        check_quota(now)
    distance = check_area(destination, provider_name)
    moment = now or utcnow()
    delivery = Delivery(
        tenant_id=tenant.id, provider=provider_name, mode=settings.get("mode", "office_booking"),
        status="quoted", created_at=moment, updated_at=moment, service=quoted.service, fee=quoted.price, distance_km=quoted.distance_km or distance,
        payer=settings.get("payer", "citizen"), cash_on_delivery=quoted.cash_on_delivery,
        recipient_name=destination.recipient_name, recipient_phone=destination.recipient_phone,
        address=destination.address, kecamatan_code=destination.kecamatan_code, kelurahan=destination.kelurahan,
        latitude=destination.latitude, longitude=destination.longitude,
        driver_note=redact_niks(destination.driver_note or "")[:300] or None,
        pickup_code=_unique_pickup_code(), receipt_pin=new_receipt_pin(), book_at=book_at,
    )
    db.session.add(delivery)
    db.session.flush()
    for document in documents:
        document.delivery = delivery
        if book_at is None:
            note = _l("Courier delivery requested (%(provider)s).", provider=courier_name(provider_name))
        else:
            note = _l("Courier delivery requested (%(provider)s), to be booked at the next opening: %(when)s.",
                      provider=courier_name(provider_name), when=opening_words(book_at, now))
        transition(document, "delivery_requested", actor, str(note))
    if book_at is None and delivery.mode == "office_booking" and PROVIDERS[provider_name].has_api:
        schedule_booking(delivery)
    return delivery


def order_by_citizen(documents: list[Document], recipient_name: str, recipient_phone: str,
                     actor: Actor, now: datetime | None = None) -> Delivery:
    """citizen_link mode: the citizen orders Go-Send in the Gojek app, with the office as pickup.

    Antar only prepares the envelope and a pickup code; the address stays between the citizen
    and the courier, and the office records the driver at the handover desk.
    """
    tenant = current_tenant
    if not documents or any(d.status not in REQUESTABLE for d in documents):
        raise DeliveryRefused(_l("Only documents that are ready can be sent by courier."))
    _refuse_test_data(documents)
    check_service_hours(now)
    check_quota(now)
    moment = now or utcnow()
    delivery = Delivery(tenant_id=tenant.id, provider="gosend", mode="citizen_link", status="quoted",
                        created_at=moment, updated_at=moment, payer="citizen",
                        recipient_name=recipient_name.strip()[:120], recipient_phone=recipient_phone,
                        pickup_code=_unique_pickup_code(), receipt_pin=new_receipt_pin())
    db.session.add(delivery)
    db.session.flush()
    for document in documents:
        document.delivery = delivery
        transition(document, "delivery_requested", actor,
                   str(_l("The citizen orders Go-Send in the Gojek app (pickup code %(code)s).",
                          code=delivery.pickup_code)))
    return delivery


def schedule_booking(delivery: Delivery) -> None:
    enqueue_after_commit(BOOKING_JOB, delivery.tenant_id, delivery.id, queue="couriers",
                         retry=default_retry(), job_timeout=60)


def item_description(delivery: Delivery) -> str:
    kinds = sorted({str(DOCUMENT_TYPE_LABELS.get(d.doc_type, d.doc_type)) for d in delivery.documents})
    return f"Dokumen kependudukan ({', '.join(kinds)}), amplop tersegel"


def book(delivery: Delivery) -> str:
    """Book the trip with the courier's API, exactly once however often the job is retried."""
    if delivery.status != "quoted" or delivery.provider_ref:
        return "already booked"
    if any(d.is_test for d in delivery.documents):
        return "test data: never booked"
    provider = provider_for(delivery.provider)
    if delivery.book_at is not None and delivery.booking_attempts == 0 and not _price_still_agreed(delivery):
        return "price rose"
    delivery.booking_attempts += 1
    if delivery.booking_attempts > 1:
        # An earlier attempt may have reached the courier and lost only its answer.
        existing = provider.find_booking(delivery.store_order_id)
        if existing is not None:
            _adopt(delivery, existing.ref, existing.provider_status, existing.tracking_url, source="booking")
            return "adopted"
    try:
        booking = provider.book(delivery, pickup_place(delivery), dropoff_place(delivery),
                                item_description(delivery))
    except AlreadyBooked:
        delivery.office_alert = None
        return "awaiting callback"
    except ProviderError as exc:
        if exc.transient:
            raise
        fail(delivery, str(exc), source="booking")
        return "refused"
    _adopt(delivery, booking.ref, booking.provider_status, booking.tracking_url, source="booking")
    return "booked"


#: How far the courier's price at the opening may exceed the estimate the citizen agreed to and still
#: be booked without asking again: 10 %, and never less than Rp2.000 (couriers' prices move in such steps).
PRICE_TOLERANCE_SHARE = 0.10
PRICE_TOLERANCE_MIN = 2000


def price_limit(estimate: int) -> int:
    return estimate + max(PRICE_TOLERANCE_MIN, int(round(estimate * PRICE_TOLERANCE_SHARE)))


def _price_still_agreed(delivery: Delivery) -> bool:
    """A scheduled trip is quoted again at the opening. Within the tolerance (or when the office
    pays) the new price stands; above it nothing is booked: the trip fails with the new price as
    its reason, so the citizen is told and chooses again, never charged more than agreed unasked."""
    try:
        fresh = provider_for(delivery.provider).quote(pickup_place(), dropoff_place(delivery))
    except ProviderError as exc:
        if exc.transient:
            raise
        fail(delivery, str(exc), source="booking")
        return False
    if not fresh.serviceable:
        fail(delivery, fresh.reason or "not serviceable", source="booking")
        return False
    estimate = delivery.fee
    if fresh.price is not None and estimate is not None and delivery.payer == "citizen" \
            and fresh.price > price_limit(estimate):
        reason = str(_l("the courier's price rose from %(estimate)s to %(price)s; ask again if that suits you",
                        estimate=rupiah(estimate), price=rupiah(fresh.price)))
        fail(delivery, reason, source="booking")
        delivery.office_alert = str(_l("Not booked at the opening: %(why)s. The citizen was told.", why=reason))
        return False
    delivery.fee = fresh.price if fresh.price is not None else delivery.fee
    delivery.service = fresh.service or delivery.service
    delivery.cash_on_delivery = fresh.cash_on_delivery
    return True


def due_scheduled_deliveries(now: datetime | None = None) -> list[int]:
    """Trips asked for outside courier hours whose opening has come (lost rounds included)."""
    return list(db.session.scalars(sa.select(Delivery.id).where(
        Delivery.status == "quoted", Delivery.book_at.is_not(None), Delivery.book_at <= (now or utcnow()),
        Delivery.provider_ref.is_(None), Delivery.mode == "office_booking").order_by(Delivery.book_at, Delivery.id)))


def scheduled_deliveries() -> list[Delivery]:
    """What the office will see booked at the next openings."""
    return list(db.session.scalars(sa.select(Delivery).where(
        Delivery.status == "quoted", Delivery.book_at.is_not(None), Delivery.provider_ref.is_(None))
        .order_by(Delivery.book_at, Delivery.id)))


def _adopt(delivery: Delivery, ref: str, provider_status: str, tracking_url: str | None, *, source: str) -> None:
    set_provider_ref(delivery, ref)
    delivery.booked_at = delivery.booked_at or utcnow()
    delivery.tracking_url = tracking_url or delivery.tracking_url
    delivery.last_provider_event_at = utcnow()
    provider = PROVIDERS[delivery.provider]
    unified = provider.statuses.get(provider_status, "booked")
    move(delivery, "booked", source=source, provider_status=provider_status)
    if unified != "booked":
        move(delivery, unified, source=source, provider_status=provider_status)


def set_provider_ref(delivery: Delivery, ref: str) -> None:
    delivery.provider_ref = ref
    remember(f"courier:{delivery.provider}", ref, delivery.tenant_id, delivery.id)


def fail(delivery: Delivery, reason: str, *, source: str, provider_status: str | None = None) -> None:
    delivery.failure_reason = redact_niks(reason)[:300]
    move(delivery, "failed", source=source, provider_status=provider_status, note=reason)


def apply_report(delivery: Delivery, report: StatusReport, *, source: str):
    """A courier's word about a delivery, by callback or poll; late or repeated words are no-ops."""
    provider = PROVIDERS[delivery.provider]
    unified = provider.statuses.get(report.provider_status)
    if unified is None:
        return None
    delivery.last_provider_event_at = utcnow()
    if report.at is not None and delivery.provider_event_at is not None and report.at < delivery.provider_event_at:
        return None  # a word older than one already applied (callbacks cross, polls lag): it changes nothing
    if report.at is not None:
        delivery.provider_event_at = report.at
    for attribute in ("driver_name", "driver_phone", "driver_plate", "receiver_name", "proof_photo_url",
                      "tracking_url"):
        value = getattr(report, attribute)
        if value:
            value = str(value)
            setattr(delivery, attribute, (redact_niks(value) if attribute.endswith("_name") else value)[:300])
    if unified == "failed":
        delivery.failure_reason = redact_niks(report.reason or report.provider_status)[:300]
    return move(delivery, unified, source=source, provider_status=report.provider_status,
                note=report.reason, at=report.at)


# -- the documents follow their delivery ------------------------------------------------------------
def move(delivery: Delivery, new_status: str, *, source: str, provider_status: str | None = None,
         note: str | None = None, at=None):
    """Move the delivery forward, bring its documents along, then tell the subscribers once.

    A late or repeated status changes nothing and returns None.
    """
    event = lifecycle.record(delivery, new_status, source=source, provider_status=provider_status,
                             note=note, at=at)
    if event is None:
        return None
    news = _documents_follow(delivery, event)
    events.publish(DeliveryMoved(delivery, event, news))
    return event


def _documents_follow(delivery: Delivery, event) -> str | None:
    """The documents on the trip take the trip's new state; returns what the citizen should hear."""
    courier = Actor.courier(courier_name(delivery.provider))
    status = event.status
    for document in list(delivery.documents):
        if document.delivery_id != delivery.id:
            continue
        if status in ("picked_up", "delivered") and document.status == "delivery_requested":
            transition(document, "with_courier", courier, str(_l("Picked up, as the courier reports.")))
        if status == "delivered" and document.status == "with_courier":
            transition(document, "delivered", courier,
                       str(_l("Delivered to %(name)s.", name=delivery.receiver_name or delivery.recipient_name)))
        elif status == "returned" and document.status == "with_courier":
            transition(document, "returned", courier, str(_l("Brought back to the office by the courier.")))
    if status in ("cancelled", "failed"):
        waiting = [d for d in delivery.documents if d.status == "delivery_requested"]
        if status == "failed" and waiting and _rebook(delivery, waiting):
            return None
        for document in waiting:
            transition(document, "ready", Actor.system(),
                       str(_l("The courier trip did not happen (%(why)s); the document waits at the office.",
                              why=delivery.failure_reason or delivery.status_label)))
        if any(d.status == "with_courier" for d in delivery.documents):
            delivery.office_alert = str(_l("The courier has the envelope but the trip failed: record it at the "
                                           "returns desk when it comes back."))
        elif status == "failed":
            delivery.office_alert = str(_l("No courier could take the trip: %(why)s",
                                           why=delivery.failure_reason or "-"))
    return "delivery_failed" if status == "failed" else NEWS_OF_STATUS.get(status)


# -- the trip follows its documents -----------------------------------------------------------------
def _taken_off_trip(document: Document, from_status: str, to_status: str) -> Delivery | None:
    """The open trip a document leaves when staff (or the API) move it back or cancel it."""
    if from_status != "delivery_requested" or to_status not in ("ready", "cancelled"):
        return None
    delivery = document.delivery
    if delivery is None or not delivery.is_open:
        return None  # the trip had already ended; this move is its consequence
    return delivery


def courier_lets_go(moving: DocumentMoving) -> None:
    """Check: a document leaves its trip only once the courier has let the trip go."""
    delivery = _taken_off_trip(moving.document, moving.from_status, moving.to_status)
    if delivery is None:
        return
    # The trip's row first, then its documents: the order the courier's callbacks take. Without
    # it the cancellation's own callback, arriving while this transaction holds the document,
    # would hold the trip and wait for the document (PostgreSQL: deadlock detected).
    db.session.execute(sa.select(Delivery.id).where(Delivery.id == delivery.id).with_for_update())
    try:
        release(delivery)
    except DeliveryRefused as exc:
        raise TransitionRefused(moving.document, moving.to_status, exc.message) from None


def trip_follows_document(moved: DocumentMoved) -> None:
    """Subscriber: the trip the document left is cancelled too (the courier already let go)."""
    event = moved.event
    delivery = _taken_off_trip(moved.document, event.from_status, event.to_status)
    if delivery is None:
        return
    _close_cancelled(delivery, Actor(event.actor_kind, event.actor_user_id, event.actor_label),
                     event.note or str(_l("The document was taken off the courier trip.")))


def _rebook(delivery: Delivery, documents: list[Document]) -> bool:
    """No driver found: try again, up to the city's limit, as a new booking."""
    limit = courier_settings().get("rebook_limit", 0)
    if delivery.rebook_count >= limit or delivery.provider_status not in ("no_driver", "FAILED"):
        return False
    again = Delivery(
        tenant_id=delivery.tenant_id, provider=delivery.provider, mode=delivery.mode, status="quoted",
        service=delivery.service, fee=delivery.fee, distance_km=delivery.distance_km, payer=delivery.payer,
        cash_on_delivery=delivery.cash_on_delivery, recipient_name=delivery.recipient_name,
        recipient_phone=delivery.recipient_phone, address=delivery.address,
        kecamatan_code=delivery.kecamatan_code, kelurahan=delivery.kelurahan, latitude=delivery.latitude,
        longitude=delivery.longitude, driver_note=delivery.driver_note, pickup_code=_unique_pickup_code(),
        receipt_pin=delivery.receipt_pin, rebook_count=delivery.rebook_count + 1,
        previous_delivery_id=delivery.id,
    )
    db.session.add(again)
    db.session.flush()
    for document in documents:
        document.delivery = again
    schedule_booking(again)
    return True


# -- callbacks -------------------------------------------------------------------------------------
@dataclass
class CallbackOutcome:
    status: int
    message: str


def _find_delivery(provider_name: str, report: StatusReport) -> Delivery | None:
    """The delivery a callback is about: by the courier's reference, else by our own id."""
    from saas.forms_input import fits_db_int

    with all_tenants():
        found = look_up(f"courier:{provider_name}", str(report.ref)) if report.ref else None
        delivery = db.session.get(Delivery, found[1]) if found else None
        if delivery is None and report.store_order_id and str(report.store_order_id).startswith("ANTAR-"):
            try:
                our_id = int(str(report.store_order_id).removeprefix("ANTAR-"))
            except ValueError:
                return None
            if not fits_db_int(our_id):  # not one of ours, and the database could not even compare it
                return None
            candidate = db.session.get(Delivery, our_id)
            if candidate is not None and candidate.provider == provider_name and candidate.provider_ref is None:
                delivery = candidate
    return delivery


def handle_callback(provider_name: str, headers, body) -> CallbackOutcome:
    """Authenticate, store once, apply: the city is the delivery's, never the payload's say-so.

    A callback that races another writer of the same delivery is simply applied again.
    """
    for _ in range(3):
        try:
            return _handle_callback(provider_name, headers, body)
        except (StaleDataError, sa.exc.IntegrityError):
            db.session.rollback()  # another writer got there first: look again
    return CallbackOutcome(503, "busy; send it again")


def _handle_callback(provider_name: str, headers, body) -> CallbackOutcome:
    import json

    provider_class = PROVIDERS.get(provider_name)
    if provider_class is None or not provider_class.has_api:
        return CallbackOutcome(404, "unknown courier")
    if not isinstance(body, dict):
        return CallbackOutcome(400, "the body is not a JSON object")
    if "\\u0000" in json.dumps(body).replace("\\\\", ""):  # PostgreSQL refuses a NUL in text and jsonb
        return CallbackOutcome(400, "the body contains a NUL character")
    try:
        report = provider_class.parse_callback(body)
    except ValueError as exc:
        return CallbackOutcome(400, str(exc))
    delivery = _find_delivery(provider_name, report)
    if delivery is None:
        # Answer as for a bad token: a caller learns nothing about which deliveries exist.
        return CallbackOutcome(401, "unauthorized")
    tenant = delivery.tenant
    with tenant_bound(tenant):
        if not provider_for(provider_name).verify_callback(headers):
            return CallbackOutcome(401, "unauthorized")
        seen = db.session.scalar(sa.select(CourierCallback.id).where(
            CourierCallback.provider == provider_name, CourierCallback.event_key == report.event_key))
        if seen:
            return CallbackOutcome(200, "duplicate ignored")
        if delivery.provider_ref is None:
            set_provider_ref(delivery, report.ref)
            delivery.booked_at = delivery.booked_at or utcnow()
        event = apply_report(delivery, report, source="callback")
        db.session.add(CourierCallback(tenant_id=tenant.id, provider=provider_name, event_key=report.event_key,
                                       delivery_id=delivery.id, payload=body,
                                       outcome=f"moved to {event.status}" if event else "no change"))
        db.session.commit()
    return CallbackOutcome(200, "applied" if event else "no change")


# -- the office ------------------------------------------------------------------------------------
HANDOVER_STATUSES = ("quoted", "booked", "driver_assigned", "picked_up")


def find_by_pickup_code(code: str) -> Delivery | None:
    return db.session.scalar(sa.select(Delivery).where(Delivery.pickup_code == normalise_pickup_code(code)))


def hand_over(delivery: Delivery, *, seal_number: str, driver_name: str, driver_plate: str,
              staff_user) -> None:
    """The driver showed the pickup code: the sealed envelope leaves the office with them."""
    if delivery.status not in HANDOVER_STATUSES or delivery.seal_number:
        raise DeliveryRefused(_l("This delivery is '%(status)s': nothing to hand over.",
                                 status=delivery.status_label))
    if delivery.mode == "office_booking" and delivery.provider != "manual" and delivery.status == "quoted":
        raise DeliveryRefused(_l("The courier is not booked yet: wait for the booking before handing over."))
    seal, name, plate = (x.strip() for x in (seal_number or "", driver_name or "", driver_plate or ""))
    if not seal or not name or not plate:
        raise DeliveryRefused(_l("Record the seal number, the driver's name and the plate."))
    waiting = [d for d in delivery.documents if d.status in ("delivery_requested", "with_courier")]
    if not waiting:
        raise DeliveryRefused(_l("None of this delivery's documents is waiting for a courier."))
    delivery.seal_number = seal[:40]
    delivery.driver_name = name[:120]
    delivery.driver_plate = plate.upper()[:20]
    delivery.handed_over_at = utcnow()
    delivery.handed_over_by_id = staff_user.id
    for document in waiting:
        if document.status == "delivery_requested":
            transition(document, "with_courier", Actor.staff(staff_user),
                       str(_l("Handed to %(driver)s (%(plate)s), seal %(seal)s.", driver=delivery.driver_name,
                              plate=delivery.driver_plate, seal=delivery.seal_number)))
    if delivery.status in ("quoted",):
        move(delivery, "booked", source="office", note="citizen's own booking" if delivery.mode == "citizen_link"
             else "booked by the office")
    move(delivery, "picked_up", source="office", note=f"seal {delivery.seal_number}")


MANUAL_OUTCOMES = ("booked", "picked_up", "delivered", "returned", "failed")


def record_manual(delivery: Delivery, outcome: str, *, tracking_no: str | None, note: str | None,
                  staff_user) -> None:
    """A trip with PT Pos or the office's own driver, as staff report it."""
    if delivery.provider != "manual" and delivery.mode != "citizen_link":
        raise DeliveryRefused(_l("This courier reports by itself; nothing to record by hand."))
    if outcome not in MANUAL_OUTCOMES:
        raise DeliveryRefused(_l("Unknown outcome."))
    if tracking_no:
        set_provider_ref(delivery, tracking_no.strip()[:64])
    if outcome == "failed":
        delivery.failure_reason = redact_niks((note or "").strip())[:300] or str(_l("recorded by the office"))
    if outcome == "booked" and delivery.status == "quoted":
        delivery.booked_at = utcnow()
    if move(delivery, outcome, source="office", provider_status=outcome, note=note) is None:
        raise DeliveryRefused(_l("The delivery is already '%(status)s'.", status=delivery.status_label))


def release(delivery: Delivery) -> None:
    """Tell the courier (if it has an API) that the trip is off; refuses once the driver has it."""
    if delivery.status not in CANCELLABLE:
        raise DeliveryRefused(_l("The driver already has the envelope; it can no longer be cancelled."))
    if delivery.provider_ref and PROVIDERS[delivery.provider].has_api and delivery.mode == "office_booking":
        try:
            provider_for(delivery.provider).cancel(delivery.provider_ref)
        except ProviderError as exc:
            raise DeliveryRefused(_l("The courier refused the cancellation: %(why)s", why=str(exc))) from None


def cancel(delivery: Delivery, actor: Actor, reason: str) -> None:
    """Cancel before pickup: the courier is told (if it has an API), the documents wait at the office."""
    release(delivery)
    _close_cancelled(delivery, actor, reason)


def _close_cancelled(delivery: Delivery, actor: Actor, reason: str) -> None:
    delivery.failure_reason = redact_niks(reason)[:300]
    move(delivery, "cancelled", source="office" if actor.kind == "staff" else "portal", note=reason)


def verify_receipt_pin(delivery: Delivery, pin: str) -> bool:
    import hmac

    ok = bool(pin) and hmac.compare_digest(pin.strip().encode(), delivery.receipt_pin.encode())
    if ok and delivery.pin_verified_at is None:
        delivery.pin_verified_at = utcnow()
    return ok


def silent_deliveries(older_than: timedelta) -> list[Delivery]:
    cutoff = utcnow() - older_than
    return list(db.session.scalars(sa.select(Delivery).where(
        Delivery.status.in_(("booked", "driver_assigned", "picked_up", "on_hold")),
        Delivery.provider_ref.is_not(None), Delivery.mode == "office_booking",
        sa.or_(Delivery.last_provider_event_at < cutoff, Delivery.last_provider_event_at.is_(None)))))


def unbooked_deliveries(older_than: timedelta) -> list[Delivery]:
    """Trips the platform should have booked by now but has not: their job was lost."""
    cutoff = utcnow() - older_than
    api_providers = [name for name, provider in PROVIDERS.items() if provider.has_api]
    return list(db.session.scalars(sa.select(Delivery).where(
        Delivery.status == "quoted", Delivery.mode == "office_booking", Delivery.provider_ref.is_(None),
        Delivery.provider.in_(api_providers), Delivery.created_at < cutoff,
        Delivery.book_at.is_(None))))  # scheduled trips are the scheduled-booking job's


def purge_old_addresses(now: datetime | None = None) -> int:
    """UU 27/2022: addresses of finished trips go once the city's retention period is over."""
    tenant = current_tenant
    days = (tenant.document_settings or {}).get("address_retention_days", 90)
    cutoff = (now or utcnow()) - timedelta(days=days)
    rows = db.session.scalars(sa.select(Delivery).where(
        Delivery.status.in_(TERMINAL), Delivery.closed_at < cutoff, Delivery.address_purged_at.is_(None))).all()
    for delivery in rows:
        delivery.address = delivery.recipient_phone = delivery.driver_note = None
        delivery.latitude = delivery.longitude = None
        delivery.address_purged_at = now or utcnow()
    return len(rows)
