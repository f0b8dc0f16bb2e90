"""What ``flask --app wsgi demo`` tells a person, and what its pages say while its history is made."""
from __future__ import annotations

import csv
import io
import socket
from datetime import timedelta

import sqlalchemy as sa

from saas.documents.models import Document, DocumentEvent
from saas.extensions import db
from saas.models import utcnow
from saas.sandboxes import demo_history
from saas.sandboxes.demo import HISTORY_PROGRESS, HistoryProgress
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant, list_tenants
from tests.conftest import make_user, sign_in


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_demo_points_to_the_human_inbox_on_the_port_it_was_given(app, monkeypatch):
    monkeypatch.setattr(demo_history, "SCALE", 0.02)
    port = _free_port()
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve", "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert f"http://127.0.0.1:{port}/sandbox/inbox " in result.output
    assert f"http://127.0.0.1:{port}/balikpapan/office/ " in result.output
    assert "/sandbox/messages" not in result.output and ":5000" not in result.output
    assert f"http://127.0.0.1:{port}/balikpapan/d/" in result.output  # the citizen's link


def test_a_taken_port_is_said_before_anything_is_made(app):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = app.test_cli_runner().invoke(args=["demo", "--no-serve", "--port", str(port)])
    assert result.exit_code != 0
    assert f"Port {port} on 127.0.0.1 is already taken" in result.output
    assert f"--port {port + 1}" in result.output
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0


def _raw_counts(app, first, last) -> dict[str, tuple[int, int, int]]:
    """Per city, from the raw rows and the city's own local days, not from the rollups."""
    counts = {}
    with app.app_context():
        for tenant in list_tenants():
            with tenant_bound(tenant):
                rows = db.session.execute(sa.select(DocumentEvent.to_status, DocumentEvent.from_status,
                                                    DocumentEvent.at)).all()
            days = [(to, frm, at.astimezone(tenant.zone).date()) for to, frm, at in rows]
            inside = [(to, frm) for to, frm, day in days if first <= day <= last]
            counts[tenant.slug] = (sum(1 for to, frm in inside if (to, frm) == ("ready", "received")),
                                   sum(1 for to, _ in inside if to == "collected"),
                                   sum(1 for to, _ in inside if to == "delivered"))
    return counts


def test_the_history_made_in_two_parts_is_what_the_console_compares(app, client):
    """The recent days before serving, the older ones after: the comparison counts every document
    the history wrote, once, and says the history is not complete until it is."""
    with app.app_context():
        assert demo_history.fill_recent(scale=0.05)
    make_user(app, None, "superadmin", "root@antar.test")
    sign_in(client, None, "root@antar.test")
    app.extensions[HISTORY_PROGRESS] = HistoryProgress(cities=6)
    try:
        page = client.get("/admin/compare").get_data(as_text=True)
        assert "0 dari 6 kota" in page
        with app.app_context():
            filled = demo_history.fill_older(scale=0.05, progress=lambda slug, count, days:
                                             app.extensions[HISTORY_PROGRESS].done.append(slug))
        assert len(filled) == 6 and len(app.extensions[HISTORY_PROGRESS].done) == 6
        app.extensions[HISTORY_PROGRESS].finished = True
        assert "dari 6 kota" not in client.get("/admin/compare").get_data(as_text=True)
    finally:
        app.extensions.pop(HISTORY_PROGRESS, None)
    with app.app_context():  # a second run adds nothing
        assert demo_history.fill_recent(scale=0.05) == [] and demo_history.fill_older(scale=0.05) == []
    today = utcnow().date()
    first, last = today - timedelta(days=demo_history.DAYS + 5), today + timedelta(days=1)
    rows = list(csv.DictReader(io.StringIO(client.get(
        f"/admin/compare.csv?from={first}&to={last}").get_data(as_text=True))))
    shown = {r["slug"]: (int(r["ready"]), int(r["collected"]), int(r["delivered"])) for r in rows}
    raw = _raw_counts(app, first, last)
    assert shown == raw
    with app.app_context():
        balikpapan = get_tenant("balikpapan")
        with tenant_bound(balikpapan):
            made = db.session.scalar(sa.select(sa.func.count()).select_from(Document)
                                     .where(Document.ready_at.is_not(None)))
    assert raw["balikpapan"][0] == made > 0
