"""Accounts: office staff and platform super-admins, sign-in, and the staff access log.

Offers to the packages above it:
- ``access``: ``staff_required``, ``superadmin_required``;
- ``models``: ``User``, the roles;
- ``services``: ``create_user``, ``find_user``, ``authenticate``, ``log_staff_access``.
"""
from __future__ import annotations

OFFERS = ("access", "models", "services")


def wire(app) -> None:
    from saas.accounts.cli import users_cli
    from saas.accounts.services import load_session_user
    from saas.accounts.sessions import drop_unbound_session, set_device_cookie
    from saas.accounts.views import admin, office, office_access, office_staff
    from saas.extensions import login_manager

    login_manager.user_loader(load_session_user)
    app.before_request(drop_unbound_session)
    app.after_request(set_device_cookie)
    for blueprint in (admin, office, office_staff, office_access):
        app.register_blueprint(blueprint)
    app.cli.add_command(users_cli)
