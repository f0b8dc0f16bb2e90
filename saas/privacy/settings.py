"""The ``[retention]`` section of tenant.toml: how many days each kind of personal data is kept
once its purpose is over. Optional: a city that says nothing keeps the defaults. (Addresses have
their own ``address_retention_days`` under ``[documents]``.)"""
from __future__ import annotations

from marshmallow import fields, validate

from saas.tenancy.settings import Section, Strict

DEFAULT_DAYS = {"recipients_days": 90, "messages_days": 90, "courier_callbacks_days": 30}


class RetentionSchema(Strict):
    #: names and phones of a finished trip's recipient and receiver
    recipients_days = fields.Integer(load_default=DEFAULT_DAYS["recipients_days"], validate=validate.Range(7, 730))
    #: a finished message's recipient, subject and body
    messages_days = fields.Integer(load_default=DEFAULT_DAYS["messages_days"], validate=validate.Range(7, 730))
    #: the raw body a courier called back with
    courier_callbacks_days = fields.Integer(load_default=DEFAULT_DAYS["courier_callbacks_days"],
                                            validate=validate.Range(7, 730))


SECTION = Section("retention", lambda: RetentionSchema, "retention_settings", required=False)


def retention_days(tenant, key: str) -> int:
    return int((tenant.retention_settings or {}).get(key, DEFAULT_DAYS[key]))
