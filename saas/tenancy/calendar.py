"""The city's calendar: which days its office is shut.

National holidays and cuti bersama come from the ``holidays`` package (Indonesia's ``public`` and
``government`` categories follow the yearly SKB 3 Menteri: the 2026 and 2027 lists match it day for
day); each city adds its own closures (``CityClosure``), set by its admin in the office. Slots,
courier openings and reminders all ask here, so one closed day is closed everywhere.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import sqlalchemy as sa

from saas.extensions import db
from saas.tenancy.models import CityClosure
from saas.tenancy.scope import current_tenant

WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _language() -> str:
    try:
        from flask_babel import get_locale

        return "en_US" if str(get_locale() or "id").startswith("en") else "id"
    except (RuntimeError, KeyError):
        return "id"


@lru_cache(maxsize=32)
def _national(year: int, language: str) -> dict[date, str]:
    import holidays  # 2.4 MB of modules a web worker needs only once it asks about a day's courier

    days = holidays.country_holidays("ID", years=year, categories=("public", "government"), language=language)
    return dict(days.items())


def national_holidays(start: date, end: date) -> dict[date, str]:
    """Libur nasional and cuti bersama from ``start`` to ``end`` (inclusive), named in the reader's language."""
    language = _language()
    found = {}
    for year in range(start.year, end.year + 1):
        found.update({day: name for day, name in _national(year, language).items() if start <= day <= end})
    return found


def city_closures(start: date, end: date) -> dict[date, str]:
    """The bound city's own closure days in the range."""
    rows = db.session.execute(sa.select(CityClosure.day, CityClosure.reason).where(
        CityClosure.day >= start, CityClosure.day <= end)).all()
    return {day: reason for day, reason in rows}


def closed_days(start: date, end: date) -> dict[date, str]:
    """Every day the office is shut for a holiday or a closure, with why (the city's reason wins)."""
    return {**national_holidays(start, end), **city_closures(start, end)}


def closed_reason(day: date) -> str | None:
    return closed_days(day, day).get(day)


def office_opens_on(day: date, closed: dict[date, str] | None = None) -> bool:
    """A weekday with opening hours that is not a holiday or closure."""
    code = WEEKDAY_CODES[day.weekday()]
    if not any(code in row["days"] for row in current_tenant.office.get("opening_hours", [])):
        return False
    closed = closed if closed is not None else closed_days(day, day)
    return day not in closed


def next_open_days(start: date, count: int, horizon: int = 60) -> list[date]:
    """The first ``count`` days from ``start`` (itself included) on which the office opens."""
    closed = closed_days(start, start + timedelta(days=horizon))
    days = []
    for n in range(horizon + 1):
        day = start + timedelta(days=n)
        if office_opens_on(day, closed):
            days.append(day)
            if len(days) == count:
                break
    return days


class ClosureRefused(ValueError):
    """A closure that cannot be set; ``message`` says why, in the admin's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def add_closure(day: date, reason: str, user_id: int | None, today: date) -> CityClosure:
    """The bound city's office is shut on ``day`` (from today on; the past is history)."""
    from flask_babel import lazy_gettext as _l

    reason = " ".join((reason or "").split())[:200]
    if day < today:
        raise ClosureRefused(_l("Choose today or a later day."))
    if not reason:
        raise ClosureRefused(_l("Say why the office is closed: citizens read it on the slot page."))
    if db.session.scalar(sa.select(CityClosure.id).where(CityClosure.day == day)) is not None:
        raise ClosureRefused(_l("That day is already closed."))
    closure = CityClosure(tenant_id=current_tenant.id, day=day, reason=reason, created_by_id=user_id)
    db.session.add(closure)
    return closure


def upcoming_closures(today: date) -> list[CityClosure]:
    return list(db.session.scalars(sa.select(CityClosure).where(CityClosure.day >= today).order_by(CityClosure.day)))
