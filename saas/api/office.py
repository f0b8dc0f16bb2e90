"""The admin's page of the city's settings, where its API tokens are made and revoked."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.accounts.access import staff_required
from saas.accounts.services import log_staff_access
from saas.api.forms import TokenForm
from saas.api.models import ApiToken
from saas.api.services import city_tokens, create_token, revoke_token
from saas.extensions import db
from saas.office.forms import EmptyForm
from saas.office.shell import office_blueprint
from saas.tenancy.scope import current_tenant

office_settings = office_blueprint("office_settings", __name__, "/settings")


@office_settings.route("/", methods=["GET", "POST"], endpoint="settings")
@staff_required("admin")
def settings_page():
    """Settings are read from tenants/<slug>/tenant.toml; tokens are made and revoked here."""
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        token, new_token = create_token(tenant=current_tenant, name=form.name.data, created_by=current_user,
                                        kind=form.kind.data)
        log_staff_access(current_user, "create_api_token", token.prefix, request.remote_addr)
        db.session.commit()
        flash(_("Token made. Copy it now: it will not be shown again."), "success")
    return render_template("office/settings.html", tenant=current_tenant, form=form, new_token=new_token,
                           tokens=city_tokens(), revoke_form=EmptyForm())


@office_settings.post("/tokens/<int:token_id>/revoke", endpoint="revoke_token")
@staff_required("admin")
def revoke_token_view(token_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.tenant_id != current_tenant.id:
        abort(404)
    revoke_token(token)
    log_staff_access(current_user, "revoke_api_token", token.prefix, request.remote_addr)
    db.session.commit()
    flash(_("Token '%(name)s' revoked.", name=token.name), "success")
    return redirect(url_for("office_settings.settings"))
