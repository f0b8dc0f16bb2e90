"""Stats: per-city daily rollups, kept current by the lifecycles' events, and the comparison.

Offers to the packages above it:
- ``services``: the comparison and the rollups (``compare``, ``refresh_city_day`` (which also rolls up the day's month), ``rebuild``);
- ``models``: the rollup tables (daily and monthly).

Reads across cities, and says so (``all_tenants``). Subscribes (in ``wire``) to every event that
changes a figure: documents and deliveries moving, messages written or delivered, ratings.
"""
from __future__ import annotations

OFFERS = ("services", "models")


def wire(app) -> None:
    from saas import events, jobs
    from saas.couriers.lifecycle import DeliveryMoved
    from saas.documents.lifecycle import DocumentMoved
    from saas.notifications.services import NotificationChanged
    from saas.portal.services import Rated
    from saas.stats import jobs as stats_jobs
    from saas.stats.cli import stats_cli

    bus = events.bus(app)
    bus.subscribe(DocumentMoved, stats_jobs.document_moved)
    bus.subscribe(DeliveryMoved, stats_jobs.delivery_moved)
    bus.subscribe(NotificationChanged, stats_jobs.notification_changed)
    bus.subscribe(Rated, stats_jobs.rated)
    jobs.register_periodic(app, stats_jobs.refresh_recent_days)
    app.cli.add_command(stats_cli)
