"""Antar: finished population documents from the Disdukcapil office to the citizen's hands."""
from __future__ import annotations

import importlib
import importlib.util
import logging
import threading
import time

from flask import Flask, has_request_context, render_template, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from saas import (
    accounts, api, console, conversation, couriers, documents, events, i18n, jobs, metrics, notifications, office,
    portal, privacy, stats, tenancy,
)
from saas.cli import jobs_cli, worker_command
from saas.config import PROJECT_ROOT, load_config
from saas.extensions import babel, csrf, db, limiter, login_manager, migrate
from saas.health import bp as health_bp
from saas.security import apply_security_headers, install_log_redaction
from saas.tenancy.scope import current_tenant

LANGUAGES = ("id", "en")
log = logging.getLogger(__name__)
#: The capabilities, lowest layer first: each may import only those before it (and the shared
#: plumbing of ``saas/``); ``create_app`` wires them in this order, so their subscribers run in it.
CAPABILITIES = (tenancy, office, accounts, documents, couriers, notifications, portal, privacy, conversation, api,
                stats, metrics, console)


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
    tenant = current_tenant._get_current_object()
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
    events.init_app(app)
    i18n.init_app(app)

    _import_models()
    app.register_blueprint(health_bp)
    for command in (jobs_cli, worker_command):
        app.cli.add_command(command)
    for capability in CAPABILITIES:  # lowest layer first: the order subscribers run in
        capability.wire(app)
    _plug_in_sandboxes(app)
    _register_errors(app)

    login_manager.session_protection = "strong"
    login_manager.login_message = None

    @app.context_processor
    def _template_globals():
        return {"current_locale": str(get_locale()), "languages": LANGUAGES}

    app.after_request(apply_security_headers)
    install_log_redaction()
    return app


def _import_models() -> None:
    """Every table is known to SQLAlchemy (and Alembic) before the first query."""
    from saas import routing  # noqa: F401
    from saas.accounts import models as _accounts  # noqa: F401
    from saas.api import models as _api  # noqa: F401
    from saas.console import models as _console  # noqa: F401
    from saas.conversation import models as _conversation  # noqa: F401
    from saas.couriers import models as _couriers  # noqa: F401
    from saas.documents import models as _documents  # noqa: F401
    from saas.notifications import models as _notifications  # noqa: F401
    from saas.portal import models as _portal  # noqa: F401
    from saas.privacy import models as _privacy  # noqa: F401
    from saas.stats import models as _stats  # noqa: F401
    from saas.tenancy import models as _tenancy  # noqa: F401


def _plug_in_sandboxes(app: Flask) -> None:
    """The sandboxes and the demo are not production code: a production build may leave the
    ``saas.sandboxes`` package out, and then there is nothing to plug in."""
    if importlib.util.find_spec("saas.sandboxes") is None:
        return
    importlib.import_module("saas.sandboxes").plug_in(app)


def _register_errors(app: Flask) -> None:
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


    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(DisconnectionError, _database_unavailable)


class _OutageLog:
    """While the database is down every request meets it: one line a minute says so, with a count,
    instead of a traceback per request."""

    every = 60.0

    def __init__(self):
        self._lock = threading.Lock()
        self._last = float("-inf")
        self._unlogged = 0

    def note(self, error: Exception) -> None:
        with self._lock:
            self._unlogged += 1
            now = time.monotonic()
            if now - self._last < self.every:
                return
            count, self._unlogged, self._last = self._unlogged, 0, now
        cause = getattr(error, "orig", None) or error
        log.warning("database unreachable (%s: %s): answering 503; %d request(s) since the last report",
                    type(cause).__name__, str(cause).strip().splitlines()[0][:200] if str(cause).strip() else "",
                    count)


_outages = _OutageLog()


def _database_unavailable(error):
    """PostgreSQL restarting or down: a clean 503 in the caller's language (JSON on the API and the
    webhooks, the city's own page elsewhere), never Werkzeug's bare English 500."""
    from saas.extensions import db

    _outages.note(error)
    try:
        db.session.rollback()
    except Exception:  # the session's connection is the broken one
        log.debug("rollback after a lost connection failed", exc_info=True)
    message = _("The service is briefly unavailable. Please try again in a minute.")
    headers = {"Retry-After": "30"}
    if request.path.startswith(("/api/", "/webhooks/")):
        return {"error": "service_unavailable", "message": message}, 503, headers
    try:
        tenant = current_tenant._get_current_object()
    except Exception:  # no city bound that the cache could give without the database
        tenant = None
    return render_template("errors/unavailable.html", tenant=tenant, message=message), 503, headers
