"""The office's data-subject requests (supervisors): log a request as it comes in, see what is due
first, and carry it out (export, erase) or close it (done, refused) from its own page."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.accounts.access import staff_required
from saas.accounts.services import log_staff_access
from saas.documents.identity import IdentityError
from saas.extensions import db
from saas.i18n import local_datetime, zone_abbreviation
from saas.models import utcnow
from saas.office.shell import office_blueprint
from saas.privacy import services
from saas.privacy.forms import CarryOutForm, CloseForm, SubjectRequestForm
from saas.privacy.services import RequestRefused
from saas.tenancy.scope import current_tenant

office = office_blueprint("office_privacy", __name__, "/privacy")


def _page(form: SubjectRequestForm, status: int = 200):
    now = utcnow()
    return render_template("office/privacy.html", tenant=current_tenant, form=form, now=now,
                           open_requests=services.open_requests(), requests=services.recent_requests(),
                           time_left=services.time_left), status


def _received_at(form: SubjectRequestForm) -> datetime | None:
    """The form's local wall-clock time as a UTC moment in the city's zone (None: now)."""
    local = form.received_at.data
    if local is None:
        return None
    return local.replace(tzinfo=current_tenant.zone).astimezone(timezone.utc)


@office.get("/")
@staff_required("supervisor")
def requests_page():
    return _page(SubjectRequestForm())


@office.post("/")
@staff_required("supervisor")
def log_request():
    form = SubjectRequestForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        subject_request = services.log_request(form.kind.data, form.nik.data, form.reason.data, current_user,
                                               received_at=_received_at(form))
    except IdentityError as refused:
        form.nik.errors = [str(refused)]
        return _page(form, 400)
    except RequestRefused as refused:
        form.received_at.errors = [str(refused.message)]
        return _page(form, 400)
    db.session.commit()
    flash(_("Request logged for NIK %(nik)s: answer by %(due)s.", nik=subject_request.nik_masked,
            due=_due_text(subject_request)), "success")
    return redirect(url_for("office_privacy.request_page", request_id=subject_request.id))


def _due_text(subject_request) -> str:
    return f"{local_datetime(subject_request.due_at, 'd MMMM y, HH.mm')} {zone_abbreviation(current_tenant.timezone)}"


def _the_request(request_id: int):
    return services.get_request(request_id) or abort(404)


def _request_page(subject_request, carry_out=None, close=None, status: int = 200):
    return render_template("office/privacy_request.html", tenant=current_tenant, r=subject_request,
                           carry_out=carry_out or CarryOutForm(), close=close or CloseForm(), now=utcnow(),
                           time_left=services.time_left), status


@office.get("/<int:request_id>")
@staff_required("supervisor")
def request_page(request_id: int):
    return _request_page(_the_request(request_id))


@office.post("/<int:request_id>/carry-out")
@staff_required("supervisor")
def carry_out(request_id: int):
    """Export or erase, whichever the request asks; done, it closes the request."""
    subject_request = _the_request(request_id)
    form = CarryOutForm()
    if not form.validate_on_submit():
        return _request_page(subject_request, carry_out=form, status=400)
    if subject_request.kind == "erase" and not form.confirm.data:
        form.confirm.errors = [_("Tick the box to confirm the erasure.")]
        return _request_page(subject_request, carry_out=form, status=400)
    try:
        if subject_request.kind == "export":
            data = services.carry_out_export(subject_request, form.nik.data, current_user)
        else:
            summary = services.carry_out_erasure(subject_request, form.nik.data, current_user)
    except IdentityError as refused:
        form.nik.errors = [str(refused)]
        db.session.rollback()
        return _request_page(_the_request(request_id), carry_out=form, status=400)
    except RequestRefused as refused:
        form.nik.errors = [str(refused.message)]
        db.session.rollback()
        return _request_page(_the_request(request_id), carry_out=form, status=400)
    action = "subject_export" if subject_request.kind == "export" else "subject_erase"
    log_staff_access(current_user, action, subject_request.nik_masked, request.remote_addr,
                     reason=subject_request.reason)
    db.session.commit()
    if subject_request.kind == "export":
        body = json.dumps(data, ensure_ascii=False, indent=2)
        masked = subject_request.nik_masked
        name = f"antar-{current_tenant.slug}-{masked[:4]}-{masked[-2:]}.json"
        return Response(body, mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    nik = subject_request.nik_masked
    if not summary["documents"]:
        flash(_("No document of this city is held on NIK %(nik)s; the request is recorded.", nik=nik), "success")
    else:
        flash(_("Erased for NIK %(nik)s: contacts of %(contacts)d documents, %(trips)d trips, %(messages)d messages, "
                "%(callbacks)d courier callbacks. Kept: the documents and their history, as the registry must; "
                "%(open)d documents still in progress keep their contacts until closed.",
                nik=nik, contacts=summary["contacts_erased"], trips=summary["deliveries_erased"],
                messages=summary["messages_erased"], callbacks=summary["callbacks_erased"],
                open=summary["documents_kept_open"]), "success")
    return redirect(url_for("office_privacy.requests_page"))


@office.post("/<int:request_id>/<any(done, refused):outcome>")
@staff_required("supervisor")
def close(request_id: int, outcome: str):
    """Done (a correction or a withdrawal made elsewhere, say what) or refused (say why)."""
    subject_request = _the_request(request_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _request_page(subject_request, close=form, status=400)
    if outcome == "done" and subject_request.kind in ("export", "erase"):
        form.outcome.errors = [_("Carry this request out above: that closes it.")]
        return _request_page(subject_request, close=form, status=400)
    try:
        services.close_request(subject_request, current_user, status=outcome, outcome=form.outcome.data)
    except RequestRefused as refused:
        form.outcome.errors = [str(refused.message)]
        return _request_page(subject_request, close=form, status=400)
    db.session.commit()
    flash(_("The request of NIK %(nik)s is closed: %(status)s.", nik=subject_request.nik_masked,
            status=subject_request.status_label), "success")
    return redirect(url_for("office_privacy.requests_page"))
