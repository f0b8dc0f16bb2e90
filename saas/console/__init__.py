"""The super-admin console: onboarding and suspending cities, comparing them, jobs, the audit log.

Offers nothing to other packages (it is the top layer); ``services.audit`` records what
super-admins do, and ``services.audit_crossings`` every request that read across cities for a
person (heard through ``tenancy.scope.watch_crossings``); the platform's own reads across cities
(jobs, webhooks) are counted per kind and day (``count_job_crossings``).
"""
from __future__ import annotations

OFFERS = ("services",)


def wire(app) -> None:
    import atexit
    import weakref

    from saas import events
    from saas.accounts.services import SuperAdminSignedIn
    from saas.console.services import audit_crossings, audit_sign_in, count_job_crossings, crossing_tally, note_crossing
    from saas.tenancy.scope import watch_crossings
    from saas.api.openapi import add_path
    from saas.console.views import COMPARE_OPERATIONS, COMPARE_SCHEMAS, api, bp

    events.bus(app).subscribe(SuperAdminSignedIn, audit_sign_in)
    watch_crossings(app, note_crossing)
    app.after_request(audit_crossings)
    app.teardown_appcontext(count_job_crossings)
    tally = weakref.ref(crossing_tally(app))  # a stopping process writes its counts; a dropped app is not kept
    atexit.register(lambda: tally() and tally().flush())
    add_path("/api/v1/admin/compare", COMPARE_OPERATIONS, COMPARE_SCHEMAS)
    app.register_blueprint(api)
    app.register_blueprint(bp)
