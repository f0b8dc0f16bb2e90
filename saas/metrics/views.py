"""``/metrics`` for Prometheus, and the clock on every request.

The endpoint exists only when ``ANTAR_METRICS_TOKEN`` is set (404 otherwise) and answers only to
``Authorization: Bearer <that token>`` (401 otherwise, with nothing of the figures).
"""
from __future__ import annotations

import hmac
import time

from flask import Blueprint, Response, abort, current_app, g, jsonify, request

from saas.extensions import db, limiter
from saas.jobs import runtime
from saas.metrics import services
from saas.tenancy.scope import TENANT_KEY
from saas.tenancy.web import TENANT_ARG

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
@limiter.exempt
def scrape():
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return jsonify({"error": "unauthorized"}), 401, {"WWW-Authenticate": 'Bearer realm="metrics"'}
    return Response(services.exposition(runtime()), content_type=services.CONTENT_TYPE,
                    headers={"Cache-Control": "no-store"})


# -- the clock ----------------------------------------------------------------------------------
def start_clock(sender, **extra) -> None:
    """Told by Flask's ``request_started``, before the city is resolved or anything else runs."""
    g.metrics_started = time.perf_counter()


def note_city(endpoint, values) -> None:
    """The URL's city slug, kept aside before the city's blueprint takes it out of the view's
    arguments; it becomes a label only if that city was found and bound (not any typed slug)."""
    if values and TENANT_ARG in values:
        g.metrics_city = values[TENANT_ARG]


def observe(response: Response) -> Response:
    """One histogram observation per request: its endpoint, its city, its status class."""
    started = g.pop("metrics_started", None)
    if started is not None:
        city = g.pop("metrics_city", None)
        bound = city is not None and db.session().info.get(TENANT_KEY) is not None
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
        services.observe_request(endpoint, city if bound else "", response.status_code,
                                 time.perf_counter() - started)
    return response
