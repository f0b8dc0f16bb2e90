"""The citizen's side: finding one's document, booking a slot, asking for a courier, closing up."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import force_locale, lazy_gettext as _l

from saas import events
from saas.couriers.codes import ALPHABET
from saas.couriers import services as courier_services
from saas.couriers.models import Delivery
from saas.couriers.services import DeliveryRefused, move
from saas.documents.identity import IdentityError, clean_nik, identity_hash
from saas.documents.lifecycle import Actor, transition
from saas.documents.models import Document, DocumentEvent
from saas.extensions import db
from saas.i18n import clock, zone_abbreviation
from saas.models import utcnow
from saas.notifications.services import format_slot, notify
from saas.portal.models import (
    PROBLEM_KINDS,
    PROBLEM_MOVES,
    PROBLEM_STATUS_LABELS,
    PickupBooking,
    PickupSlot,
    ProblemReport,
    Rating,
)
from saas.security import redact_niks
from saas.tenancy import calendar
from saas.tenancy.scope import current_tenant, tell_database

WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CAN_CHOOSE = ("ready", "returned")


class PortalRefused(events.Refusal):
    """What the citizen asked cannot be done; ``message`` says why, in their language."""


@dataclass(frozen=True)
class Rated:
    """Told when a citizen rates the service (the rollups listen)."""

    rating: Rating


# -- finding a document ----------------------------------------------------------------------------
def _asked(registration_no: str, nik: str) -> tuple[str, str] | None:
    """(registration number, the NIK's hash) as stored, or None when either cannot match anything."""
    try:
        number = clean_nik(nik)
    except IdentityError:
        return None
    registration = (registration_no or "").strip().upper()
    return (registration, identity_hash(number)) if registration else None


def find_document(registration_no: str, nik: str) -> Document | None:
    """The document only if both the number and the owner's NIK match: one answer for every miss."""
    asked = _asked(registration_no, nik)
    if asked is None:
        return None
    registration, nik_hash = asked
    return db.session.scalar(sa.select(Document).where(
        Document.registration_no == registration, Document.nik_hash == nik_hash))


_DOCUMENTS = Document.__table__
_TRIPS = Delivery.__table__
#: The status look-up's one statement: the document and its trip, by city, number and the NIK's hash.
#: A Core statement, not the ORM's: building a ``Document`` (and compiling the city's loader criterion)
#: was 40% of the look-up's CPU (cProfile), and the answer needs six columns. The city is a parameter
#: here; row-level security still checks it on PostgreSQL.
_STATUS_STATEMENT = (
    sa.select(_DOCUMENTS.c.registration_no, _DOCUMENTS.c.doc_type, _DOCUMENTS.c.status,
              _TRIPS.c.id.label("delivery_id"), _TRIPS.c.status.label("delivery_status"), _TRIPS.c.provider,
              _TRIPS.c.seal_number)
    .select_from(_DOCUMENTS.outerjoin(_TRIPS, sa.and_(_TRIPS.c.tenant_id == _DOCUMENTS.c.tenant_id,
                                                      _TRIPS.c.id == _DOCUMENTS.c.delivery_id)))
    .where(_DOCUMENTS.c.tenant_id == sa.bindparam("city"), _DOCUMENTS.c.registration_no == sa.bindparam("number"),
           _DOCUMENTS.c.nik_hash == sa.bindparam("nik_hash"))
)


def document_status(registration_no: str, nik: str) -> sa.Row | None:
    """What the JSON look-up answers (status, trip), only if both the number and the NIK match; one
    answer (None) for every miss, as ``find_document``."""
    asked = _asked(registration_no, nik)
    if asked is None:
        return None
    registration, nik_hash = asked
    tell_database()  # the city's setting for row-level security, in this transaction
    return db.session.connection().execute(_STATUS_STATEMENT, {
        "city": current_tenant.id, "number": registration, "nik_hash": nik_hash}).first()


def active_booking(document: Document) -> PickupBooking | None:
    return db.session.scalar(sa.select(PickupBooking).where(
        PickupBooking.document_id == document.id, PickupBooking.status == "booked").order_by(PickupBooking.id.desc()))


# -- slots ---------------------------------------------------------------------------------------
@dataclass
class Slot:
    starts_at: datetime  # UTC
    local: datetime
    remaining: int


def _opening_windows(day: date) -> list[tuple[time, time]]:
    tenant = current_tenant
    code = WEEKDAY_CODES[day.weekday()]
    return [(time.fromisoformat(row["open"]), time.fromisoformat(row["close"]))
            for row in tenant.office.get("opening_hours", []) if code in row["days"]]


def slot_starts(day: date) -> list[datetime]:
    tenant = current_tenant
    minutes = int(tenant.pickup_settings.get("slot_minutes", 30))
    starts = []
    for opens, closes in _opening_windows(day):
        moment = datetime.combine(day, opens, tzinfo=tenant.zone)
        end = datetime.combine(day, closes, tzinfo=tenant.zone)
        while moment + timedelta(minutes=minutes) <= end:
            starts.append(moment)
            moment += timedelta(minutes=minutes)
    return starts


def available_slots(now: datetime | None = None) -> list[tuple[date, list[Slot]]]:
    """The next days' slots with places left; full or past slots are not offered at all."""
    tenant = current_tenant
    now = now or utcnow()
    settings = tenant.pickup_settings
    capacity = int(settings.get("capacity_per_slot", 10))
    today = now.astimezone(tenant.zone).date()
    days = [today + timedelta(days=n) for n in range(int(settings.get("booking_days_ahead", 7)) + 1)]
    closed = calendar.closed_days(days[0], days[-1])
    last = datetime.combine(days[-1] + timedelta(days=1), time.min, tzinfo=tenant.zone)
    taken = dict(db.session.execute(sa.select(PickupSlot.starts_at, PickupSlot.booked).where(
        PickupSlot.starts_at >= now, PickupSlot.starts_at < last)).all())
    result = []
    for day in days:
        slots = []
        if day in closed:
            continue  # a national holiday, cuti bersama or the city's own closure: the office is shut
        for local in slot_starts(day):
            starts_at = local.astimezone(now.tzinfo)
            if starts_at <= now + timedelta(minutes=30):
                continue
            remaining = capacity - taken.get(starts_at, 0)
            if remaining > 0:
                slots.append(Slot(starts_at=starts_at, local=local, remaining=remaining))
        if slots:
            result.append((day, slots))
    return result


def closures_ahead(now: datetime | None = None) -> list[tuple[date, str]]:
    """The days in the booking window the office would open but is shut, and why (told on the slot page)."""
    tenant = current_tenant
    today = (now or utcnow()).astimezone(tenant.zone).date()
    last = today + timedelta(days=int(tenant.pickup_settings.get("booking_days_ahead", 7)))
    return [(day, reason) for day, reason in sorted(calendar.closed_days(today, last).items())
            if _opening_windows(day)]


@dataclass
class CourierHours:
    """When couriers take envelopes, told before the form in the city's own words."""

    start: str  # "08:00"
    end: str
    zone: str  # WIB, WITA, WIT
    open_now: bool
    closed_message: str | None
    next_opening: datetime | None  # local time of the next opening, when closed now
    next_opening_words: str | None = None  # "besok, Selasa 1 Desember, pukul 08.00 WITA"
    can_schedule: bool = False  # closed now, but the request can be booked at the next opening

    @property
    def text(self) -> str:
        return str(_l("Couriers are available %(start)s–%(end)s %(zone)s.", start=clock(self.start),
                      end=clock(self.end), zone=self.zone))


def courier_hours(now: datetime | None = None) -> CourierHours:
    """Open now (the courier package's own rule), and if not, when next: courier hours on a day the
    office is not shut for a holiday, cuti bersama or the city's closure."""
    tenant = current_tenant
    now = now or utcnow()
    hours = tenant.courier_settings.get("service_hours") or {}
    start, end = hours.get("start", "00:00"), hours.get("end", "23:59")
    try:
        courier_services.check_service_hours(now)
        open_now, message = True, None
    except DeliveryRefused as refused:
        open_now, message = False, str(refused.message)
    next_opening = None if open_now else courier_services.next_opening(now)
    words = courier_services.opening_words(next_opening, now) if next_opening else None
    can_schedule = next_opening is not None and tenant.courier_settings.get("mode") == "office_booking"
    return CourierHours(start=start, end=end, zone=zone_abbreviation(tenant.timezone), open_now=open_now,
                        closed_message=message, next_opening=next_opening, next_opening_words=words,
                        can_schedule=can_schedule)


def _new_booking_code() -> str:
    while True:
        code = "JDW-" + "".join(secrets.choice(ALPHABET) for _ in range(6))
        if not db.session.scalar(sa.select(PickupBooking.id).where(PickupBooking.code == code)):
            return code


def _take_place(starts_at: datetime) -> bool:
    """Atomically take one place of a slot; False when it is full (two citizens can race)."""
    tenant = current_tenant
    capacity = int(tenant.pickup_settings.get("capacity_per_slot", 10))
    exists = db.session.scalar(sa.select(PickupSlot.id).where(PickupSlot.starts_at == starts_at))
    if exists is None:
        try:
            with db.session.begin_nested():
                db.session.add(PickupSlot(tenant_id=tenant.id, starts_at=starts_at, booked=0))
        except sa.exc.IntegrityError:
            pass  # another booking made the row first
    # An ORM UPDATE, so the session's city filter narrows it like any query.
    result = db.session.execute(
        sa.update(PickupSlot).where(PickupSlot.starts_at == starts_at, PickupSlot.booked < capacity)
        .values(booked=PickupSlot.booked + 1).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _give_back_place(starts_at: datetime) -> None:
    db.session.execute(
        sa.update(PickupSlot).where(PickupSlot.starts_at == starts_at, PickupSlot.booked > 0)
        .values(booked=PickupSlot.booked - 1).execution_options(synchronize_session=False))


def book_slot(document: Document, starts_at: datetime, now: datetime | None = None, *,
              announce: str | None = "pickup_booked") -> PickupBooking:
    """Take a place in the slot (race-safe) and book it; ``announce`` names the message that tells
    the citizen, or None when they are told where they asked (the WhatsApp chat answers itself)."""
    tenant = current_tenant
    offered = {slot.starts_at for _, slots in available_slots(now) for slot in slots}
    if starts_at not in offered:
        raise PortalRefused(_l("That time is no longer available. Choose another one."))
    if document.status not in CAN_CHOOSE:
        raise PortalRefused(_l("This document cannot be booked for pickup now."))
    if not _take_place(starts_at):
        raise PortalRefused(_l("That time was just taken. Choose another one."))
    booking = PickupBooking(tenant_id=tenant.id, document_id=document.id, starts_at=starts_at,
                            code=_new_booking_code(), status="booked")
    db.session.add(booking)
    db.session.flush()
    transition(document, "pickup_booked", Actor.citizen(),
               str(_l("Pickup slot booked: %(slot)s (%(code)s).", slot=format_slot(starts_at, "id"),
                      code=booking.code)))
    if announce:
        _announce(announce, booking)
    return booking


def _announce(event: str, booking: PickupBooking) -> None:
    language = (current_tenant.notification_settings or {}).get("language", "id")
    notify(event, _occurrence(booking), document=booking.document,
           extra={"slot": format_slot(booking.starts_at, language), "booking_code": booking.code})


def _occurrence(booking: PickupBooking) -> str:
    """A booking's messages are about one time: a moved booking's old messages are no longer true."""
    return f"{booking.id}@{int(booking.starts_at.timestamp())}"


def cancel_booking(booking: PickupBooking, *, reopen: bool = True, tell_citizen: bool = False) -> None:
    """Free the booking's place; ``reopen`` puts the document back to ready (the citizen cancelled),
    and ``tell_citizen`` sends the cancellation's own message."""
    if booking.status != "booked":
        raise PortalRefused(_l("This booking is no longer active."))
    booking.status = "cancelled"
    booking.cancelled_at = utcnow()
    _give_back_place(booking.starts_at)
    if reopen and booking.document.status == "pickup_booked":
        transition(booking.document, "ready", Actor.citizen(), str(_l("Pickup slot cancelled.")))
    if tell_citizen:
        _announce("pickup_cancelled", booking)


def move_booking(booking: PickupBooking, starts_at: datetime, now: datetime | None = None, *,
                 announce: str | None = "pickup_moved") -> PickupBooking:
    """The same booking at a new time: it keeps its code (the one the citizen may have written down
    or shown), its old time's messages are no longer sent, and the move announces itself.

    The document stays ``pickup_booked``; the move is one line of its history, not a trip through
    "ready" and back."""
    document = booking.document
    if booking.status != "booked":
        raise PortalRefused(_l("This booking is no longer active."))
    if starts_at == booking.starts_at:
        return booking
    offered = {slot.starts_at for _, slots in available_slots(now) for slot in slots}
    if starts_at not in offered:
        raise PortalRefused(_l("That time is no longer available. Choose another one."))
    if not _take_place(starts_at):
        raise PortalRefused(_l("That time was just taken. Choose another one."))
    _give_back_place(booking.starts_at)
    booking.starts_at = starts_at
    db.session.add(DocumentEvent(
        tenant_id=document.tenant_id, document=document, from_status=document.status, to_status=document.status,
        actor_kind="citizen", actor_label=Actor.citizen().label, at=utcnow(),
        note=str(_l("Pickup slot moved: %(slot)s (%(code)s).", slot=format_slot(starts_at, "id"), code=booking.code))))
    db.session.flush()
    if announce:
        _announce(announce, booking)
    return booking


def booking_still_holds(notification) -> bool:
    """A booking's message is still true only while that booking stands at the time it named
    (checked at send time)."""
    occurrence = notification.event_key.split(":", 1)[1]
    booking_id, _at, at = occurrence.partition("@")
    booking = db.session.get(PickupBooking, int(booking_id)) if booking_id.isdigit() else None
    if booking is None or booking.status != "booked":
        return False
    return not at or int(booking.starts_at.timestamp()) == int(at)


def booking_by_code(code: str) -> PickupBooking | None:
    return db.session.scalar(sa.select(PickupBooking).where(PickupBooking.code == (code or "").strip().upper(),
                                                            PickupBooking.status == "booked"))


def tomorrows_reminders(now: datetime) -> int:
    """The day before a booked slot, the citizen is reminded (once)."""
    tenant = current_tenant
    tomorrow = now.astimezone(tenant.zone).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time.min, tzinfo=tenant.zone)
    bookings = db.session.scalars(sa.select(PickupBooking).where(
        PickupBooking.status == "booked", PickupBooking.starts_at >= start,
        PickupBooking.starts_at < start + timedelta(days=1))).all()
    language = (tenant.notification_settings or {}).get("language", "id")
    made = 0
    for booking in bookings:
        if notify("pickup_reminder", _occurrence(booking), document=booking.document,
                  extra={"slot": format_slot(booking.starts_at, language), "booking_code": booking.code}):
            made += 1
    return made


def bookings_of_day(day: date) -> list[PickupBooking]:
    tenant = current_tenant
    start = datetime.combine(day, time.min, tzinfo=tenant.zone)
    return list(db.session.scalars(sa.select(PickupBooking).where(
        PickupBooking.starts_at >= start, PickupBooking.starts_at < start + timedelta(days=1),
        PickupBooking.status != "cancelled").order_by(PickupBooking.starts_at, PickupBooking.id)))


# -- after the handover -------------------------------------------------------------------------------
def can_close(document: Document) -> bool:
    return document.status in ("delivered", "collected") or (
        document.status == "with_courier" and document.delivery is not None
        and document.delivery.mode == "citizen_link")


def confirm_receipt(document: Document) -> None:
    """The citizen says the envelope reached them (a citizen-ordered Go-Send has no other witness)."""
    delivery = document.delivery
    if document.status == "with_courier" and delivery is not None and delivery.mode == "citizen_link":
        move(delivery, "delivered", source="portal", note="confirmed by the citizen")
    elif document.status not in ("delivered", "collected"):
        raise PortalRefused(_l("The document has not been handed over yet."))
    if delivery is not None and delivery.receipt_confirmed_at is None:
        delivery.receipt_confirmed_at = utcnow()


def rate(document: Document, score: int, comment: str | None) -> Rating:
    if document.status not in ("delivered", "collected"):
        raise PortalRefused(_l("You can rate the service once you have the document."))
    if not 1 <= int(score) <= 5:
        raise PortalRefused(_l("Give 1 to 5 stars."))
    rating = db.session.scalar(sa.select(Rating).where(Rating.document_id == document.id))
    if rating is None:
        rating = Rating(tenant_id=document.tenant_id, document_id=document.id, delivery_id=document.delivery_id,
                        score=int(score), comment=redact_niks((comment or "").strip())[:500] or None, at=utcnow())
        db.session.add(rating)
    else:
        rating.score, rating.at = int(score), utcnow()
        rating.comment = redact_niks((comment or "").strip())[:500] or None
    events.publish(Rated(rating))
    return rating


def report_problem(document: Document, kind: str, note: str | None) -> ProblemReport:
    if kind not in PROBLEM_KINDS:
        raise PortalRefused(_l("Choose what went wrong."))
    report = ProblemReport(tenant_id=document.tenant_id, document_id=document.id, delivery_id=document.delivery_id,
                           kind=kind, note=redact_niks((note or "").strip())[:1000] or None)
    db.session.add(report)
    return report


def rating_of(document: Document) -> Rating | None:
    return db.session.scalar(sa.select(Rating).where(Rating.document_id == document.id))


def citizen_page_extras(document: Document) -> tuple[PickupBooking | None, Rating | None, list[ProblemReport]]:
    """The active booking, the rating and the problem reports the citizen's page shows: one query
    says which of them exist, and only those are loaded (most documents have none of the three)."""
    booking_id = sa.select(sa.func.max(PickupBooking.id)).where(
        PickupBooking.document_id == document.id, PickupBooking.status == "booked").scalar_subquery()
    rating_id = sa.select(sa.func.min(Rating.id)).where(Rating.document_id == document.id).scalar_subquery()
    any_problem = sa.exists().where(ProblemReport.document_id == document.id)
    booked, rated, reported = db.session.execute(sa.select(booking_id, rating_id, any_problem)).one()
    return (db.session.get(PickupBooking, booked) if booked is not None else None,
            db.session.get(Rating, rated) if rated is not None else None,
            problems_of(document) if reported else [])


def problems_of(document: Document) -> list[ProblemReport]:
    """The citizen's reports on this document, oldest first, as their page lists them."""
    return list(db.session.scalars(sa.select(ProblemReport).where(ProblemReport.document_id == document.id)
                                   .order_by(ProblemReport.id)))


#: The office's problem lists: the open ones (new first), one status, or all of them.
PROBLEM_VIEWS = ("open", "new", "in_hand", "resolved", "all")
_STATUS_ORDER = sa.case({"new": 0, "in_hand": 1}, value=ProblemReport.status, else_=2)


def office_problems(view: str = "open", limit: int = 200) -> list[ProblemReport]:
    """New reports first (they wait for someone), then those in hand, then the answered; newest first within."""
    if view not in PROBLEM_VIEWS:
        raise PortalRefused(_l("There is no such list of reports: choose New, In hand or Resolved."))
    statement = sa.select(ProblemReport).order_by(_STATUS_ORDER, ProblemReport.id.desc()).limit(limit)
    if view == "open":
        statement = statement.where(ProblemReport.status.in_(("new", "in_hand")))
    elif view != "all":
        statement = statement.where(ProblemReport.status == view)
    return list(db.session.scalars(statement))


def problem_counts() -> dict[str, int]:
    counts = dict(db.session.execute(sa.select(ProblemReport.status, sa.func.count())
                                     .group_by(ProblemReport.status)).all())
    return {status: counts.get(status, 0) for status in PROBLEM_STATUS_LABELS}


def problem_for_update(report_id: int) -> ProblemReport | None:
    """The report, locked until the transaction ends: two staff moving it at once move it once."""
    return db.session.scalar(sa.select(ProblemReport).where(ProblemReport.id == report_id).with_for_update())


def move_problem(report: ProblemReport, to: str, text: str | None, staff_user) -> None:
    """Take a report in hand (with an optional note for colleagues) or resolve it with a reply, which
    the citizen reads on their page and receives as a message. Refused moves change nothing."""
    if to not in PROBLEM_STATUS_LABELS:
        raise PortalRefused(_l("There is no such status for a report: choose In hand or Resolved."))
    if to not in PROBLEM_MOVES[report.status]:
        raise PortalRefused(_l("This report is already '%(status)s': it cannot become '%(to)s'.",
                               status=report.status_label, to=PROBLEM_STATUS_LABELS[to]))
    text = redact_niks((text or "").strip())
    if len(text) > 500:
        raise PortalRefused(_l("Keep it under 500 characters."))
    now = utcnow()
    if to == "in_hand":
        report.status, report.taken_at, report.taken_by_id, report.taken_note = "in_hand", now, staff_user.id, text or None
        return
    if not text:
        raise PortalRefused(_l("Write the reply to the citizen: a report is resolved with an answer."))
    report.status, report.resolved_at, report.resolved_by_id, report.resolution = "resolved", now, staff_user.id, text
    _send_reply(report)


def _send_reply(report: ProblemReport) -> None:
    language = (current_tenant.notification_settings or {}).get("language", "id")
    with force_locale(language):
        problem = str(PROBLEM_KINDS.get(report.kind, report.kind))
    notify("problem_reply", str(report.id), document=report.document,
           extra={"problem": problem, "reply": report.resolution})


# -- what the citizen can do next ---------------------------------------------------------------------
def next_steps_in(status: str) -> list[str]:
    """Machine-readable next steps for a document in ``status``, for the JSON twin of the document page."""
    if status in CAN_CHOOSE:
        return ["book_pickup_slot", "request_courier"]
    if status == "pickup_booked":
        return ["come_to_office_in_slot", "move_or_cancel_slot"]
    if status in ("delivery_requested", "with_courier"):
        return ["track_delivery", "give_receipt_pin_to_driver"]
    if status in ("delivered", "collected"):
        return ["confirm_receipt", "rate_service", "report_problem"]
    if status == "received":
        return ["wait_for_ready_message"]
    return []
