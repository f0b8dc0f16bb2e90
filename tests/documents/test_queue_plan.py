"""The office queue at two cities' scale: the same pages as before, read through the city's own indexes.

Balikpapan's documents are all older than Samarinda's, the case where a walk down the primary key
steps over every Samarinda row before it reaches Balikpapan's first page (issue 13).
"""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from saas.documents.identity import tail_hash
from saas.documents.models import Document
from saas.documents.services import QueueQuery, queue_page
from saas.extensions import db
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.benchmarks.office import fill

PER_CITY = 2_000


@pytest.fixture
def two_cities(app):
    fill(app, "balikpapan", PER_CITY)
    fill(app, "samarinda", PER_CITY)


def _city_rows(query_filter=lambda row: True) -> list[int]:
    """Every Balikpapan document matching, newest first, by hand (no query plan involved)."""
    rows = db.session.execute(sa.select(Document.id, Document.status, Document.owner_name_search,
                                        Document.registration_no, Document.nik_tail_hash)).all()
    return sorted((row.id for row in rows if query_filter(row)), reverse=True)


def _ids(documents) -> list[int]:
    return [d.id for d in documents]


def test_pages_tabs_and_searches_show_the_citys_documents_newest_first(app, two_cities):
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        everything = _city_rows()
        assert len(everything) == PER_CITY

        first, has_older, has_newer = queue_page(QueueQuery())
        assert _ids(first) == everything[:50] and has_older and not has_newer

        deep, has_older, has_newer = queue_page(QueueQuery(), after_id=everything[999])
        assert _ids(deep) == everything[1000:1050] and has_older and has_newer
        back, _, has_newer = queue_page(QueueQuery(), before_id=everything[1000])
        assert _ids(back) == everything[950:1000] and has_newer
        last, has_older, _ = queue_page(QueueQuery(), after_id=everything[-21])
        assert _ids(last) == everything[-20:] and not has_older

        ready, _, _ = queue_page(QueueQuery(status="ready"))
        assert _ids(ready) == _city_rows(lambda r: r.status == "ready")[:50]

        siti = _city_rows(lambda r: "siti" in r.owner_name_search)
        by_name, _, _ = queue_page(QueueQuery(q="Siti"))
        assert _ids(by_name) == siti[:50]
        older_siti, _, _ = queue_page(QueueQuery(q="siti"), after_id=siti[49])
        assert _ids(older_siti) == siti[50:100]
        assert queue_page(QueueQuery(q="zzz"))[0] == []
        rare = _city_rows(lambda r: "siti aminah" in r.owner_name_search)
        assert _ids(queue_page(QueueQuery(q="Siti Aminah"))[0]) == rare[:50] and rare
        assert queue_page(QueueQuery(q="si%i"))[0] == [], "a % typed is a percent sign, not a wildcard"

        prefix = _city_rows(lambda r: r.registration_no.startswith("BAL-000150"))
        by_number, _, _ = queue_page(QueueQuery(q="bal-000150"))
        assert _ids(by_number) == prefix[:50] and len(prefix) == 10

        by_tail, _, _ = queue_page(QueueQuery(q="0042"))
        tail = tail_hash("0042")
        assert _ids(by_tail) == _city_rows(lambda r: r.nik_tail_hash == tail)[:50]
        assert by_tail, "the filled NIKs include ones ending in 0042"


def test_a_name_too_common_for_the_index_is_found_by_the_walk_all_the_same(app, two_cities, monkeypatch):
    from saas.documents import services

    monkeypatch.setattr(services, "NAMED_BY_INDEX_AT_MOST", 10)
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        siti = _city_rows(lambda r: "siti" in r.owner_name_search)
        assert len(siti) > 10
        assert _ids(queue_page(QueueQuery(q="siti"))[0]) == siti[:50]
        assert _ids(queue_page(QueueQuery(q="siti"), after_id=siti[49])[0]) == siti[50:100]


def _plan(statement_runner) -> list[dict]:
    """Every node of the PostgreSQL plan of the statement the queue sends, as the app's role sends it."""
    sent = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM document" in statement:
            sent.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", keep)
    try:
        statement_runner()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", keep)
    statement, parameters = sent[-1]
    raw = db.session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
    nodes, stack = [], [(raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    return nodes


def _indexes(nodes) -> set[str]:
    return {node["Index Name"] for node in nodes if "Index Name" in node}


def test_postgresql_reads_the_queue_through_city_leading_indexes(app, two_cities):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("query plans are PostgreSQL's; SQLite has no planner choice to check here")
        with tenant_bound(get_tenant("balikpapan")):
            oldest_shown = _city_rows()[999]
            cases = {
                "first page": lambda: queue_page(QueueQuery()),
                "deep page": lambda: queue_page(QueueQuery(), after_id=oldest_shown),
                "back a page": lambda: queue_page(QueueQuery(), before_id=oldest_shown),
                "name": lambda: queue_page(QueueQuery(q="siti")),
                "tab": lambda: queue_page(QueueQuery(status="ready")),
                "registration no.": lambda: queue_page(QueueQuery(q="BAL-000150")),
                "NIK tail": lambda: queue_page(QueueQuery(q="0042")),
            }
            plans = {label: _plan(run) for label, run in cases.items()}

    for label, nodes in plans.items():
        used = _indexes(nodes)
        if label == "name":  # the trigram route's ids (a few hundred here), fetched by key
            by_key = [node for node in nodes if "Index Name" in node]
            assert by_key and all("ANY" in node.get("Index Cond", "") for node in by_key), (label, by_key)
            assert not any(node["Node Type"] == "Seq Scan" for node in nodes), label
            continue
        assert "pk_document" not in used, (label, used)
        assert used and all(name.startswith("ix_document_tenant_id") for name in used), (label, used)
        assert not any(node["Node Type"] == "Seq Scan" for node in nodes), label
    assert _indexes(plans["tab"]) == {"ix_document_tenant_id_status_id"}
    assert _indexes(plans["registration no."]) == {"ix_document_tenant_id_registration_no_prefix"}
    assert _indexes(plans["NIK tail"]) == {"ix_document_tenant_id_nik_tail_hash",
                                          "ix_document_tenant_id_registration_no_prefix"}
    for label in ("deep page", "back a page"):
        keyset = [node["Index Cond"] for node in plans[label] if "Index Cond" in node]
        assert any("(id)" in cond for cond in keyset), ("the keyset bound is the index's range", label, keyset)
    prefix = [node for node in plans["registration no."] if node.get("Index Name", "").endswith("_prefix")]
    assert "registration_no" in prefix[0]["Index Cond"], "the prefix is the index's range, not a filter"
