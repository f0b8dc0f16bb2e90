"""What the API accepts and answers, as marshmallow schemas (they also make the OpenAPI document)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from saas.documents.models import DOCUMENT_TYPE_LABELS, STATUSES
from saas.forms_input import no_control_characters


class DocumentInSchema(Schema):
    registration_no = fields.String(required=True, metadata={"example": "6471-KTP-20261127-0001"})
    nik = fields.String(required=True, metadata={"description": "16 digits; stored encrypted, answered masked"})
    name = fields.String(required=True)
    doc_type = fields.String(required=True, validate=validate.OneOf(tuple(DOCUMENT_TYPE_LABELS)))
    phone = fields.String(required=True, metadata={"example": "081234567890"})
    email = fields.String(load_default=None)
    kk_number = fields.String(load_default=None)
    kecamatan = fields.String(load_default=None, metadata={"description": "code (64.71.05) or name"})


class PublicStatusInSchema(Schema):
    """The citizens' lookup: the same two fields as the portal's form, refused the same way."""
    registration_no = fields.String(required=True, validate=[validate.Length(max=40), no_control_characters])
    nik = fields.String(required=True, validate=[validate.Length(max=25), no_control_characters])


class DocumentsInSchema(Schema):
    documents = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=1000),
                            metadata={"items": {"$ref": "#/components/schemas/DocumentIn"}})


class EventOutSchema(Schema):
    to_status = fields.String()
    from_status = fields.String(allow_none=True)
    actor_kind = fields.String()
    note = fields.String(allow_none=True)
    at = fields.DateTime()


class DocumentOutSchema(Schema):
    registration_no = fields.String()
    doc_type = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    owner_name = fields.String()
    nik_masked = fields.String(metadata={"example": "6471**********01"})
    kecamatan_code = fields.String(allow_none=True)
    created_at = fields.DateTime()
    ready_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    test = fields.Boolean(attribute="is_test",
                          metadata={"description": "made with a test token: never messaged nor sent by courier"})


class DocumentDetailSchema(DocumentOutSchema):
    events = fields.List(fields.Nested(EventOutSchema))


class ItemErrorSchema(Schema):
    index = fields.Integer()
    registration_no = fields.String(allow_none=True)
    reason = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.String())


class CreatedSchema(Schema):
    created = fields.List(fields.Nested(DocumentOutSchema))
    errors = fields.List(fields.Nested(ItemErrorSchema))


class DocumentPageSchema(Schema):
    documents = fields.List(fields.Nested(DocumentOutSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class TransitionInSchema(Schema):
    to = fields.String(required=True, validate=validate.OneOf(STATUSES))
    note = fields.String(load_default=None, validate=validate.Length(max=500))


class ErrorSchema(Schema):
    error = fields.String()
    message = fields.String()
    fields_ = fields.Dict(data_key="fields")
