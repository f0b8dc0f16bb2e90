"""A fresh courier sandbox on a minimal app, and a real HTTP server standing in for Antar's webhooks."""
from __future__ import annotations

import threading

import pytest
from flask import Flask, request
from werkzeug.serving import make_server

from saas.sandboxes import couriers
from saas.sandboxes.couriers import couriers_bp, webhooks

GOSEND_CLIENT, GOSEND_PASS_KEY = "antar-balikpapan", "gosend-pass-key"
GRAB_CLIENT, GRAB_SECRET = "antar-grab-client", "grab-client-secret"
CALLBACK_TOKEN = "webhook-token-123"


class Receiver:
    """Records every callback; answers with the queued statuses first, then 200."""

    def __init__(self):
        self.calls: list[dict] = []
        self.replies: list[int] = []
        app = Flask("callback-receiver")

        @app.post("/hooks/<name>")
        def hook(name):
            self.calls.append({"hook": name, "authorization": request.headers.get("Authorization"),
                               "body": request.get_json()})
            return {"ok": True}, self.replies.pop(0) if self.replies else 200

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/{name}"

    def bodies(self, hook: str) -> list[dict]:
        return [call["body"] for call in self.calls if call["hook"] == hook]

    def statuses(self, hook: str) -> list[str]:
        return [body["status"] for body in self.bodies(hook)]

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture(autouse=True)
def fresh_sandbox(monkeypatch):
    couriers.reset()
    couriers.set_callback_mode("sync")
    monkeypatch.setattr(webhooks, "RETRY_BACKOFF", (0, 0, 0))
    yield
    couriers.reset()


@pytest.fixture
def sandbox():
    app = Flask("courier-sandbox-test")
    app.register_blueprint(couriers_bp, url_prefix="/sandbox")
    return app.test_client()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def gosend_auth(receiver) -> dict:
    """A registered Go-Send partner whose webhook is the receiver's "gosend" hook."""
    couriers.register_partner("gosend", GOSEND_CLIENT, GOSEND_PASS_KEY, receiver.url("gosend"), CALLBACK_TOKEN)
    return {"Client-ID": GOSEND_CLIENT, "Pass-Key": GOSEND_PASS_KEY}


@pytest.fixture
def grab_auth(receiver, sandbox) -> dict:
    """A registered Grab partner holding a fresh Bearer token."""
    couriers.register_partner("grab", GRAB_CLIENT, GRAB_SECRET, receiver.url("grab"), CALLBACK_TOKEN)
    response = sandbox.post("/sandbox/grab/grabid/v1/oauth2/token", json={
        "client_id": GRAB_CLIENT, "client_secret": GRAB_SECRET, "grant_type": "client_credentials",
        "scope": "grab_express.partner_deliveries"})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}
