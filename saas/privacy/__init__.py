"""Personal data duties (UU No. 27/2022) that span every capability: the data-subject request
(logged as it comes in, due 3 × 24 hours later; export everything held on one NIK, erase what the
law allows, or close it done or refused, recorded) and retention per city (recipients, message
bodies and raw courier callbacks blanked after the city's days).

Offers nothing to the packages above it. Registers (in ``wire``): the ``[retention]`` section of
tenant.toml, the periodic purge, the office's "Data-subject requests" pages, and the requests
falling due in the supervisors' digest (``notifications.services.add_digest_lines``).
"""
from __future__ import annotations

OFFERS = ()


def wire(app) -> None:
    from saas import jobs
    from saas.notifications.services import add_digest_lines
    from saas.privacy import jobs as privacy_jobs
    from saas.privacy import services
    from saas.privacy import settings
    from saas.privacy.views import office
    from saas.tenancy.settings import register_section

    register_section(settings.SECTION)
    jobs.register_periodic(app, privacy_jobs.purge_expired_personal_data)
    add_digest_lines(app, services.digest_lines)
    app.register_blueprint(office)
