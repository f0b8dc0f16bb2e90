"""Chat tests: the app and the WhatsApp sandbox talk over real HTTP, both ways."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from saas.documents.services import get_document
from saas.extensions import db
from saas.sandboxes.messages.whatsapp import send_inbound
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.factories import add_document
from tests.notifications.conftest import drain, message_gateways  # noqa: F401 (the gateways, reset per test)


@pytest.fixture(autouse=True)
def _gateways(message_gateways):  # noqa: F811
    return message_gateways


def all_day_couriers(app, slug: str = "balikpapan") -> None:
    """The test may run at any hour: let the city book couriers around the clock."""
    with app.app_context():
        tenant = get_tenant(slug)
        tenant.courier_settings = {**tenant.courier_settings, "service_hours": {"start": "00:00", "end": "23:59"}}
        db.session.commit()


def ready(app, gateway, phone: str, **values) -> dict:
    """A document marked ready, its WhatsApp message sent: the message as the phone got it."""
    add_document(app, status="ready", phone=phone, **values)
    drain(app)
    return gateway.received("whatsapp", to=phone)[-1]


def tap(app, gateway, message: dict, title: str, *, typed: bool = False) -> dict:
    """The citizen taps a button or list row of ``message`` (or types ``title``); the app's answer
    (its first free-form message after it: templates such as the courier's news may come too)."""
    person = message["recipients"][0]
    before = len(gateway.received("whatsapp", to=person))
    if typed:
        send_inbound(message["phone_number_id"], person, "text", text=title)
    elif message.get("quick_replies"):
        button = next(b for b in message["quick_replies"] if b["title"] == title)
        send_inbound(message["phone_number_id"], person, "button", reply_id=button["payload"], title=title,
                     context=message["id"])
    elif message.get("list"):
        row = next(r for s in message["list"]["sections"] for r in s["rows"] if r["title"] == title)
        send_inbound(message["phone_number_id"], person, "interactive", reply_id=row["id"], title=title,
                     context=message["id"], list_reply=True)
    else:
        button = next(b for b in message["buttons"] if b["title"] == title)
        send_inbound(message["phone_number_id"], person, "interactive", reply_id=button["id"], title=title,
                     context=message["id"])
    drain(app)
    after = gateway.received("whatsapp", to=person)
    return next((m for m in after[before:] if not m.get("template")), {})


def document(app, registration_no: str, slug: str = "balikpapan"):
    with app.app_context(), tenant_bound(get_tenant(slug)):
        found = get_document(registration_no)
        db.session.expunge(found)
        return found


def count(app, model, **filters) -> int:
    from saas.tenancy.scope import all_tenants

    with app.app_context(), all_tenants():
        statement = sa.select(sa.func.count()).select_from(model)
        for key, value in filters.items():
            statement = statement.where(getattr(model, key) == value)
        return db.session.scalar(statement)
