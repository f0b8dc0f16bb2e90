"""The outbox: one row per message per channel, written in the transaction of its cause."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models import FreeJSON, FreeLongText, FreeText, BigIntPK, Timestamps, UTCDateTime
from saas.tenancy.scope import TenantScoped, same_city_key

NOTIFICATION_STATUS_LABELS = {
    "pending": _l("Waiting to be queued"),
    "queued": _l("Queued"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "failed": _l("Failed, will retry"),
    "dead": _l("Gave up"),
    "superseded": _l("Not sent: no longer true"),
    "test": _l("Not sent: test data"),
}
NOTIFICATION_STATUSES = tuple(NOTIFICATION_STATUS_LABELS)
#: What each kind of message is about, as the office reads it.
EVENT_LABELS = {
    "document_ready": _l("Document ready"),
    "pickup_booked": _l("Pickup slot booked"),
    "pickup_moved": _l("Pickup slot moved"),
    "pickup_cancelled": _l("Pickup slot cancelled"),
    "pickup_reminder": _l("Pickup reminder"),
    "courier_booked": _l("Courier booked"),
    "driver_assigned": _l("Driver assigned"),
    "picked_up": _l("Picked up by the courier"),
    "delivered": _l("Delivered"),
    "delivery_failed": _l("Courier trip failed"),
    "delivery_returned": _l("Brought back by the courier"),
    "uncollected_reminder": _l("Not yet collected"),
    "problem_reply": _l("Reply to a problem report"),
    "supervisor_digest": _l("Daily summary"),
    "chat_reply": _l("Reply in the chat"),
}
CHANNELS = ("whatsapp", "sms", "email")
CHANNEL_LABELS = {"whatsapp": "WhatsApp", "sms": "SMS", "email": _l("E-mail")}


class Notification(TenantScoped, Timestamps, db.Model):
    """One message on one channel to one person.

    ``event_key`` names the occurrence (``document_ready:<document>:<event>``), so the same
    event can never make two rows on the same channel; the next channel, when the first gives
    up, is a row of its own with the same key.
    """

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    document_id: Mapped[int | None] = mapped_column(BigIntPK)
    delivery_id: Mapped[int | None] = mapped_column(BigIntPK)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(sa.String(40))
    event_key: Mapped[str] = mapped_column(sa.String(160))
    channel: Mapped[str] = mapped_column(sa.String(10))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    language: Mapped[str] = mapped_column(sa.String(5), default="id")
    template: Mapped[str] = mapped_column(sa.String(80))
    params: Mapped[list] = mapped_column(FreeJSON, default=list)
    # A free-form (session) WhatsApp message: its ``text`` or ``interactive`` part as the Cloud API
    # takes it. Only inside the 24 hours the citizen's own last message opened; never a template.
    payload: Mapped[dict | None] = mapped_column(sa.JSON)
    subject: Mapped[str | None] = mapped_column(FreeText(200))
    body: Mapped[str] = mapped_column(FreeLongText())
    html: Mapped[str | None] = mapped_column(FreeLongText())
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(160))
    last_error: Mapped[str | None] = mapped_column(FreeText(500))
    # Set while a worker is sending it: a crash leaves the claim, which the sweeper releases.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set just before a channel that cannot repeat a send safely (SMS) is asked to send, cleared
    # with its answer: found set by the next claim, the send may have happened.
    send_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    document = relationship("Document", primaryjoin="Notification.document_id == Document.id",
                            foreign_keys="Notification.document_id")

    __table_args__ = (
        same_city_key("notification", "document_id", "document", ondelete="CASCADE"),
        same_city_key("notification", "delivery_id", "delivery"),
        sa.UniqueConstraint("tenant_id", "event_key", "channel"),
        sa.Index(None, "tenant_id", "id", unique=True),  # what chat messages of the same city point at
        sa.Index(None, "tenant_id", "document_id"),
        sa.Index(None, "tenant_id", "status", "updated_at"),
        sa.Index(None, "tenant_id", "created_at"),
        sa.CheckConstraint("status in ('pending', 'queued', 'sent', 'delivered', 'failed', 'dead', 'superseded', 'test')",
                           name="status"),
        sa.CheckConstraint("channel in ('whatsapp', 'sms', 'email')", name="channel"),
    )

    @property
    def event_label(self) -> str:
        return str(EVENT_LABELS.get(self.event, self.event))

    @property
    def status_label(self) -> str:
        return str(NOTIFICATION_STATUS_LABELS.get(self.status, self.status))

    @property
    def recipient_masked(self) -> str:
        from saas.documents.identity import mask_phone
        from saas.security import mask_email

        return mask_email(self.recipient) if "@" in self.recipient else mask_phone(self.recipient)


class MessageOptOut(TenantScoped, db.Model):
    """A person withdrew consent to the city's non-essential messages (reminders) on a number,
    by writing "stop" (UU No. 27/2022, art. 9: consent may be withdrawn); "mulai" gives it back.
    One row per withdrawal, kept when resumed, so the record of consent stays whole."""

    __tablename__ = "message_opt_out"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(20))  # E.164
    via: Mapped[str] = mapped_column(sa.String(20))  # "whatsapp"
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.Index(None, "tenant_id", "phone", "resumed_at"),)
