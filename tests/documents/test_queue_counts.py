"""The queue's tab counts are kept by the changes themselves, and always agree with the documents."""
from __future__ import annotations

import re

import sqlalchemy as sa

from saas.documents.models import STATUS_LABELS, Document
from saas.extensions import db
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import csrf_token_from, submit
from tests.documents.test_import import confirm, csv_file, upload
from tests.factories import add_document, make_nik

_BADGE = re.compile(r'status=(\w+)"[^>]*>[^<]*<span class="badge">(\d+)</span>')
_ALL = re.compile(r'>Semua <span class="badge">(\d+)</span>')


def tabs(client, slug: str = "balikpapan") -> dict[str, int]:
    """The counts as the operator reads them on the queue's tabs."""
    html = client.get(f"/{slug}/office/").get_data(as_text=True)
    counts = {status: int(n) for status, n in _BADGE.findall(html)}
    assert set(counts) == set(STATUS_LABELS), counts
    counts["all"] = int(_ALL.search(html).group(1))
    return counts


def truth(app, slug: str = "balikpapan") -> dict[str, int]:
    """The documents counted one by one."""
    with app.app_context(), tenant_bound(get_tenant(slug)):
        counted = dict(db.session.execute(sa.select(Document.status, sa.func.count()).group_by(Document.status)).all())
    counts = {status: counted.get(status, 0) for status in STATUS_LABELS}
    counts["all"] = sum(counted.values())
    return counts


def document_id(app, number: str) -> int:
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        return db.session.scalar(sa.select(Document.id).where(Document.registration_no == number))


def test_tab_counts_follow_import_transitions_and_cancellation(app, staff):
    client = staff("operator")
    add_document(app, registration_no="BPP-5000", status="delivered")
    add_document(app, registration_no="BPP-5001", status="returned")
    add_document(app, slug="samarinda", registration_no="SMD-5000", status="ready")
    assert tabs(client) == truth(app)
    assert tabs(client)["delivered"] == 1 and tabs(client)["returned"] == 1 and tabs(client)["ready"] == 0

    raw = csv_file(*[f"BPP-51{n:02d},{make_nik(serial=5100 + n)},Warga {n},ktp_el,0812345651{n:02d},,," for n in range(5)],
                   "BPP-5999,1234,NIK Salah,ktp_el,081234565199,,,")
    preview = upload(client, raw)
    assert tabs(client)["received"] == 0, "a preview registers nothing"
    confirm(client, preview.headers["Location"])
    assert tabs(client) == truth(app) and tabs(client)["received"] == 5
    confirm(client, preview.headers["Location"])  # a second confirm imports nothing and counts nothing
    assert tabs(client) == truth(app) and tabs(client)["received"] == 5

    page = client.get("/balikpapan/office/")
    client.post("/balikpapan/office/documents/mark-ready", data={
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "document_id": [str(document_id(app, f"BPP-51{n:02d}")) for n in range(3)] +
                       [str(document_id(app, "BPP-5000"))]})  # a delivered one is refused, and not counted
    assert tabs(client) == truth(app)
    assert (tabs(client)["received"], tabs(client)["ready"], tabs(client)["delivered"]) == (2, 3, 1)

    submit(client, "/balikpapan/office/documents/BPP-5103", {"to": "cancelled", "note": "dicetak ulang"},
           action="/balikpapan/office/documents/BPP-5103/transition")
    submit(client, "/balikpapan/office/documents/BPP-5100", {"to": "cancelled", "note": "salah cetak"},
           action="/balikpapan/office/documents/BPP-5100/transition")
    submit(client, "/balikpapan/office/documents/BPP-5000", {"to": "cancelled", "note": "tidak bisa"},
           action="/balikpapan/office/documents/BPP-5000/transition")  # refused: delivered is final
    counts = tabs(client)
    assert counts == truth(app)
    assert (counts["received"], counts["ready"], counts["cancelled"], counts["all"]) == (1, 2, 2, 7)

    assert tabs(staff("operator", slug="samarinda"), "samarinda") == truth(app, "samarinda")
    assert truth(app, "samarinda")["ready"] == 1 and truth(app, "samarinda")["all"] == 1


def test_a_change_rolled_back_leaves_the_counts_as_they_were(app, staff):
    from saas.documents.lifecycle import Actor, transition

    client = staff("operator")
    number = add_document(app, registration_no="BPP-5200")
    before = tabs(client)
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        document = db.session.scalar(sa.select(Document).where(Document.registration_no == number))
        transition(document, "ready", Actor.system("test"))
        db.session.rollback()
    assert tabs(client) == before == truth(app)


def test_counts_made_afresh_after_rows_written_in_bulk(app, staff):
    """The demo's history and the benchmarks write rows in bulk; ``recount_statuses`` catches up."""
    from saas.documents.identity import protect_nik
    from saas.documents.lifecycle import recount_statuses
    from saas.models import utcnow

    client = staff("operator")
    add_document(app, registration_no="BPP-5300", status="ready")
    with app.app_context():
        tenant = get_tenant("balikpapan")
        now = utcnow()
        with tenant_bound(tenant):
            db.session.execute(sa.insert(Document), [
                {"tenant_id": tenant.id, "registration_no": f"BPP-54{n:02d}", "doc_type": "ktp_el",
                 "status": ("collected", "ready")[n % 2], "owner_name": "Warga", "owner_name_search": "warga",
                 **protect_nik(make_nik(serial=5400 + n)), "phone": "+6281234565400", "created_at": now,
                 "updated_at": now} for n in range(4)])
            recount_statuses()
            db.session.commit()
    counts = tabs(client)
    assert counts == truth(app) and (counts["ready"], counts["collected"]) == (3, 2)
