"""No page, API answer or log line carries a whole NIK."""
from __future__ import annotations

import logging

from saas.api.services import create_token
from saas.extensions import db
from saas.tenancy.services import get_tenant
from tests.conftest import submit
from tests.factories import add_document, make_kk, make_nik


def test_no_full_nik_in_pages_api_or_logs(app, staff, caplog):
    caplog.set_level(logging.DEBUG)
    client = staff("admin")
    niks = [make_nik(serial=9000 + n) for n in range(3)]
    kk = make_kk(serial=9100)
    numbers = [add_document(app, registration_no=f"PD-{n}", nik=nik, kk_number=kk,
                            status=("received", "ready", "returned")[n]) for n, nik in enumerate(niks)]
    with app.app_context():
        _, raw = create_token(tenant=get_tenant("balikpapan"), name="scan")
        db.session.commit()
    seen = []
    for url in ["/balikpapan/office/", "/balikpapan/office/?q=" + niks[0][-4:], "/balikpapan/office/returns",
                *[f"/balikpapan/office/documents/{n}" for n in numbers],
                *[f"/balikpapan/office/pickup/{n}" for n in numbers]]:
        seen.append(client.get(url).get_data(as_text=True))
    seen.append(submit(client, f"/balikpapan/office/pickup/{numbers[1]}", {"who": "owner", "nik": niks[1]})
                .get_data(as_text=True))
    seen.append(submit(client, f"/balikpapan/office/pickup/{numbers[2]}", {"who": "owner", "nik": niks[1]})
                .get_data(as_text=True))
    headers = {"Authorization": f"Bearer {raw}"}
    seen.append(client.get("/api/v1/balikpapan/documents", headers=headers).get_data(as_text=True))
    for n in numbers:
        seen.append(client.get(f"/api/v1/balikpapan/documents/{n}", headers=headers).get_data(as_text=True))
    logging.getLogger("antar.test").warning("a careless line with %s in it", niks[0])
    seen.append(caplog.text)
    everything = "\n".join(seen)
    for secret in niks + [kk]:
        assert secret not in everything
    assert "6471**********" in everything
