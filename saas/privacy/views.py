"""The office's data-subject requests page (supervisors): export or erase on one NIK, recorded."""
from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.accounts.access import staff_required
from saas.accounts.services import log_staff_access
from saas.documents.identity import IdentityError, clean_nik
from saas.extensions import db
from saas.office.shell import office_blueprint
from saas.privacy import services
from saas.privacy.forms import SubjectRequestForm
from saas.security import mask_nik
from saas.tenancy.scope import current_tenant

office = office_blueprint("office_privacy", __name__, "/privacy")


def _page(form: SubjectRequestForm, status: int = 200):
    return render_template("office/privacy.html", tenant=current_tenant, form=form,
                           requests=services.recent_requests()), status


@office.get("/")
@staff_required("supervisor")
def requests_page():
    return _page(SubjectRequestForm())


@office.post("/")
@staff_required("supervisor")
def handle():
    form = SubjectRequestForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        number = clean_nik(form.nik.data)
    except IdentityError as refused:
        form.nik.errors = [str(refused)]
        return _page(form, 400)
    if form.kind.data == "erase" and not form.confirm.data:
        form.confirm.errors = [_("Tick the box to confirm the erasure.")]
        return _page(form, 400)
    if form.kind.data == "export":
        data = services.export_subject(number)
        summary = {key: len(value) for key, value in data.items() if isinstance(value, list)}
        services.record_request("export", number, form.reason.data, current_user, summary)
        log_staff_access(current_user, "subject_export", mask_nik(number), request.remote_addr,
                         reason=form.reason.data)
        db.session.commit()
        body = json.dumps(data, ensure_ascii=False, indent=2)
        name = f"antar-{current_tenant.slug}-{number[:4]}-{number[-2:]}.json"
        return Response(body, mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    summary = services.erase_subject(number)
    services.record_request("erase", number, form.reason.data, current_user, summary)
    log_staff_access(current_user, "subject_erase", mask_nik(number), request.remote_addr, reason=form.reason.data)
    db.session.commit()
    if not summary["documents"]:
        flash(_("No document of this city is held on NIK %(nik)s; the request is recorded.", nik=mask_nik(number)),
              "success")
    else:
        flash(_("Erased for NIK %(nik)s: contacts of %(contacts)d documents, %(trips)d trips, %(messages)d messages, "
                "%(callbacks)d courier callbacks. Kept: the documents and their history, as the registry must; "
                "%(open)d documents still in progress keep their contacts until closed.",
                nik=mask_nik(number), contacts=summary["contacts_erased"], trips=summary["deliveries_erased"],
                messages=summary["messages_erased"], callbacks=summary["callbacks_erased"],
                open=summary["documents_kept_open"]), "success")
    return redirect(url_for("office_privacy.requests_page"))
