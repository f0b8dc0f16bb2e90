"""SIAK import: a verdict for every row, whole-file refusals, one transaction for the rest."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from saas.documents import siak_import
from saas.documents.models import Document, DocumentEvent, ImportBatch
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
    existing = add_document(app, registration_no="BPP-0009", nik=make_nik(serial=13))
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


def _hand_made_xlsx(sheet_rows: bytes, dimension: str = "A1:H2") -> bytes:
    """A minimal workbook written by hand, so a test can put in it what no spreadsheet program would."""
    import zipfile

    parts = {
        "[Content_Types].xml": b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',  # noqa: E501
        "_rels/.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',  # noqa: E501
        "xl/workbook.xml": b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="SIAK" sheetId="1" r:id="rId1"/></sheets></workbook>',  # noqa: E501
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',  # noqa: E501
        "xl/worksheets/sheet1.xml": b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'  # noqa: E501
                                    + f'<dimension ref="{dimension}"/><sheetData>'.encode() + sheet_rows
                                    + b"</sheetData></worksheet>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for name, data in parts.items():
            book.writestr(name, data)
    return out.getvalue()


def _text_row(*values: str) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f"<row>{cells}</row>".encode()


@pytest.fixture
def rows_parsed(monkeypatch):
    """How many rows openpyxl's parser handed over: a refused file must stop early, not after millions."""
    from openpyxl.worksheet._reader import WorkSheetParser

    seen = {"rows": 0}
    parse = WorkSheetParser.parse

    def counting(self):
        for row in parse(self):
            seen["rows"] += 1
            yield row

    monkeypatch.setattr(WorkSheetParser, "parse", counting)
    return seen


def test_an_xlsx_of_millions_of_empty_rows_is_refused_early(app, staff, rows_parsed):
    client = staff("operator")
    raw = _hand_made_xlsx(_text_row(*HEADER.split(",")) + b"<row/>" * 5_000_000, dimension="A1:Z5000000")
    assert len(raw) < 100_000
    response = upload(client, raw, "siak.xlsx")
    assert response.status_code == 422
    assert "sebagian besar kosong" in response.get_data(as_text=True)
    assert rows_parsed["rows"] <= 5 * siak_import.MAX_ROWS + 1
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0


def test_empty_rows_are_not_data_rows_and_a_lying_dimension_is_ignored(app, staff, rows_parsed):
    client = staff("operator")
    row = _text_row("BPP-0400", make_nik(serial=400), "Rina", "ktp_el", "081234560400")
    raw = _hand_made_xlsx(_text_row(*HEADER.split(",")) + b"<row/>" * 30_000 + row, dimension="A1:XFD1048576")
    response = upload(client, raw, "siak.xlsx")
    assert response.status_code == 302
    assert "Baru: 1" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert rows_parsed["rows"] <= 2 * 30_002  # the upload and the preview, no padding up to 1,048,576


def test_a_csv_field_over_the_limit_is_refused_naming_the_row(app, staff):
    client = staff("operator")
    raw = csv_file(f"BPP-0500,{make_nik(serial=500)},Rina,ktp_el,081234560500,,,",
                   f"BPP-0501,{make_nik(serial=501)},{'x' * 200_000},ktp_el,081234560501,,,")
    response = upload(client, raw)
    assert response.status_code == 422
    assert "Baris 3" in response.get_data(as_text=True)
    with app.app_context(), all_tenants():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0


def test_a_nul_in_a_csv_field_refuses_the_row_at_preview_and_the_rest_imports(app, staff):
    client = staff("operator")
    raw = csv_file(f"BPP-0600,{make_nik(serial=600)},Ri\x00na,ktp_el,081234560600,,,",
                   f"BPP-0601,{make_nik(serial=601)},Budi,ktp_el,081234560601,bu\x00di@example.test,,",
                   f"BPP-0602,{make_nik(serial=602)},Ani,ktp_el,081234560602,,,")
    response = upload(client, raw)
    assert response.status_code == 302
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Baru: 1" in preview and "Ditolak: 2" in preview and "karakter NUL" in preview
    assert confirm(client, response.headers["Location"]).status_code == 302
    with app.app_context(), all_tenants():
        assert set(db.session.scalars(sa.select(Document.registration_no))) == {"BPP-0602"}
        assert {r["row"] for r in db.session.scalars(sa.select(ImportBatch)).one().refusals} == {2, 3}


def test_a_nik_typed_in_the_registration_column_is_neither_shown_nor_kept(app, staff):
    client = staff("operator")
    spaced = "6471 0117 0890 0001"
    raw = csv_file(f"{spaced},{make_nik(serial=700)},Rina,ktp_el,081234560700,,,",
                   f"6471011708900001,{make_nik(serial=701)},Budi,ktp_el,081234560701,,,",
                   f"BPP-0702,{make_nik(serial=702)},6471-0117-0890-0001,ktp_el,081234560702,,,",
                   f"BPP-0703,{make_nik(serial=703)},Ani,ktp_el,081234560703,,,")
    response = upload(client, raw)
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Baru: 1" in preview and "Ditolak: 3" in preview and "tampak seperti NIK" in preview
    for whole in (spaced, "6471011708900001", "6471-0117-0890-0001", "0117 0890"):
        assert whole not in preview
    assert "6471**********01" in preview
    confirm(client, response.headers["Location"])
    with app.app_context(), all_tenants():
        refusals = db.session.scalars(sa.select(ImportBatch)).one().refusals
        assert {r["row"] for r in refusals} == {2, 3, 4}
        assert "0117" not in repr(refusals) and set(db.session.scalars(sa.select(Document.registration_no))) == {"BPP-0703"}
    assert "0117" not in client.get(response.headers["Location"]).get_data(as_text=True)


def test_each_imported_document_has_its_one_received_event_naming_the_file_without_a_nik(app, staff):
    """The bulk write (on PostgreSQL through a temporary table) keeps each document's own event,
    and the free-text redaction of what the office typed (here the file's name)."""
    client = staff("operator")
    named_after = make_nik(serial=40)
    rows = [f"BPP-1{n:03d},{make_nik(serial=41 + n)},Warga {n},ktp_el,0812345{n:05d},,,64.71.05" for n in range(30)]
    response = upload(client, csv_file(*rows), filename=f"siak {named_after}.csv")
    assert confirm(client, response.headers["Location"]).status_code == 302
    page = client.get("/balikpapan/office/documents/BPP-1007").get_data(as_text=True)
    assert f"SIAK import: siak {named_after[:4]}**********{named_after[-2:]}.csv" in page
    assert named_after not in page
    with app.app_context(), all_tenants():
        events = db.session.execute(sa.select(Document.registration_no, sa.func.count(DocumentEvent.id))
                                    .join(DocumentEvent, DocumentEvent.document_id == Document.id)
                                    .group_by(Document.registration_no)).all()
        notes = set(db.session.scalars(sa.select(DocumentEvent.note)))
    assert sorted(events) == [(f"BPP-1{n:03d}", 1) for n in range(30)]
    assert notes == {f"SIAK import: siak {named_after[:4]}**********{named_after[-2:]}.csv"}
