"""What the office sees of the portal: the day's slot bookings, the city's closure days, and
citizens' problem reports."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext as _
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
from saas.tenancy import calendar
from saas.tenancy.models import CityClosure
from saas.tenancy.scope import current_tenant
from saas.portal.forms import ClosureForm

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


@office.route("/closures", methods=["GET", "POST"])
@staff_required("admin")
def closures():
    """The city's own closure days, beside the national holidays and cuti bersama that apply anyway."""
    today = current_tenant.local_date(utcnow())
    form, answer = ClosureForm(), 200
    if form.validate_on_submit():
        try:
            calendar.add_closure(form.day.data, form.reason.data, current_user.id, today)
            db.session.commit()
            flash(_("Closed on %(day)s: no slots, couriers or reminders that day.",
                    day=format_date(form.day.data, "EEEE, d MMMM y")), "success")
            return redirect(url_for("office_portal.closures"))
        except calendar.ClosureRefused as refused:
            db.session.rollback()
            flash(str(refused.message), "error")
            answer = 400
    elif form.is_submitted():
        for field in form:
            for message in field.errors:
                flash(message, "error")
        answer = 400
    national = sorted(calendar.national_holidays(today, today.replace(year=today.year + 1)).items())
    return render_template("office/closures.html", tenant=current_tenant, form=form, delete_form=EmptyForm(),
                           closures=calendar.upcoming_closures(today), national=national), answer


@office.post("/closures/<int:closure_id>/delete")
@staff_required("admin")
def reopen(closure_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    closure = db.get_or_404(CityClosure, closure_id)
    db.session.delete(closure)
    db.session.commit()
    flash(_("The office opens again on %(day)s.", day=format_date(closure.day, "EEEE, d MMMM y")), "success")
    return redirect(url_for("office_portal.closures"))
