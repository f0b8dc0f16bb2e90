"""Every column that holds what someone typed or a courier sent is a free-text column: whatever
path writes it (ORM, a Core statement, an old row re-saved), no whole NIK or KK number is stored."""
from __future__ import annotations

import sqlalchemy as sa

from saas.accounts.models import StaffAccessLog
from saas.couriers.models import CourierCallback, Delivery, DeliveryEvent
from saas.documents.models import DocumentEvent, ImportBatch
from saas.extensions import db
from saas.models import FreeJSON, FreeText
from saas.notifications.models import Notification
from saas.portal.models import ProblemReport, Rating
from saas.security import redact_niks, redact_niks_deep
from saas.tenancy.models import Tenant

FREE_TEXT = [
    (Delivery, "driver_note"), (Delivery, "failure_reason"), (Delivery, "office_alert"),
    (Delivery, "driver_name"), (Delivery, "receiver_name"), (DeliveryEvent, "note"),
    (DocumentEvent, "note"), (ProblemReport, "note"), (ProblemReport, "resolution"), (ProblemReport, "taken_note"), (Rating, "comment"),
    (Notification, "subject"), (Notification, "body"), (Notification, "html"), (Notification, "last_error"),
    (StaffAccessLog, "subject"), (StaffAccessLog, "reason"), (Tenant, "suspended_reason"),
]
FREE_JSON = [(ImportBatch, "refusals"), (CourierCallback, "payload"), (Notification, "params")]


def test_every_free_text_column_redacts_at_the_bind():
    for model, column in FREE_TEXT:
        assert isinstance(model.__table__.c[column].type, FreeText), (model.__name__, column)
    for model, column in FREE_JSON:
        assert isinstance(model.__table__.c[column].type, FreeJSON), (model.__name__, column)


def test_the_forms_a_nik_is_written_in_are_all_caught():
    for written in ("6471011708900001", "6471 0117 0890 0001", "6471.0117.0890.0001", "6471-0117-0890-0001",
                    "64.71.01.170890.0001", "647101-170890-0001"):
        assert redact_niks(f"NIK {written}.") == "NIK 6471**********01.", written
    # phone numbers, dates and amounts stay readable
    for kept in ("0812 3456 7890", "17-08-1945", "Rp 1.250.000", "+62 812-3456-7890"):
        assert redact_niks(kept) == kept
    assert redact_niks_deep({"why": ["KK 6471-0117-0890-0001"], "n": 3}) == {"why": ["KK 6471**********01"], "n": 3}


def test_a_core_insert_is_redacted_too(app):
    """Not only the services: a plain Core statement on a free-text column stores no whole NIK."""
    from saas.tenancy.services import get_tenant

    with app.app_context():
        tenant = get_tenant("balikpapan")
        db.session.execute(sa.update(Tenant).where(Tenant.id == tenant.id)
                           .values(suspended_reason="Atas permintaan 6471 0117 0890 0001")
                           .execution_options(all_tenants=True))
        db.session.commit()
        stored = db.session.execute(sa.text("SELECT suspended_reason FROM tenant WHERE id = :id"),
                                    {"id": tenant.id}).scalar()
        assert stored == "Atas permintaan 6471**********01"
