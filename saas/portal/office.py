"""What the office sees of the portal: the day's slot bookings, and citizens' problem reports."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.accounts.access import staff_required
from saas.extensions import db
from saas.forms_input import InputRefused, date_arg
from saas.models import utcnow
from saas.portal import services
from saas.portal.models import ProblemReport
from saas.security import redact_niks
from saas.office.forms import EmptyForm
from saas.office.shell import office_blueprint
from saas.tenancy.scope import current_tenant

office = office_blueprint("office_portal", __name__)


@office.get("/bookings")
@staff_required("operator")
def bookings():
    answer = 200
    try:
        day = date_arg(request.args, "day") or current_tenant.local_date(utcnow())
    except InputRefused as refused:
        flash(str(refused.message), "error")
        day, answer = current_tenant.local_date(utcnow()), 400
    return render_template("office/bookings.html", tenant=current_tenant, day=day,
                           bookings=services.bookings_of_day(day)), answer


@office.get("/problems")
@staff_required("operator")
def problems():
    return render_template("office/problems.html", tenant=current_tenant, reports=services.open_problems(),
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
