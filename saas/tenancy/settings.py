"""The shape of ``tenants/<slug>/tenant.toml``, checked before anything is written.

The city's own sections (name, region, time zone, branding, office, kecamatan) live here; each
capability registers its own section (``documents``, ``pickup``, ``couriers``, ``notifications``)
with ``register_section`` from its ``wire``, with the Tenant column it lands in and, if it
reads more files from the city's folder, a folder check. A typo or an impossible value is
refused by ``tenants sync`` with the file and field named, never discovered by a citizen.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Callable

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from saas.tenancy.regions import kelurahan_of, kemendagri_name, same_place

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


def latitude_field(**kw):
    return fields.Float(validate=validate.Range(-11.5, 6.5, error="Latitude outside Indonesia."), **kw)


def longitude_field(**kw):
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
    latitude = latitude_field(required=True)
    longitude = longitude_field(required=True)
    opening_hours = fields.List(fields.Nested(OpeningHoursSchema), required=True,
                                validate=validate.Length(min=1))


class KecamatanSchema(Strict):
    code = fields.String(required=True, validate=validate.Regexp(
        r"^\d{2}\.\d{2}\.\d{2}$", error="Write a kecamatan code as PP.KK.CC."))
    name = fields.String(required=True, validate=validate.Length(min=2))
    kelurahan = fields.List(fields.String(validate=validate.Length(min=2)), load_default=list)
    # Roughly the middle of the kecamatan: a courier price when the citizen shares no location.
    latitude = latitude_field(load_default=None)
    longitude = longitude_field(load_default=None)


@dataclass(frozen=True)
class Section:
    """One capability's part of tenant.toml."""

    name: str  # the TOML table, e.g. "couriers"
    schema: Callable[[], type[Schema]]  # called when the file schema is built (may read registries)
    column: str  # the Tenant column it is stored in
    required: bool = True
    #: ``check(folder Path, spec dict) -> (extras dict of Tenant columns, problems [(file, field, why)])``
    folder_check: Callable | None = None


SECTIONS: dict[str, Section] = {}
#: The city's own sections and the Tenant column each lands in.
CORE_COLUMNS = {"name": "name", "city_name": "city_name", "region_code": "region_code", "timezone": "timezone",
                "go_live": "go_live_date", "branding": "branding", "office": "office", "kecamatan": "areas"}
_built: dict[str, type[Schema]] = {}


def register_section(section: Section) -> None:
    SECTIONS[section.name] = section
    _built.clear()


def section_columns() -> dict[str, str]:
    return {**CORE_COLUMNS, **{name: section.column for name, section in SECTIONS.items()}}


def tenant_file_schema() -> type[Schema]:
    """The whole file's schema: the core below, with every registered section."""
    if "file" not in _built:
        fields_of_sections = {}
        for name, section in SECTIONS.items():
            schema = section.schema()
            fields_of_sections[name] = (fields.Nested(schema, required=True) if section.required
                                        else fields.Nested(schema, load_default=lambda s=schema: s().load({})))
        _built["file"] = type("TenantFileSchema", (TenantFileCore,), fields_of_sections)
    return _built["file"]


class TenantFileCore(Strict):
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
        for area in data.get("kecamatan", []):
            if not same_place(area["code"], area["name"]):
                raise ValidationError(f"Kecamatan {area['code']} is {kemendagri_name(area['code'])} in Kemendagri's "
                                      f"list, not {area['name']}.", "kecamatan")

    @post_load
    def _tidy(self, data, **kwargs):
        data["kecamatan"] = sorted(data["kecamatan"], key=lambda k: k["code"])
        for area in data["kecamatan"]:
            if not area.get("kelurahan"):
                area["kelurahan"] = [name for _code, name in kelurahan_of(area["code"])]
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
