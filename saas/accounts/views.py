"""Sign-in and sign-out for a city's office and for the platform console."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from saas.accounts.access import is_staff_of_current_city, safe_next, staff_required
from saas.accounts.forms import SignInForm, StaffForm, WelcomeForm
from saas.accounts.models import User
from saas.accounts.services import (
    AccountError,
    InvitationRefused,
    accept_invitation,
    access_log,
    invited_email,
    SuperAdminSignedIn,
    authenticate,
    create_user,
    end_all_sessions,
    find_user,
    log_staff_access,
    normalise_email,
)
from limits import parse as parse_limit

from saas import events
from saas.accounts.sessions import bind_session, device_knows
from saas.extensions import db, limiter
from saas.office.forms import EmptyForm
from saas.office.shell import office_blueprint
from saas.tenancy.scope import current_tenant

office = office_blueprint("accounts_office", __name__)
admin = Blueprint("accounts_admin", __name__, url_prefix="/admin")


def _scope() -> str:
    tenant = current_tenant._get_current_object()
    return tenant.slug if tenant else "platform"


def _ip_key() -> str:
    return f"login-ip:{request.remote_addr}"


def _account_key() -> str:
    return f"login-account:{_scope()}:{normalise_email(request.form.get('email', ''))}"


def _account_limit():
    return parse_limit(current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"])


def _account_held_back(key: str) -> bool:
    """After too many wrong passwords the account is held back, for browsers it does not know."""
    return limiter.enabled and not limiter.limiter.test(_account_limit(), key)


def _count_wrong_password(key: str) -> None:
    if limiter.enabled:
        limiter.limiter.hit(_account_limit(), key)


def _login_limits(view):
    """Every attempt counts against the caller's address. The per-account back-off is kept by the
    view itself: only a wrong password counts against an account (never a refusal by the address
    limit), and a browser the account signed in on before is not held back."""
    return limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_ip_key,
                         methods=["POST"], scope="login-ip")(view)


def _sign_in(tenant, home_endpoint: str):
    form = SignInForm()
    if form.validate_on_submit():
        account = _account_key()
        known = find_user(tenant, form.email.data)
        if _account_held_back(account) and not (known is not None and device_knows(known.id)):
            # The same answer whether or not the password is right, so a guesser learns nothing.
            return render_template("errors/429.html", error=None), 429
        user = authenticate(tenant, form.email.data, form.password.data)
        if user is not None:
            if tenant is None:
                events.publish(SuperAdminSignedIn(user))
            else:
                log_staff_access(user, "sign_in", ip_address=request.remote_addr)
            db.session.commit()
            session.clear()  # a new session on sign-in: nothing from before survives
            login_user(user)
            bind_session(user.id)
            session.permanent = True
            return redirect(safe_next(request.args.get("next"), url_for(home_endpoint)))
        db.session.rollback()
        _count_wrong_password(account)
        flash(_("E-mail or password is wrong."), "error")
    elif request.method == "POST":
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return render_template("accounts/login.html", form=form, tenant=tenant), (
        200 if request.method == "GET" else 401
    )


def _sign_out(login_endpoint: str):
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        end_all_sessions(user)
        if is_staff_of_current_city():
            log_staff_access(user, "sign_out", ip_address=request.remote_addr)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for(login_endpoint))


@office.route("/login", methods=["GET", "POST"])
@_login_limits
def login():
    return _sign_in(current_tenant, "office.home")


@office.route("/welcome/<token>", methods=["GET", "POST"])
@_login_limits
def welcome(token: str):
    """The first admin of a new city makes their account from the console's one-time link."""
    try:
        email = invited_email(current_tenant, token)
    except InvitationRefused as refused:
        return render_template("accounts/welcome.html", tenant=current_tenant, refused=refused.message,
                               form=None, email=None), 410
    form = WelcomeForm()
    if form.validate_on_submit():
        try:
            accept_invitation(current_tenant, token, name=form.name.data, password=form.password.data)
        except (InvitationRefused, AccountError) as exc:
            db.session.rollback()
            flash(str(getattr(exc, "message", exc)), "error")
        else:
            db.session.commit()
            flash(_("Your account is ready: sign in with your e-mail and the password you chose."), "success")
            return redirect(url_for("accounts_office.login"))
    return render_template("accounts/welcome.html", tenant=current_tenant, form=form, email=email,
                           refused=None), 400 if request.method == "POST" else 200


@office.post("/logout")
def logout():
    return _sign_out("accounts_office.login")


@admin.route("/login", methods=["GET", "POST"], endpoint="login")
@_login_limits
def admin_login():
    return _sign_in(None, "console.home")


@admin.post("/logout", endpoint="logout")
def admin_logout():
    return _sign_out("accounts_admin.login")


# -- a city's staff, managed by its supervisors and admins -------------------------------------
office_staff = office_blueprint("office_staff", __name__, "/staff")


@office_staff.route("/", methods=["GET", "POST"], endpoint="staff")
@staff_required("supervisor")
def staff_list():
    """Supervisors add operators; admins add anyone of their city."""
    form = StaffForm()
    if not current_user.has_role("admin"):
        form.role.choices = [c for c in form.role.choices if c.value == "operator"]
    if form.validate_on_submit():
        try:
            user = create_user(tenant=current_tenant, role=form.role.data, email=form.email.data,
                               password=form.password.data, name=form.name.data)
            log_staff_access(current_user, "create_staff", user.email, request.remote_addr)
            db.session.commit()
            flash(_("Account made for %(email)s.", email=user.email), "success")
            return redirect(url_for("office_staff.staff"))
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    people = db.session.scalars(sa.select(User).where(User.tenant_id == current_tenant.id)
                                .order_by(User.role, User.name)).all()
    return render_template("office/staff.html", tenant=current_tenant, form=form, people=people,
                           toggle_form=EmptyForm())


@office_staff.post("/<int:user_id>/toggle", endpoint="toggle")
@staff_required("supervisor")
def staff_toggle(user_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    person = db.session.scalar(sa.select(User).where(User.id == user_id, User.tenant_id == current_tenant.id))
    if person is None:
        abort(404)
    if person.id == current_user.id or (person.role != "operator" and not current_user.has_role("admin")):
        abort(403)
    person.active = not person.active
    if not person.active:
        end_all_sessions(person)
    log_staff_access(current_user, "enable_staff" if person.active else "disable_staff", person.email,
                     request.remote_addr)
    db.session.commit()
    flash(_("%(email)s can sign in again.", email=person.email) if person.active
          else _("%(email)s can no longer sign in.", email=person.email), "success")
    return redirect(url_for("office_staff.staff"))


# -- the access log (UU 27/2022) ------------------------------------------------------------------------
office_access = office_blueprint("office_access", __name__, "/access-log")


@office_access.get("/", endpoint="access_log")
@staff_required("supervisor")
def access_log_page():
    """Who opened which citizen's data, when and why: supervisors read and filter it."""
    from datetime import date

    from saas.accounts.models import ACCESS_ACTIONS

    action = request.args.get("action") or None
    action = action if action in ACCESS_ACTIONS else None
    user_arg, before = request.args.get("user", ""), request.args.get("before", "")
    user_id = int(user_arg) if user_arg.isdigit() and len(user_arg) < 12 else None
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = None
    rows, older = access_log(user_id=user_id, action=action, day=day,
                             before_id=int(before) if before.isdigit() and len(before) < 19 else None)
    staff = db.session.scalars(sa.select(User).where(User.tenant_id == current_tenant.id).order_by(User.name)).all()
    filters = {k: v for k, v in {"action": action, "user": user_id, "day": day.isoformat() if day else None}.items()
               if v}
    return render_template("accounts/access_log.html", tenant=current_tenant, rows=rows, older=older,
                           actions=ACCESS_ACTIONS, staff=staff, filters=filters)

