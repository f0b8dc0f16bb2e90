"""A city's JSON API (``/api/v1/<slug>/…``), with its city's Bearer token."""
from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, request
from marshmallow import EXCLUDE, ValidationError

from saas.api.schemas import (
    CreatedSchema,
    DocumentDetailSchema,
    DocumentPageSchema,
    DocumentsInSchema,
    PublicStatusInSchema,
    TransitionInSchema,
)
from saas.accounts.services import log_staff_access
from saas.couriers.models import DELIVERY_STATUS_LABELS
from saas.api.services import token_from_header
from saas.documents.lifecycle import Actor, TransitionRefused, transition
from saas.documents.models import DOCUMENT_TYPE_LABELS, STATUS_LABELS, STATUSES, Document
from saas.documents.services import (
    REASON_DUPLICATE,
    REASON_EXISTS,
    DocumentRules,
    existing_registration_numbers,
    get_document,
    register_many,
)
from saas.extensions import csrf, db, limiter
from saas.documents import lookup_limits
from saas.forms_input import InputRefused, int_arg
from saas.tenancy.scope import current_tenant
from saas.tenancy.web import city_blueprint

bp = city_blueprint("api", __name__, api=True)
csrf.exempt(bp)
meta = Blueprint("api_meta", __name__, url_prefix="/api/v1")


def error(status: int, code: str, message: str, **extra):
    response = jsonify({"error": code, "message": message, **extra})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="antar"'
    return response


def city_token_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        token = token_from_header(request.headers.get("Authorization"))
        if token is None:
            return error(401, "unauthorized", "A valid API token is needed: Authorization: Bearer …")
        if token.tenant_id != current_tenant.id:
            return error(404, "not_found", "No such resource.")
        g.api_token = token
        return view(*args, **kwargs)

    return wrapped


def _token_key() -> str:
    token = g.get("api_token")
    return f"api:{token.id}" if token else f"api-ip:{request.remote_addr}"


api_limit = limiter.shared_limit("600 per minute", scope="city-api", key_func=_token_key)


def _actor() -> Actor:
    return Actor.system(f"API: {g.api_token.name}")


def _token_document(registration_no: str) -> Document | None:
    """The document, if it is of the token's kind: a test token never sees nor moves a real
    document (marking one ready would message a citizen), a live token never a test one."""
    document = get_document(registration_no.upper())
    if document is None or document.is_test != g.api_token.is_test:
        return None
    return document


@bp.post("/documents")
@city_token_required
@api_limit
def create_documents():
    try:
        payload = DocumentsInSchema().load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        return error(400, "invalid", "The body must be {\"documents\": [ … ]} with 1 to 1000 items.",
                     fields=exc.messages)
    rules = DocumentRules(current_tenant)
    checked, errors, seen = [], [], set()
    for index, raw in enumerate(payload["documents"]):
        item = rules.check(raw)
        number = item.values.get("registration_no") if item.ok else str(raw.get("registration_no") or "") or None
        if item.ok and number in seen:
            item.refuse("registration_no", "Listed twice in this request.", REASON_DUPLICATE)
        if item.ok:
            seen.add(number)
            checked.append((index, item))
        else:
            errors.append({"index": index, "registration_no": number, "reason": item.reason,
                           "errors": item.errors})
    existing = existing_registration_numbers([item.values["registration_no"] for _, item in checked])
    # A live script tried earlier with a test token finds its numbers taken: say by what.
    held_by_tests = set()
    if existing and not g.api_token.is_test:
        held_by_tests = set(db.session.scalars(sa.select(Document.registration_no).where(
            Document.registration_no.in_(sorted(existing)), Document.is_test.is_(True))))
    fresh = []
    for index, item in checked:
        if item.values["registration_no"] in existing:
            said = ("Already registered, as test data (with a test token)."
                    if item.values["registration_no"] in held_by_tests else "Already registered.")
            errors.append({"index": index, "registration_no": item.values["registration_no"],
                           "reason": REASON_EXISTS, "errors": {"registration_no": said}})
        else:
            fresh.append(item)
    numbers = register_many(fresh, _actor(), note="API", is_test=g.api_token.is_test)
    db.session.commit()
    created = db.session.scalars(sa.select(Document).where(Document.registration_no.in_(numbers))
                                 .order_by(Document.id)).all() if numbers else []
    body = CreatedSchema().dump({"created": created, "errors": sorted(errors, key=lambda e: e["index"])})
    return jsonify(body), 201 if created else 422


@bp.get("/documents")
@city_token_required
@api_limit
def list_documents():
    unknown = sorted(set(request.args) - {"status", "doc_type", "page", "per_page"})
    if unknown:
        return error(422, "invalid", f"Unknown parameter: {unknown[0][:40]!r}; use status, doc_type, page, per_page.")
    statement = sa.select(Document).where(Document.is_test.is_(g.api_token.is_test))
    status, doc_type = request.args.get("status"), request.args.get("doc_type")
    if status:
        if status not in STATUSES:
            return error(422, "invalid", f"Unknown status; use one of: {', '.join(STATUSES)}.")
        statement = statement.where(Document.status == status)
    if doc_type:
        if doc_type not in DOCUMENT_TYPE_LABELS:
            return error(422, "invalid", f"Unknown doc_type; use one of: {', '.join(DOCUMENT_TYPE_LABELS)}.")
        statement = statement.where(Document.doc_type == doc_type)
    try:  # bounded so that the offset, page × per_page, stays a 64-bit number
        page = int_arg(request.args, "page", maximum=10 ** 9)
        per_page = int_arg(request.args, "per_page", maximum=10 ** 9)
    except InputRefused:
        page = per_page = 0
    page = 1 if "page" not in request.args else page
    per_page = 100 if "per_page" not in request.args else per_page
    if not (page and 1 <= page <= 10 ** 9 and per_page and 1 <= per_page <= 500):
        return error(422, "invalid", "page is a whole number from 1 to 1000000000, per_page from 1 to 500.")
    pagination = db.paginate(statement.order_by(Document.id.desc()), page=page, per_page=per_page,
                             error_out=False)
    log_staff_access(None, "api_list_documents", f"page {page}", request.remote_addr, api_token=g.api_token)
    db.session.commit()
    return jsonify(DocumentPageSchema().dump({
        "documents": pagination.items, "page": page, "per_page": per_page,
        "total": pagination.total, "pages": pagination.pages,
    }))


@bp.get("/documents/<registration_no>")
@city_token_required
@api_limit
def get_one(registration_no: str):
    document = _token_document(registration_no)
    if document is None:
        return error(404, "not_found", "No such document in this city.")
    log_staff_access(None, "api_view_document", document.registration_no, request.remote_addr, api_token=g.api_token)
    db.session.commit()
    return jsonify(DocumentDetailSchema().dump(document))


@bp.post("/documents/<registration_no>/transitions")
@city_token_required
@api_limit
def move(registration_no: str):
    document = _token_document(registration_no)
    if document is None:
        return error(404, "not_found", "No such document in this city.")
    try:
        body = TransitionInSchema().load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        return error(422, "invalid", "The body must be {\"to\": status, \"note\"?: text}.", fields=exc.messages)
    try:
        transition(document, body["to"], _actor(), body.get("note"))
    except TransitionRefused as exc:
        db.session.rollback()
        return error(409, "transition_refused", str(exc.message), current_status=document.status)
    db.session.commit()
    return jsonify(DocumentDetailSchema().dump(document))


@meta.get("/openapi.json")
def openapi():
    from saas.api.openapi import build_spec

    return jsonify(build_spec())


# -- the citizens' JSON twin of the lookup ---------------------------------------------------------------
_STATUS_IN = PublicStatusInSchema()  # made once: building a schema cost as much as loading with it


@bp.post("/public/status")
@lookup_limits.per_address_and_number  # the portal's counters: two doors, one budget
def public_status():
    """Registration number + NIK → status and next steps; one and the same 404 for every miss."""
    from saas.portal.services import document_status, next_steps_in

    try:
        body = _STATUS_IN.load(request.get_json(silent=True) or {}, unknown=EXCLUDE)
    except ValidationError as exc:
        return error(400, "invalid", "Send JSON: {\"registration_no\": …, \"nik\": …}.", fields=exc.messages)
    found = document_status(body["registration_no"], body["nik"])
    if found is None:
        return error(404, "not_found", "No document matches this registration number and NIK.")
    return jsonify({
        "registration_no": found.registration_no, "doc_type": found.doc_type,
        "status": found.status, "status_label": str(STATUS_LABELS.get(found.status, found.status)),
        "next_steps": next_steps_in(found.status),
        "delivery": None if found.delivery_id is None else {
            "status": found.delivery_status,
            "status_label": str(DELIVERY_STATUS_LABELS.get(found.delivery_status, found.delivery_status)),
            "provider": found.provider, "seal_number": found.seal_number},
    })
