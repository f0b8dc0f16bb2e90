"""Each web process keeps its cities in memory; a change made anywhere reaches every process in a second or two."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request


from saas import create_app
from saas.config import PROJECT_ROOT
from saas.extensions import db
from saas.tenancy.cache import EXTENSION_KEY
from saas.tenancy.services import get_tenant, resume_tenant, suspend_tenant, sync_tenants
from tests.conftest import base_config, free_port, process_env, wait_for


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _suspend(app, slug: str, reason: str = "Audit") -> None:
    with app.app_context():
        suspend_tenant(get_tenant(slug), reason)
        db.session.commit()


def test_a_change_in_one_app_reaches_another_app_within_the_check_interval(app, tmp_path):
    other = create_app(base_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"]))
    clock = Clock()
    other.extensions[EXTENSION_KEY].clock = clock
    other.extensions[EXTENSION_KEY].seconds = 1.0
    visitor = other.test_client()
    assert visitor.get("/makassar/").status_code == 200  # the city is now in the other app's memory

    _suspend(app, "makassar")
    assert app.test_client().get("/makassar/").status_code == 503  # the app that changed it: at once

    clock.now += 1.0
    paused = visitor.get("/makassar/")
    assert paused.status_code == 503 and "dihentikan sementara" in paused.get_data(as_text=True)

    with app.app_context():
        resume_tenant(get_tenant("makassar"))
        db.session.commit()
    clock.now += 1.0
    assert visitor.get("/makassar/").status_code == 200
    with other.app_context():
        db.engine.dispose()


def test_the_app_that_changes_a_city_sees_it_at_once(app, client, tmp_path):
    assert "Balikpapan" in client.get("/balikpapan/").get_data(as_text=True)
    folder = tmp_path / "tenants"
    shutil.copytree(PROJECT_ROOT / "tenants", folder)
    toml = folder / "balikpapan" / "tenant.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('city_name = "Kota Balikpapan"', 'city_name = "Kota Balikpapan Baru"'),
                    encoding="utf-8")
    with app.app_context():
        sync_tenants(folder)
    assert "Balikpapan Baru" in client.get("/balikpapan/").get_data(as_text=True)


def test_a_city_unknown_to_the_database_is_still_not_found(client):
    assert client.get("/atlantis/").status_code == 404


def test_a_suspension_and_a_sync_reach_a_web_server_in_another_process(app, tmp_path):
    """A real second process (``flask run``): what this process commits, it shows within seconds."""
    port = free_port()
    env = {**os.environ, **process_env(app), "ANTAR_SANDBOXES": "0", "ANTAR_TENANT_CACHE_SECONDS": "1",
           "PYTHONPATH": str(PROJECT_ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port)],
                              cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def status(path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read().decode()
        except OSError:
            return 0, ""

    try:
        wait_for(lambda: status("/bontang/")[0] == 200, timeout=60, message="the second process serving Bontang")
        _suspend(app, "bontang")
        wait_for(lambda: status("/bontang/")[0] == 503, timeout=10, message="the suspension seen by the other process")

        folder = tmp_path / "tenants"
        shutil.copytree(PROJECT_ROOT / "tenants", folder)
        toml = folder / "bontang" / "tenant.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace('city_name = "Kota Bontang"', 'city_name = "Kota Taman"'),
                        encoding="utf-8")
        with app.app_context():
            resume_tenant(get_tenant("bontang"))
            sync_tenants(folder)
        wait_for(lambda: "Kota Taman" in status("/bontang/")[1], timeout=10,
                 message="the synced name seen by the other process")
    finally:
        server.terminate()
        server.wait(10)
