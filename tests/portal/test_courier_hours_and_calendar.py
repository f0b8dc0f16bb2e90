"""Surabaya's courier form says what it needs and says it all at once; courier hours come before the
form in the city's words; holidays, cuti bersama and the city's own closures close the office
everywhere (issue 14, items 4 and 5, and "holidays and closures")."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from saas.couriers import services as couriers
from saas.extensions import db
from saas.notifications import jobs as notification_jobs
from saas.portal import services
from saas.tenancy import calendar
from saas.tenancy.models import CityClosure
from saas.tenancy.scope import all_tenants, tenant_bound
from saas.tenancy.services import get_tenant
from tests.conftest import submit
from tests.factories import add_document, make_nik


def _open(client, number, nik, slug):
    response = submit(client, f"/{slug}/", {"registration_no": number, "nik": nik}, action=f"/{slug}/cari")
    assert response.status_code == 302
    return response.headers["Location"]


def _at(monkeypatch, moment: datetime):
    """The clock of the courier and portal services, pinned."""
    monkeypatch.setattr(couriers, "utcnow", lambda: moment)
    monkeypatch.setattr(services, "utcnow", lambda: moment)


TUESDAY_MORNING = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)  # 10.00 WIB, 11.00 WITA


def test_surabayas_courier_form_lists_real_kelurahan_and_never_calls_an_optional_field_needed(app, client,
                                                                                               monkeypatch):
    _at(monkeypatch, TUESDAY_MORNING)
    nik = make_nik("357801", serial=7301)
    page_url = _open(client, add_document(app, slug="surabaya", registration_no="SB-K001", status="ready", nik=nik),
                     nik, "surabaya")
    form = client.get(page_url + "/kurir").get_data(as_text=True)
    assert "Lokasi tepatnya (boleh kosong)" in form and "wajib" not in form
    assert "required" not in re.search(r'<input[^>]*id="latitude"[^>]*>', form).group(0)
    assert '<option value="35.78.04.1005">Darmo (Wonokromo)</option>' in form
    assert not re.search(r'<option value="35\.78\.\d\d">', form)  # no kecamatan offered as a kelurahan
    assert "Kurir tersedia 07.30–17.00 WIB" in form
    refused = submit(client, page_url + "/kurir", {
        "recipient_name": "Dewi", "recipient_phone": "12", "area": "35.78.04.1005",
        "address": "Jl. Darmo No. 40", "latitude": "", "longitude": ""})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    errors = re.findall(r'<p class="flash flash-error">([^<]+)</p>', html)
    assert len(errors) == 1 and 'id="recipient_phone-error"' in html, errors  # the phone only: no location asked
    assert 'id="latitude-error"' not in html


def test_an_empty_courier_form_names_every_missing_field_at_once(app, client, monkeypatch):
    _at(monkeypatch, TUESDAY_MORNING)
    nik = make_nik(serial=7302)
    page_url = _open(client, add_document(app, registration_no="BP-K002", status="ready", nik=nik), nik, "balikpapan")
    refused = submit(client, page_url + "/kurir", {"recipient_name": "", "recipient_phone": "", "area": "",
                                                    "address": "", "provider": "gosend"})
    errors = re.findall(r'<p class="flash flash-error">([^<]+)</p>', refused.get_data(as_text=True))
    assert refused.status_code == 400
    assert errors == ["Isi nama penerima.", "Isi nomor HP.", "Pilih kelurahan Anda.", "Isi alamatnya."], errors


def test_courier_hours_come_before_the_form_in_the_citys_words(app, client, monkeypatch):
    _at(monkeypatch, datetime(2026, 12, 1, 14, 0, tzinfo=timezone.utc))  # Tuesday 22.00 WITA
    nik = make_nik(serial=7303)
    page_url = _open(client, add_document(app, registration_no="BP-K003", status="ready", nik=nik), nik, "balikpapan")
    page = client.get(page_url + "/kurir").get_data(as_text=True)
    assert "Kurir tersedia 08.00–16.00 WITA" in page and "Asia/Makassar" not in page
    assert "Buka lagi: Rabu, 2 Desember, 08.00." in page
    assert "Lihat harga" not in page and "Pesan jadwal ambil saja" in page


def test_on_cuti_bersama_no_courier_and_the_next_opening_skips_the_holidays(app, client, monkeypatch):
    _at(monkeypatch, datetime(2026, 12, 24, 3, 0, tzinfo=timezone.utc))  # 11.00 WITA, cuti bersama Natal
    nik = make_nik(serial=7304)
    page_url = _open(client, add_document(app, registration_no="BP-K004", status="ready", nik=nik), nik, "balikpapan")
    page = client.get(page_url + "/kurir").get_data(as_text=True)
    assert "Kantor tutup hari ini" in page and "Lihat harga" not in page
    assert "Buka lagi: Sabtu, 26 Desember, 08.00." in page  # not on Christmas Day either


def test_slots_skip_national_holidays_cuti_bersama_and_the_citys_closures(app, client):
    with app.app_context():
        tenant = get_tenant("balikpapan")
        with tenant_bound(tenant):
            calendar.add_closure(date(2026, 12, 28), "Pindah gedung", None, date(2026, 12, 22))
            db.session.commit()
            now = datetime(2026, 12, 22, 23, 0, tzinfo=timezone.utc)  # Wednesday 23 Dec, 07.00 WITA
            offered = [day for day, _slots in services.available_slots(now)]
            assert offered[0] == date(2026, 12, 23)
            for shut in (date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 28)):
                assert shut not in offered
            assert date(2026, 12, 29) in offered
            told = dict(services.closures_ahead(now))
            assert told[date(2026, 12, 28)] == "Pindah gedung" and date(2026, 12, 24) in told


def test_lebaran_week_2027_offers_no_slot(app):
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        now = datetime(2027, 3, 8, 0, 0, tzinfo=timezone.utc)  # Monday, the day of Nyepi
        offered = {day for day, _slots in services.available_slots(now)}
        for day in (8, 9, 10, 11, 12, 15):  # Nyepi, cuti bersama and Idulfitri 1448 H
            assert date(2027, 3, day) not in offered


def test_the_admin_sets_and_lifts_a_closure_in_the_office(app, client, staff):
    office = staff("admin")
    page = office.get("/balikpapan/office/closures")
    assert page.status_code == 200 and "Hari Raya Natal" in page.get_data(as_text=True)
    missing = submit(office, "/balikpapan/office/closures", {"day": "2030-01-07", "reason": ""})
    assert missing.status_code == 400 and "Tulis alasan kantor tutup" in missing.get_data(as_text=True)
    done = submit(office, "/balikpapan/office/closures", {"day": "2030-01-07", "reason": "Rapat kerja"})
    assert done.status_code == 302
    with app.app_context(), all_tenants():
        closure = db.session.scalar(sa.select(CityClosure))
        assert (closure.day, closure.reason, closure.tenant_id) == (
            date(2030, 1, 7), "Rapat kerja", get_tenant("balikpapan").id)
    submit(office, "/balikpapan/office/closures", {}, action=f"/balikpapan/office/closures/{closure.id}/delete")
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CityClosure)) == 0


def test_an_operator_cannot_close_the_office(app, client, staff):
    assert staff("operator").get("/balikpapan/office/closures").status_code == 403


def test_no_uncollected_reminders_on_a_closed_day(app, monkeypatch):
    number = add_document(app, registration_no="BP-K005", status="ready")
    christmas = datetime(2026, 12, 25, 2, 0, tzinfo=timezone.utc)  # 10.00 WITA
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        from saas.documents.services import get_document

        get_document(number).ready_at = datetime(2026, 12, 10, tzinfo=timezone.utc)
        db.session.commit()
    monkeypatch.setattr(notification_jobs, "utcnow", lambda: christmas)
    with app.app_context():
        assert notification_jobs.send_reminders() == 0
    monkeypatch.setattr(notification_jobs, "utcnow", lambda: datetime(2026, 12, 28, 2, 0, tzinfo=timezone.utc))
    with app.app_context():
        assert notification_jobs.send_reminders() == 1


def test_a_returning_citizen_whose_access_lapsed_is_told_to_open_the_link_again(app, client):
    number = add_document(app, registration_no="BP-K006", status="ready")
    with app.app_context(), tenant_bound(get_tenant("balikpapan")):
        from saas.documents.services import get_document

        document_id = get_document(number).id
    for path in (f"/balikpapan/dokumen/{document_id}", f"/balikpapan/dokumen/{document_id}/kurir",
                 "/balikpapan/dokumen/999999"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert "Buka lagi tautan di pesan Anda" in answer.get_data(as_text=True)


def test_a_kecamatan_code_must_be_kemendagris(app):
    """Surabaya's file once listed Jambangan as 35.78.02 (Kemendagri's Wonocolo): sync refuses that now."""
    import tomllib

    from saas.config import PROJECT_ROOT
    from saas.tenancy.settings import tenant_file_schema

    with app.app_context():
        data = tomllib.loads((PROJECT_ROOT / "tenants" / "surabaya" / "tenant.toml").read_text())
        tenant_file_schema()().load(data)
        wrong = next(k for k in data["kecamatan"] if k["name"] == "Jambangan")
        wrong["code"] = "35.78.02"
        data["kecamatan"] = [k for k in data["kecamatan"] if k is wrong or k["code"] != "35.78.02"]
        with pytest.raises(ValidationError, match="Wonocolo"):
            tenant_file_schema()().load(data)
