"""The office workspace of a city (``/<slug>/office/``): queue, document, import, desks, report."""
from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.accounts.access import staff_required
from saas.accounts.services import log_staff_access
from saas.documents import siak_import
from saas.documents.desks import (
    RULE_ALLOWS,
    RULE_LABELS,
    CollectionRefused,
    Collector,
    collect,
    collection_of,
    document_of_desk_code,
    offer_again,
    receipt_number,
    record_return,
)
from saas.documents.forms import (
    CancelForm,
    CollectorForm,
    PickupLookupForm,
    ReturnForm,
    TransitionForm,
    UploadForm,
)
from saas.documents.identity import identity_hash
from saas.documents.lifecycle import Actor, TransitionRefused, allowed_moves, transition
from saas.documents.models import DOCUMENT_TYPE_LABELS, STATUS_LABELS, Document, ImportBatch
from saas.documents.services import (
    QueueQuery,
    daily_report,
    get_document,
    queue_page,
    status_counts,
)
from saas.extensions import db
from saas.forms_input import InputRefused, date_arg, date_range, fits_db_int, int_arg
from saas.office.forms import EmptyForm, RevealPhoneForm
from saas.office.printing import paper_choice
from saas.office.shell import document_panels, office_blueprint
from saas.security import mask_nik, redact_niks
from saas.tenancy.scope import current_tenant

office = office_blueprint("office", __name__)

#: Buttons offered on a document page, for the moves a desk makes from there.
STAFF_MOVES = ("ready", "cancelled")


def _date_arg(name: str) -> date | None:
    """A date of the query string; InputRefused (with its message) when unusable."""
    return date_arg(request.args, name)


def _int_arg(name: str) -> int | None:
    """A whole number of the query string, within the database's 64 bits; else InputRefused."""
    return int_arg(request.args, name)


@office.before_app_request
def _refuse_ids_beyond_the_database():
    """An id in any URL that no 64-bit column can hold names nothing: 404, before a query overflows."""
    if any(isinstance(v, int) and not fits_db_int(v) for v in (request.view_args or {}).values()):
        abort(404)


@office.get("/")
@staff_required("operator")
def home():
    status = request.args.get("status") or None
    if status not in STATUS_LABELS:
        status = None
    doc_type = request.args.get("doc_type") or None
    if doc_type not in DOCUMENT_TYPE_LABELS:
        doc_type = None
    searched_nik = session.get(NIK_SEARCH_KEY) if request.args.get("nik") == "1" else None
    answer = 200
    try:
        received_from, received_to = date_range(request.args)
        after_id, before_id = _int_arg("after"), _int_arg("before")
    except InputRefused as refused:  # the queue is still shown, unfiltered by the bad value
        flash(str(refused.message), "error")
        received_from = received_to = after_id = before_id = None
        answer = 400
    query = QueueQuery(status=status, doc_type=doc_type, q=request.args.get("q", "").strip()[:60],
                       nik_hash=searched_nik["hash"] if searched_nik else None,
                       received_from=received_from, received_to=received_to, test=request.args.get("test") == "1")
    documents, has_older, has_newer = queue_page(query, after_id=after_id, before_id=before_id)
    filters = {k: v for k, v in {"status": status, "doc_type": doc_type, "q": query.q,
                                  "nik": "1" if searched_nik else None,
                                  "from": received_from and received_from.isoformat(),
                                  "to": received_to and received_to.isoformat(),
                                  "test": "1" if query.test else None}.items() if v}
    return render_template(
        "office/queue.html", tenant=current_tenant, documents=documents, counts=status_counts(),
        query=query, filters=filters, tab_filters={k: v for k, v in filters.items() if k != "status"},
        has_older=has_older, has_newer=has_newer,
        status_labels=STATUS_LABELS, type_labels={t: DOCUMENT_TYPE_LABELS[t] for t in
                                                  current_tenant.document_settings.get("types", [])},
        bulk_form=EmptyForm(), searched_nik=searched_nik["masked"] if searched_nik else None,
    ), answer


NIK_SEARCH_KEY = "office_nik_search"
_NIK_SEPARATORS = str.maketrans("", "", " .-")


@office.route("/search", methods=["GET", "POST"])
@staff_required("operator")
def search():
    """The queue's search box posts here, so that a whole NIK typed into it never enters a URL."""
    if request.method == "GET" or not EmptyForm().validate_on_submit():
        return redirect(url_for("office.home"))
    text = (request.form.get("q") or "").strip()[:60]
    keep = {k: request.form.get(k) for k in ("status", "doc_type", "from", "to", "test") if request.form.get(k)}
    digits = "".join(ch for ch in text if ch.isdigit())
    # 6471 0117 0890 0001, 6471-0545-0890-0002, 64.71.01.170890.0001 or "NIK 6471…": a NIK all the same.
    if len(digits) == 16 and (text.translate(_NIK_SEPARATORS).isdigit() or redact_niks(text) != text):
        session[NIK_SEARCH_KEY] = {"hash": identity_hash(digits), "masked": mask_nik(digits)}
        log_staff_access(current_user, "search_nik", mask_nik(digits), request.remote_addr)
        db.session.commit()
        return redirect(url_for("office.home", nik="1", **keep))
    text = redact_niks(text)  # what is left is no whole NIK, but may still hold one among other words
    return redirect(url_for("office.home", q=text, **keep) if text else url_for("office.home", **keep))


@office.post("/documents/mark-ready")
@staff_required("operator")
def mark_ready():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    ids = [int(x) for x in request.form.getlist("document_id") if x.isdigit()][:500]
    if not ids:
        flash(_("Tick the documents to mark ready first."), "warning")
        return redirect(request.referrer or url_for("office.home"))
    documents = db.session.scalars(db.select(Document).where(Document.id.in_(ids))).all()
    done, refused = 0, []
    for document in documents:
        try:
            transition(document, "ready", Actor.staff(current_user))
            done += 1
        except TransitionRefused as exc:
            refused.append(f"{document.registration_no}: {exc.message}")
    db.session.commit()
    flash(_("%(count)d document(s) marked ready.", count=done), "success")
    for line in refused[:20]:
        flash(line, "error")
    return redirect(url_for("office.home", status="ready"))


def _document_or_404(registration_no: str) -> Document:
    document = get_document(registration_no)
    if document is None:
        abort(404)
    return document


@office.get("/documents/<registration_no>")
@staff_required("operator")
def document(registration_no: str):
    document = _document_or_404(registration_no)
    log_staff_access(current_user, "view_document", registration_no, request.remote_addr)
    db.session.commit()
    return _document_page(document)


def _document_page(document: Document, *, phone: str | None = None, reveal_form=None, answer: int = 200):
    moves = [m for m in allowed_moves(document) if m in STAFF_MOVES]
    sections = document_panels(document)
    return render_template("office/document.html", tenant=current_tenant, document=document, moves=moves,
                           form=TransitionForm(), cancel_form=CancelForm(), status_labels=STATUS_LABELS,
                           sections=sections, phone=phone, reveal_form=reveal_form or RevealPhoneForm()), answer


@office.post("/documents/<registration_no>/phone")
@staff_required("operator")
def reveal_phone(registration_no: str):
    """The citizen's whole number, to call or message them, for a reason written in the access log.

    The number is shown in this answer only: never in a URL, the session or a redirect."""
    document = _document_or_404(registration_no)
    form = RevealPhoneForm()
    if not form.validate_on_submit():
        return _document_page(document, reveal_form=form, answer=400)
    log_staff_access(current_user, "reveal_phone", registration_no, request.remote_addr,
                     reason=redact_niks(form.reason.data.strip())[:200])
    db.session.commit()
    response, status = _document_page(document, phone=document.phone, reveal_form=form)
    return response, status, {"Cache-Control": "no-store"}


@office.post("/documents/<registration_no>/transition")
@staff_required("operator")
def document_transition(registration_no: str):
    document = _document_or_404(registration_no)
    form = CancelForm() if request.form.get("to") == "cancelled" else TransitionForm()
    to_status = request.form.get("to", "")
    if not form.validate_on_submit() or to_status not in STAFF_MOVES:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("office.document", registration_no=registration_no))
    try:
        transition(document, to_status, Actor.staff(current_user), form.note.data)
        db.session.commit()
        flash(_("The document is now '%(status)s'.", status=document.status_label), "success")
    except TransitionRefused as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    return redirect(url_for("office.document", registration_no=registration_no))


# -- SIAK import ---------------------------------------------------------------------------------
@office.route("/import", methods=["GET", "POST"])
@staff_required("operator")
def import_upload():
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        raw = upload.read(siak_import.MAX_BYTES + 1)
        try:
            batch, _verdicts = siak_import.preview(current_user, upload.filename or "", raw)
        except siak_import.FileRefused as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            return render_template("office/import_upload.html", tenant=current_tenant, form=form,
                                   columns=siak_import.COLUMNS, required=siak_import.REQUIRED_COLUMNS), 422
        db.session.commit()
        return redirect(url_for("office.import_preview", batch_id=batch.id))
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")
    recent = db.session.scalars(db.select(ImportBatch).order_by(ImportBatch.id.desc()).limit(10)).all()
    return render_template("office/import_upload.html", tenant=current_tenant, form=form, recent=recent,
                           columns=siak_import.COLUMNS, required=siak_import.REQUIRED_COLUMNS,
                           status_labels=siak_import.BATCH_STATUS_LABELS)


@office.get("/import/template.<fmt>")
@staff_required("operator")
def import_template(fmt: str):
    if fmt == "csv":
        return Response(siak_import.template_csv(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=antar-siak-template.csv"})
    if fmt == "xlsx":
        return Response(siak_import.template_xlsx(),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": "attachment; filename=antar-siak-template.xlsx"})
    abort(404)


PREVIEW_PAGE = 200


@office.get("/import/<int:batch_id>")
@staff_required("operator")
def import_preview(batch_id: int):
    batch = db.get_or_404(ImportBatch, batch_id)
    log_staff_access(current_user, "view_import_preview", str(batch.id), request.remote_addr)
    db.session.commit()
    verdicts = siak_import.verdicts_of(batch, current_tenant) if batch.status == "previewed" else []
    refused = siak_import.refused_rows(batch, verdicts)
    accepted = [v for v in verdicts if v.verdict != "refused"]
    try:
        page = max(int_arg(request.args, "page", maximum=10 ** 9) or 1, 1)
    except InputRefused as bad_page:
        flash(str(bad_page.message), "error")
        return redirect(url_for("office.import_preview", batch_id=batch_id))
    shown = accepted[(page - 1) * PREVIEW_PAGE: page * PREVIEW_PAGE]
    return render_template("office/import_preview.html", tenant=current_tenant, batch=batch, refused=refused,
                           accepted=shown, page=page, pages=max(1, -(-len(accepted) // PREVIEW_PAGE)),
                           form=EmptyForm(), status_labels=siak_import.BATCH_STATUS_LABELS)


@office.get("/import/<int:batch_id>/refused.csv")
@staff_required("operator")
def import_refused_csv(batch_id: int):
    """The refused rows as a file, to fix them in SIAK and send them again."""
    batch = db.get_or_404(ImportBatch, batch_id)
    log_staff_access(current_user, "view_import_preview", str(batch.id), request.remote_addr)
    db.session.commit()
    name = f"antar-refused-{batch.id}.csv"
    return Response(siak_import.refused_csv(batch), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@office.post("/import/<int:batch_id>/confirm")
@staff_required("operator")
def import_confirm(batch_id: int):
    batch = db.get_or_404(ImportBatch, batch_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        siak_import.import_batch(batch, current_tenant, current_user)
    except siak_import.BatchClosed:
        flash(_("This file was already imported or discarded."), "warning")
        return redirect(url_for("office.import_preview", batch_id=batch.id))
    db.session.commit()
    flash(_("%(new)d document(s) imported; %(existing)d were already registered; %(refused)d refused.",
            new=batch.rows_new, existing=batch.rows_existing, refused=batch.rows_refused), "success")
    return redirect(url_for("office.import_preview", batch_id=batch.id))


@office.post("/import/<int:batch_id>/discard")
@staff_required("operator")
def import_discard(batch_id: int):
    batch = db.get_or_404(ImportBatch, batch_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if batch.status == "previewed":
        siak_import.discard_batch(batch)
        db.session.commit()
        flash(_("The file was discarded; nothing was imported."), "info")
    return redirect(url_for("office.import_upload"))


# -- pickup desk ---------------------------------------------------------------------------------
def _resolve_pickup_code(code: str) -> Document | None:
    return get_document(code.strip().upper()) or document_of_desk_code(code.strip())


@office.route("/pickup", methods=["GET", "POST"])
@staff_required("operator")
def pickup_desk():
    form = PickupLookupForm()
    if form.validate_on_submit():
        document = _resolve_pickup_code(form.registration_no.data)
        if document is None:
            flash(_("No document of this city has that number."), "error")
        else:
            return redirect(url_for("office.pickup_document", registration_no=document.registration_no))
    return render_template("office/pickup.html", tenant=current_tenant, form=form, collected=_just_collected())


def _just_collected() -> Document | None:
    """The document the desk has just handed over (``?collected=<number>``): its receipt is one click away."""
    number = (request.args.get("collected") or "").strip()[:40]
    document = get_document(number) if number else None
    return document if document is not None and document.status == "collected" else None


@office.route("/pickup/<registration_no>", methods=["GET", "POST"])
@staff_required("operator")
def pickup_document(registration_no: str):
    document = _document_or_404(registration_no)
    form = CollectorForm()
    rule = current_tenant.document_settings.get("collection_rule", "owner_only")
    allowed = RULE_ALLOWS.get(rule, ("owner",))  # the desk offers only whom the city's rule lets collect
    form.who.choices = [choice for choice in form.who.choices if choice.value in allowed]
    if form.validate_on_submit():
        collector = Collector(who=form.who.data, nik=form.nik.data, kk_number=form.kk_number.data,
                              proxy_name=form.proxy_name.data, letter_no=form.letter_no.data)
        try:
            collect(document, collector, current_user)
            db.session.commit()
            flash(_("Handed over: %(number)s is collected.", number=document.registration_no), "success")
            return redirect(url_for("office.pickup_desk", collected=document.registration_no))
        except (CollectionRefused, TransitionRefused) as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    log_staff_access(current_user, "view_document", registration_no, request.remote_addr)
    db.session.commit()
    return render_template("office/pickup_document.html", tenant=current_tenant, document=document, form=form,
                           rule=rule, rule_label=RULE_LABELS.get(rule), allowed=allowed)


@office.get("/documents/<registration_no>/pickup-receipt")
@staff_required("operator")
def pickup_receipt(registration_no: str):
    """The tanda terima of a document collected at the desk, for the collector to sign."""
    document = _document_or_404(registration_no)
    collection = collection_of(document)
    if collection is None:
        flash(_("This document was not collected at the office: there is no pickup receipt to print."), "warning")
        return redirect(url_for("office.document", registration_no=document.registration_no))
    log_staff_access(current_user, "view_document", registration_no, request.remote_addr)
    db.session.commit()
    return render_template("office/pickup_receipt.html", tenant=current_tenant, document=document,
                           collection=collection, number=receipt_number(collection), paper=paper_choice())


# -- returns desk --------------------------------------------------------------------------------
@office.route("/returns", methods=["GET", "POST"])
@staff_required("operator")
def returns_desk():
    form = ReturnForm()
    if form.validate_on_submit():
        document = get_document(form.registration_no.data.strip().upper())
        if document is None:
            flash(_("No document of this city has that number."), "error")
        else:
            try:
                record_return(document, current_user, form.note.data)
                db.session.commit()
                flash(_("%(number)s is back at the office.", number=document.registration_no), "success")
                return redirect(url_for("office.returns_desk"))
            except TransitionRefused as exc:
                db.session.rollback()
                flash(str(exc.message), "error")
    returned = db.session.scalars(db.select(Document).where(Document.status == "returned")
                                  .order_by(Document.updated_at.desc()).limit(200)).all()
    return render_template("office/returns.html", tenant=current_tenant, form=form, returned=returned,
                           offer_form=EmptyForm())


@office.post("/returns/<registration_no>/offer-again")
@staff_required("operator")
def offer_document_again(registration_no: str):
    document = _document_or_404(registration_no)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        offer_again(document, current_user)
        db.session.commit()
        flash(_("%(number)s is ready again; the citizen will be told.", number=document.registration_no),
              "success")
    except TransitionRefused as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    return redirect(url_for("office.returns_desk"))


# -- supervisor's report ----------------------------------------------------------------------------
@office.get("/report")
@staff_required("supervisor")
def report():
    from saas.models import utcnow

    answer = 200
    try:
        day = _date_arg("day") or current_tenant.local_date(utcnow())
    except InputRefused as refused:
        flash(str(refused.message), "error")
        day, answer = current_tenant.local_date(utcnow()), 400
    return render_template("office/report.html", tenant=current_tenant, report=daily_report(day),
                           status_labels=STATUS_LABELS), answer
