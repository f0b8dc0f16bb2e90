"""SIAK import: a verdict for every row, whole-file refusals, one transaction for the rest."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from saas.documents import siak_import
from saas.documents.models import Document, ImportBatch
from saas.extensions import db
from saas.tenancy.scope import all_tenants
from tests.conftest import csrf_token_from
from tests.factories import add_document, make_kk, make_nik

HEADER = "no_registrasi,nik,nama,jenis_dokumen,no_hp,email,no_kk,kecamatan"


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def upload(client, raw: bytes, filename: str = "siak.csv"):
    page = client.get("/balikpapan/office/import")
    return client.post("/balikpapan/office/import", data={
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "file": (io.BytesIO(raw), filename),
    }, content_type="multipart/form-data")


def confirm(client, batch_path: str):
    page = client.get(batch_path)
    return client.post(batch_path + "/confirm", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})


def test_preview_gives_every_row_a_verdict_then_import_commits_the_new_ones(app, staff):
    client = staff("operator")
    existing = add_document(app, registration_no="BPP-0009")
    good = make_nik(serial=11)
    raw = csv_file(
        f"BPP-0001,{good},Siti Aminah,ktp_el,081234567801,siti@example.test,{make_kk(serial=1)},64.71.05",
        f"BPP-0002,{make_nik(serial=12)},Budi,KTP-el,0812 3456 7802,,,Balikpapan Kota",
        f"{existing},{make_nik(serial=13)},Ani,kia,081234567803,,,",
        "BPP-0003,1234,Cacat NIK,ktp_el,081234567804,,,",
        f"BPP-0004,{make_nik(serial=14)},Tipe Aneh,paspor,081234567805,,,",
        f"BPP-0005,{make_nik(serial=15)},Telepon Rumah,ktp_el,0542873990,,,",
        f"BPP-0001,{make_nik(serial=16)},Dobel,ktp_el,081234567806,,,",
        "BPP-0006,,Tanpa NIK,ktp_el,081234567807,,,",
        f"BPP-0007,{make_nik(serial=17)},Akta,akta_kematian,081234567808,,,",
        f"BPP-0008,{make_nik(serial=18)},Kecamatan Lain,ktp_el,081234567809,,,Samarinda Ulu",
    )
    response = upload(client, raw)
    assert response.status_code == 302
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    for reason in ("NIK salah", "jenis dokumen tidak dikenal", "nomor HP salah", "dobel dalam berkas",
                   "kolom kosong", "nilai salah"):
        assert reason in preview, reason
    assert "Baru: 2" in preview and "Sudah terdaftar: 1" in preview and "Ditolak: 7" in preview
    assert good not in preview and "6471**********" in preview
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1  # nothing yet
    done = confirm(client, response.headers["Location"])
    assert done.status_code == 302
    with app.app_context(), all_tenants():
        numbers = set(db.session.scalars(sa.select(Document.registration_no)))
        assert numbers == {"BPP-0001", "BPP-0002", existing}
        batch = db.session.scalars(sa.select(ImportBatch)).one()
        assert batch.status == "imported" and batch.payload_encrypted is None
        assert (batch.rows_new, batch.rows_existing, batch.rows_refused) == (2, 1, 7)
        assert {r["row"] for r in batch.refusals} == {5, 6, 7, 8, 9, 10, 11}
    page = client.get("/balikpapan/office/documents/BPP-0001").get_data(as_text=True)
    assert "SIAK import: siak.csv" in page and "Diterima" in page
    again = confirm(client, response.headers["Location"])
    assert again.status_code == 302
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 3


@pytest.mark.parametrize("raw, filename, message", [
    (b"registration,nik,name\nA,B,C\n", "siak.csv", "Kolom tidak sesuai"),
    ("no_registrasi,nik,nama,jenis_dokumen,no_hp\nA,6471051708900001,Sité,ktp_el,0812\n".encode("latin-1"),
     "siak.csv", "UTF-8"),
    (b"", "siak.csv", "kosong"),
    (csv_file(), "siak.csv", "tidak ada baris"),
    (b"PK\x03\x04 definitely not a workbook", "siak.xlsx", "Excel"),
    (b"no_registrasi\n", "siak.pdf", ".csv atau .xlsx"),
    (b"x" * (siak_import.MAX_BYTES + 10), "siak.csv", "lebih besar dari 5 MB"),
])
def test_bad_files_are_refused_whole(app, staff, raw, filename, message):
    client = staff("operator")
    response = upload(client, raw, filename)
    assert response.status_code in (413, 422)
    if response.status_code == 422:
        assert message in response.get_data(as_text=True)
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0


def test_semicolon_csv_from_excel_with_bom_is_read(app, staff):
    client = staff("operator")
    raw = ("\ufeff" + HEADER.replace(",", ";") + "\n" +
           f"BPP-0100;{make_nik(serial=100)};Rina;ktp_el;081234560100;;;\n").encode("utf-8")
    response = upload(client, raw)
    assert response.status_code == 302
    assert "Baru: 1" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_xlsx_import_and_the_nik_typed_as_a_number_trap(app, staff):
    client = staff("operator")
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["BPP-0200", make_nik(serial=200), "Dewi", "kia", "081234560200", None, None, None])
    sheet.append(["BPP-0201", int(make_nik(serial=201)), "Eko", "ktp_el", "081234560201", None, None, None])
    out = io.BytesIO()
    book.save(out)
    response = upload(client, out.getvalue(), "siak.xlsx")
    assert response.status_code == 302
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Baru: 1" in preview and "Ditolak: 1" in preview and "format kolom sebagai teks" in preview


def test_templates_download_and_import_cleanly(app, staff):
    client = staff("operator")
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/balikpapan/office/import/template.{fmt}")
        assert response.status_code == 200
        with app.app_context():
            file_format, rows = siak_import.read_rows(f"t.{fmt}", response.data)
            assert rows[0]["registration_no"] == "6471-KTP-20261127-0001"
    response = upload(client, client.get("/balikpapan/office/import/template.csv").data)
    assert "Baru: 1" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_batch_of_another_city_is_not_found(app, staff):
    client = staff("operator")
    response = upload(client, csv_file(f"BPP-0300,{make_nik(serial=300)},Fajar,ktp_el,081234560300,,,"))
    path = response.headers["Location"]
    staff("operator", slug="samarinda")
    assert client.get(path.replace("balikpapan", "samarinda")).status_code == 404
