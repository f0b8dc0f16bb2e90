"""Built-in sandboxes that speak the real protocols of the services Antar talks to.

Go-Send- and GrabExpress-shaped courier APIs (``couriers``), and WhatsApp-Cloud-shaped and
SMS-gateway-shaped HTTP APIs with a local SMTP server (``messages``). They keep their state in
memory, know nothing of Antar's database, and call Antar back over HTTP like the real services:
mounted under ``/sandbox/`` in the demo and tests, or run alone with ``python -m saas.sandboxes``.
"""
from __future__ import annotations

from flask import Blueprint, Flask


def sandbox_blueprints() -> list[Blueprint]:
    from saas.sandboxes.couriers import couriers_bp
    from saas.sandboxes.messages import messages_bp

    return [couriers_bp, messages_bp]


def register_sandboxes(app: Flask) -> None:
    """Mount every sandbox under /sandbox (demo and test configuration only)."""
    for blueprint in sandbox_blueprints():
        app.register_blueprint(blueprint, url_prefix="/sandbox")


def plug_in(app: Flask) -> None:
    """What ``create_app`` plugs in when this package is installed: the ``demo`` command and its
    notice on every page while its history is being made always, and, when SANDBOXES_ENABLED, the sandboxes under /sandbox and the local SMTP server."""
    from saas.extensions import csrf
    from saas.notifications.channels.email import LOCAL_SMTP
    from saas.sandboxes.demo import demo_command, history_notice

    app.cli.add_command(demo_command)
    app.context_processor(history_notice)  # the demo's pages say when its history is not complete yet
    if not app.config.get("SANDBOXES_ENABLED"):
        return
    from saas.sandboxes.messages import start_smtp

    register_sandboxes(app)
    for blueprint in sandbox_blueprints():
        csrf.exempt(blueprint)
    app.extensions[LOCAL_SMTP] = start_smtp


def create_standalone_app() -> Flask:
    """The sandboxes alone, as a separate process (``python -m saas.sandboxes``)."""
    app = Flask("antar-sandboxes")
    register_sandboxes(app)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
