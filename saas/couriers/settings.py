"""The ``[couriers]`` section of tenant.toml: how the city sends couriers, and each provider's part."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from saas.couriers.providers import PROVIDERS
from saas.tenancy.settings import ClockTime, Section, Strict, latitude_field, longitude_field

COURIER_MODES = ("office_booking", "citizen_link")
PAYERS = ("citizen", "office")


class PickupPointSchema(Strict):
    name = fields.String(required=True)
    address = fields.String(required=True, validate=validate.Length(min=10))
    latitude = latitude_field(required=True)
    longitude = longitude_field(required=True)
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
        for provider in data.get("providers", []):
            if provider not in PROVIDERS:
                raise ValidationError(f"Unknown courier '{provider}'; known: {', '.join(sorted(PROVIDERS))}.",
                                      "providers")
            if not data.get(provider):
                raise ValidationError(f"[couriers.{provider}] is needed when '{provider}' is enabled.",
                                      provider)
        if data.get("mode") == "citizen_link" and "gosend" not in data.get("providers", []):
            raise ValidationError("citizen_link mode is the Gojek app's way: enable 'gosend'.", "mode")


def courier_settings_schema() -> type[Schema]:
    """The courier section's schema, with one sub-section per provider."""
    sections = {name: fields.Nested(cls.settings_schema, load_default=None)
                for name, cls in PROVIDERS.items() if cls.settings_schema}
    return type("CourierSettingsSchema", (CourierSettingsBase,), sections)


SECTION = Section("couriers", courier_settings_schema, "courier_settings")
