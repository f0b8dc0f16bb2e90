"""The WSGI apps the web benchmark serves with gunicorn: Antar itself, and the bare-Flask ceilings.

``antar`` is ``create_app()`` as production runs it, with the look-up limits raised so that every
request is counted by the limiter (its cost stays in the figures) but none is refused. ``ceiling``
is Flask with nothing else: a GET, a JSON answer, and the status look-up's own SQL (the NIK's keyed
hash, the document by city and registration number, its delivery) on a plain SQLAlchemy pool.

    gunicorn tests.benchmarks.web_servers:antar
    gunicorn tests.benchmarks.web_servers:ceiling
"""
from __future__ import annotations

import os

HUGE_LIMIT = "1000000000 per minute"


def _antar():
    from saas import create_app

    return create_app({"LOOKUP_RATE_LIMIT": HUGE_LIMIT, "LOOKUP_NUMBER_RATE_LIMIT": HUGE_LIMIT})


def _ceiling():
    import hashlib
    import hmac

    import sqlalchemy as sa
    from flask import Flask, jsonify, request

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(url, pool_size=10, max_overflow=10)
    hash_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"antar",  # as saas.documents.identity
                    info=b"identity-hash").derive(os.environ["ANTAR_DATA_KEY"].encode())
    with engine.connect() as conn:
        tenant_ids = dict(conn.execute(sa.text("SELECT slug, id FROM tenant")).all())
    document_sql = sa.text(
        "SELECT id, registration_no, doc_type, status, delivery_id FROM document "
        "WHERE tenant_id = :tenant AND registration_no = :number AND nik_hash = :nik_hash")
    delivery_sql = sa.text("SELECT status, provider, seal_number FROM delivery WHERE tenant_id = :tenant AND id = :id")
    app = Flask(__name__)

    @app.get("/<slug>/")
    def page(slug):
        return "<!doctype html><title>Antar</title><p>Bare Flask.</p>"

    @app.post("/json")
    def json_answer():
        body = request.get_json(silent=True) or {}
        return jsonify({"registration_no": body.get("registration_no"), "status": "ready"})

    @app.post("/api/v1/<slug>/public/status")
    def status(slug):
        body = request.get_json(silent=True) or {}
        tenant = tenant_ids.get(slug)
        nik_hash = hmac.new(hash_key, str(body.get("nik", "")).encode(), hashlib.sha256).hexdigest()
        with engine.connect() as conn:
            row = conn.execute(document_sql, {"tenant": tenant, "number": str(body.get("registration_no", "")).upper(),
                                              "nik_hash": nik_hash}).first()
            if row is None:
                return jsonify({"error": "not_found"}), 404
            delivery = None
            if row.delivery_id is not None:
                found = conn.execute(delivery_sql, {"tenant": tenant, "id": row.delivery_id}).first()
                delivery = dict(found._mapping) if found else None
        return jsonify({"registration_no": row.registration_no, "doc_type": row.doc_type, "status": row.status,
                        "delivery": delivery})

    return app


def __getattr__(name):  # gunicorn imports one of the two; building both would double the import
    if name == "antar":
        return _antar()
    if name == "ceiling":
        return _ceiling()
    raise AttributeError(name)
