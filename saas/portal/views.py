"""The citizen's side: the platform home and each city's portal, phone-first, JavaScript optional."""
from __future__ import annotations

import re
import time
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from saas.couriers import services as couriers
from saas.couriers.codes import qr_svg_data_uri
from saas.couriers.models import DELIVERY_STATUS_LABELS
from saas.couriers.providers import PROVIDERS
from saas.documents.desks import RULE_LABELS
from saas.documents.identity import IdentityError, clean_phone
from saas.documents.links import LinkRefused, read_document_token
from saas.documents.lifecycle import Actor
from saas.documents.models import Document
from saas.extensions import db
from saas.models import commit_retrying, utcnow
from saas.documents import lookup_limits
from saas.portal import services
from saas.portal.forms import (
    CitizenOrderForm,
    ConfirmForm,
    CourierForm,
    LookupForm,
    ProblemForm,
    RatingForm,
    SlotForm,
)
from saas.tenancy.services import list_tenants
from saas.tenancy.web import city_blueprint
from saas.tenancy.scope import current_tenant

platform = Blueprint("platform", __name__)
bp = city_blueprint("portal", __name__)
ACCESS_KEY = "portal_documents"
ACCESS_SECONDS = 2 * 3600
DRAFT_KEY = "portal_courier_draft"


@platform.get("/")
def home():
    now = utcnow()
    cities = [t for t in list_tenants() if t.is_listed(now)]
    return render_template("portal/platform_home.html", cities=cities)


# -- who may see which document: a signed link or a matching NIK grants it for two hours ---------------
def _grant(document: Document) -> None:
    access = {k: v for k, v in session.get(ACCESS_KEY, {}).items() if v > time.time()}
    access[str(document.id)] = time.time() + ACCESS_SECONDS
    session[ACCESS_KEY] = access


class AccessLapsed(Exception):
    """This browser holds no (more) grant for the document: its two hours ran out, or it never had one."""


def _granted(document_id: int) -> Document:
    if session.get(ACCESS_KEY, {}).get(str(document_id), 0) < time.time():
        raise AccessLapsed()
    document = db.session.get(Document, document_id)
    if document is None:
        raise AccessLapsed()
    return document


@bp.errorhandler(AccessLapsed)
def access_lapsed(_error):
    """One answer whether or not the document exists: open the message's link again, or look it up."""
    return render_template("portal/access_lapsed.html", tenant=current_tenant, form=LookupForm()), 404


@bp.get("/")
def city_home():
    return render_template("portal/city_home.html", tenant=current_tenant, form=LookupForm())


@bp.post("/cari")
@lookup_limits.per_address_and_number
def lookup():
    """Registration number + NIK, by POST: the answer says nothing unless both match."""
    form = LookupForm()
    if form.validate_on_submit():
        document = services.find_document(form.registration_no.data, form.nik.data)
        if document is not None:
            _grant(document)
            return redirect(url_for("portal.document", document_id=document.id))
        flash(_("We could not find a document with this registration number and NIK. Check both and try again."),
              "error")
    elif form.errors:
        _flash_errors(form)
        return render_template("portal/city_home.html", tenant=current_tenant, form=form), 400
    return render_template("portal/city_home.html", tenant=current_tenant, form=form), 200


def _flash_errors(form) -> None:
    """Every field's problem at once, in the order the fields stand on the page."""
    shown = []
    for field in form:
        for message in field.errors:
            if message not in shown:
                shown.append(message)
    for message in shown:
        flash(message, "error")


@bp.get("/d/<token>")
def link(token: str):
    """The link in the message: signed, bound to one document, expiring."""
    try:
        data = read_document_token(token, current_tenant)
    except LinkRefused as refused:
        return render_template("portal/link_refused.html", tenant=current_tenant, reason=refused.reason,
                               form=LookupForm()), 410 if refused.reason == "expired" else 404
    document = db.session.get(Document, data["d"])
    if document is None or document.registration_no != data.get("r"):
        return render_template("portal/link_refused.html", tenant=current_tenant, reason="invalid", form=LookupForm()), 404
    _grant(document)
    if request.args.get("ke") == "kurir":  # the WhatsApp chat sends the citizen straight to the courier form
        return redirect(url_for("portal.courier", document_id=document.id))
    return redirect(url_for("portal.document", document_id=document.id))


@bp.get("/dokumen/<int:document_id>")
def document(document_id: int):
    document = _granted(document_id)
    delivery = document.delivery
    return render_template(
        "portal/document.html", tenant=current_tenant, document=document, delivery=delivery,
        booking=services.active_booking(document), rating=services.rating_of(document),
        delivery_labels=DELIVERY_STATUS_LABELS, providers=PROVIDERS, rating_form=RatingForm(),
        problem_form=ProblemForm(), confirm_form=ConfirmForm(),
        rule_label=RULE_LABELS.get(current_tenant.document_settings.get("collection_rule", "owner_only")),
        can_close=services.can_close(document), driver_shown=_driver_shown(delivery),
        problems=services.problems_of(document),
    )


def _driver_shown(delivery) -> str | None:
    """Only once a driver is assigned, and partly masked."""
    if delivery is None or not delivery.driver_name or delivery.status in ("quoted", "booked"):
        return None
    name = delivery.driver_name.split()[0]
    plate = re.sub(r"\d{2}(?=\D*$)", "**", delivery.driver_plate or "", count=1)
    return f"{name[:3]}*** · {plate}".strip(" ·")


# -- pickup slots: one day at a time, so a phone shows a short list and the button stays in reach ------
def _slot_form(days) -> SlotForm:
    form = SlotForm()
    form.starts_at.choices = [SelectChoice(slot.starts_at.isoformat(), slot.local.strftime("%H:%M"))
                              for _, slots in days for slot in slots]
    return form


def _chosen_day(days, wanted: str | None, booking):
    """The day tab shown: the one asked for (``?hari=``), else the booked slot's day, else the first."""
    by_iso = {day.isoformat(): (day, slots) for day, slots in days}
    if wanted in by_iso:
        return by_iso[wanted]
    if booking is not None:
        booked_day = booking.starts_at.astimezone(current_tenant.zone).date().isoformat()
        if booked_day in by_iso:
            return by_iso[booked_day]
    return days[0] if days else (None, [])


@bp.route("/dokumen/<int:document_id>/jadwal", methods=["GET", "POST"])
def slots(document_id: int):
    document = _granted(document_id)
    booking = services.active_booking(document)
    if document.status not in services.CAN_CHOOSE and booking is None:
        return redirect(url_for("portal.document", document_id=document.id))
    days = services.available_slots()
    form = _slot_form(days)
    status = 200
    if form.validate_on_submit():
        starts_at = datetime.fromisoformat(form.starts_at.data)
        try:
            def book():
                current = services.active_booking(document)
                if current is not None:
                    return services.move_booking(current, starts_at)
                return services.book_slot(document, starts_at)

            moving = booking is not None
            booking = commit_retrying(book)
            if moving:
                flash(_("Your slot is moved. Your code stays %(code)s.", code=booking.code), "success")
            return redirect(url_for("portal.booking", document_id=document.id))
        except services.PortalRefused as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            booking = services.active_booking(document)
            days = services.available_slots()
            form = _slot_form(days)
    elif request.method == "POST":
        status = 400
        flash(_("That time is no longer available. Choose another one.") if form.starts_at.data
              else _("Choose a time."), "error")
    day, day_slots = _chosen_day(days, request.values.get("hari"), booking)
    return render_template("portal/slots.html", tenant=current_tenant, document=document, days=days, form=form,
                           booking=booking, day=day, day_slots=day_slots,
                           closures=services.closures_ahead()), status


@bp.get("/dokumen/<int:document_id>/jadwal/kode")
def booking(document_id: int):
    document = _granted(document_id)
    booking = services.active_booking(document)
    if booking is None:
        return redirect(url_for("portal.document", document_id=document.id))
    return render_template("portal/booking.html", tenant=current_tenant, document=document, booking=booking,
                           qr=qr_svg_data_uri(booking.code), form=ConfirmForm(),
                           rule_label=RULE_LABELS.get(current_tenant.document_settings.get("collection_rule", "owner_only")))


@bp.route("/dokumen/<int:document_id>/jadwal/batal", methods=["GET", "POST"])
def cancel_booking(document_id: int):
    """Cancelling asks first (a page, so it works without JavaScript); only the POST cancels."""
    document = _granted(document_id)
    booking = services.active_booking(document)
    if booking is None:
        return redirect(url_for("portal.document", document_id=document.id))
    form = ConfirmForm()
    if request.method == "GET":
        return render_template("portal/cancel_booking.html", tenant=current_tenant, document=document,
                               booking=booking, form=form)
    if not form.validate_on_submit():
        abort(400)
    services.cancel_booking(booking, tell_citizen=True)
    db.session.commit()
    flash(_("Your pickup slot is cancelled. The document waits at the office."), "info")
    return redirect(url_for("portal.document", document_id=document.id))


# -- courier ------------------------------------------------------------------------------------
def _area_choices() -> list[SelectChoice]:
    tenant = current_tenant
    choices = [SelectChoice("", _("Choose…"))]
    for area in tenant.areas:
        if area.get("kelurahan"):
            choices += [SelectChoice(f"{area['code']}|{kel}", f"{kel} ({area['name']})") for kel in area["kelurahan"]]
        else:
            choices.append(SelectChoice(f"{area['code']}|", area["name"]))
    return choices


def _courier_form() -> CourierForm:
    tenant = current_tenant
    form = CourierForm()
    form.area.choices = _area_choices()
    form.provider.choices = [SelectChoice(name, PROVIDERS[name].label if name != "manual" else
                                          (tenant.courier_settings.get("manual") or {}).get("name", "Kurir"))
                             for name in couriers.enabled_providers()]
    if not form.provider.data and form.provider.choices:
        form.provider.data = form.provider.choices[0].value
    return form


def location_needed() -> bool:
    """Without the citizen's location the price comes from the kecamatan's middle; where the city
    has not given one for every kecamatan, the location is needed, and the form says so."""
    return any(area.get("latitude") is None or area.get("longitude") is None for area in current_tenant.areas)


def _problem(form: CourierForm, field, message) -> None:
    field.errors = [*field.errors, message]


def _destination(form: CourierForm) -> couriers.Destination | None:
    """The address as the courier needs it; every problem is put on its field at once (None then)."""
    tenant = current_tenant
    code, _sep, kelurahan = (form.area.data or "").partition("|")
    kelurahan = kelurahan or (form.kelurahan_text.data or "").strip()
    area = next((a for a in tenant.areas if a["code"] == code), None)
    if form.area.data and area is None:
        _problem(form, form.area, _("This kecamatan is outside %(city)s's service area.", city=tenant.city_name))
    elif area is not None and not kelurahan:
        _problem(form, form.kelurahan_text, _("Fill in the kelurahan."))
    latitude, longitude = form.latitude.data, form.longitude.data
    if (latitude is None) != (longitude is None) and not (form.latitude.errors or form.longitude.errors):
        _problem(form, form.longitude if longitude is None else form.latitude,
                 _("Fill in both latitude and longitude, or neither."))
    if latitude is None or longitude is None:
        latitude, longitude = (area or {}).get("latitude"), (area or {}).get("longitude")
    if (latitude is None or longitude is None) and area is not None \
            and not (form.latitude.errors or form.longitude.errors):
        _problem(form, form.latitude, _("Share your location (or type its coordinates): in %(city)s the courier "
                                        "prices the trip from it.", city=tenant.city_name))
    phone = None
    if form.recipient_phone.data and not form.recipient_phone.errors:
        try:
            phone = clean_phone(form.recipient_phone.data)
        except IdentityError as exc:
            _problem(form, form.recipient_phone, str(exc))
    if any(field.errors for field in form):
        return None
    return couriers.Destination(
        recipient_name=" ".join(form.recipient_name.data.split()), recipient_phone=phone,
        address=" ".join(form.address.data.split()), kecamatan_code=code, kelurahan=kelurahan,
        latitude=float(latitude), longitude=float(longitude), driver_note=(form.driver_note.data or "").strip())


@bp.route("/dokumen/<int:document_id>/kurir", methods=["GET", "POST"])
def courier(document_id: int):
    document = _granted(document_id)
    if document.status not in services.CAN_CHOOSE:
        return redirect(url_for("portal.document", document_id=document.id))
    hours = services.courier_hours()
    if current_tenant.courier_settings.get("mode") == "citizen_link":
        return _citizen_order(document, hours)
    form = _courier_form()
    status = 200
    if request.method == "GET":
        form.recipient_name.data = form.recipient_name.data or document.owner_name
    elif form.is_submitted():
        form.validate()
        destination = _destination(form)
        if destination is not None and not (hours.open_now or hours.can_schedule):
            flash(hours.closed_message, "error")
            status = 400
        elif destination is not None:
            try:
                quoted = couriers.quote(destination, form.provider.data)
                session[DRAFT_KEY] = {"document_id": document.id, "provider": form.provider.data,
                                      "destination": destination.__dict__, "fee": quoted.price,
                                      "distance_km": quoted.distance_km, "service": quoted.service,
                                      "cod": quoted.cash_on_delivery, "at": time.time(),
                                      "at_next_opening": not hours.open_now}
                return redirect(url_for("portal.courier_confirm", document_id=document.id))
            except couriers.DeliveryRefused as exc:
                flash(str(exc.message), "error")
                status = 400
        else:
            _flash_errors(form)
            status = 400
    return render_template("portal/courier_form.html", tenant=current_tenant, document=document, form=form,
                           family=couriers.family_of(document), hours=hours,
                           location_needed=location_needed()), status


@bp.route("/dokumen/<int:document_id>/kurir/setuju", methods=["GET", "POST"])
def courier_confirm(document_id: int):
    document = _granted(document_id)
    draft = session.get(DRAFT_KEY)
    if not draft or draft.get("document_id") != document.id or time.time() - draft.get("at", 0) > 1800:
        return redirect(url_for("portal.courier", document_id=document.id))
    destination = couriers.Destination(**draft["destination"])
    family = couriers.family_of(document)
    form = ConfirmForm()
    hours = services.courier_hours()
    at_next_opening = bool(draft.get("at_next_opening")) and not hours.open_now
    if form.validate_on_submit():
        try:
            quoted = couriers.quote(destination, draft["provider"])
            delivery = couriers.request_delivery(family, destination, draft["provider"], quoted, Actor.citizen(),
                                                 at_next_opening=at_next_opening)
            db.session.commit()
            session.pop(DRAFT_KEY, None)
            if delivery.is_scheduled:
                flash(_("Your request is recorded: the courier is booked %(when)s, and you get a message then. "
                        "Keep your receipt PIN for the driver.", when=couriers.opening_words(delivery.book_at)), "success")
            else:
                flash(_("The courier is being booked. Keep your receipt PIN for the driver."), "success")
            return redirect(url_for("portal.document", document_id=document.id, _anchor="delivery"))
        except couriers.DeliveryRefused as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
    settings = current_tenant.courier_settings
    return render_template(
        "portal/courier_confirm.html", tenant=current_tenant, document=document, draft=draft, destination=destination,
        family=family, form=form, provider_label=PROVIDERS[draft["provider"]].label, payer=settings.get("payer"),
        at_next_opening=at_next_opening, hours=hours, price_limit=couriers.price_limit(draft["fee"] or 0),
        rule_label=RULE_LABELS.get(current_tenant.document_settings.get("collection_rule", "owner_only")))


def _citizen_order(document: Document, hours):
    """citizen_link mode (Balikpapan's first way): the citizen orders Go-Send themselves."""
    form = CitizenOrderForm()
    if request.method == "GET":
        form.recipient_name.data = document.owner_name
    if form.validate_on_submit():
        try:
            phone = clean_phone(form.recipient_phone.data)
            couriers.order_by_citizen(couriers.family_of(document), form.recipient_name.data, phone,
                                      Actor.citizen())
            db.session.commit()
            return redirect(url_for("portal.document", document_id=document.id, _anchor="delivery"))
        except IdentityError as exc:
            flash(str(exc), "error")
        except couriers.DeliveryRefused as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
    return render_template("portal/citizen_order.html", tenant=current_tenant, document=document, form=form,
                           pickup=current_tenant.courier_settings["pickup_point"], hours=hours)


# -- after the handover -------------------------------------------------------------------------------
@bp.post("/dokumen/<int:document_id>/terima")
def confirm_receipt(document_id: int):
    document = _granted(document_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        commit_retrying(lambda: services.confirm_receipt(db.session.get(Document, document.id)))
        flash(_("Thank you: receipt confirmed."), "success")
    except services.PortalRefused as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    return redirect(url_for("portal.document", document_id=document.id))


@bp.post("/dokumen/<int:document_id>/nilai")
def rate(document_id: int):
    document = _granted(document_id)
    form = RatingForm()
    if form.validate_on_submit():
        try:
            services.rate(document, int(form.score.data), form.comment.data)
            db.session.commit()
            flash(_("Thank you for rating the service."), "success")
        except services.PortalRefused as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
    else:
        flash(_("Choose 1 to 5 stars."), "error")
    return redirect(url_for("portal.document", document_id=document.id))


@bp.post("/dokumen/<int:document_id>/masalah")
def problem(document_id: int):
    document = _granted(document_id)
    form = ProblemForm()
    if form.validate_on_submit():
        services.report_problem(document, form.kind.data, form.note.data)
        db.session.commit()
        flash(_("The office has your report and will contact you."), "success")
    else:
        flash(_("Choose what went wrong."), "error")
    return redirect(url_for("portal.document", document_id=document.id))


@bp.post("/keluar")
def sign_out():
    session.pop(ACCESS_KEY, None)
    session.pop(DRAFT_KEY, None)
    return redirect(url_for("portal.city_home"))

