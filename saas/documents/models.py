"""Documents of a city, their append-only event log, and SIAK import batches."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from saas.extensions import db
from saas.models import FreeJSON, FreeText, BigIntPK, Timestamps, UTCDateTime, utcnow
from saas.tenancy.scope import TenantScoped, same_city_key

DOCUMENT_TYPE_LABELS = {
    "ktp_el": _l("KTP-el"),
    "kia": _l("KIA (child identity card)"),
    "kk": _l("KK (family card)"),
    "skpwni": _l("Surat pindah (SKPWNI)"),
    "akta_kelahiran": _l("Birth certificate"),
    "akta_kematian": _l("Death certificate"),
}

def label_of(labels: dict, code) -> str:
    """A code's label in the reader's language (the code itself when it has none)."""
    return str(labels.get(code, code)) if code is not None else ""


def bundle_label(documents) -> str:
    """One family's envelope by kind and count: "2 × KK (family card), Birth certificate"."""
    counts: dict[str, int] = {}
    for document in documents:
        counts[document.doc_type] = counts.get(document.doc_type, 0) + 1
    return ", ".join(f"{n} × {label_of(DOCUMENT_TYPE_LABELS, code)}" if n > 1 else label_of(DOCUMENT_TYPE_LABELS, code)
                     for code, n in counts.items())


STATUS_LABELS = {
    "received": _l("Received"),
    "ready": _l("Ready"),
    "pickup_booked": _l("Pickup booked"),
    "delivery_requested": _l("Delivery requested"),
    "with_courier": _l("With courier"),
    "delivered": _l("Delivered"),
    "collected": _l("Collected"),
    "returned": _l("Returned"),
    "cancelled": _l("Cancelled"),
}
STATUSES = tuple(STATUS_LABELS)
#: States in which the document has reached the citizen, or never will.
CLOSED_STATUSES = ("delivered", "collected", "cancelled")
ACTOR_KINDS = ("staff", "citizen", "courier", "system")


class Document(TenantScoped, Timestamps, db.Model):
    """One finished item for one person, from the day it is printed to the day it is handed over."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    registration_no: Mapped[str] = mapped_column(sa.String(40))
    doc_type: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(24), default="received")
    owner_name: Mapped[str] = mapped_column(sa.String(120))
    # Lower-cased name, for case-insensitive search that an index can serve on both databases.
    owner_name_search: Mapped[str] = mapped_column(sa.String(120))
    nik_hash: Mapped[str] = mapped_column(sa.String(64))
    nik_tail_hash: Mapped[str] = mapped_column(sa.String(64))
    nik_encrypted: Mapped[str] = mapped_column(sa.Text())
    nik_masked: Mapped[str] = mapped_column(sa.String(16))
    kk_hash: Mapped[str | None] = mapped_column(sa.String(64))
    kk_encrypted: Mapped[str | None] = mapped_column(sa.Text())
    phone: Mapped[str] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    kecamatan_code: Mapped[str | None] = mapped_column(sa.String(8))
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Links to rows of the same city only: (tenant_id, …) foreign keys below.
    import_batch_id: Mapped[int | None] = mapped_column(sa.Integer())
    # The courier trip the document is on, or was last on.
    delivery_id: Mapped[int | None] = mapped_column(BigIntPK)
    # Made with a test API token: no envelope on the shelf, so no message, no courier, no figures.
    is_test: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    # Optimistic locking: two desks (or a desk and a courier callback) may move it at once.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    delivery = relationship("Delivery", back_populates="documents", primaryjoin="Document.delivery_id == Delivery.id",
                            foreign_keys="Document.delivery_id")
    # Loaded when a page shows them (one query then), never with every fetch of a document: most
    # fetches (the status look-up, the queue, a transition) do not look at the history.
    events = relationship("DocumentEvent", back_populates="document", order_by="DocumentEvent.id",
                          primaryjoin="DocumentEvent.document_id == Document.id",
                          foreign_keys="DocumentEvent.document_id", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "registration_no"),
        # The queue's newest-first pages, and the key that rows of the same city point at.
        sa.Index(None, "tenant_id", "id", unique=True),
        same_city_key("document", "import_batch_id", "import_batch"),
        same_city_key("document", "delivery_id", "delivery"),
        sa.Index(None, "tenant_id", "status", "id"),
        sa.Index(None, "tenant_id", "doc_type", "status", "id"),
        sa.Index(None, "tenant_id", "created_at"),
        sa.Index(None, "tenant_id", "nik_hash"),
        sa.Index(None, "tenant_id", "nik_tail_hash"),
        sa.Index(None, "tenant_id", "kk_hash"),
        sa.Index(None, "tenant_id", "owner_name_search"),
        # The queue's search by the start of a registration number (LIKE 'BAL-00500%'): a plain
        # B-tree under a language collation cannot serve a prefix, one with pattern ops can.
        sa.Index("ix_document_tenant_id_registration_no_prefix", "tenant_id", "registration_no",
                 postgresql_ops={"registration_no": "varchar_pattern_ops"}),
        sa.Index(None, "tenant_id", "status", "ready_at"),
        # The queue's newest-first order on PostgreSQL (``queue_order``): an order the primary key
        # cannot give, so the planner reads the city's own rows instead of walking ``id`` down
        # through every newer city's. A double, not a numeric: under row-level security only
        # leakproof operators become index conditions (the keyset bound), and float8's are; it is
        # exact for ids below 2**53.
        # SQLite orders by id itself and has no use for it.
        sa.Index("ix_document_tenant_id_queue_order", "tenant_id",
                 sa.text("(CAST(id AS DOUBLE PRECISION))")).ddl_if(dialect="postgresql"),
        sa.Index(None, "tenant_id", "delivery_id"),
        # The queue's name search on PostgreSQL, read through ``antar_documents_named`` (migration
        # 0022, with pg_trgm and btree_gin): a name that matches nothing is an index look-up, not
        # a read of the city.
        sa.Index("ix_document_tenant_id_name_trigrams", "tenant_id", "owner_name_search", postgresql_using="gin",
                 postgresql_ops={"owner_name_search": "gin_trgm_ops"},
                 info={"only_on": "postgresql"}).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            "status in ('received', 'ready', 'pickup_booked', 'delivery_requested', 'with_courier',"
            " 'delivered', 'collected', 'returned', 'cancelled')", name="status"),
    )

    @property
    def type_label(self) -> str:
        return str(DOCUMENT_TYPE_LABELS.get(self.doc_type, self.doc_type))

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    def __repr__(self) -> str:
        return f"<Document {self.registration_no} {self.status}>"


class DocumentEvent(TenantScoped, db.Model):
    """One change of a document's status: append-only, written in the same transaction."""

    __tablename__ = "document_event"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    document_id: Mapped[int] = mapped_column(BigIntPK)
    from_status: Mapped[str | None] = mapped_column(sa.String(24))
    to_status: Mapped[str] = mapped_column(sa.String(24))
    actor_kind: Mapped[str] = mapped_column(sa.String(10))
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_label: Mapped[str | None] = mapped_column(sa.String(120))
    note: Mapped[str | None] = mapped_column(FreeText(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    document = relationship(Document, back_populates="events", primaryjoin="DocumentEvent.document_id == Document.id",
                            foreign_keys="DocumentEvent.document_id")
    actor_user = relationship("User", lazy="joined")

    __table_args__ = (
        same_city_key("document_event", "document_id", "document", ondelete="CASCADE"),
        sa.Index(None, "tenant_id", "document_id", "id"),
        sa.Index(None, "tenant_id", "at"),
        sa.Index(None, "tenant_id", "to_status", "at"),
        sa.CheckConstraint("actor_kind in ('staff', 'citizen', 'courier', 'system')", name="actor_kind"),
    )

    @property
    def to_label(self) -> str:
        return str(STATUS_LABELS.get(self.to_status, self.to_status))

    @property
    def actor_display(self) -> str:
        if self.actor_kind == "staff" and self.actor_user is not None:
            return self.actor_user.name
        return self.actor_label or self.actor_kind


class DocumentStatusCount(TenantScoped, db.Model):
    """How many of the city's documents are in each status: the queue's tab counts.

    Kept by every change of status in the transaction of the change (``documents.lifecycle``),
    so a page reads nine small rows instead of counting the city's documents.
    """

    __tablename__ = "document_status_count"

    status: Mapped[str] = mapped_column(sa.String(24))
    count: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")

    __table_args__ = (sa.PrimaryKeyConstraint("tenant_id", "status"),)


class AppendOnlyViolation(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _events_are_append_only(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, DocumentEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyViolation("document events are append-only")


class ImportBatch(TenantScoped, Timestamps, db.Model):
    """One uploaded SIAK export, kept (encrypted) between its preview and its import."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="RESTRICT"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    file_format: Mapped[str] = mapped_column(sa.String(8))
    file_sha256: Mapped[str] = mapped_column(sa.String(64))
    payload_encrypted: Mapped[str | None] = mapped_column(sa.Text())
    status: Mapped[str] = mapped_column(sa.String(12), default="previewed")
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_new: Mapped[int] = mapped_column(default=0)
    rows_existing: Mapped[int] = mapped_column(default=0)
    rows_refused: Mapped[int] = mapped_column(default=0)
    # After import: the refused rows (row number, registration number, field, why); no NIKs.
    refusals: Mapped[list] = mapped_column(FreeJSON, default=list)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    uploaded_by = relationship("User", lazy="joined")

    __table_args__ = (
        sa.Index(None, "tenant_id", "id", unique=True),  # what documents of the same city point at
        sa.Index(None, "tenant_id", "created_at"),
        sa.CheckConstraint("status in ('previewed', 'imported', 'discarded')", name="status"),
    )
