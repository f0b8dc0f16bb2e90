"""HTTP twins of the Python controls, for a sandbox running in another process (demo, browser tests)."""
from __future__ import annotations

import functools

from flask import jsonify, request

from saas.sandboxes.messages import messages_bp, receipts, store


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")
    return body


def admin_endpoint(view):
    """Bad input to a control answers 400 (404 for an unknown message) with the reason."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ValueError as error:
            return jsonify({"error": str(error)}), 400
        except LookupError as error:
            return jsonify({"error": str(error.args[0] if error.args else error)}), 404

    return wrapper


@messages_bp.post("/_admin/messages/reset")
@admin_endpoint
def admin_reset():
    store.reset()
    return {"reset": True}


@messages_bp.get("/_admin/messages/failure")
@admin_endpoint
def admin_failures():
    return {"failures": store.failures()}


@messages_bp.put("/_admin/messages/failure")
@admin_endpoint
def admin_set_failure():
    body = json_body()
    store.set_failure(body.get("channel"), body.get("mode"), body.get("count"), body.get("timeout_seconds"))
    return {"failures": store.failures()}


@messages_bp.put("/_admin/messages/receipts")
@admin_endpoint
def admin_receipt_settings():
    body = json_body()
    if "mode" in body:
        store.set_receipt_mode(body["mode"])
    if "delay" in body:
        store.set_receipt_delay(body["delay"])
    with store.lock:
        return {"mode": store.state.receipt_mode, "delay": store.state.receipt_delay}


@messages_bp.get("/_admin/messages/receipts")
@admin_endpoint
def admin_receipt_log():
    return {"receipts": store.receipt_log(request.args.get("channel") or None)}


@messages_bp.post("/_admin/messages/receipts/deliver")
@admin_endpoint
def admin_deliver_receipts():
    return {"receipts": receipts.deliver_receipts()}


@messages_bp.get("/_admin/messages/rejected")
@admin_endpoint
def admin_rejected():
    return {"rejected": store.rejected(request.args.get("channel") or None)}
