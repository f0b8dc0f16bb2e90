"""Which city an outside reference belongs to: a courier's order number, a gateway's message id.

Couriers and gateways call back knowing only their own ids. Tenant-owned tables index by city
first, so this small platform table answers "whose is it?" in one lookup, the way a reference
table would once the schema is distributed by city.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.models import BigIntPK


class ExternalReference(db.Model):
    __tablename__ = "external_reference"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))  # e.g. "courier:gosend", "message:sms"
    ref: Mapped[str] = mapped_column(sa.String(160))
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(sa.BigInteger())

    __table_args__ = (sa.UniqueConstraint("kind", "ref"),)


def remember(kind: str, ref: str, tenant_id: int, target_id: int) -> None:
    """Record (idempotently, even when two writers race) that ``ref`` is row ``target_id`` of a city."""
    if look_up(kind, ref) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(ExternalReference(kind=kind, ref=ref, tenant_id=tenant_id, target_id=target_id))
    except sa.exc.IntegrityError:
        pass  # the other writer recorded the same reference


def remember_many(references: list[tuple[str, str, int, int]]) -> None:
    """``remember`` for many ``(kind, ref, tenant_id, target_id)`` at once: one INSERT that
    leaves references already recorded as they are."""
    if not references:
        return
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    rows = [{"kind": kind, "ref": ref, "tenant_id": tenant_id, "target_id": target_id}
            for kind, ref, tenant_id, target_id in dict.fromkeys(references)]
    db.session.execute(insert(ExternalReference).values(rows).on_conflict_do_nothing())


def look_up(kind: str, ref: str) -> tuple[int, int] | None:
    """(tenant_id, target_id), or None."""
    row = db.session.execute(sa.select(ExternalReference.tenant_id, ExternalReference.target_id).where(
        ExternalReference.kind == kind, ExternalReference.ref == ref)).first()
    return (row[0], row[1]) if row else None
