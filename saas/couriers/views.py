"""Courier callbacks, the office's handover desk and delivery list, and the driver's PIN check."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.accounts.access import staff_required
from saas.accounts.services import log_staff_access
from saas.couriers import handover_papers, services
from saas.couriers.codes import normalise_pickup_code, qr_svg_data_uri
from saas.couriers.forms import CancelDeliveryForm, HandoverForm, ManualOutcomeForm, PickupCodeForm, PinForm
from saas.couriers.models import Delivery
from saas.couriers.providers import PROVIDERS
from saas.office.forms import EmptyForm, RevealPhoneForm
from saas.documents.lifecycle import Actor
from saas.extensions import csrf, db, limiter
from saas.i18n import zone_abbreviation
from saas.forms_input import InputRefused, date_arg, int_arg
from saas.models import commit_retrying, utcnow
from saas.documents import lookup_limits
from saas.office.printing import paper_choice
from saas.office.shell import office_blueprint
from saas.security import redact_niks
from saas.tenancy.scope import current_tenant
from saas.tenancy.web import city_blueprint

webhooks = Blueprint("courier_webhooks", __name__, url_prefix="/webhooks/couriers")
csrf.exempt(webhooks)
office = office_blueprint("office_couriers", __name__)
driver = city_blueprint("driver", __name__, "/driver")



@webhooks.post("/<provider>")
@limiter.limit("6000 per minute")
def courier_callback(provider: str):
    outcome = services.handle_callback(provider, request.headers, request.get_json(silent=True))
    if outcome.status >= 400:
        code = {400: "invalid", 401: "unauthorized", 404: "not_found"}.get(outcome.status, "unavailable")
        return jsonify({"error": code, "message": outcome.message, "result": outcome.message}), outcome.status
    return jsonify({"result": outcome.message}), outcome.status


# -- handover desk ----------------------------------------------------------------------------------
@office.route("/handover", methods=["GET", "POST"])
@staff_required("operator")
def handover():
    form = PickupCodeForm()
    if form.validate_on_submit():
        delivery = services.find_by_pickup_code(form.code.data)
        if delivery is None:
            flash(_("No delivery of this city has that pickup code."), "error")
        else:
            return redirect(url_for("office_couriers.handover_delivery", code=delivery.pickup_code))
    return render_template("couriers/handover.html", tenant=current_tenant, form=form, handed=_just_handed())


def _just_handed() -> Delivery | None:
    """The envelope the desk has just handed over (``?handed=<id>``): its record is one click away."""
    try:
        delivery_id = int_arg(request.args, "handed")
    except InputRefused:
        return None
    delivery = db.session.get(Delivery, delivery_id) if delivery_id else None
    return delivery if delivery is not None and handover_papers.handed_over(delivery) else None


@office.route("/handover/<code>", methods=["GET", "POST"])
@staff_required("operator")
def handover_delivery(code: str):
    delivery = services.find_by_pickup_code(code)
    if delivery is None:
        flash(_("No delivery of this city has that pickup code."), "error")
        return redirect(url_for("office_couriers.handover"))
    if request.method == "GET":
        log_staff_access(current_user, "view_handover", delivery.pickup_code, request.remote_addr)
        db.session.commit()
    form = HandoverForm(data={"driver_name": delivery.driver_name, "driver_plate": delivery.driver_plate})
    if form.validate_on_submit():
        try:
            # A courier callback may update the same delivery at this very moment.
            commit_retrying(lambda: services.hand_over(services.find_by_pickup_code(code), seal_number=form.seal_number.data,
                driver_name=form.driver_name.data, driver_plate=form.driver_plate.data, staff_user=current_user))
            delivery = services.find_by_pickup_code(code)
            flash(_("Handed over to %(driver)s with seal %(seal)s.", driver=delivery.driver_name,
                    seal=delivery.seal_number), "success")
            return redirect(url_for("office_couriers.handover", handed=delivery.id))
        except services.DeliveryRefused as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
    return render_template("couriers/handover_delivery.html", tenant=current_tenant, delivery=delivery, form=form,
                           provider_label=services.courier_name(delivery.provider))


# -- deliveries ---------------------------------------------------------------------------------------
@office.get("/deliveries")
@staff_required("operator")
def deliveries():
    show = request.args.get("show", "open")
    statement = sa.select(Delivery).order_by(Delivery.id.desc()).limit(200)
    if show == "open":
        statement = statement.where(Delivery.status.not_in(("delivered", "cancelled", "failed", "returned")))
    elif show == "attention":
        statement = statement.where(Delivery.office_alert.is_not(None))
    if show == "scheduled":
        rows = services.scheduled_deliveries()
    else:
        rows = db.session.scalars(statement).all()
    return render_template("couriers/deliveries.html", tenant=current_tenant, deliveries=rows, show=show,
                           providers=PROVIDERS)


@office.route("/deliveries/<int:delivery_id>", methods=["GET", "POST"])
@staff_required("operator")
def delivery_detail(delivery_id: int):
    delivery = db.get_or_404(Delivery, delivery_id)
    if request.method == "GET":  # the recipient's name, phone and address are on this page
        log_staff_access(current_user, "view_delivery", str(delivery.id), request.remote_addr)
        db.session.commit()
    form, cancel_form = ManualOutcomeForm(), CancelDeliveryForm()
    if request.method == "POST":
        action = request.form.get("action")
        if action == "record" and form.validate_on_submit():
            def change():
                services.record_manual(db.session.get(Delivery, delivery_id), form.outcome.data,
                                       tracking_no=form.tracking_no.data, note=form.note.data,
                                       staff_user=current_user)
        elif action == "cancel" and cancel_form.validate_on_submit():
            def change():
                services.cancel(db.session.get(Delivery, delivery_id), Actor.staff(current_user),
                                cancel_form.reason.data)
        elif action == "clear_alert" and EmptyForm().validate_on_submit():
            def change():
                db.session.get(Delivery, delivery_id).office_alert = None
        else:
            abort(400)
        try:
            commit_retrying(change)
            flash(_("Saved."), "success")
        except services.DeliveryRefused as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
        return redirect(url_for("office_couriers.delivery_detail", delivery_id=delivery.id))
    return _delivery_page(delivery, form=form, cancel_form=cancel_form)


def _delivery_page(delivery: Delivery, *, form=None, cancel_form=None, phone: str | None = None,
                   reveal_form=None, answer: int = 200):
    return render_template("couriers/delivery.html", tenant=current_tenant, delivery=delivery,
                           form=form or ManualOutcomeForm(), cancel_form=cancel_form or CancelDeliveryForm(),
                           provider=PROVIDERS[delivery.provider], qr=qr_svg_data_uri(delivery.pickup_code),
                           contact_phone=services.contact_phone(delivery), phone=phone,
                           reveal_form=reveal_form or RevealPhoneForm()), answer


@office.post("/deliveries/<int:delivery_id>/phone")
@staff_required("operator")
def reveal_delivery_phone(delivery_id: int):
    """The recipient's whole number, to call or message them, for a reason written in the access log.

    As on the document page: shown in this answer only, never in a URL, the session or a redirect."""
    delivery = db.get_or_404(Delivery, delivery_id)
    form = RevealPhoneForm()
    if not form.validate_on_submit():
        return _delivery_page(delivery, reveal_form=form, answer=400)
    log_staff_access(current_user, "reveal_phone", str(delivery.id), request.remote_addr,
                     reason=redact_niks(form.reason.data.strip())[:200])
    db.session.commit()
    response, status = _delivery_page(delivery, phone=services.contact_phone(delivery), reveal_form=form)
    return response, status, {"Cache-Control": "no-store"}


# -- the handover's papers ----------------------------------------------------------------------------
@office.get("/deliveries/<int:delivery_id>/handover-record")
@staff_required("operator")
def delivery_handover_record(delivery_id: int):
    """The Berita Acara Serah Terima the officer and the driver sign for one sealed envelope."""
    delivery = db.get_or_404(Delivery, delivery_id)
    if not handover_papers.handed_over(delivery):
        flash(_("This delivery has not been handed to a driver yet: there is no handover record to print."),
              "warning")
        return redirect(url_for("office_couriers.delivery_detail", delivery_id=delivery.id))
    log_staff_access(current_user, "view_handover", delivery.pickup_code, request.remote_addr)
    db.session.commit()
    return render_template("couriers/handover_record.html", tenant=current_tenant, delivery=delivery,
                           number=handover_papers.record_number(delivery), paper=paper_choice(),
                           officer=handover_papers.officer_names([delivery]).get(delivery.handed_over_by_id))


@office.get("/handovers")
@staff_required("operator")
def day_handovers():
    """Every envelope that left with a driver on one day of the city, for the supervisor to sign."""
    answer, today = 200, current_tenant.local_date(utcnow())
    try:
        day = date_arg(request.args, "day") or today
    except InputRefused as refused:
        flash(str(refused.message), "error")
        day, answer = today, 400
    deliveries = handover_papers.handovers_on(day)
    return render_template("couriers/day_handovers.html", tenant=current_tenant, day=day, deliveries=deliveries,
                           officers=handover_papers.officer_names(deliveries), paper=paper_choice(),
                           document_count=sum(len(d.documents) for d in deliveries),
                           zone=zone_abbreviation(current_tenant.timezone),
                           record_number=handover_papers.record_number), answer


def trip_panel(document) -> str:
    """The office document page's panel of the courier trip the document is on, or was last on."""
    if document.delivery is None:
        return ""
    return render_template("couriers/_document_trip.html", delivery=document.delivery)


# -- the driver at the door -------------------------------------------------------------------------
@driver.route("/<code>", methods=["GET", "POST"])
@lookup_limits.per_address  # 200 or 404 says whether a pickup code exists: counted like a lookup
@limiter.limit("10 per hour", methods=["POST"],
               key_func=lambda: f"pin:{normalise_pickup_code(request.view_args.get('code', ''))}")
@limiter.limit("20 per hour", methods=["POST"], key_func=lambda: f"pin-ip:{request.remote_addr}")
def receipt_pin(code: str):
    """The driver types the PIN the citizen tells them: only the right person receives the envelope."""
    delivery = services.find_by_pickup_code(code)
    if delivery is None:
        abort(404)
    form = PinForm()
    verified = delivery.pin_verified_at is not None
    if form.validate_on_submit():
        if services.verify_receipt_pin(delivery, form.pin.data):
            db.session.commit()
            verified = True
        else:
            flash(_("That PIN is not right. Ask the citizen to read it from their Antar page."), "error")
    return render_template("couriers/driver_pin.html", tenant=current_tenant, delivery=delivery, form=form,
                           verified=verified)
