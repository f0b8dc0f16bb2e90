"""Retention per city: recipients, message bodies and raw courier callbacks are blanked after the
city's days by a periodic job; the rollups keep their figures; nothing younger is touched."""
from __future__ import annotations

import sqlalchemy as sa
import tomllib

from saas.couriers.models import CourierCallback, Delivery
from saas.extensions import db
from saas.jobs import runtime
from saas.notifications.models import Notification
from saas.privacy import jobs as privacy_jobs
from saas.privacy import services
from saas.stats.services import compute_city_day
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant, read_tenant_folder
from tests.conftest import TENANTS_DIR
from tests.privacy.conftest import LONG_AGO, after


def _held(app, slug, delivery_id):
    serial = {"balikpapan": 7101, "samarinda": 7301}[slug]  # the citizens of the fixture whose trips are asked about
    with app.app_context(), tenant_bound(get_tenant(slug)):
        trip = db.session.get(Delivery, delivery_id)
        return {
            "recipient": (trip.recipient_name, trip.recipient_phone, trip.receiver_name),
            "callback": db.session.scalars(sa.select(CourierCallback.payload)
                                           .where(CourierCallback.delivery_id == delivery_id)).one(),
            "message": db.session.execute(sa.select(Notification.recipient, Notification.body)
                                          .where(Notification.event_key == f"ready:{serial}")).one(),
        }


def _purge(app, slug, now):
    with app.app_context(), tenant_bound(get_tenant(slug)):
        done = services.purge_expired(now)
        db.session.commit()
        return done


def test_each_kind_goes_after_its_days_and_the_rollups_keep_their_figures(app, citizens):
    subject = citizens[0]
    with app.app_context():
        tenant = get_tenant("balikpapan")
        day = tenant.local_date(LONG_AGO)
        with tenant_bound(tenant):
            figures = compute_city_day(tenant, day)
    kept = _held(app, "balikpapan", subject.delivery_id)

    assert _purge(app, "balikpapan", after(29)) == {"recipients": 0, "messages": 0, "courier_callbacks": 0}
    assert _held(app, "balikpapan", subject.delivery_id) == kept

    assert _purge(app, "balikpapan", after(31))["courier_callbacks"] == 2  # the subject's and the neighbour's
    held = _held(app, "balikpapan", subject.delivery_id)
    assert held["callback"] == {} and held["recipient"] == kept["recipient"] and held["message"] == kept["message"]

    done = _purge(app, "balikpapan", after(91))
    assert done["recipients"] == 2 and done["messages"] >= 2
    held = _held(app, "balikpapan", subject.delivery_id)
    assert held["recipient"] == (None, None, None) and tuple(held["message"]) == ("", "")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        trip = db.session.get(Delivery, subject.delivery_id)
        assert (trip.status, trip.seal_number, trip.closed_at) == ("delivered", "S-7101", LONG_AGO)
        assert compute_city_day(get_tenant("balikpapan"), day) == figures
    assert _purge(app, "balikpapan", after(200)) == {"recipients": 0, "messages": 0, "courier_callbacks": 0}
    # Samarinda's purge was not run: its citizen's data is as it was
    assert _held(app, "samarinda", citizens[2].delivery_id)["recipient"][0] == "Penerima 7301"


def test_a_city_sets_its_own_days_and_the_periodic_job_purges_every_city(app, citizens):
    with app.app_context():
        tenant = get_tenant("samarinda")
        tenant.retention_settings = {"recipients_days": 7, "messages_days": 400, "courier_callbacks_days": 400}
        db.session.commit()
    assert privacy_jobs.purge_expired_personal_data in [p.func for p in runtime(app).periodic_jobs]
    with app.app_context():
        totals = privacy_jobs.purge_expired_personal_data(after(10))
    assert totals["recipients"] == 1  # Samarinda's 7 days are over; Balikpapan's default 90 are not
    assert _held(app, "samarinda", citizens[2].delivery_id)["recipient"] == (None, None, None)
    assert _held(app, "balikpapan", citizens[0].delivery_id)["recipient"][0] == "Penerima 7101"


def test_tenant_toml_retention_is_checked_and_defaulted(tmp_path):
    source = (TENANTS_DIR / "samarinda" / "tenant.toml").read_text(encoding="utf-8")
    folder = tmp_path / "samarinda"
    folder.mkdir()
    (folder / "tenant.toml").write_text(source, encoding="utf-8")
    parsed, problems = read_tenant_folder(folder)
    assert not problems and parsed.spec["retention"] == {"recipients_days": 90, "messages_days": 90,
                                                         "courier_callbacks_days": 30}
    assert "retention" not in tomllib.loads(source)
    (folder / "tenant.toml").write_text(source + "\n[retention]\nrecipients_days = 3\n", encoding="utf-8")
    parsed, problems = read_tenant_folder(folder)
    assert [p[1] for p in problems] == ["retention.recipients_days"]
