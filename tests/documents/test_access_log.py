"""UU No. 27/2022: every read of a citizen's personal data by staff or a token leaves a line, and
supervisors see who opened what, when and why."""
from __future__ import annotations

import sqlalchemy as sa

from saas.accounts.models import StaffAccessLog
from saas.api.services import create_token
from saas.extensions import db
from saas.tenancy.scope import all_tenants
from saas.tenancy.services import get_tenant
from tests.conftest import submit
from tests.factories import add_document, make_nik


def _actions(app) -> list[tuple[str, str | None]]:
    with app.app_context(), all_tenants():
        return [(r.action, r.subject) for r in db.session.scalars(sa.select(StaffAccessLog).order_by(StaffAccessLog.id))]


def test_nik_search_import_preview_and_api_reads_are_logged(app, staff):
    nik = make_nik(serial=4242)
    number = add_document(app, registration_no="AL-0001", status="ready", nik=nik)
    client = staff("operator")
    submit(client, "/balikpapan/office/", {"q": nik}, action="/balikpapan/office/search")
    with app.app_context():
        _, raw = create_token(tenant=get_tenant("balikpapan"), name="SIAK bridge")
        db.session.commit()
    api = app.test_client()
    assert api.get("/api/v1/balikpapan/documents", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert api.get(f"/api/v1/balikpapan/documents/{number}",
                   headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    actions = _actions(app)
    assert ("search_nik", nik[:4] + "**********" + nik[-2:]) in actions
    assert ("api_list_documents", "page 1") in actions and ("api_view_document", number) in actions
    assert not any(nik in (subject or "") for _a, subject in actions)


def test_supervisors_read_and_filter_the_access_log_operators_cannot(app, staff):
    number = add_document(app, registration_no="AL-0002", status="ready")
    operator = staff("operator")
    operator.get(f"/balikpapan/office/documents/{number}")
    assert operator.get("/balikpapan/office/access-log/").status_code == 403
    supervisor = staff("supervisor")
    page = supervisor.get("/balikpapan/office/access-log/").get_data(as_text=True)
    assert "Log akses" in page and "Membuka dokumen" in page and number in page
    only_sign_ins = supervisor.get("/balikpapan/office/access-log/?action=sign_in").get_data(as_text=True)
    assert "Masuk" in only_sign_ins and number not in only_sign_ins
