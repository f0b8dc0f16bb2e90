"""``/metrics`` as Prometheus and the platform operator see it: which city, which queue, since when."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from prometheus_client.parser import text_string_to_metric_families

from saas import create_app
from saas.config import PROJECT_ROOT, ConfigError, load_config
from saas.jobs import runtime
from tests.conftest import base_config, process_env
from tests.couriers.conftest import DESTINATIONS, request_delivery
from tests.factories import add_document, make_nik

TOKEN = "scrape-token-Vq3x9Lm2Pz7Rk4Tb8Nw1Yc6Hd0Fs5Ga"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def metrics_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)


def scrape(client) -> tuple[str, dict]:
    """The scrape's text, and its samples as {(name, {label: value} as sorted tuple): value}."""
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    text = response.get_data(as_text=True)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    return text, samples


def sample(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_a_request_is_timed_under_its_endpoint_its_city_and_its_status_class(app, client, metrics_on):
    _, before = scrape(client)
    count = "antar_http_request_duration_seconds_count"
    home = {"endpoint": "portal.city_home", "city": "balikpapan", "status_class": "2xx"}
    was = sample(before, count, **home) or 0
    assert client.get("/balikpapan/").status_code == 200
    assert client.get("/atlantis/").status_code == 404  # a slug that is no city
    assert client.get("/balikpapan/no/such/page/123").status_code == 404
    assert client.get("/healthz").status_code == 200

    text, after = scrape(client)
    assert sample(after, count, **home) == was + 1
    assert sample(after, "antar_http_request_duration_seconds_bucket", le="+Inf", **home) == was + 1
    assert sample(after, count, endpoint="health.healthz", city="", status_class="2xx") >= 1
    assert sample(after, count, endpoint="portal.city_home", city="", status_class="4xx") >= 1
    assert sample(after, count, endpoint="unmatched", city="", status_class="4xx") >= 1
    # Endpoints and cities, never a raw URL, an id or a typed slug.
    assert "atlantis" not in text and "/no/such" not in text


def test_queues_messages_and_trips_are_counted_where_they_wait(app, client, live_server, metrics_on):
    nik, phone = make_nik(serial=4321), "081255501234"
    add_document(app, "balikpapan", status="ready", nik=nik, phone=phone)  # the "ready" message
    trip = request_delivery(app, "tangerang-selatan", "grab")  # a trip waiting for its booking job

    text, samples = scrape(client)
    assert sample(samples, "antar_jobs_queued", queue="notifications") == 1  # one drain for the lane, both cities
    assert sample(samples, "antar_jobs_queued", queue="couriers") == 1  # the booking
    assert sample(samples, "antar_jobs_queued", queue="default") == 0
    assert sample(samples, "antar_jobs_oldest_queued_seconds", queue="couriers") > 0
    assert sample(samples, "antar_jobs_oldest_queued_seconds", queue="default") == 0
    assert sample(samples, "antar_messages", city="balikpapan", channel="whatsapp", status="queued") == 1
    assert sample(samples, "antar_messages_oldest_waiting_seconds",
                  city="balikpapan", channel="whatsapp", status="queued") >= 0
    assert sample(samples, "antar_messages", city="samarinda", channel="whatsapp", status="queued") is None
    assert sample(samples, "antar_courier_trips", city="tangerang-selatan", provider="grab", status="quoted") == 1
    assert sample(samples, "antar_metrics_source_up", source="redis") == 1
    assert sample(samples, "antar_metrics_source_up", source="database") == 1
    # No NIK, no phone number (the citizen's or the courier recipient's), no row id.
    recipient = DESTINATIONS["tangerang-selatan"].recipient_phone
    for secret in (nik, phone, phone[1:], recipient, recipient[3:], f'"{trip}"'):
        assert secret not in text

    with app.app_context():
        runtime(app).run_pending()  # the send jobs and the booking run
    _, samples = scrape(client)
    assert sample(samples, "antar_jobs_queued", queue="notifications") == 0
    assert sample(samples, "antar_jobs_queued", queue="couriers") == 0
    assert sample(samples, "antar_messages", city="balikpapan", channel="whatsapp", status="queued") is None
    sent = sum(sample(samples, "antar_messages", city="balikpapan", channel="whatsapp", status=status) or 0
               for status in ("sent", "delivered"))
    assert sent == 1
    assert sample(samples, "antar_courier_trips", city="tangerang-selatan", provider="grab", status="quoted") is None
    assert sample(samples, "antar_courier_trips", city="tangerang-selatan", provider="grab", status="booked") == 1


def test_without_a_token_set_there_is_no_metrics_endpoint(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 404
    assert "antar_" not in response.get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN},
                                     {"Authorization": f"Bearer {TOKEN}x"}])
def test_a_missing_or_wrong_token_gets_401_and_no_figures(app, client, metrics_on, headers):
    add_document(app, "balikpapan", status="ready")
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "antar_" not in response.get_data(as_text=True)


_WEB_PROCESS = textwrap.dedent("""
    import sys
    from saas import create_app

    client = create_app({"TESTING": True, "SERVER_NAME": None}).test_client()
    if sys.argv[1] == "serve":
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
    else:
        response = client.get("/metrics", headers={"Authorization": "Bearer " + sys.argv[2]})
        assert response.status_code == 200, response.status_code
        print(response.get_data(as_text=True))
""")


def test_under_several_processes_the_scrape_adds_every_process_up(app, tmp_path):
    """gunicorn's workers each time their own requests; with PROMETHEUS_MULTIPROC_DIR set, any
    worker's scrape holds them all (here: one process serves, and exits; another scrapes)."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = process_env(app, PROMETHEUS_MULTIPROC_DIR=str(shared), ANTAR_METRICS_TOKEN=TOKEN,
                      ANTAR_TENANTS_DIR=app.config["TENANTS_DIR"])

    def run(*args):
        return subprocess.run([sys.executable, "-c", _WEB_PROCESS, *args], cwd=PROJECT_ROOT, env={**os.environ, **env},
                              capture_output=True, text=True, timeout=120, check=True).stdout

    run("serve")
    run("serve")
    families = {f.name: f for f in text_string_to_metric_families(run("scrape", TOKEN))}
    counts = [s for s in families["antar_http_request_duration_seconds"].samples
              if s.name.endswith("_count") and s.labels["endpoint"] == "health.healthz"]
    assert [(s.labels["city"], s.labels["status_class"], s.value) for s in counts] == [("", "2xx", 6)]
    assert "antar_jobs_queued" in families


def test_an_unreachable_database_is_said_and_the_queues_still_answer(tmp_path):
    app = create_app(base_config(tmp_path, "postgresql://nobody@127.0.0.1:1/none", REDIS_URL=None,
                                 METRICS_TOKEN=TOKEN))
    _, samples = scrape(app.test_client())
    assert sample(samples, "antar_metrics_source_up", source="database") == 0
    assert sample(samples, "antar_metrics_source_up", source="redis") == 1
    assert sample(samples, "antar_jobs_queued", queue="notifications") == 0


@pytest.mark.services
def test_a_stopped_redis_is_said_and_the_messages_still_answer(tmp_path, database_url, redis_server):
    app = create_app(base_config(tmp_path, database_url, REDIS_URL=redis_server.url, METRICS_TOKEN=TOKEN))
    add_document(app, "balikpapan", status="ready")
    redis_server.stop()
    _, samples = scrape(app.test_client())
    assert sample(samples, "antar_metrics_source_up", source="redis") == 0
    assert sample(samples, "antar_jobs_queued", queue="notifications") is None
    assert sample(samples, "antar_metrics_source_up", source="database") == 1
    waiting = [value for (name, labels), value in samples.items()
               if name == "antar_messages" and ("city", "balikpapan") in labels]
    assert waiting == [1]


def test_a_multiprocess_directory_that_is_not_there_stops_the_start(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="PROMETHEUS_MULTIPROC_DIR"):
        load_config({"INSTANCE_DIR": str(tmp_path)})
