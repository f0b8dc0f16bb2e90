"""Courier deliveries: one trip to one address, carrying one family's documents."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models import FreeJSON, FreeText, BigIntPK, Timestamps, UTCDateTime, utcnow
from saas.tenancy.scope import TenantScoped, same_city_key

DELIVERY_STATUS_LABELS = {
    "quoted": _l("Waiting for a courier booking"),
    "booked": _l("Courier booked, looking for a driver"),
    "driver_assigned": _l("Driver assigned"),
    "picked_up": _l("Picked up: on the way"),
    "on_hold": _l("On hold"),
    "delivered": _l("Delivered"),
    "cancelled": _l("Cancelled"),
    "failed": _l("Failed"),
    "returned": _l("Returned to the office"),
}
DELIVERY_STATUSES = tuple(DELIVERY_STATUS_LABELS)
#: Who orders the courier, in each of a city's courier modes.
COURIER_MODE_LABELS = {
    "office_booking": _l("the office books the courier"),
    "citizen_link": _l("the citizen orders the courier in their own app"),
}
#: Who told Antar of a step, as the timeline reads it.
EVENT_SOURCE_LABELS = {
    "callback": _l("reported by the courier"),
    "poll": _l("checked with the courier"),
    "office": _l("recorded by the office"),
    "booking": _l("courier booking"),
}
TERMINAL = ("delivered", "cancelled", "failed", "returned")


class Delivery(TenantScoped, Timestamps, db.Model):
    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    mode: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default="quoted")
    provider_ref: Mapped[str | None] = mapped_column(sa.String(64))
    provider_status: Mapped[str | None] = mapped_column(sa.String(40))
    service: Mapped[str | None] = mapped_column(sa.String(20))
    fee: Mapped[int | None] = mapped_column()
    distance_km: Mapped[float | None] = mapped_column(sa.Float)
    payer: Mapped[str] = mapped_column(sa.String(10), default="citizen")
    cash_on_delivery: Mapped[bool] = mapped_column(default=False)
    # Where to: personal data, purged after the city's retention period once the trip is over.
    recipient_name: Mapped[str | None] = mapped_column(sa.String(120))
    recipient_phone: Mapped[str | None] = mapped_column(sa.String(20))
    address: Mapped[str | None] = mapped_column(sa.String(500))
    kecamatan_code: Mapped[str | None] = mapped_column(sa.String(8))
    kelurahan: Mapped[str | None] = mapped_column(sa.String(80))
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    driver_note: Mapped[str | None] = mapped_column(FreeText(300))
    address_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The codes: what the driver shows the office, what the citizen gives the driver.
    pickup_code: Mapped[str] = mapped_column(sa.String(12))
    receipt_pin: Mapped[str] = mapped_column(sa.String(6))
    pin_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seal_number: Mapped[str | None] = mapped_column(sa.String(40))
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handed_over_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    driver_name: Mapped[str | None] = mapped_column(FreeText(120))
    driver_phone: Mapped[str | None] = mapped_column(sa.String(20))
    driver_plate: Mapped[str | None] = mapped_column(sa.String(20))
    tracking_url: Mapped[str | None] = mapped_column(sa.String(300))
    receiver_name: Mapped[str | None] = mapped_column(FreeText(120))
    proof_photo_url: Mapped[str | None] = mapped_column(sa.String(300))
    failure_reason: Mapped[str | None] = mapped_column(FreeText(300))
    booking_attempts: Mapped[int] = mapped_column(default=0)
    rebook_count: Mapped[int] = mapped_column(default=0)
    previous_delivery_id: Mapped[int | None] = mapped_column(BigIntPK)
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Asked for outside courier hours: the trip waits 'quoted' until this opening, then is booked
    # at the courier's price of that moment (``fee`` holds the estimate until then).
    book_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_provider_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The courier's own time of the latest status it reported: an older word is never applied.
    provider_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    receipt_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    office_alert: Mapped[str | None] = mapped_column(FreeText(300))
    # Optimistic locking: a courier callback and a booking job may race for the same row.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    documents = relationship("Document", back_populates="delivery", order_by="Document.id",
                             primaryjoin="Document.delivery_id == Delivery.id", foreign_keys="Document.delivery_id")
    # Loaded only where a page shows the trip's timeline.
    events = relationship("DeliveryEvent", back_populates="delivery", order_by="DeliveryEvent.id",
                          primaryjoin="DeliveryEvent.delivery_id == Delivery.id",
                          foreign_keys="DeliveryEvent.delivery_id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "pickup_code"),
        sa.Index(None, "tenant_id", "id", unique=True),  # what rows of the same city point at
        same_city_key("delivery", "previous_delivery_id", "delivery"),
        sa.Index(None, "tenant_id", "provider", "provider_ref"),
        sa.Index(None, "tenant_id", "status", "last_provider_event_at"),
        sa.Index(None, "tenant_id", "created_at"),
        sa.CheckConstraint(
            "status in ('quoted', 'booked', 'driver_assigned', 'picked_up', 'on_hold', 'delivered',"
            " 'cancelled', 'failed', 'returned')", name="status"),
    )

    @property
    def store_order_id(self) -> str:
        """Our id as the courier sees it: unique across all cities."""
        return f"ANTAR-{self.id}"

    @property
    def status_label(self) -> str:
        return str(DELIVERY_STATUS_LABELS.get(self.status, self.status))

    @property
    def is_scheduled(self) -> bool:
        """Waiting for the next courier opening to be booked."""
        return self.status == "quoted" and self.book_at is not None and self.provider_ref is None

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL

    def __repr__(self) -> str:
        return f"<Delivery {self.id} {self.provider} {self.status}>"


class DeliveryEvent(TenantScoped, db.Model):
    """A step of a delivery as the courier (or the office) reported it."""

    __tablename__ = "delivery_event"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(BigIntPK)
    status: Mapped[str] = mapped_column(sa.String(20))
    provider_status: Mapped[str | None] = mapped_column(sa.String(40))
    source: Mapped[str] = mapped_column(sa.String(12))  # callback, poll, office, booking
    note: Mapped[str | None] = mapped_column(FreeText(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    delivery = relationship(Delivery, back_populates="events", primaryjoin="DeliveryEvent.delivery_id == Delivery.id",
                            foreign_keys="DeliveryEvent.delivery_id")

    __table_args__ = (same_city_key("delivery_event", "delivery_id", "delivery", ondelete="CASCADE"),
                      sa.Index(None, "tenant_id", "delivery_id", "id"), sa.Index(None, "tenant_id", "at"))

    @property
    def label(self) -> str:
        return str(DELIVERY_STATUS_LABELS.get(self.status, self.status))

    @property
    def source_label(self) -> str:
        return str(EVENT_SOURCE_LABELS.get(self.source, self.source))


class CourierCallback(TenantScoped, db.Model):
    """Each accepted courier callback, stored raw once: a repeated event id changes nothing."""

    __tablename__ = "courier_callback"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    event_key: Mapped[str] = mapped_column(sa.String(128))
    delivery_id: Mapped[int] = mapped_column(BigIntPK)
    payload: Mapped[dict] = mapped_column(FreeJSON)
    outcome: Mapped[str] = mapped_column(sa.String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "provider", "event_key"),
                      same_city_key("courier_callback", "delivery_id", "delivery", ondelete="CASCADE"),
                      sa.Index(None, "tenant_id", "delivery_id"))
