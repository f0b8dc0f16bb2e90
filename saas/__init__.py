"""Antar: finished population documents from the Disdukcapil office to the citizen's hands."""
from __future__ import annotations

from flask import Flask, g, has_request_context, render_template, request, session
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError

from saas import i18n, jobs
from saas.config import PROJECT_ROOT, load_config
from saas.extensions import babel, csrf, db, limiter, login_manager, migrate
from saas.security import apply_security_headers, install_log_redaction

LANGUAGES = ("id", "en")


def _select_locale():
    if not has_request_context():  # jobs and commands: Bahasa Indonesia unless told otherwise
        return "id"
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LANGUAGES, "id")
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session["lang"] = wanted
        return wanted
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    return "id"


def _select_timezone():
    tenant = g.get("tenant")
    return tenant.timezone if tenant is not None else None


def create_app(config: dict | None = None) -> Flask:
    settings = load_config(config)
    app = Flask(
        __name__,
        static_folder=str(PROJECT_ROOT / "static"),
        static_url_path="/static",
        instance_path=settings["INSTANCE_DIR"],
        instance_relative_config=False,
    )
    app.config.update(settings)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    limiter.init_app(app)
    login_manager.init_app(app)
    jobs.init_app(app)
    i18n.init_app(app)

    _register_models()
    _register_blueprints(app)
    _register_cli(app)
    _register_errors(app)

    login_manager.session_protection = "strong"
    login_manager.login_message = None

    @app.context_processor
    def _template_globals():
        return {"current_locale": str(get_locale()), "languages": LANGUAGES}

    app.after_request(apply_security_headers)
    install_log_redaction()
    return app


def _register_models() -> None:
    from saas.accounts import models as _accounts  # noqa: F401
    from saas.accounts.services import load_session_user
    from saas.api import models as _api  # noqa: F401
    from saas.couriers import jobs as _courier_jobs  # noqa: F401
    from saas.notifications import events as _notification_events  # noqa: F401
    from saas.notifications import jobs as _notification_jobs  # noqa: F401
    from saas.notifications import models as _notifications  # noqa: F401
    from saas.portal import events as _portal_events  # noqa: F401
    from saas.portal import models as _portal  # noqa: F401
    from saas.console import models as _console  # noqa: F401
    from saas.stats import jobs as _stats_jobs  # noqa: F401
    from saas.stats import models as _stats  # noqa: F401
    from saas.couriers import models as _couriers  # noqa: F401
    from saas import routing as _routing  # noqa: F401
    from saas.documents import models as _documents  # noqa: F401
    from saas.tenancy import models as _tenancy  # noqa: F401

    login_manager.user_loader(load_session_user)


def _register_blueprints(app: Flask) -> None:
    from saas.accounts.views import admin as accounts_admin
    from saas.accounts.views import office as accounts_office
    from saas.accounts.views import office_staff
    from saas.api.views import bp as api
    from saas.api.views import meta as api_meta
    from saas.console.views import api as console_api
    from saas.console.views import bp as console
    from saas.couriers.views import driver as courier_driver
    from saas.couriers.views import office as office_couriers
    from saas.couriers.views import webhooks as courier_webhooks
    from saas.documents.views import office
    from saas.health import bp as health
    from saas.notifications.views import office as office_messages
    from saas.notifications.views import webhooks as message_webhooks
    from saas.portal.office import office as office_portal
    from saas.portal.views import bp as portal
    from saas.portal.views import platform
    from saas.tenancy.views import bp as tenancy
    from saas.tenancy.views import office_settings

    for blueprint in (health, platform, api_meta, console_api, api, courier_webhooks, message_webhooks, accounts_admin,
                      console, accounts_office, office, office_staff, office_settings, office_couriers,
                      office_messages, office_portal, courier_driver, tenancy, portal):
        app.register_blueprint(blueprint)
    if app.config.get("SANDBOXES_ENABLED"):
        from saas.sandboxes import register_sandboxes, sandbox_blueprints

        register_sandboxes(app)
        for blueprint in sandbox_blueprints():
            csrf.exempt(blueprint)


def _register_cli(app: Flask) -> None:
    from saas.accounts.cli import users_cli
    from saas.api.cli import tokens_cli
    from saas.cli import jobs_cli, worker_command
    from saas.demo import demo_command
    from saas.stats.cli import stats_cli
    from saas.tenancy.cli import tenants_cli

    for command in (tenants_cli, users_cli, tokens_cli, jobs_cli, stats_cli, worker_command, demo_command):
        app.cli.add_command(command)


def _register_errors(app: Flask) -> None:
    from saas.tenancy.views import TenantPaused, paused_response

    app.register_error_handler(TenantPaused, paused_response)

    def page(template: str, status: int):
        def handler(error):
            if request.path.startswith(("/api/", "/webhooks/")):
                return {"error": error.name.lower().replace(" ", "_"),
                        "message": error.description}, status
            return render_template(template, error=error), status

        return handler

    app.register_error_handler(403, page("errors/403.html", 403))
    app.register_error_handler(404, page("errors/404.html", 404))
    app.register_error_handler(405, page("errors/404.html", 405))
    app.register_error_handler(429, page("errors/429.html", 429))
    app.register_error_handler(CSRFError, lambda e: (render_template("errors/csrf.html", error=e), 400))

    def changed_meanwhile(error):
        """Someone else changed the same row first: nothing was saved; look again."""
        db.session.rollback()
        if request.path.startswith(("/api/", "/webhooks/")):
            return {"error": "conflict", "message": "Changed meanwhile by someone else; try again."}, 409
        return render_template("errors/conflict.html"), 409

    app.register_error_handler(StaleDataError, changed_meanwhile)

