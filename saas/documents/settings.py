"""The ``[documents]`` section of tenant.toml: which documents the city delivers, and to whom."""
from __future__ import annotations

from marshmallow import fields, validate

from saas.documents.desks import RULE_ALLOWS
from saas.documents.models import DOCUMENT_TYPE_LABELS
from saas.tenancy.settings import Section, Strict

COLLECTION_RULES = tuple(RULE_ALLOWS)


class DocumentSettingsSchema(Strict):
    types = fields.List(fields.String(validate=validate.OneOf(tuple(DOCUMENT_TYPE_LABELS))), required=True,
                        validate=validate.Length(min=1))
    collection_rule = fields.String(required=True, validate=validate.OneOf(tuple(RULE_ALLOWS)))
    link_valid_days = fields.Integer(load_default=14, validate=validate.Range(1, 90))
    address_retention_days = fields.Integer(load_default=90, validate=validate.Range(7, 365))


SECTION = Section("documents", lambda: DocumentSettingsSchema, "document_settings")
