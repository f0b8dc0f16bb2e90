"""A city's WhatsApp conversations with citizens: one per number, each message in and out once."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models import BigIntPK, Timestamps, UTCDateTime
from saas.tenancy.scope import TenantScoped, same_city_key


class Conversation(TenantScoped, Timestamps, db.Model):
    """The chat between the city's business number and one citizen's number.

    ``document_id`` is the document the chat is about now: set only by the city's own message the
    citizen answered (WhatsApp's context), never by anything typed. ``last_inbound_at`` opens
    WhatsApp's 24-hour window for free-form replies. While ``handled_by_id`` is set, a staff member
    has the chat and the bot stays silent."""

    __tablename__ = "conversation"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(20))  # E.164
    document_id: Mapped[int | None] = mapped_column(BigIntPK)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    handled_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The courier quote last offered in the chat, so "Pesan" books what the citizen saw.
    courier_offer: Mapped[dict | None] = mapped_column(sa.JSON)

    document = relationship("Document", primaryjoin="Conversation.document_id == Document.id",
                            foreign_keys="Conversation.document_id")
    handled_by = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "phone"),
        sa.Index(None, "tenant_id", "id", unique=True),  # what messages of the same city point at
        same_city_key("conversation", "document_id", "document"),
    )


class ChatMessage(TenantScoped, db.Model):
    """One message of a conversation. Inbound ones are kept once by WhatsApp's id (``wamid``): a
    webhook delivered twice changes nothing. Outbound ones point at their outbox row."""

    __tablename__ = "chat_message"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(BigIntPK)
    document_id: Mapped[int | None] = mapped_column(BigIntPK)
    direction: Mapped[str] = mapped_column(sa.String(3))
    wamid: Mapped[str | None] = mapped_column(sa.String(160))
    kind: Mapped[str] = mapped_column(sa.String(20))
    reply: Mapped[str | None] = mapped_column(sa.String(64))
    text: Mapped[str] = mapped_column(sa.Text())
    notification_id: Mapped[int | None] = mapped_column(BigIntPK)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    notification = relationship("Notification", primaryjoin="ChatMessage.notification_id == Notification.id",
                                foreign_keys="ChatMessage.notification_id")
    user = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "wamid"),
        same_city_key("chat_message", "conversation_id", "conversation", ondelete="CASCADE"),
        same_city_key("chat_message", "document_id", "document"),
        same_city_key("chat_message", "notification_id", "notification"),
        sa.Index(None, "tenant_id", "conversation_id", "at"),
        sa.Index(None, "tenant_id", "document_id"),
        sa.CheckConstraint("direction in ('in', 'out')", name="direction"),
    )
