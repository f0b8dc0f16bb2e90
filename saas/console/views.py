"""The platform operator's console (``/admin/``) and its JSON twin (``/api/v1/admin/…``)."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from functools import wraps

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from saas.accounts.access import superadmin_required
from saas.api.services import token_from_header
from saas.console import services
from saas.console.charts import share_vs_time, sparkline
from saas.accounts.services import InvitationRefused, invitation_token
from saas.console.forms import GoLiveForm, InviteForm, OnboardForm, SuspendForm
from saas.office.forms import EmptyForm
from saas.extensions import csrf, db
from saas.forms_input import InputRefused, date_range
from saas.models import utcnow
from saas.stats.services import SORTABLE, compare, sort_figures
from saas.tenancy.models import Tenant
from saas.tenancy.services import TenantFileError, get_tenant, list_tenants, resume_tenant, suspend_tenant

bp = Blueprint("console", __name__, url_prefix="/admin")
api = Blueprint("console_api", __name__, url_prefix="/api/v1/admin")
csrf.exempt(api)

COLUMNS = [
    ("ready", _l("Documents ready"),
     _l("Documents made ready in the range (first time), on each city's local days.")),
    ("collected", _l("Collected at the office"),
     _l("Documents handed over at the office's desk.")),
    ("delivered", _l("Delivered by courier"),
     _l("Documents a courier delivered.")),
    ("courier_share", _l("Courier share"),
     _l("Delivered ÷ (delivered + collected).")),
    ("median_hours", _l("Median hours to hand"),
     _l("Median time from 'ready' to in the citizen's hands (histogram estimate).")),
    ("p90_hours", _l("90th percentile hours"),
     _l("9 in 10 documents reached the citizen within this time.")),
    ("failed_share", _l("Deliveries failed or returned"),
     _l("Share of finished courier trips that failed or came back.")),
    ("notifications_delivered_share", _l("Messages delivered"),
     _l("Share of messages written in the range that reached a phone or mailbox.")),
    ("uncollected_7d", _l("Uncollected > 7 days"),
     _l("Documents ready more than 7 days and not in the citizen's hands at the end of the range.")),
    ("rating_average", _l("Average rating"),
     _l("Citizens' 1–5 ratings in the range.")),
    ("ratings", _l("Ratings"),
     _l("How many citizens rated the service.")),
]


MAX_RANGE_DAYS = 732  # two years and a leap day: what the comparison's charts are drawn for


def _range() -> tuple[date, date]:
    """The comparison's days; InputRefused (with its message) when far, reversed or too long."""
    return date_range(request.args, max_days=MAX_RANGE_DAYS, default=services.default_range(utcnow().date()))


def _chosen(tenants: list[Tenant]) -> list[Tenant]:
    wanted = request.args.getlist("city")
    return [t for t in tenants if t.slug in wanted] if wanted else tenants


def _figures(*, default_range: bool = False):
    tenants = list_tenants()
    first, last = services.default_range(utcnow().date()) if default_range else _range()
    chosen = _chosen(tenants)
    return tenants, chosen, first, last, compare(chosen, first, last)


# -- cities -----------------------------------------------------------------------------------------
@bp.get("/")
@superadmin_required
def home():
    services.reading_across_cities("console_home")
    tenants = list_tenants()
    today = utcnow().date()
    thirty = {f.slug: f.ready for f in compare(tenants, today - timedelta(days=29), today)}
    return render_template("console/home.html", cities=tenants, staff=services.staff_counts(), thirty=thirty)


@bp.route("/cities/<slug>", methods=["GET", "POST"])
@superadmin_required
def city(slug: str):
    tenant = get_tenant(slug) or abort(404)
    form, invite_form, live_form = SuspendForm(), InviteForm(), GoLiveForm()
    invitation = None
    page = lambda answer=200: (render_template(  # noqa: E731
        "console/city.html", tenant=tenant, form=form, resume_form=EmptyForm(), invite_form=invite_form,
        live_form=live_form, invitation=invitation, staff=services.staff_counts().get(tenant.id, 0)), answer)
    if request.method == "POST":
        action = request.form.get("action")
        if action == "invite":
            if not invite_form.validate_on_submit():
                return page(400)
            try:
                token = invitation_token(tenant, invite_form.email.data)
            except InvitationRefused as refused:
                flash(str(refused.message), "error")
                return page(400)
            invitation = url_for("accounts_office.welcome", tenant_slug=tenant.slug, token=token, _external=True)
            services.audit(current_user, "invite_admin", slug, email=invite_form.email.data.strip().lower())
            db.session.commit()
            return page()
        if action == "go_live":
            if not tenant.trial or not live_form.validate_on_submit():
                return page(400)
            tenant.trial = False
            services.audit(current_user, "go_live", slug)
            db.session.commit()
            flash(_("%(city)s is live: citizens get messages and couriers are booked for real.",
                    city=tenant.city_name), "success")
            return redirect(url_for("console.city", slug=slug))
        if action == "suspend" and form.validate_on_submit():
            suspend_tenant(tenant, form.reason.data)
            services.audit(current_user, "suspend_city", slug, reason=form.reason.data)
            flash(_("%(city)s is paused: its portal shows the paused page and its API answers 503.",
                    city=tenant.city_name), "success")
        elif action == "resume" and EmptyForm().validate_on_submit():
            resume_tenant(tenant)
            services.audit(current_user, "resume_city", slug)
            flash(_("%(city)s is serving again.", city=tenant.city_name), "success")
        elif action == "suspend":  # nothing changes: the page says what is missing
            return page(400)
        else:
            abort(400)
        db.session.commit()
        return redirect(url_for("console.city", slug=slug))
    return page()


@bp.route("/cities/new", methods=["GET", "POST"])
@superadmin_required
def onboard():
    form = OnboardForm()
    text, problems = None, []
    if form.validate_on_submit():
        data = {field.name: field.data for field in form if field.name != "csrf_token"}
        data["go_live"] = form.go_live.data
        data["latitude"], data["longitude"] = float(form.latitude.data), float(form.longitude.data)
        text = services.render_tenant_file(services.tenant_file(data))
        problems = services.check_tenant_file(form.slug.data, text)
        if get_tenant(form.slug.data):
            problems.append(("slug", _("A city with this slug already exists."), ""))
        if not problems and request.form.get("create") == "1":
            try:
                report = services.create_city(form.slug.data, text)
            except (FileExistsError, TenantFileError) as exc:
                flash(str(exc), "error")
            else:
                get_tenant(form.slug.data).trial = True  # it messages only its own staff until it goes live
                services.audit(current_user, "onboard_city", form.slug.data, report=report)
                db.session.commit()
                flash(_("%(city)s is on board: tenants/%(slug)s/tenant.toml was written and synced. Commit that "
                        "folder to keep it.", city=form.city_name.data, slug=form.slug.data), "success")
                return redirect(url_for("console.city", slug=form.slug.data))
    return render_template("console/onboard.html", form=form, text=text, problems=problems)


# -- comparison -------------------------------------------------------------------------------------
def _chart_labels() -> dict:
    return {"title": _("Courier share against time to the citizen's hands"),
            "desc": _("Each point is a city: further right, more documents went by courier; higher, they took longer."),
            "x": _("Courier share"), "y": _("Median hours, ready → in hands"),
            "point": _("{city}: courier share {share:.0f}%, median {hours:.1f} h, 90th percentile {p90:.1f} h")}


@bp.get("/compare")
@superadmin_required
def compare_page():
    services.reading_across_cities("compare")
    answer = 200
    try:
        tenants, chosen, first, last, figures = _figures()
    except InputRefused as refused:  # the page is still shown, for the last 30 days
        flash(str(refused.message), "error")
        tenants, chosen, first, last, figures = _figures(default_range=True)
        answer = 400
    key = request.args.get("sort", "city")
    descending = request.args.get("dir", "asc" if key == "city" else "desc") == "desc"
    figures = sort_figures(figures, key, descending)
    lines = {f.slug: sparkline(f.daily_ready, label=_("Documents ready per day")) for f in figures}
    return render_template("console/compare.html", tenants=tenants, chosen={t.slug for t in chosen}, first=first,
                           last=last, figures=figures, columns=COLUMNS, sort=key, descending=descending,
                           sparklines=lines, chart=share_vs_time(figures, labels=_chart_labels()),
                           sortable=SORTABLE), answer


@bp.get("/compare.csv")
@superadmin_required
def compare_csv():
    services.reading_across_cities("compare_csv")
    try:
        _tenants, _chosen_tenants, first, last, figures = _figures()
    except InputRefused:  # the comparison page says what is wrong with the dates, in the reader's language
        return compare_page()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["city", "slug", "from", "to"] + [c[0] for c in COLUMNS])
    for f in figures:
        writer.writerow([f.city, f.slug, first.isoformat(), last.isoformat()] +
                        ["" if getattr(f, c[0]) is None else getattr(f, c[0]) for c in COLUMNS])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=antar-compare-{first}-{last}.csv"})


# -- jobs and the audit log --------------------------------------------------------------------------------
@bp.get("/jobs")
@superadmin_required
def jobs():
    return render_template("console/jobs.html", overview=services.jobs_overview(), form=EmptyForm())


@bp.post("/jobs/<queue>/<job_id>/<action>")
@superadmin_required
def job_action(queue: str, job_id: str, action: str):
    if not EmptyForm().validate_on_submit() or action not in ("retry", "delete"):
        abort(400)
    try:
        (services.retry_failed if action == "retry" else services.delete_failed)(queue, job_id)
    except Exception as exc:
        flash(_("The job could not be changed: %(why)s", why=str(exc)), "error")
    else:
        services.audit(current_user, f"{action}_job", job_id, queue=queue)
        db.session.commit()
        flash(_("Done."), "success")
    return redirect(url_for("console.jobs"))


@bp.get("/audit")
@superadmin_required
def audit_log():
    return render_template("console/audit.html", entries=services.recent_audit(),
                           job_crossings=services.job_crossings())


# -- the platform API ------------------------------------------------------------------------------
def platform_token_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        token = token_from_header(request.headers.get("Authorization"))
        if token is None:
            return jsonify({"error": "unauthorized", "message": "A platform token is needed."}), 401
        if not token.is_platform:
            return jsonify({"error": "forbidden", "message": "A city's token cannot read the platform API."}), 403
        g.api_token = token
        return view(*args, **kwargs)

    return wrapped


_NUMBER = {"type": "number", "nullable": True}
#: The comparison's OpenAPI description (added to /api/v1/openapi.json by ``wire``).
COMPARE_SCHEMAS = {
    "CityFigures": {"type": "object", "additionalProperties": False, "required": [
        "slug", "city", "timezone", "ready", "collected", "delivered", "courier_share", "median_hours",
        "p90_hours", "failed_share", "notifications_delivered_share", "uncollected_7d", "rating_average",
        "ratings", "daily_ready"], "properties": {
        "slug": {"type": "string"}, "city": {"type": "string"}, "timezone": {"type": "string"},
        "ready": {"type": "integer"}, "collected": {"type": "integer"}, "delivered": {"type": "integer"},
        "courier_share": _NUMBER, "median_hours": _NUMBER, "p90_hours": _NUMBER, "failed_share": _NUMBER,
        "notifications_delivered_share": _NUMBER, "uncollected_7d": {"type": "integer"},
        "rating_average": _NUMBER, "ratings": {"type": "integer"},
        "daily_ready": {"type": "array", "items": {"type": "integer"},
                        "description": "documents ready per day (or per few days for a long range)"}}},
    "Comparison": {"type": "object", "additionalProperties": False, "required": ["from", "to", "cities"],
                   "properties": {"from": {"type": "string", "format": "date"},
                                  "to": {"type": "string", "format": "date"},
                                  "cities": {"type": "array", "items": {"$ref": "#/components/schemas/CityFigures"}}}},
}
COMPARE_OPERATIONS = {"get": {
    "summary": "Compare cities over a range of local days (from the daily rollups)",
    "security": [{"bearer": []}],
    "parameters": [
        {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
         "description": "first day (default: 30 days ago)"},
        {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
         "description": "last day (default: yesterday); at most %d days after from" % MAX_RANGE_DAYS},
        {"name": "city", "in": "query", "style": "form", "explode": True,
         "schema": {"type": "array", "items": {"type": "string"}}, "description": "city slugs (default: all)"},
    ],
    "responses": {
        "200": {"description": "Figures per city", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Comparison"}}}},
        **{code: {"description": why, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}} for code, why in (
            ("400", "A date that is not a date, reversed, too far or a range too long"),
            ("401", "No token, or a revoked one"), ("403", "A city's token: only a platform token reads this"))},
    }}}


@api.get("/compare")
@platform_token_required
def compare_api():
    services.reading_across_cities("compare_api")
    unknown = sorted(set(request.args) - {"from", "to", "city"})
    if unknown:
        return jsonify({"error": "invalid", "message": f"Unknown parameter: {unknown[0][:40]!r}; "
                                                       "use from, to and city."}), 400
    if any(request.args.get(name) == "" for name in ("from", "to")):
        return jsonify({"error": "invalid", "message": "from and to are dates (YYYY-MM-DD); leave one out "
                                                       "for its default."}), 400
    try:
        _tenants, _chosen_tenants, first, last, figures = _figures()
    except InputRefused as refused:
        with force_locale("en"):
            return jsonify({"error": "invalid", "message": str(refused.message)}), 400
    return jsonify({"from": first.isoformat(), "to": last.isoformat(),
                    "cities": [f.as_dict() for f in sorted(figures, key=lambda f: f.city)]})

