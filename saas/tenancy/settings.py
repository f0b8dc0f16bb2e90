"""The shape of ``tenants/<slug>/tenant.toml``, checked before anything is written.

Every section a city can set lives here, so a typo or an impossible value is refused by
``tenants sync`` with the file and field named, never discovered by a citizen.
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

DOCUMENT_TYPES = ("ktp_el", "kia", "kk", "skpwni", "akta_kelahiran", "akta_kematian")
COLLECTION_RULES = ("owner_only", "family_kk", "owner_or_proxy")
COURIER_MODES = ("office_booking", "citizen_link")
CHANNELS = ("whatsapp", "sms", "email")
PAYERS = ("citizen", "office")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Indonesia keeps three offsets under four IANA names (Pontianak is WIB as well).
INDONESIAN_TIMEZONES = ("Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura")
RESERVED_SLUGS = frozenset(
    {"admin", "api", "static", "sandbox", "webhooks", "healthz", "readyz", "office", "login",
     "logout", "assets", "favicon.ico", "robots.txt"}
)

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
_SLUG = re.compile(r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$")


class Strict(Schema):
    class Meta:
        unknown = RAISE


def _relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours."""
    la, lb = sorted((_relative_luminance(a), _relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


class Colour(fields.String):
    default_error_messages = {"colour": "Not a colour: write it as #rrggbb."}

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not _HEX.match(value):
            raise self.make_error("colour")
        return value.lower()


class ClockTime(fields.String):
    default_error_messages = {"clock": "Not a time of day: write it as HH:MM (24-hour)."}

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not _HHMM.match(value):
            raise self.make_error("clock")
        return value


class EnvName(fields.String):
    """The name of an environment variable holding a secret; the secret never sits in the file."""

    default_error_messages = {
        "env": "Name an environment variable (CAPITALS_AND_UNDERSCORES), not the secret itself."
    }

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not _ENV_NAME.match(value):
            raise self.make_error("env")
        return value


class TomlDate(fields.Field):
    default_error_messages = {"date": "Not a date: write it as YYYY-MM-DD."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        raise self.make_error("date")


def _latitude(**kw):
    return fields.Float(validate=validate.Range(-11.5, 6.5, error="Latitude outside Indonesia."), **kw)


def _longitude(**kw):
    return fields.Float(validate=validate.Range(94.5, 141.5, error="Longitude outside Indonesia."), **kw)


class BrandingSchema(Strict):
    primary_color = Colour(required=True)
    accent_color = Colour(required=True)
    text_on_primary = Colour(load_default="#ffffff")
    tagline = fields.String(load_default="")
    tagline_en = fields.String(load_default="")

    @validates_schema
    def _readable(self, data, **kwargs):
        ratio = contrast_ratio(data["primary_color"], data["text_on_primary"])
        if ratio < 4.5:
            raise ValidationError(
                f"Text on the primary colour has contrast {ratio:.1f}:1; at least 4.5:1 is needed.",
                "text_on_primary",
            )


class OpeningHoursSchema(Strict):
    days = fields.List(fields.String(validate=validate.OneOf(WEEKDAYS)), required=True,
                       validate=validate.Length(min=1))
    open = ClockTime(required=True)
    close = ClockTime(required=True)

    @validates_schema
    def _order(self, data, **kwargs):
        if data["open"] >= data["close"]:
            raise ValidationError("Closing time must be after opening time.", "close")


class OfficeSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(min=3))
    address = fields.String(required=True, validate=validate.Length(min=10))
    phone = fields.String(required=True, validate=validate.Regexp(r"^\+62\d{7,13}$",
                          error="Write the phone number as +62…"))
    whatsapp = fields.String(load_default=None, validate=validate.Regexp(
        r"^\+62\d{7,13}$", error="Write the WhatsApp number as +62…"))
    email = fields.Email(required=True)
    website = fields.Url(load_default=None)
    latitude = _latitude(required=True)
    longitude = _longitude(required=True)
    opening_hours = fields.List(fields.Nested(OpeningHoursSchema), required=True,
                                validate=validate.Length(min=1))


class KecamatanSchema(Strict):
    code = fields.String(required=True, validate=validate.Regexp(
        r"^\d{2}\.\d{2}\.\d{2}$", error="Write a kecamatan code as PP.KK.CC."))
    name = fields.String(required=True, validate=validate.Length(min=2))
    kelurahan = fields.List(fields.String(validate=validate.Length(min=2)), load_default=list)
    # Roughly the middle of the kecamatan: a courier price when the citizen shares no location.
    latitude = _latitude(load_default=None)
    longitude = _longitude(load_default=None)


class DocumentSettingsSchema(Strict):
    types = fields.List(fields.String(validate=validate.OneOf(DOCUMENT_TYPES)), required=True,
                        validate=validate.Length(min=1))
    collection_rule = fields.String(required=True, validate=validate.OneOf(COLLECTION_RULES))
    link_valid_days = fields.Integer(load_default=14, validate=validate.Range(1, 90))
    address_retention_days = fields.Integer(load_default=90, validate=validate.Range(7, 365))


class PickupSettingsSchema(Strict):
    slot_minutes = fields.Integer(load_default=30, validate=validate.OneOf((10, 15, 20, 30, 45, 60)))
    capacity_per_slot = fields.Integer(load_default=10, validate=validate.Range(1, 200))
    booking_days_ahead = fields.Integer(load_default=7, validate=validate.Range(1, 30))


class PickupPointSchema(Strict):
    name = fields.String(required=True)
    address = fields.String(required=True, validate=validate.Length(min=10))
    latitude = _latitude(required=True)
    longitude = _longitude(required=True)
    contact_name = fields.String(required=True)
    contact_phone = fields.String(required=True, validate=validate.Regexp(
        r"^\+628\d{8,11}$", error="Drivers call or chat a mobile number: write it as +628…"))


class ServiceHoursSchema(Strict):
    start = ClockTime(required=True)
    end = ClockTime(required=True)

    @validates_schema
    def _order(self, data, **kwargs):
        if data["start"] >= data["end"]:
            raise ValidationError("The end must be after the start.", "end")


class CourierSettingsBase(Strict):
    """What every city says about couriers; each provider adds its own ``[couriers.<name>]``."""

    mode = fields.String(required=True, validate=validate.OneOf(COURIER_MODES))
    providers = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    payer = fields.String(load_default="citizen", validate=validate.OneOf(PAYERS))
    max_distance_km = fields.Float(load_default=25.0, validate=validate.Range(1, 40))
    daily_quota = fields.Integer(load_default=100, validate=validate.Range(1, 5000))
    rebook_limit = fields.Integer(load_default=2, validate=validate.Range(0, 5))
    service_hours = fields.Nested(ServiceHoursSchema, required=True)
    pickup_point = fields.Nested(PickupPointSchema, required=True)

    @validates_schema
    def _provider_sections(self, data, **kwargs):
        from saas.couriers.providers import PROVIDERS

        for provider in data.get("providers", []):
            if provider not in PROVIDERS:
                raise ValidationError(f"Unknown courier '{provider}'; known: {', '.join(sorted(PROVIDERS))}.",
                                      "providers")
            if not data.get(provider):
                raise ValidationError(f"[couriers.{provider}] is needed when '{provider}' is enabled.",
                                      provider)
        if data.get("mode") == "citizen_link" and "gosend" not in data.get("providers", []):
            raise ValidationError("citizen_link mode is the Gojek app's way: enable 'gosend'.", "mode")


@lru_cache(maxsize=1)
def courier_settings_schema() -> type[Schema]:
    """The courier section's schema, with one sub-section per provider module found."""
    from saas.couriers.providers import PROVIDERS

    sections = {name: fields.Nested(cls.settings_schema, load_default=None)
                for name, cls in PROVIDERS.items() if cls.settings_schema}
    return type("CourierSettingsSchema", (CourierSettingsBase,), sections)


class WhatsAppSettingsSchema(Strict):
    phone_number_id_env = EnvName(required=True)
    access_token_env = EnvName(required=True)


class SmsSettingsSchema(Strict):
    userkey_env = EnvName(required=True)
    passkey_env = EnvName(required=True)


class EmailSettingsSchema(Strict):
    sender = fields.Email(required=True)
    reply_to = fields.Email(load_default=None)


class NotificationSettingsSchema(Strict):
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), required=True,
                           validate=validate.Length(min=1))
    language = fields.String(load_default="id", validate=validate.OneOf(("id", "en")))
    uncollected_reminder_days = fields.List(fields.Integer(validate=validate.Range(1, 90)),
                                            load_default=lambda: [7, 14])
    supervisor_digest = fields.Boolean(load_default=True)
    whatsapp = fields.Nested(WhatsAppSettingsSchema, load_default=None)
    sms = fields.Nested(SmsSettingsSchema, load_default=None)
    email = fields.Nested(EmailSettingsSchema, load_default=None)

    @validates_schema
    def _channel_sections(self, data, **kwargs):
        if len(set(data.get("channels", []))) != len(data.get("channels", [])):
            raise ValidationError("A channel is listed twice.", "channels")
        for channel in data.get("channels", []):
            if not data.get(channel):
                raise ValidationError(f"[notifications.{channel}] is needed when '{channel}' is used.",
                                      channel)


class TenantFileSchema(Strict):
    slug = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(min=5, max=200))
    city_name = fields.String(required=True, validate=validate.Length(min=3, max=120))
    region_code = fields.String(required=True, validate=validate.Regexp(
        r"^(1[1-9]|[2-9]\d)\.\d{2}$", error="Write the Kemendagri code as PP.KK (e.g. 64.71)."))
    timezone = fields.String(required=True, validate=validate.OneOf(
        INDONESIAN_TIMEZONES, error="Not an Indonesian time zone; use one of: {choices}."))
    go_live = TomlDate(load_default=None)
    branding = fields.Nested(BrandingSchema, required=True)
    office = fields.Nested(OfficeSchema, required=True)
    kecamatan = fields.List(fields.Nested(KecamatanSchema), required=True,
                            validate=validate.Length(min=1))
    documents = fields.Nested(DocumentSettingsSchema, required=True)
    pickup = fields.Nested(PickupSettingsSchema, load_default=lambda: PickupSettingsSchema().load({}))
    couriers = fields.Nested(lambda: courier_settings_schema()(), required=True)
    notifications = fields.Nested(NotificationSettingsSchema, required=True)

    @validates_schema
    def _consistent(self, data, **kwargs):
        slug = data.get("slug", "")
        if not _SLUG.match(slug) or slug in RESERVED_SLUGS:
            raise ValidationError("Use lowercase letters, digits and dashes, not a reserved word.", "slug")
        region = data.get("region_code", "")
        codes = [k["code"] for k in data.get("kecamatan", [])]
        for code in codes:
            if not code.startswith(region + "."):
                raise ValidationError(f"Kecamatan {code} is not inside region {region}.", "kecamatan")
        if len(set(codes)) != len(codes):
            raise ValidationError("A kecamatan code is listed twice.", "kecamatan")

    @post_load
    def _tidy(self, data, **kwargs):
        data["kecamatan"] = sorted(data["kecamatan"], key=lambda k: k["code"])
        return data


def flatten_errors(messages, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error dict → ``[("couriers.gosend.pass_key_env", "why"), …]``."""
    out: list[tuple[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            if isinstance(key, int):
                name = f"{prefix}[{key}]"
            out.extend(flatten_errors(value, name))
    elif isinstance(messages, list):
        for item in messages:
            if isinstance(item, (dict, list)):
                out.extend(flatten_errors(item, prefix))
            else:
                out.append((prefix or "(file)", str(item)))
    else:
        out.append((prefix or "(file)", str(messages)))
    return out
