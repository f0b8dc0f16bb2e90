"""Words and dates as a citizen reads them: Bahasa Indonesia first, in the city's own time."""
from __future__ import annotations

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, get_translations, gettext
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from markupsafe import Markup

WEEKDAY_NAMES = {
    "mon": _l("Monday"), "tue": _l("Tuesday"), "wed": _l("Wednesday"), "thu": _l("Thursday"),
    "fri": _l("Friday"), "sat": _l("Saturday"), "sun": _l("Sunday"),
}


#: WTForms' own messages (it ships no Indonesian), so a form's errors come in the reader's language.
WTFORMS_MESSAGES = (
    _l("This field is required."), _l("Not a valid choice."), _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Not a valid decimal value."), _l("Not a valid integer value."), _l("Invalid input."),
    _l("'%(value)s' is not a valid choice for this field."),
    _l("'%(value)s' are not valid choices for this field."),
    _l("Field must be at least %(min)d character long."), _l("Field must be at least %(min)d characters long."),
    _l("Field cannot be longer than %(max)d character."), _l("Field cannot be longer than %(max)d characters."),
    _l("Field must be between %(min)d and %(max)d characters long."),
)


class FormTranslations:
    """WTForms' messages through the app's own catalog (``Meta.get_translations`` of a form)."""

    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)


class TranslatedMeta:
    """Mix into a FlaskForm's ``Meta``: its built-in error messages speak Bahasa Indonesia too."""

    def get_translations(self, form):
        return FormTranslations()


def weekday_name(code: str) -> str:
    return str(WEEKDAY_NAMES.get(code, code))


def local_datetime(moment, fmt: str = "d MMMM y, HH.mm") -> str:
    """A UTC moment shown in the city's time zone (Babel's timezone selector picks the city)."""
    if moment is None:
        return ""
    return format_datetime(moment, fmt)


def local_date(value, fmt: str = "EEEE, d MMMM y") -> str:
    if value is None:
        return ""
    return format_date(value, fmt)


def rupiah(amount) -> str:
    """Rp15.000 in Indonesian, Rp15,000 in English."""
    return "Rp" + format_decimal(int(amount or 0), format="#,##0")


def kilometres(distance) -> str:
    """0,8 km in Indonesian, 0.8 km in English."""
    return format_decimal(float(distance or 0), format="#,##0.0") + " km"


def number(value) -> str:
    """A count with the language's thousands separator (1.234 / 1,234)."""
    return format_decimal(value or 0, format="#,##0.##")


ZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def zone_abbreviation(timezone_name: str) -> str:
    """What Indonesians call the city's time (WIB, WITA, WIT), never the IANA name."""
    return ZONE_ABBREVIATIONS.get(timezone_name, timezone_name)


def clock(hhmm: str) -> str:
    """A time of day as the reader writes it: 08.00 in Indonesian, 08:00 in English."""
    from flask_babel import get_locale

    try:
        english = str(get_locale() or "id").startswith("en")
    except (RuntimeError, KeyError):
        english = False
    return hhmm if english else hhmm.replace(":", ".")


def wa_number(phone: str | None) -> str:
    """A phone number as WhatsApp's click-to-chat link wants it: digits only, country code first."""
    digits = "".join(c for c in phone or "" if c.isdigit())
    return "62" + digits[1:] if digits.startswith("0") else digits


def kecamatan_name(code: str | None, tenant) -> str:
    for area in tenant.areas if tenant else ():
        if area["code"] == code:
            return area["name"]
    return code or ""


def bound_translations() -> dict:
    """A template's ``_()``, ``gettext`` and ``ngettext``, bound to the page's catalogue once per
    render. Flask-Babel's own look the locale and the catalogue up again for every string (a fifth
    of the portal home's time in a profile); these behave the same (Jinja's "newstyle" gettext:
    always ``%``-formatted, marked safe where the template autoescapes, variables escaped)."""
    translations = get_translations()
    singular, plural = translations.ugettext, translations.ungettext

    @pass_context
    def bound_gettext(context, string, **variables):
        text = singular(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    @pass_context
    def bound_ngettext(context, one, many, num, **variables):
        variables.setdefault("num", num)
        text = plural(one, many, num)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return {"gettext": bound_gettext, "ngettext": bound_ngettext}


def init_app(app: Flask) -> None:
    from saas.security import mask_email

    app.context_processor(bound_translations)

    app.add_template_filter(mask_email, "mask_email")
    app.add_template_filter(kecamatan_name, "kecamatan_name")
    app.add_template_filter(weekday_name, "weekday_name")
    app.add_template_filter(wa_number, "wa_number")
    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(zone_abbreviation, "zone_abbreviation")
    app.add_template_filter(rupiah, "rupiah")
    app.add_template_filter(kilometres, "km")
    app.add_template_filter(number, "number")
