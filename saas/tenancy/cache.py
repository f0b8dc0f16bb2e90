"""The cities a web process serves, kept in memory between requests, and never out of date for long.

Every city URL needs its city; loading it (nine JSON columns of settings) cost a query and a quarter
of a portal page. Each app keeps the cities it has served as detached, read-only ``Tenant`` rows:

- a change committed in this process (``tenants sync``, a console edit, a suspension) empties the
  cache at once, after the commit;
- every ``TENANT_CACHE_SECONDS`` (1 s) a request first reads each city's ``updated_at`` (one small
  query for all of them) and drops a city whose stamp moved, so a change made by another process
  or host is seen within that time. The ORM stamps ``updated_at`` on every change of the row.

The cached rows are shared by the request threads: read them, never change them. To change a city,
load it with ``services.get_tenant`` in the request's own session and commit.

Beside each city the cache keeps the pages that are the same for every visitor of that city in one
language (``page``): they are kept for the city's cached row itself, so they go with it — on a
change committed here, when another process's change is noticed, or when the cache is emptied —
and a page made for one city is never handed to another.
"""
from __future__ import annotations

import logging
import threading
import time

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from saas.extensions import db
from saas.tenancy.models import Tenant

EXTENSION_KEY = "antar_tenant_cache"
_CHANGED = "antar_tenants_changed"
log = logging.getLogger(__name__)


class TenantCache:
    def __init__(self, seconds: float, clock=time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self._cities: dict[str, Tenant] = {}
        self._pages: dict[tuple, tuple[Tenant, object]] = {}
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def get(self, slug: str) -> Tenant | None:
        """The city of ``slug`` (a detached row, read-only), or None when there is no such city."""
        now = self.clock()
        if now - self._checked >= self.seconds:
            self._revalidate(now)
        tenant = self._cities.get(slug)
        if tenant is None:
            tenant = _load(slug)
            if tenant is not None:
                self._cities[slug] = tenant
        return tenant

    def _revalidate(self, now: float) -> None:
        with self._lock:
            if now - self._checked < self.seconds:
                return  # another thread has just done it
            self._checked = now
            if not self._cities:
                return
            try:
                stamps = dict(db.session.execute(sa.select(Tenant.slug, Tenant.updated_at)).all())
            except sa.exc.DBAPIError:
                # The database is unreachable: keep the cities we know (their pages can still say so
                # in the city's own colours) and look again in a second.
                db.session.rollback()
                log.debug("could not revalidate the cached cities", exc_info=True)
                return
            self._cities = {slug: tenant for slug, tenant in self._cities.items()
                            if stamps.get(slug) == tenant.updated_at}
            self._pages = {key: entry for key, entry in list(self._pages.items())
                           if self._cities.get(key[0]) is entry[0]}

    def page(self, tenant: Tenant, key: tuple, make):
        """What ``make()`` gives for ``tenant`` and ``key``, made once while this city stays cached.

        Kept for the cached row itself: a city reloaded after a change is a new row, so a page
        made before the change is never given again, nor one of another city."""
        entry_key = (tenant.slug, *key)
        found = self._pages.get(entry_key)
        if found is not None and found[0] is tenant and self._cities.get(tenant.slug) is tenant:
            return found[1]
        made = make()
        if self._cities.get(tenant.slug) is tenant:  # not for a row dropped while it was being made
            self._pages[entry_key] = (tenant, made)
        return made

    def clear(self) -> None:
        self._cities = {}
        self._pages = {}


def _load(slug: str) -> Tenant | None:
    """Loaded in a session of its own and detached from it, so no request's commit expires it."""
    with Session(db.engine, expire_on_commit=False) as session:
        return session.scalar(sa.select(Tenant).where(Tenant.slug == slug))


def cached_tenant(slug: str) -> Tenant | None:
    return current_app.extensions[EXTENSION_KEY].get(slug)


def install(app) -> None:
    app.extensions[EXTENSION_KEY] = TenantCache(float(app.config.get("TENANT_CACHE_SECONDS", 1.0)))


@event.listens_for(Session, "after_flush")
def _note_tenant_changes(session, flush_context):
    if any(isinstance(obj, Tenant) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_changed_cities(session):
    if session.info.pop(_CHANGED, False) and has_app_context():
        cache = current_app.extensions.get(EXTENSION_KEY)
        if cache is not None:
            cache.clear()


@event.listens_for(Session, "after_soft_rollback")
def _nothing_changed(session, previous_transaction):
    session.info.pop(_CHANGED, None)
