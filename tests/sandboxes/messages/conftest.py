"""Fixtures for the message sandboxes: a bare app with only the blueprint, and a receiver that
plays the business's webhook endpoint on a real socket."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from saas.sandboxes import messages
from saas.sandboxes.messages import messages_bp

PHONE_NUMBER_ID = "106540352242922"
ACCESS_TOKEN = "EAAG-sandbox-token"
APP_SECRET = "app-secret-for-signatures"
SMS_USERKEY = "antar-bpn"
SMS_PASSKEY = "rahasia"
SMS_REPORT_TOKEN = "report-token-123"


@dataclass
class Captured:
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class Receiver:
    """A tiny HTTP server recording every callback; ``status`` is what it answers."""

    def __init__(self) -> None:
        self.requests: list[Captured] = []
        self.status = 200
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _app(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            self.requests.append(Captured(request.path, dict(request.headers), request.get_data()))
        return Response("ok", status=self.status)(environ, start_response)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{path}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
        self.status = 200

    def at(self, path: str) -> list[Captured]:
        with self._lock:
            return [r for r in self.requests if r.path == path]


class LiveServer:
    """The sandbox app on a real socket, for what only a real client sees (timeouts)."""

    def __init__(self, app: Flask) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        messages.reset()  # lets a request held by the timeout mode finish at once
        self._server.shutdown()
        self._thread.join(5)


@pytest.fixture(scope="session")
def sandbox_app() -> Flask:
    app = Flask("message-sandbox-tests")
    app.config["TESTING"] = True
    app.register_blueprint(messages_bp, url_prefix="/sandbox")
    return app


@pytest.fixture
def sandbox(sandbox_app):
    return sandbox_app.test_client()


@pytest.fixture(scope="session")
def receiver():
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_sandbox(receiver):
    messages.reset()
    messages.set_receipt_mode("sync")
    receiver.clear()
    yield
    messages.reset()


@pytest.fixture
def whatsapp_number(receiver):
    messages.register_whatsapp(PHONE_NUMBER_ID, ACCESS_TOKEN, APP_SECRET,
                               receiver.url("/webhooks/messages/whatsapp"))
    return PHONE_NUMBER_ID


@pytest.fixture
def sms_account(receiver):
    messages.register_sms_account(SMS_USERKEY, SMS_PASSKEY, receiver.url("/webhooks/messages/sms"),
                                  SMS_REPORT_TOKEN)
    return SMS_USERKEY


@pytest.fixture
def live_sandbox(sandbox_app):
    with LiveServer(sandbox_app) as server:
        yield server
