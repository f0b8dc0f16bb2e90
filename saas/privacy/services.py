"""Data-subject requests and retention: plain functions on the bound city (``current_tenant``).

What the law lets go and what the registry must keep (UU No. 27/2022 art. 16 and 43; UU No. 24/2013
Adminduk): the document, its NIK and name, its append-only event log, the trip's status, seal and
handover, and the staff access log stay (the registry's record of a state document handed over, and
the accountability for every look at it). Contact data (phone, e-mail), addresses, recipients'
names and phones, message recipients and bodies, raw courier callbacks, comments and problem notes
go, but only once the document is closed: what is still being delivered needs them. Statuses and
times are never touched, so the daily rollups keep their figures.
"""
from __future__ import annotations

import hmac
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from saas.accounts.models import StaffAccessLog
from saas.couriers.models import TERMINAL, CourierCallback, Delivery
from saas.documents.identity import clean_nik, identity_hash, mask_phone
from saas.documents.models import Document
from saas.extensions import db
from saas.models import utcnow
from saas.notifications.models import Notification
from saas.portal.models import PickupBooking, ProblemReport, Rating
from saas.privacy.models import ANSWER_WITHIN, REQUEST_KINDS, SubjectRequest
from saas.privacy.settings import retention_days
from saas.security import mask_email, mask_nik
from saas.tenancy.scope import current_tenant

#: A message in one of these states is finished: nothing will read its recipient or body again.
FINISHED_MESSAGES = ("sent", "delivered", "dead", "superseded", "test")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def subject_documents(nik: str) -> list[Document]:
    """Every document of the bound city held on this NIK (IdentityError if it is no NIK)."""
    number = clean_nik(nik)
    return list(db.session.scalars(sa.select(Document).where(Document.nik_hash == identity_hash(number))
                                   .order_by(Document.id)))


def _deliveries(documents: list[Document]) -> list[Delivery]:
    ids = [d.id for d in documents]
    if not ids:
        return []
    trips = sa.select(Document.delivery_id).where(Document.id.in_(ids), Document.delivery_id.is_not(None))
    return list(db.session.scalars(sa.select(Delivery).where(Delivery.id.in_(trips)).order_by(Delivery.id)))


def _of_documents(model, documents: list[Document]):
    ids = [d.id for d in documents]
    if not ids:
        return []
    return list(db.session.scalars(sa.select(model).where(model.document_id.in_(ids)).order_by(model.id)))


def export_subject(nik: str) -> dict:
    """Everything the city holds on one NIK, as JSON-ready data: what a citizen may ask to see."""
    documents = subject_documents(nik)
    deliveries = _deliveries(documents)
    callbacks = (list(db.session.scalars(sa.select(CourierCallback).where(
        CourierCallback.delivery_id.in_([t.id for t in deliveries])).order_by(CourierCallback.id)))
        if deliveries else [])
    subjects = {d.registration_no for d in documents} | {str(t.id) for t in deliveries} \
        | {t.pickup_code for t in deliveries}
    reads = (list(db.session.scalars(sa.select(StaffAccessLog).where(StaffAccessLog.subject.in_(subjects))
                                     .order_by(StaffAccessLog.id))) if subjects else [])
    requests = list(db.session.scalars(sa.select(SubjectRequest).where(
        SubjectRequest.nik_hash == identity_hash(clean_nik(nik))).order_by(SubjectRequest.id)))
    return {
        "city": current_tenant.name,
        "nik": mask_nik(clean_nik(nik)),
        "exported_at": _iso(utcnow()),
        "documents": [{
            "registration_no": d.registration_no, "doc_type": d.doc_type, "status": d.status,
            "owner_name": d.owner_name, "nik": d.nik_masked, "kk_number": "****************" if d.kk_hash else None,
            "phone": d.phone, "email": d.email, "kecamatan": d.kecamatan_code,
            "received_at": _iso(d.created_at), "ready_at": _iso(d.ready_at), "closed_at": _iso(d.closed_at),
            "events": [{"from": e.from_status, "to": e.to_status, "by": e.actor_label, "note": e.note,
                        "at": _iso(e.at)} for e in d.events],
        } for d in documents],
        "deliveries": [{
            "id": t.id, "provider": t.provider, "status": t.status, "recipient_name": t.recipient_name,
            "recipient_phone": t.recipient_phone, "address": t.address, "kelurahan": t.kelurahan,
            "latitude": t.latitude, "longitude": t.longitude, "driver_note": t.driver_note,
            "seal_number": t.seal_number, "driver_name": t.driver_name, "driver_plate": t.driver_plate,
            "receiver_name": t.receiver_name, "proof_photo_url": t.proof_photo_url,
            "failure_reason": t.failure_reason, "fee": t.fee, "booked_at": _iso(t.booked_at),
            "handed_over_at": _iso(t.handed_over_at), "closed_at": _iso(t.closed_at),
            "events": [{"status": e.status, "note": e.note, "at": _iso(e.at)} for e in t.events],
            "courier_callbacks": [{"received_at": _iso(c.received_at), "payload": c.payload}
                                  for c in callbacks if c.delivery_id == t.id],
        } for t in deliveries],
        "messages": [{
            "event": m.event, "channel": m.channel, "recipient": m.recipient, "subject": m.subject,
            "body": m.body, "status": m.status, "sent_at": _iso(m.sent_at), "delivered_at": _iso(m.delivered_at),
        } for m in _of_documents(Notification, documents)],
        "bookings": [{"code": b.code, "starts_at": _iso(b.starts_at), "status": b.status}
                     for b in _of_documents(PickupBooking, documents)],
        "problem_reports": [{"kind": p.kind, "note": p.note, "reported_at": _iso(p.created_at), "status": p.status,
                             "resolved_at": _iso(p.resolved_at), "resolution": p.resolution}
                            for p in _of_documents(ProblemReport, documents)],
        "ratings": [{"score": r.score, "comment": r.comment, "at": _iso(r.at)}
                    for r in _of_documents(Rating, documents)],
        "access_log": [{"at": _iso(r.at), "who": r.who, "action": r.action, "record": r.subject,
                        "reason": r.reason} for r in reads],
        "requests": [{"kind": r.kind, "received_at": _iso(r.received_at), "due_at": _iso(r.due_at),
                      "status": r.status, "handled_at": _iso(r.handled_at), "reason": r.reason,
                      "outcome": r.outcome, "summary": r.summary} for r in requests],
    }


def _blank_trip(trip: Delivery, now: datetime) -> None:
    trip.recipient_name = trip.recipient_phone = trip.receiver_name = None
    trip.address = trip.kelurahan = trip.driver_note = trip.proof_photo_url = None
    trip.latitude = trip.longitude = None
    trip.address_purged_at = trip.address_purged_at or now


def _blank_message(message: Notification) -> None:
    message.recipient, message.body, message.params = "", "", []
    message.subject = message.html = None


def erase_subject(nik: str, now: datetime | None = None) -> dict:
    """Erase or anonymise what the law allows on one NIK; returns what was done and what was kept."""
    now = now or utcnow()
    documents = subject_documents(nik)
    closed = [d for d in documents if d.is_closed]
    summary = {"documents": len(documents), "documents_kept_open": len(documents) - len(closed),
               "contacts_erased": 0, "deliveries_erased": 0, "callbacks_erased": 0, "messages_erased": 0,
               "comments_erased": 0, "problem_notes_erased": 0}
    for document in closed:
        if document.phone or document.email:
            summary["contacts_erased"] += 1
        document.phone, document.email = "", None
    trips = [t for t in _deliveries(closed) if t.status in TERMINAL
             and all(d.is_closed or d.status == "returned" for d in t.documents)]
    for trip in trips:
        _blank_trip(trip, now)
        summary["deliveries_erased"] += 1
    if trips:
        summary["callbacks_erased"] = db.session.execute(
            sa.update(CourierCallback).where(CourierCallback.delivery_id.in_([t.id for t in trips]))
            .values(payload={})).rowcount
    for message in _of_documents(Notification, closed):
        if message.status in FINISHED_MESSAGES and (message.body or message.recipient):
            _blank_message(message)
            summary["messages_erased"] += 1
    for rating in _of_documents(Rating, closed):
        if rating.comment:
            rating.comment = None
            summary["comments_erased"] += 1
    for report in _of_documents(ProblemReport, closed):
        if report.note or report.resolution or report.taken_note:
            report.note = report.resolution = report.taken_note = None
            summary["problem_notes_erased"] += 1
    return summary


class RequestRefused(ValueError):
    """What the office asked cannot be done (a wrong NIK, a time that cannot be, a closed request);
    ``message`` says why in the reader's language, and nothing has changed."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


#: A request logged late (it came by post, say) may say it arrived up to this long ago.
OLDEST_RECEIPT = timedelta(days=30)
#: A clock a little ahead of the server's is not a request from the future.
CLOCK_SLACK = timedelta(minutes=5)


def log_request(kind: str, nik: str, reason: str, user, received_at: datetime | None = None,
                now: datetime | None = None) -> SubjectRequest:
    """An open request of the bound city, due 3 × 24 hours after it was received."""
    now = now or utcnow()
    received_at = received_at or now
    if received_at > now + CLOCK_SLACK:
        raise RequestRefused(_("A request cannot have been received in the future."))
    if received_at < now - OLDEST_RECEIPT:
        raise RequestRefused(_("A request received more than 30 days ago cannot be logged here."))
    if kind not in REQUEST_KINDS:
        raise RequestRefused(_("Choose what the citizen asks for."))
    number = clean_nik(nik)
    request = SubjectRequest(tenant_id=current_tenant.id, kind=kind, nik_hash=identity_hash(number),
                             nik_masked=mask_nik(number), reason=reason.strip()[:300], received_at=received_at,
                             due_at=received_at + ANSWER_WITHIN, status="open", logged_by_id=user.id, summary={})
    db.session.add(request)
    db.session.flush()
    return request


def get_request(request_id: int) -> SubjectRequest | None:
    """One request of the bound city (another city's is not found)."""
    return db.session.scalar(sa.select(SubjectRequest).where(SubjectRequest.id == request_id))


def open_requests() -> list[SubjectRequest]:
    """The bound city's open requests, the most urgent first."""
    return list(db.session.scalars(sa.select(SubjectRequest).where(SubjectRequest.status == "open")
                                   .order_by(SubjectRequest.due_at, SubjectRequest.id)))


def recent_requests(limit: int = 50) -> list[SubjectRequest]:
    """The bound city's closed requests, the latest first."""
    return list(db.session.scalars(sa.select(SubjectRequest).where(SubjectRequest.status != "open")
                                   .order_by(SubjectRequest.handled_at.desc(), SubjectRequest.id.desc())
                                   .limit(limit)))


def matching_nik(subject_request: SubjectRequest, nik: str) -> str:
    """The clean NIK typed to carry the request out, if it is the request's own (else RequestRefused):
    the NIK is never kept in clear, so the office types it again to act on it."""
    number = clean_nik(nik)
    if not hmac.compare_digest(identity_hash(number), subject_request.nik_hash):
        raise RequestRefused(_("This NIK is not the one of the request (%(nik)s).", nik=subject_request.nik_masked))
    return number


def _still_open(subject_request: SubjectRequest) -> None:
    if not subject_request.is_open:
        raise RequestRefused(_("This request is already closed."))


def close_request(subject_request: SubjectRequest, user, *, status: str = "done", outcome: str | None = None,
                  summary: dict | None = None, now: datetime | None = None) -> SubjectRequest:
    """Done (with what was done) or refused (with why); a closed request stays as it was closed."""
    _still_open(subject_request)
    if status not in ("done", "refused"):
        raise ValueError(status)
    subject_request.status = status
    subject_request.handled_by_id = user.id
    subject_request.handled_at = now or utcnow()
    subject_request.outcome = (outcome or "").strip()[:300] or None
    subject_request.summary = summary or {}
    return subject_request


def carry_out_export(subject_request: SubjectRequest, nik: str, user) -> dict:
    """The citizen's copy, and the request closed as done."""
    _still_open(subject_request)
    if subject_request.kind != "export":
        raise RequestRefused(_("This request does not ask for a copy of the data."))
    number = matching_nik(subject_request, nik)
    data = export_subject(number)
    close_request(subject_request, user, summary={key: len(value) for key, value in data.items()
                                                  if isinstance(value, list)})
    return data


def carry_out_erasure(subject_request: SubjectRequest, nik: str, user) -> dict:
    """Erase what the law allows, and close the request as done with what was erased."""
    _still_open(subject_request)
    if subject_request.kind != "erase":
        raise RequestRefused(_("This request does not ask for erasure."))
    number = matching_nik(subject_request, nik)
    summary = erase_subject(number)
    close_request(subject_request, user, summary=summary)
    return summary


def time_left(subject_request: SubjectRequest, now: datetime | None = None) -> str:
    """What the office reads next to a request: the hours left before it is due, or past it."""
    now = now or utcnow()
    seconds = int((subject_request.due_at - now).total_seconds())
    hours, minutes = divmod(abs(seconds) // 60, 60)
    if seconds >= 0:
        return _("%(hours)d h %(minutes)d min left", hours=hours, minutes=minutes)
    return _("%(hours)d h %(minutes)d min overdue", hours=hours, minutes=minutes)


#: The supervisors' morning digest names what falls due within this time.
DUE_SOON = timedelta(hours=24)


def digest_lines(now: datetime) -> list[str]:
    """For the supervisors' digest: the bound city's requests overdue, and due within 24 hours."""
    due = db.session.scalars(sa.select(SubjectRequest.due_at).where(
        SubjectRequest.status == "open", SubjectRequest.due_at < now + DUE_SOON)).all()
    if not due:
        return []
    overdue = sum(1 for moment in due if moment < now)
    return [_("Data-subject requests: %(overdue)d overdue, %(soon)d due within 24 hours",
              overdue=overdue, soon=len(due) - overdue)]


# -- retention ---------------------------------------------------------------------------------------
def purge_expired(now: datetime | None = None) -> dict:
    """Blank what the bound city's retention days say is past its time; idempotent, statuses untouched."""
    now = now or utcnow()
    tenant = current_tenant
    done = {"recipients": 0, "messages": 0, "courier_callbacks": 0}

    cutoff = now - timedelta(days=retention_days(tenant, "recipients_days"))
    trips = db.session.scalars(sa.select(Delivery).where(
        Delivery.status.in_(TERMINAL), Delivery.closed_at < cutoff,
        sa.or_(Delivery.recipient_name.is_not(None), Delivery.recipient_phone.is_not(None),
               Delivery.receiver_name.is_not(None)))).all()
    for trip in trips:
        trip.recipient_name = trip.recipient_phone = trip.receiver_name = None
    done["recipients"] = len(trips)

    cutoff = now - timedelta(days=retention_days(tenant, "messages_days"))
    done["messages"] = db.session.execute(
        sa.update(Notification).where(Notification.status.in_(FINISHED_MESSAGES), Notification.updated_at < cutoff,
                                      Notification.body != "")
        .values(recipient="", body="", params=[], subject=None, html=None)
        .execution_options(synchronize_session=False)).rowcount

    cutoff = now - timedelta(days=retention_days(tenant, "courier_callbacks_days"))
    stale = db.session.scalars(sa.select(CourierCallback).where(CourierCallback.received_at < cutoff)).all()
    for callback in stale:
        if callback.payload:
            callback.payload = {}
            done["courier_callbacks"] += 1
    return done


def masked_contacts(document: Document) -> str:
    return " · ".join(x for x in (mask_phone(document.phone), mask_email(document.email)) if x)
