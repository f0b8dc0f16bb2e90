"""Metrics: ``/metrics`` in Prometheus' text format, for the platform operator.

Request latency by endpoint, city and status class; per job queue, its depth and the age of its
oldest job; messages and courier trips by city, channel or provider, and status. Behind a bearer
token (``ANTAR_METRICS_TOKEN``); read across cities, and says so (``all_tenants``).

Offers nothing to other packages: it only looks at what the layers below keep.
"""
from __future__ import annotations

OFFERS = ()


def wire(app) -> None:
    from flask import request_started

    from saas.metrics.views import bp, note_city, observe, start_clock

    request_started.connect(start_clock, app, weak=False)
    # App-wide URL preprocessors run before a blueprint's, so the slug is still in the arguments.
    app.url_value_preprocessor(note_city)
    app.after_request(observe)
    app.register_blueprint(bp)
