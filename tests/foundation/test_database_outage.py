"""PostgreSQL restarting or down: a lost connection is replaced, an outage answers a clean 503, once logged."""
from __future__ import annotations

import logging
import socket
import threading

import sqlalchemy as sa

from saas import create_app
from saas.extensions import db
from tests.conftest import TEST_DATABASE_URL, base_config, csrf_token_from, free_port, missing_service


class TcpProxy:
    """A real TCP hop between the app and PostgreSQL that the test can cut, as a restart or an outage would."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = free_port()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.start()

    def start(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop_connections(self) -> None:
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.sockets = []

    def stop(self) -> None:
        """The server is gone: every connection closed, new ones refused."""
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.drop_connections()


def _quiet_enough(caplog) -> None:
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and "database unreachable" in r.getMessage()]
    assert len(warnings) <= 1


def test_with_the_database_down_every_door_answers_a_clean_503(tmp_path, caplog):
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/antar_test_nowhere"
    app = create_app(base_config(tmp_path, nowhere, REDIS_URL=None))
    client = app.test_client()
    caplog.set_level(logging.INFO)

    for _ in range(10):
        page = client.get("/balikpapan/")
        assert page.status_code == 503 and page.headers["Retry-After"]
        html = page.get_data(as_text=True)
        assert "Layanan sedang tidak tersedia sebentar" in html and "Internal Server Error" not in html

    api = client.post("/api/v1/balikpapan/public/status", json={"registration_no": "BPP-1", "nik": "6471011708900001"})
    assert api.status_code == 503
    assert api.get_json()["error"] == "service_unavailable" and "tidak tersedia" in api.get_json()["message"]

    english = client.post("/api/v1/balikpapan/public/status", json={"registration_no": "BPP-1", "nik": "6471011708900001"},
                          headers={"Accept-Language": "en"})
    assert english.get_json()["message"] == "The service is briefly unavailable. Please try again in a minute."

    webhook = client.post("/webhooks/couriers/gosend", json={"entity_id": "GK-11-170563", "status": "picked", "event_id": "e1",
                                                             "store_order_id": "ANTAR-1", "event_date": 1700000000000},
                          headers={"Authorization": "token"})
    assert webhook.status_code == 503 and webhook.get_json()["error"] == "service_unavailable"
    assert client.get("/").status_code == 503
    _quiet_enough(caplog)


def _proxied_app(tmp_path):
    if not TEST_DATABASE_URL:
        missing_service("ANTAR_TEST_DATABASE_URL is not set")
    url = sa.engine.make_url(TEST_DATABASE_URL)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    return create_app(base_config(tmp_path, proxied, LOOKUP_RATE_LIMIT="1000 per minute",
                                  LOOKUP_NUMBER_RATE_LIMIT="1000 per minute")), proxy


def test_connections_lost_in_a_restart_are_replaced_without_an_error(app, tmp_path, caplog):
    proxied, proxy = _proxied_app(tmp_path)
    client = proxied.test_client()
    caplog.set_level(logging.INFO)
    try:
        assert client.get("/api/v1/openapi.json").status_code == 200
        assert client.post("/api/v1/samarinda/public/status",
                           json={"registration_no": "X-1", "nik": "6472011708900001"}).status_code == 404
        proxy.drop_connections()  # PostgreSQL restarted: every pooled connection is closed by the server
        for _ in range(3):
            answer = client.post("/api/v1/samarinda/public/status",
                                 json={"registration_no": "X-1", "nik": "6472011708900001"})
            assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    finally:
        proxy.stop()
        with proxied.app_context():
            db.engine.dispose()


def test_an_outage_shows_the_citys_own_page_and_the_service_returns_with_the_database(app, tmp_path, caplog):
    proxied, proxy = _proxied_app(tmp_path)
    client = proxied.test_client()
    caplog.set_level(logging.INFO)
    try:
        home = client.get("/balikpapan/")
        assert home.status_code == 200
        form = {"registration_no": "BPP-1", "nik": "6471011708900001",
                "csrf_token": csrf_token_from(home.get_data(as_text=True))}
        proxy.stop()
        for _ in range(5):
            down = client.post("/balikpapan/cari", data=form)
            assert down.status_code == 503
            html = down.get_data(as_text=True)
            assert "Kota Balikpapan" in html and "Layanan sedang tidak tersedia sebentar" in html
        _quiet_enough(caplog)
        proxy.start()
        assert client.post("/balikpapan/cari", data=form).status_code == 200  # "not found", from the database
    finally:
        proxy.stop()
        with proxied.app_context():
            db.engine.dispose()
