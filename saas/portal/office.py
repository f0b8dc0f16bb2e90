"""What the office sees of the portal: the day's slot bookings, and citizens' problem reports."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from saas.accounts.access import staff_required
from saas.documents.forms import EmptyForm
from saas.documents.views import OFFICE_NAV
from saas.extensions import db
from saas.forms_input import InputRefused, date_arg
from saas.models import utcnow
from saas.portal import services
from saas.portal.models import ProblemReport
from saas.security import redact_niks
from saas.tenancy.views import city_blueprint

office = city_blueprint("office_portal", __name__, "/office")
OFFICE_NAV.append(("office_portal.bookings", _l("Slot bookings"), "operator"))
OFFICE_NAV.append(("office_portal.problems", _l("Problem reports"), "operator"))


@office.get("/bookings")
@staff_required("operator")
def bookings():
    answer = 200
    try:
        day = date_arg(request.args, "day") or g.tenant.local_date(utcnow())
    except InputRefused as refused:
        flash(str(refused.message), "error")
        day, answer = g.tenant.local_date(utcnow()), 400
    return render_template("office/bookings.html", tenant=g.tenant, day=day,
                           bookings=services.bookings_of_day(g.tenant, day)), answer


@office.get("/problems")
@staff_required("operator")
def problems():
    return render_template("office/problems.html", tenant=g.tenant, reports=services.open_problems(),
                           form=EmptyForm())


@office.post("/problems/<int:report_id>/resolve")
@staff_required("operator")
def resolve(report_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    report = db.get_or_404(ProblemReport, report_id)
    report.resolved_at = utcnow()
    report.resolved_by_id = current_user.id
    report.resolution = redact_niks((request.form.get("resolution") or "").strip())[:500] or None
    db.session.commit()
    flash(_("Marked as handled."), "success")
    return redirect(url_for("office_portal.problems"))
