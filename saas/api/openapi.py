"""The OpenAPI 3 document of the whole API, built from the marshmallow schemas (apispec)."""
from __future__ import annotations

from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from saas.api import schemas
from saas.documents.models import DOCUMENT_TYPE_LABELS, STATUSES

#: Other capabilities add their paths here, from their ``wire`` (``add_path``): path → {method: operation}.
EXTRA_PATHS: dict[str, dict] = {}
#: ... and the schemas those paths name: name → a marshmallow schema class or a plain OpenAPI dict.
EXTRA_SCHEMAS: dict[str, object] = {}


def add_path(path: str, operations: dict, schemas: dict | None = None) -> None:
    """A capability above ``api`` documents its own API path (idempotent: wired once per app)."""
    EXTRA_PATHS[path] = operations
    EXTRA_SCHEMAS.update(schemas or {})
    build_spec.cache_clear()


def json_response(schema: str, description: str) -> dict:
    return _json(schema, description)

_CITY = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
         "description": "The city, e.g. balikpapan"}
#: No control character (C0, DEL, C1) anywhere: what every text field of the API accepts.
_PRINTABLE = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
_REG = {"name": "registration_no", "in": "path", "required": True, "schema": {"type": "string"}}


def _json(schema: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


_ERRORS = {
    "401": _json("Error", "Missing or revoked token"),
    "404": _json("Error", "Not in this city (a token of another city gets this too)"),
    "503": _json("Error", "The city is suspended"),
}


@lru_cache(maxsize=1)
def build_spec() -> dict:
    spec = APISpec(title="Antar API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "City APIs (a city's Bearer token) and the platform API "
                                        "(a platform token). Errors are JSON: {error, message}. A city's token is "
                                        "live (antar_live_…) or test (antar_test_…): a test token answers exactly as a "
                                        "live one, but the documents it registers are test data (\"test\": true), seen "
                                        "and moved by test tokens only, never messaged nor sent by courier."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    # Nested schemas first: the plugin would otherwise register them under the same names.
    for name in ("EventOut", "ItemError", "DocumentIn", "DocumentOut", "DocumentDetail", "DocumentsIn",
                 "Created", "DocumentPage", "TransitionIn", "Error"):
        spec.components.schema(name, schema=getattr(schemas, f"{name}Schema"))
    for name, schema in EXTRA_SCHEMAS.items():
        if isinstance(schema, dict):
            spec.components.schema(name, component=schema)
        else:
            spec.components.schema(name, schema=schema)
    secured = [{"bearer": []}]
    spec.path(path="/api/v1/{slug}/documents", operations={
        "post": {"summary": "Register finished documents (per-item errors, the rest created)",
                 "security": secured, "parameters": [_CITY],
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"$ref": "#/components/schemas/DocumentsIn"}}}},
                 "responses": {"201": _json("Created", "Created, with the refused items listed"),
                               "400": _json("Error", "Not {\"documents\": [ … ]} with 1 to 1000 objects"),
                               "422": _json("Created", "Nothing could be created: each item's reason is listed"),
                               **_ERRORS}},
        "get": {"summary": "List documents", "security": secured,
                "parameters": [_CITY] + [{"name": n, "in": "query", "schema": s} for n, s in (
                    ("status", {"type": "string", "enum": list(STATUSES)}),
                    ("doc_type", {"type": "string", "enum": list(DOCUMENT_TYPE_LABELS)}),
                    ("page", {"type": "integer", "minimum": 1, "maximum": 10 ** 9}),
                    ("per_page", {"type": "integer", "minimum": 1, "maximum": 500}))],
                "responses": {"200": _json("DocumentPage", "A page of documents, newest first"),
                              "422": _json("Error", "An unknown parameter, status or type, or a page that is no number"),
                              **_ERRORS}},
    })
    spec.path(path="/api/v1/{slug}/documents/{registration_no}", operations={
        "get": {"summary": "One document with its timeline", "security": secured,
                "parameters": [_CITY, _REG],
                "responses": {"200": _json("DocumentDetail", "The document (NIK masked)"), **_ERRORS}},
    })
    spec.path(path="/api/v1/{slug}/documents/{registration_no}/transitions", operations={
        "post": {"summary": "Move a document along its lifecycle", "security": secured,
                 "parameters": [_CITY, _REG],
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"$ref": "#/components/schemas/TransitionIn"}}}},
                 "responses": {"200": _json("DocumentDetail", "Moved"),
                               "409": _json("Error", "Not an allowed move; the message says why"),
                               **_ERRORS}},
    })
    spec.path(path="/api/v1/{slug}/public/status", operations={
        "post": {"summary": "A citizen's document status (no token; rate limited)", "parameters": [_CITY],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["registration_no", "nik"],
                     "properties": {"registration_no": {"type": "string", "maxLength": 40, "pattern": _PRINTABLE},
                                    "nik": {"type": "string", "maxLength": 25, "pattern": _PRINTABLE}}}}}},
                 "responses": {"200": {"description": "status, status_label, next_steps, delivery"},
                               "400": _json("Error", "Not {registration_no, nik} as text, or a control character in it"),
                               "404": _json("Error", "No match: the same answer whatever was wrong"),
                               "429": {"description": "Too many look-ups"}}},
    })
    for path, operations in EXTRA_PATHS.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    # The list is loaded as plain objects (each item is checked on its own, refused one by one), but
    # what a caller must send is a DocumentIn: say so.
    document["components"]["schemas"]["DocumentsIn"]["properties"]["documents"]["items"] = {
        "$ref": "#/components/schemas/DocumentIn"}
    return document
