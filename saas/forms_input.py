"""Numbers, dates and text from outside, checked once at the edge.

The database keeps 64-bit integers, PostgreSQL refuses a NUL in text, and a city's local-day
arithmetic runs off the end of Python's calendar near years 1 and 9999: a value outside what the
app can hold is a clear refusal in the user's language, never a 500 from deep inside.
"""
from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime, time, timezone

import marshmallow
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

DB_INT_MIN, DB_INT_MAX = -(2 ** 63), 2 ** 63 - 1
#: Dates the app answers for: documents, rollups and filters all live well inside this window.
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2100, 12, 31)
EARLIEST_MOMENT = datetime.combine(EARLIEST_DATE, time.min, tzinfo=timezone.utc)
LATEST_MOMENT = datetime.combine(LATEST_DATE, time.max, tzinfo=timezone.utc)


class InputRefused(ValueError):
    """A value from outside the app cannot be used; ``message`` says why, translatable."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


def fits_db_int(value: int) -> bool:
    return DB_INT_MIN <= value <= DB_INT_MAX


def int_arg(args, name: str, *, minimum: int = DB_INT_MIN, maximum: int = DB_INT_MAX) -> int | None:
    """A whole number from a query string, or None when absent; InputRefused when unusable."""
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise InputRefused(_l("Not a whole number.")) from None
    if not minimum <= value <= maximum:
        raise InputRefused(_l("Number out of range."))
    return value


def date_arg(args, name: str) -> date | None:
    """A YYYY-MM-DD date from a query string, or None when absent; InputRefused when unusable."""
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise InputRefused(_l("Invalid date: use YYYY-MM-DD.")) from None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise InputRefused(_l("Date out of range (%(first)s to %(last)s).", first=EARLIEST_DATE.isoformat(),
                              last=LATEST_DATE.isoformat()))
    return value


def date_range(args, first_name: str = "from", last_name: str = "to", *, max_days: int | None = None,
               default: tuple[date | None, date | None] = (None, None)) -> tuple[date | None, date | None]:
    """Two dates of a filter; the start not after the end, the span (days, both included) bounded."""
    first, last = date_arg(args, first_name), date_arg(args, last_name)
    first = first if first is not None else default[0]
    last = last if last is not None else default[1]
    if first and last:
        if first > last:
            raise InputRefused(_l("The start date must be before the end date."))
        if max_days is not None and (last - first).days + 1 > max_days:
            raise InputRefused(_l("The date range is at most %(days)d days.", days=max_days))
    return first, last


def callback_moment(value, *, per_second: int = 1) -> datetime | None:
    """A partner's Unix timestamp (seconds, or ms with ``per_second=1000``); ValueError if not one."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError("the timestamp is not a number")
    if not EARLIEST_MOMENT.timestamp() <= value / per_second <= LATEST_MOMENT.timestamp():
        raise ValueError("the timestamp is out of range")
    return datetime.fromtimestamp(value / per_second, tz=timezone.utc)


# -- text ---------------------------------------------------------------------------------------
CONTROL_MESSAGE = _l("This field contains characters that are not allowed.")


def has_control_characters(text: str) -> bool:
    """NUL, newlines, escapes and other invisible controls: never part of a name, number or e-mail."""
    return any(unicodedata.category(ch) == "Cc" for ch in text)


class NoControlCharacters:
    """WTForms validator for one-line fields (PostgreSQL would refuse a NUL with a 500)."""

    def __call__(self, form, field):
        if isinstance(field.data, str) and has_control_characters(field.data):
            raise ValidationError(str(CONTROL_MESSAGE))


def no_control_characters(value: str) -> None:
    """The marshmallow twin of NoControlCharacters, for the API's input schemas."""
    if isinstance(value, str) and has_control_characters(value):
        raise marshmallow.ValidationError("Contains control characters (such as NUL).")
