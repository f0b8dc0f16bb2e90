"""What citizens type is stored without whole NIKs, however they write them."""
from __future__ import annotations

import sqlalchemy as sa

from saas.extensions import db
from saas.portal.models import ProblemReport
from saas.tenancy.scope import all_tenants
from tests.conftest import submit
from tests.factories import add_document, make_nik
from tests.portal.test_slots_and_courier import _document_id, _open


def test_a_spaced_or_dashed_nik_in_a_problem_report_is_not_stored_whole(app, client, staff):
    nik = make_nik(serial=5601)
    number = add_document(app, registration_no="CR-0601", status="delivered", nik=nik)
    page_url = _open(app, client, number, nik)
    spaced, dashed = " ".join([nik[:4], nik[4:8], nik[8:12], nik[12:]]), "-".join([nik[:6], nik[6:12], nik[12:]])
    response = submit(client, page_url, {"kind": "broken_seal", "note": f"NIK saya {spaced}, KK {dashed}"},
                      action=f"/balikpapan/dokumen/{_document_id(app, number)}/masalah")
    assert response.status_code == 302
    with app.app_context(), all_tenants():
        note = db.session.scalar(sa.select(ProblemReport.note))
    assert note == f"NIK saya {nik[:4]}**********{nik[-2:]}, KK {nik[:4]}**********{nik[-2:]}"
    office = staff("operator").get("/balikpapan/office/problems").get_data(as_text=True)
    assert spaced not in office and dashed not in office
