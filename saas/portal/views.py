"""The citizen's side: the platform home and each city's portal, phone-first, JavaScript optional."""
from __future__ import annotations

import re
import time
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
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
from saas.portal.models import PROBLEM_KINDS
from saas.portal.forms import (
    ChooseCourierForm,
    CitizenOrderForm,
    ConfirmForm,
    CourierForm,
    LookupForm,
    ProblemForm,
    RatingForm,
    SlotForm,
)
from saas.tenancy.regions import city_kecamatan, find_kelurahan
from saas.tenancy.services import list_tenants
from saas.tenancy.web import city_blueprint, shared_city_page
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


def _granted(document_id: int, *load) -> Document:
    if session.get(ACCESS_KEY, {}).get(str(document_id), 0) < time.time():
        raise AccessLapsed()
    document = db.session.get(Document, document_id, options=load)
    if document is None:
        raise AccessLapsed()
    return document


@bp.errorhandler(AccessLapsed)
def access_lapsed(_error):
    """One answer whether or not the document exists: open the message's link again, or look it up."""
    return render_template("portal/access_lapsed.html", tenant=current_tenant, form=LookupForm()), 404


@bp.get("/")
def city_home():
    """The same for every visitor of the city in one language: rendered once, then only the
    visitor's CSRF token put in (``shared_city_page``)."""
    return shared_city_page("portal/city_home.html", lambda: {"form": LookupForm()})


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
    """The citizen's own document. Its forms (confirm, rate, report a problem) are written in the
    template with the session's CSRF token: building three WTForms forms and rendering their
    widgets was a fifth of the page (cProfile); the POSTs still validate with those forms."""
    document = _granted(document_id, selectinload(Document.events))
    delivery = document.delivery
    booking, rating, problems = services.citizen_page_extras(document)
    return render_template(
        "portal/document.html", tenant=current_tenant, document=document, delivery=delivery,
        booking=booking, rating=rating, delivery_labels=DELIVERY_STATUS_LABELS, providers=PROVIDERS,
        problem_kinds=PROBLEM_KINDS,
        rule_label=RULE_LABELS.get(current_tenant.document_settings.get("collection_rule", "owner_only")),
        can_close=services.can_close(document), driver_shown=_driver_shown(delivery), problems=problems,
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
def _kelurahan_groups() -> list[tuple[str, list]]:
    """The city's kelurahan under their kecamatan, from the shipped Kemendagri lists."""
    return [(name, kelurahan) for _code, name, kelurahan in city_kecamatan(current_tenant.slug)]


def _courier_form() -> CourierForm:
    return CourierForm()


def location_needed() -> bool:
    """Is the location needed for any price at all? Only where some kelurahan has no known centre and
    every courier of the city prices by distance; the form says "needed" only then."""
    return not _centres_known() and all(PROVIDERS[p].needs_location for p in couriers.enabled_providers())


def _centres_known() -> bool:
    return all(place.latitude is not None for _name, group in _kelurahan_groups() for place in group)


def _priced_without_location() -> list[str]:
    return [couriers.courier_name(p) for p in couriers.enabled_providers() if not PROVIDERS[p].needs_location]


def _problem(form: CourierForm, field, message) -> None:
    field.errors = [*field.errors, message]


def _destination(form: CourierForm) -> couriers.Destination | None:
    """The address as the courier needs it; every problem is put on its field at once (None then).
    Without the citizen's own point, the kelurahan's centre from the shipped list stands in."""
    tenant = current_tenant
    place = find_kelurahan(tenant.slug, form.area.data) if form.area.data else None
    if form.area.data and place is None:
        _problem(form, form.area, _("That kelurahan is not in %(city)s's list: choose yours from the list.",
                                    city=tenant.city_name))
    latitude, longitude = form.latitude.data, form.longitude.data
    if (latitude is None) != (longitude is None) and not (form.latitude.errors or form.longitude.errors):
        _problem(form, form.longitude if longitude is None else form.latitude,
                 _("Fill in both latitude and longitude, or neither."))
    centre_of = ""
    if (latitude is None or longitude is None) and place is not None:
        latitude, longitude = place.latitude, place.longitude
        centre_of = place.centre_of or ""
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
        address=" ".join(form.address.data.split()), kecamatan_code=place.kecamatan_code, kelurahan=place.name,
        latitude=None if latitude is None else float(latitude), longitude=None if longitude is None else float(longitude),
        driver_note=(form.driver_note.data or "").strip(), kelurahan_code=place.code, centre_of=centre_of)


def _offer_draft(offer: couriers.CourierOffer) -> dict:
    quoted = offer.quote
    return {"provider": offer.provider, "label": offer.label, "refusal": offer.refusal, "payer": offer.payer,
            "how_soon": offer.how_soon, "fee": quoted.price if quoted else None,
            "distance_km": quoted.distance_km if quoted else None, "service": quoted.service if quoted else None,
            "cod": quoted.cash_on_delivery if quoted else False}


def _refill(form: CourierForm, draft: dict | None, document: Document) -> None:
    """Back from the quotes to change the address: what the citizen typed is still there."""
    form.recipient_name.data = document.owner_name
    if not draft or draft.get("document_id") != document.id or "offers" not in draft:
        return
    typed = draft["destination"]
    form.recipient_name.data = typed["recipient_name"]
    form.recipient_phone.data = typed["recipient_phone"]
    form.area.data = typed["kelurahan_code"]
    form.address.data = typed["address"]
    form.driver_note.data = typed["driver_note"]
    if not typed.get("centre_of"):
        form.latitude.data, form.longitude.data = typed["latitude"], typed["longitude"]


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
        _refill(form, session.get(DRAFT_KEY), document)
    elif form.is_submitted():
        form.validate()
        destination = _destination(form)
        if destination is not None and not (hours.open_now or hours.can_schedule):
            flash(hours.closed_message, "error")
            status = 400
        elif destination is not None:
            try:
                offers = couriers.quote_all(destination)
                if not any(offer.quote for offer in offers):
                    reasons = list(dict.fromkeys(offer.refusal for offer in offers))
                    raise couriers.DeliveryRefused(" ".join(reasons) or _("No courier is available."))
                session[DRAFT_KEY] = {"document_id": document.id, "destination": destination.__dict__,
                                      "offers": [_offer_draft(offer) for offer in offers], "at": time.time(),
                                      "at_next_opening": not hours.open_now}
                return redirect(url_for("portal.courier_confirm", document_id=document.id))
            except couriers.DeliveryRefused as exc:
                flash(str(exc.message), "error")
                status = 400
        else:
            _flash_errors(form)
            status = 400
    return render_template("portal/courier_form.html", tenant=current_tenant, document=document, form=form,
                           family=couriers.family_of(document), hours=hours, groups=_kelurahan_groups(),
                           location_needed=location_needed(), centres_known=_centres_known(),
                           priced_without_location=_priced_without_location()), status


@bp.route("/dokumen/<int:document_id>/kurir/setuju", methods=["GET", "POST"])
def courier_confirm(document_id: int):
    document = _granted(document_id)
    draft = session.get(DRAFT_KEY)
    if not draft or draft.get("document_id") != document.id or time.time() - draft.get("at", 0) > 1800 \
            or "offers" not in draft:
        return redirect(url_for("portal.courier", document_id=document.id))
    destination = couriers.Destination(**draft["destination"])
    family = couriers.family_of(document)
    offers = draft["offers"]
    priced = [offer for offer in offers if offer["fee"] is not None]
    form = ChooseCourierForm()
    hours = services.courier_hours()
    at_next_opening = bool(draft.get("at_next_opening")) and not hours.open_now
    form.provider.choices = [SelectChoice(offer["provider"], offer["label"]) for offer in priced]
    if len(priced) == 1 and not form.provider.data:
        form.provider.data = priced[0]["provider"]  # one courier: nothing to choose
    if form.validate_on_submit():
        try:
            quoted = couriers.quote(destination, form.provider.data)
            delivery = couriers.request_delivery(family, destination, form.provider.data, quoted, Actor.citizen(),
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
    elif form.is_submitted():
        _flash_errors(form)
    return render_template(
        "portal/courier_confirm.html", tenant=current_tenant, document=document, offers=offers, destination=destination,
        family=family, form=form, at_next_opening=at_next_opening, hours=hours,
        price_limits={offer["provider"]: couriers.price_limit(offer["fee"] or 0) for offer in priced},
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

