"""The ``[pickup]`` section of tenant.toml: the office's pickup slots."""
from __future__ import annotations

from marshmallow import fields, validate

from saas.tenancy.settings import Section, Strict


class PickupSettingsSchema(Strict):
    slot_minutes = fields.Integer(load_default=30, validate=validate.OneOf((10, 15, 20, 30, 45, 60)))
    capacity_per_slot = fields.Integer(load_default=10, validate=validate.Range(1, 200))
    booking_days_ahead = fields.Integer(load_default=7, validate=validate.Range(1, 30))


SECTION = Section("pickup", lambda: PickupSettingsSchema, "pickup_settings", required=False)
