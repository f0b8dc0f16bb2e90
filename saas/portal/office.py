"""What the office sees of the portal: the day's slot bookings, the city's closure days, and
citizens' problem reports."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext as _
from flask_login import current_user

from saas.accounts.access import staff_required
from saas.accounts.services import log_staff_access
from saas.extensions import db
from saas.forms_input import InputRefused, date_arg, fits_db_int
from saas.models import utcnow
from saas.portal import services
from saas.portal.models import PROBLEM_STATUS_LABELS, ProblemReport
from saas.security import redact_niks
from saas.office.forms import EmptyForm, RevealPhoneForm
from saas.office.shell import office_blueprint
from saas.tenancy import calendar
from saas.tenancy.models import CityClosure
from saas.tenancy.scope import current_tenant
from saas.portal.forms import ClosureForm, ProblemMoveForm

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
    view, answer = request.args.get("status") or "open", 200
    try:
        reports = services.office_problems(view)
    except services.PortalRefused as refused:
        flash(str(refused.message), "error")
        view, answer = "open", 400
        reports = services.office_problems(view)
    return render_template("office/problems.html", tenant=current_tenant, reports=reports, view=view,
                           counts=services.problem_counts(), status_labels=PROBLEM_STATUS_LABELS), answer


def _report_or_list(report_id: int) -> ProblemReport | None:
    """The city's report, or None after saying so: another city's number is not one of ours."""
    report = db.session.get(ProblemReport, report_id) if fits_db_int(report_id) else None
    if report is None:
        flash(_("This city has no problem report with that number."), "error")
    return report


def _problem_page(report: ProblemReport, *, phone: str | None = None, reveal_form=None,
                  move_form=None, answer: int = 200):
    return render_template("office/problem.html", tenant=current_tenant, report=report, phone=phone,
                           reveal_form=reveal_form or RevealPhoneForm(), move_form=move_form or ProblemMoveForm(),
                           status_labels=PROBLEM_STATUS_LABELS), answer


@office.get("/problems/<int:report_id>")
@staff_required("operator")
def problem(report_id: int):
    report = _report_or_list(report_id)
    if report is None:
        return redirect(url_for("office_portal.problems"))
    log_staff_access(current_user, "view_problem_report", report.document.registration_no, request.remote_addr)
    db.session.commit()
    return _problem_page(report)


@office.post("/problems/<int:report_id>/status")
@staff_required("operator")
def move_problem(report_id: int):
    """Take the report in hand, or resolve it with the reply the citizen receives."""
    form = ProblemMoveForm()
    if not form.validate_on_submit():
        report = _report_or_list(report_id)
        if report is None:
            return redirect(url_for("office_portal.problems"))
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return _problem_page(report, move_form=form, answer=400)
    report = services.problem_for_update(report_id) if fits_db_int(report_id) else None
    if report is None:
        flash(_("This city has no problem report with that number."), "error")
        return redirect(url_for("office_portal.problems"))
    try:
        services.move_problem(report, form.to.data, form.text.data, current_user)
        db.session.commit()
    except services.PortalRefused as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
        return _problem_page(db.session.get(ProblemReport, report_id), move_form=form, answer=400)
    if report.status == "resolved":
        flash(_("Resolved: the citizen sees your reply on their page and receives it as a message."), "success")
    else:
        flash(_("The report is in hand."), "success")
    return redirect(url_for("office_portal.problem", report_id=report_id))


@office.post("/problems/<int:report_id>/phone")
@staff_required("operator")
def reveal_problem_phone(report_id: int):
    """The reporting citizen's whole number, for a reason written in the access log; in this answer only."""
    report = _report_or_list(report_id)
    if report is None:
        return redirect(url_for("office_portal.problems"))
    form = RevealPhoneForm()
    if not form.validate_on_submit():
        return _problem_page(report, reveal_form=form, answer=400)
    log_staff_access(current_user, "reveal_phone", report.document.registration_no, request.remote_addr,
                     reason=redact_niks(form.reason.data.strip())[:200])
    db.session.commit()
    response, status = _problem_page(report, phone=report.document.phone, reveal_form=form)
    return response, status, {"Cache-Control": "no-store"}


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
