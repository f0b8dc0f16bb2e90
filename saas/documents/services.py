"""Registering documents, finding them, and the counts a supervisor reads."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from saas.documents.identity import (
    IdentityError,
    Protector,
    clean_kk,
    clean_nik,
    clean_phone,
    tail_hash,
)
from saas.documents.lifecycle import Actor, count_moves, record_received
from saas.documents.models import STATUSES, Document, DocumentEvent, DocumentStatusCount
from saas.extensions import db
from saas.models import insert_rows, staged_rows, utcnow
from saas.security import redact_niks
from saas.tenancy.models import Tenant
from saas.tenancy.scope import current_tenant

REGISTRATION_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./-]{2,39}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")

# Names SIAK exports and offices use for each document type, all mapped to Antar's codes.
TYPE_ALIASES = {
    "ktp_el": "ktp_el", "ktp-el": "ktp_el", "ktpel": "ktp_el", "e-ktp": "ktp_el", "ektp": "ktp_el",
    "ktp": "ktp_el", "kia": "kia", "kk": "kk", "kartu keluarga": "kk", "skpwni": "skpwni",
    "surat pindah": "skpwni", "akta_kelahiran": "akta_kelahiran", "akta kelahiran": "akta_kelahiran",
    "akta_kematian": "akta_kematian", "akta kematian": "akta_kematian",
}

# The names a SIAK column may use for each type, as the office writes them (all in TYPE_ALIASES).
TYPE_NAMES = ("KTP-el", "KIA", "KK", "SKPWNI", "Akta Kelahiran", "Akta Kematian")

# Why a document is refused: a short code for machines, and the field it concerns.
REASON_MISSING = "missing_field"
REASON_BAD_NIK = "bad_nik"
REASON_BAD_TYPE = "unknown_doc_type"
REASON_BAD_PHONE = "bad_phone"
REASON_BAD_VALUE = "bad_value"
REASON_DUPLICATE = "duplicate_in_file"
REASON_EXISTS = "already_registered"
REASON_CONFLICT = "registration_conflict"

#: The fields of a document as the office names them (the SIAK columns and the API use the codes).
FIELD_LABELS = {
    "registration_no": _l("Registration no."), "nik": "NIK", "name": _l("Name"),
    "doc_type": _l("Document type"), "phone": _l("Mobile number"), "email": _l("E-mail"),
    "kk_number": _l("KK number"), "kecamatan": _l("Kecamatan"),
}


def field_label(field_name: str) -> str:
    return str(FIELD_LABELS.get(field_name, field_name))


@dataclass
class DocumentInput:
    """One document as given (by a SIAK row or the API), checked."""

    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)  # field → message
    reason: str | None = None  # the first refusal's code
    why: dict = field(default_factory=dict)  # field → the message untranslated, to say in any language

    @property
    def ok(self) -> bool:
        return not self.errors

    def refuse(self, field_name: str, message, reason: str) -> None:
        self.errors.setdefault(field_name, str(message))
        self.why.setdefault(field_name, message)
        self.reason = self.reason or reason


class DocumentRules:
    """A city's rules for incoming documents, computed once per batch."""

    def __init__(self, tenant: Tenant):
        self.types = set(tenant.document_settings.get("types", []))
        self.kecamatan = {k["code"]: k["code"] for k in tenant.areas}
        self.kecamatan.update({k["name"].lower(): k["code"] for k in tenant.areas})

    def check(self, raw: dict) -> DocumentInput:
        item = DocumentInput()
        get = lambda key: ("" if raw.get(key) is None else str(raw.get(key))).strip()  # noqa: E731
        for key in ("registration_no", "nik", "name", "doc_type", "phone"):
            if not get(key):
                item.refuse(key, _l("This field is required."), REASON_MISSING)
        for key in raw:  # PostgreSQL cannot store it: refused here, not when the batch is imported
            if "\x00" in get(key):
                item.refuse(key, _l("Contains a NUL character, which cannot be stored: remove it and save "
                                    "the file again."), REASON_BAD_VALUE)
        for key in ("registration_no", "name"):  # shown in pages and URLs: a NIK goes in its own column
            if redact_niks(get(key)) != get(key):
                item.refuse(key, _l("This looks like a NIK; a NIK belongs in the NIK column only."),
                            REASON_BAD_VALUE)
        if item.errors:
            return item
        registration_no = get("registration_no").upper()
        if not REGISTRATION_NO.match(registration_no):
            item.refuse("registration_no", _l("Use 3–40 letters, digits, dots, dashes or slashes."),
                        REASON_BAD_VALUE)
        try:
            nik = clean_nik(get("nik"))
        except IdentityError as exc:
            item.refuse("nik", exc, REASON_BAD_NIK)
            nik = None
        doc_type = TYPE_ALIASES.get(get("doc_type").lower())
        if doc_type is None:
            item.refuse("doc_type", _l("Unknown document type; use one of: %(types)s.",
                                       types=", ".join(TYPE_NAMES)), REASON_BAD_TYPE)
        elif doc_type not in self.types:
            item.refuse("doc_type", _l("This city does not deliver this document type."), REASON_BAD_TYPE)
        try:
            phone = clean_phone(get("phone"))
        except IdentityError as exc:
            item.refuse("phone", exc, REASON_BAD_PHONE)
            phone = None
        email = get("email").lower() or None
        if email and not EMAIL.match(email):
            item.refuse("email", _l("This is not an e-mail address."), REASON_BAD_VALUE)
        kk = get("kk_number") or None
        if kk:
            try:
                kk = clean_kk(kk)
            except IdentityError as exc:
                item.refuse("kk_number", exc, REASON_BAD_VALUE)
        kecamatan = get("kecamatan")
        kecamatan_code = None
        if kecamatan:
            kecamatan_code = self.kecamatan.get(kecamatan) or self.kecamatan.get(kecamatan.lower())
            if kecamatan_code is None:
                item.refuse("kecamatan", _l("Not a kecamatan of this city."), REASON_BAD_VALUE)
        name = " ".join(get("name").split())[:120]
        if item.ok:
            item.values = {"registration_no": registration_no, "nik": nik, "name": name,
                           "doc_type": doc_type, "phone": phone, "email": email, "kk_number": kk,
                           "kecamatan_code": kecamatan_code}
        return item


def existing_registration_numbers(numbers: list[str]) -> set[str]:
    """Which of ``numbers`` the city already has: one query on PostgreSQL (an array), chunks on SQLite."""
    if not numbers:
        return set()
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        wanted = sa.bindparam("numbers", numbers, type_=ARRAY(sa.String))
        return set(db.session.scalars(sa.select(Document.registration_no).where(
            Document.registration_no == sa.func.any(wanted))))
    found: set[str] = set()
    for start in range(0, len(numbers), 500):
        chunk = numbers[start:start + 500]
        found.update(db.session.scalars(
            sa.select(Document.registration_no).where(Document.registration_no.in_(chunk))))
    return found


def prepared_row(values: dict, protector: Protector | None = None) -> dict:
    """The columns of a checked document that do not depend on when it is registered (personal
    numbers protected): what a previewed import keeps until it is confirmed."""
    protector = protector or Protector()
    return {
        "registration_no": values["registration_no"], "doc_type": values["doc_type"],
        "owner_name": values["name"], "owner_name_search": values["name"].lower(),
        **protector.nik(values["nik"]), **protector.kk(values.get("kk_number")), "phone": values["phone"],
        "email": values.get("email"), "kecamatan_code": values.get("kecamatan_code"),
    }


def existing_identities(numbers: list[str]) -> dict[str, str]:
    """The owner's NIK hash of each registration number already in the register."""
    found: dict[str, str] = {}
    for start in range(0, len(numbers), 500):
        chunk = numbers[start:start + 500]
        found.update(db.session.execute(
            sa.select(Document.registration_no, Document.nik_hash).where(Document.registration_no.in_(chunk))).all())
    return found


def document_row(values: dict, now: datetime, batch_id: int | None = None) -> dict:
    """The table row of a checked document (personal numbers protected)."""
    return _received(prepared_row(values), now, batch_id)


def _received(prepared: dict, now: datetime, batch_id: int | None, is_test: bool = False) -> dict:
    return {"tenant_id": current_tenant.id, **prepared, "status": "received", "import_batch_id": batch_id,
            "is_test": is_test, "created_at": now, "updated_at": now}


def register_many(items: list[DocumentInput], actor: Actor, note: str,
                  batch_id: int | None = None, *, is_test: bool = False) -> list[str]:
    """Insert checked documents and their "received" events in bulk; returns their numbers."""
    protector = Protector()
    return register_rows([prepared_row(item.values, protector) for item in items], actor, note, batch_id,
                         is_test=is_test)


def register_rows(prepared: list[dict], actor: Actor, note: str, batch_id: int | None = None, *,
                  is_test: bool = False, staged: bool = False) -> list[str]:
    """Write prepared documents (``prepared_row``) and their "received" events; returns their numbers.

    Multi-row ``INSERT``s. ``staged`` (a day's SIAK export, thousands of rows) on PostgreSQL:
    the documents ``COPY``'d into a temporary table, then one ``INSERT … SELECT`` for them and one
    for their events, so each row costs the server an index entry and a policy check rather than
    a statement (``staged_rows``).
    """
    tenant = current_tenant
    now = utcnow()
    if not prepared:
        return []
    numbers = [row["registration_no"] for row in prepared]
    event = {"tenant_id": tenant.id, "from_status": None, "to_status": "received", "actor_kind": actor.kind,
             "actor_user_id": actor.user_id, "actor_label": actor.label, "note": note, "at": now}
    if staged and _on_postgresql():
        shared = _received({}, now, batch_id, is_test)  # every row's, sent once
        with staged_rows(Document.__table__, prepared, shared) as staging:
            db.session.execute(DocumentEvent.__table__.insert().from_select(
                ["document_id", *event], sa.select(staging.c.id, *(
                    sa.null() if value is None else sa.literal(value, type_=DocumentEvent.__table__.c[name].type)
                    for name, value in event.items()))))
    else:
        rows = [_received(row, now, batch_id, is_test) for row in prepared]
        ids = insert_rows(Document.__table__, rows, with_ids=True)
        if ids is None:
            found = {}
            for start in range(0, len(numbers), 500):
                chunk = numbers[start:start + 500]
                found.update(db.session.execute(
                    sa.select(Document.registration_no, Document.id).where(Document.registration_no.in_(chunk))).all())
            ids = [found[number] for number in numbers]
        insert_rows(DocumentEvent.__table__, [{**event, "document_id": document_id} for document_id in ids])
    if not is_test:  # the tabs count the envelopes on the shelves; test data has none
        count_moves(tenant.id, {"received": len(numbers)})
    return numbers


def register_one(values: dict, actor: Actor, note: str | None = None) -> Document:
    document = Document(**{k: v for k, v in document_row(values, utcnow()).items()})
    db.session.add(document)
    db.session.flush()
    record_received(document, actor, note)
    return document


def get_document(registration_no: str) -> Document | None:
    return db.session.scalar(sa.select(Document).where(Document.registration_no == registration_no))


# -- the queue ------------------------------------------------------------------------------
def status_counts() -> dict[str, int]:
    """The city's documents per status, as the lifecycle keeps them (not a count of the documents)."""
    counts = dict(db.session.execute(sa.select(DocumentStatusCount.status, DocumentStatusCount.count)).all())
    return {status: int(counts.get(status, 0)) for status in STATUSES}


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the city's local calendar day."""
    return current_tenant.day_bounds(day)


@dataclass
class QueueQuery:
    status: str | None = None
    doc_type: str | None = None
    q: str | None = None
    nik_hash: str | None = None  # a whole NIK searched for: kept out of URLs, as its keyed hash
    received_from: date | None = None
    received_to: date | None = None
    # Documents made with a test API token: a queue of their own, since no envelope of theirs
    # is on any shelf and an operator looking for one would look in vain.
    test: bool = False


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


#: A name search finding more than this many of the city's documents walks the queue's own order
#: instead (common names fill a page at once there); fewer are fetched by id.
NAMED_BY_INDEX_AT_MOST = 500


def owner_named(text: str):
    """Documents whose owner's name contains ``text`` (taken literally, any case).

    On PostgreSQL, for three letters or more, the city's matches come from a trigram index through
    ``antar_documents_named`` (migration 0022): under row-level security ``LIKE`` is no index
    condition, so a name that matches nothing used to read the city's every row. A common name
    (more than ``NAMED_BY_INDEX_AT_MOST`` matches) keeps the walk, which fills a page at once.
    """
    literal = Document.owner_name_search.contains(text.lower(), autoescape=True)
    if not _on_postgresql() or len(text) < 3:
        return literal
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    ids = db.session.scalar(sa.select(sa.func.antar_documents_named(pattern, NAMED_BY_INDEX_AT_MOST)))
    if len(ids) > NAMED_BY_INDEX_AT_MOST:
        return literal
    return Document.id.in_(ids) if ids else sa.false()


def registration_prefix(prefix: str):
    """Registration numbers starting with ``prefix``, taken literally.

    On PostgreSQL a range of the pattern-ops index rather than ``LIKE``: under row-level security
    only leakproof operators may become index conditions, and ``LIKE`` is not one (the city's rows
    would be scanned); ``~>=~`` and ``~<~`` are.
    """
    literal = Document.registration_no.startswith(prefix, autoescape=True)
    if not _on_postgresql():
        return literal
    column = Document.registration_no
    last = ord(prefix[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # no string holds a surrogate: the next character is U+E000
        last = 0xE000
    if last > 0x10FFFF:
        return sa.and_(column.op("~>=~", is_comparison=True)(prefix), literal)
    return sa.and_(column.op("~>=~", is_comparison=True)(prefix),
                   column.op("~<~", is_comparison=True)(prefix[:-1] + chr(last)))


def queue_order(query: QueueQuery):
    """What the queue's pages run down, newest first: the document's id, in a form whose index leads
    with the city.

    A status tab orders by ``id``, which its ``(tenant_id, status, id)`` index gives. Otherwise
    PostgreSQL orders by ``CAST(id AS DOUBLE PRECISION)``, which only ``ix_document_tenant_id_queue_order``
    gives: told ``ORDER BY id``, it walked the primary key down from the newest document of any
    city, stepping over every newer city's rows (and ``ORDER BY tenant_id, id`` is no different
    to it, a key equal to a constant is dropped). A double keeps every id below 2**53 exact, and its
    comparisons are leakproof, so row-level security lets the keyset bound be an index condition.
    """
    if query.status or not _on_postgresql():
        return Document.id
    return sa.cast(Document.id, sa.Double)


def queue_statement(query: QueueQuery):
    statement = sa.select(Document).where(Document.is_test.is_(query.test))
    if query.status:
        statement = statement.where(Document.status == query.status)
    if query.doc_type:
        statement = statement.where(Document.doc_type == query.doc_type)
    if query.received_from:
        statement = statement.where(Document.created_at >= local_day_bounds(query.received_from)[0])
    if query.received_to:
        statement = statement.where(Document.created_at < local_day_bounds(query.received_to)[1])
    if query.nik_hash:
        statement = statement.where(Document.nik_hash == query.nik_hash)
    text = (query.q or "").strip()
    if text:
        if text.isdigit() and len(text) == 4:
            statement = statement.where(sa.or_(Document.nik_tail_hash == tail_hash(text),
                                               registration_prefix(text)))
        elif any(ch.isdigit() for ch in text):
            statement = statement.where(registration_prefix(text.upper()))
        else:
            statement = statement.where(owner_named(text))
    return statement


def queue_page(query: QueueQuery, *, after_id: int | None = None,
               before_id: int | None = None, per_page: int = 50) -> tuple[list[Document], bool, bool]:
    """Newest first, by keyset (id), so page 400 costs what page 1 does.

    Returns (documents, has_older, has_newer).
    """
    statement = queue_statement(query)
    key = queue_order(query)
    if before_id is not None:  # going back towards newer documents
        rows = list(db.session.scalars(statement.where(key > before_id).order_by(key.asc()).limit(per_page + 1)))
        has_newer = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        has_older = True
    else:
        if after_id is not None:
            statement = statement.where(key < after_id)
        rows = list(db.session.scalars(statement.order_by(key.desc()).limit(per_page + 1)))
        has_older = len(rows) > per_page
        rows = rows[:per_page]
        has_newer = after_id is not None
    return rows, has_older, has_newer


# -- the supervisor's day ------------------------------------------------------------------
REPORT_EVENTS = ("received", "ready", "pickup_booked", "delivery_requested", "with_courier",
                 "delivered", "collected", "returned", "cancelled")
BACKLOG_STATUSES = ("ready", "pickup_booked", "delivery_requested", "returned")


def daily_report(day: date) -> dict:
    """Today's movements in the city's own day, and the ready-but-not-handed-over backlog by age."""
    start, end = local_day_bounds(day)
    moved = dict(db.session.execute(
        sa.select(DocumentEvent.to_status, sa.func.count())
        .join(Document, sa.and_(Document.id == DocumentEvent.document_id, Document.is_test.is_(False)))
        .where(DocumentEvent.at >= start, DocumentEvent.at < end)
        .group_by(DocumentEvent.to_status)).all())
    now = min(end, utcnow())
    ages = {}
    for days in (7, 14, 30):
        ages[days] = db.session.scalar(
            sa.select(sa.func.count()).select_from(Document)
            .where(Document.status.in_(BACKLOG_STATUSES), Document.ready_at < now - timedelta(days=days),
                   Document.is_test.is_(False)))
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Document)
                                .where(Document.status.in_(BACKLOG_STATUSES), Document.is_test.is_(False)))
    return {"day": day, "moved": {s: moved.get(s, 0) for s in REPORT_EVENTS}, "backlog": waiting,
            "older_than": ages}
