"""The ``[notifications]`` section of tenant.toml, and the city's own message templates beside it."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from saas.notifications.templates import read_city_templates
from saas.tenancy.settings import ClockTime, EnvName, Section, Strict

CHANNELS = ("whatsapp", "sms", "email")


class WhatsAppSettingsSchema(Strict):
    phone_number_id_env = EnvName(required=True)
    access_token_env = EnvName(required=True)
    # Meta's throughput for this business number: 80/s by default, 1,000/s once upgraded.
    messages_per_second = fields.Integer(load_default=80, validate=validate.Range(1, 1000))


class SmsSettingsSchema(Strict):
    userkey_env = EnvName(required=True)
    passkey_env = EnvName(required=True)


class EmailSettingsSchema(Strict):
    sender = fields.Email(required=True)
    reply_to = fields.Email(load_default=None)


class QuietHoursSchema(Strict):
    """No reminders or digests between these local times (the span may cross midnight)."""

    start = ClockTime(load_default="21:00")
    end = ClockTime(load_default="07:00")


class NotificationSettingsSchema(Strict):
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), required=True,
                           validate=validate.Length(min=1))
    language = fields.String(load_default="id", validate=validate.OneOf(("id", "en")))
    uncollected_reminder_days = fields.List(fields.Integer(validate=validate.Range(1, 90)),
                                            load_default=lambda: [7, 14])
    supervisor_digest = fields.Boolean(load_default=True)
    quiet_hours = fields.Nested(QuietHoursSchema, load_default=lambda: QuietHoursSchema().load({}))
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


SECTION = Section("notifications", lambda: NotificationSettingsSchema, "notification_settings",
                  folder_check=read_city_templates)
