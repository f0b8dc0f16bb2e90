"""Hypothesis-made SIAK exports (CSV and XLSX), uploaded, previewed and imported through the office:
never a server error, and never a partial write (a batch imports exactly its new rows, or nothing)."""
from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from saas.documents.models import Document, ImportBatch
from saas.extensions import db
from saas.tenancy.scope import all_tenants
from tests.conftest import csrf_token_from
from tests.factories import make_kk, make_nik
from tests.fuzz.conftest import examples

COLUMNS = ["no_registrasi", "nik", "nama", "jenis_dokumen", "no_hp", "email", "no_kk", "kecamatan"]
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
FIELDS = {
    "no_registrasi": st.one_of(st.from_regex(r"BPP-[0-9]{4}", fullmatch=True), ANY_TEXT),
    "nik": st.one_of(st.integers(1, 9999).map(lambda n: make_nik(serial=n)),
                     st.sampled_from(["6471 0117 0890 0001", "6471059908900002", "6471050000000000", "1e16"]),
                     ANY_TEXT),
    "nama": st.one_of(st.sampled_from(["Siti Aminah", "Budi", "ÁÑÉ d'Arc"]), ANY_TEXT),
    "jenis_dokumen": st.one_of(st.sampled_from(["ktp_el", "KTP-EL", "kia", "Surat Pindah", "paspor"]), ANY_TEXT),
    "no_hp": st.one_of(st.sampled_from(["081234567801", "+62 812-3456-7802", "0542873990"]), ANY_TEXT),
    "email": st.one_of(st.just(""), st.emails(), ANY_TEXT),
    "no_kk": st.one_of(st.just(""), st.integers(1, 9999).map(lambda n: make_kk(serial=n)), ANY_TEXT),
    "kecamatan": st.one_of(st.just(""), st.sampled_from(["64.71.05", "Balikpapan Kota", "Samarinda Ulu"]), ANY_TEXT),
}
ROW = st.fixed_dictionaries(FIELDS)
HEADER = st.one_of(st.just(COLUMNS), st.permutations(COLUMNS), st.lists(ANY_TEXT, min_size=1, max_size=9))


def _csv(header, rows, delimiter) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return out.getvalue().encode("utf-8")


def _xlsx(header, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    clean = lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v  # noqa: E731
    sheet.append([clean(h) for h in header])
    for row in rows:
        sheet.append([clean(row.get(c, "")) for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _documents(app) -> int:
    with app.app_context(), all_tenants():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Document))


def _upload_and_import(app, client, raw: bytes, filename: str) -> None:
    before = _documents(app)
    page = client.get("/balikpapan/office/import")
    response = client.post("/balikpapan/office/import", data={
        "csrf_token": csrf_token_from(page.get_data(as_text=True)), "file": (io.BytesIO(raw), filename)},
        content_type="multipart/form-data")
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code != 302:
        assert _documents(app) == before  # a refused file writes nothing
        return
    preview_url = response.headers["Location"]
    batch_id = int(re.search(r"/import/(\d+)", preview_url).group(1))
    preview = client.get(preview_url)
    assert preview.status_code < 500
    with app.app_context(), all_tenants():
        new_rows = db.session.get(ImportBatch, batch_id).rows_new
    assert _documents(app) == before  # a preview writes no document
    done = client.post(preview_url + "/confirm", data={"csrf_token": csrf_token_from(preview.get_data(as_text=True))})
    assert done.status_code < 500
    with app.app_context(), all_tenants():
        status = db.session.get(ImportBatch, batch_id).status
    assert _documents(app) == before + (new_rows if status == "imported" else 0)


def _office(staff):
    """One sign-in per test, not per example (the sign-in limit would refuse the tenth)."""
    if not hasattr(staff, "office_client"):
        staff.office_client = staff("operator")
    return staff.office_client


@given(header=HEADER, rows=st.lists(ROW, max_size=12), delimiter=st.sampled_from([",", ";"]))
@examples(30)
def test_fuzzed_csv_exports(app, staff, header, rows, delimiter):
    _upload_and_import(app, _office(staff), _csv(header, rows, delimiter), "siak.csv")


@given(header=HEADER, rows=st.lists(ROW, max_size=8))
@examples(15)
def test_fuzzed_xlsx_exports(app, staff, header, rows):
    _upload_and_import(app, _office(staff), _xlsx(header, rows), "siak.xlsx")


@given(raw=st.binary(max_size=2000), filename=st.sampled_from(["siak.csv", "siak.xlsx", "siak.txt"]))
@examples(15)
def test_fuzzed_bytes(app, staff, raw, filename):
    _upload_and_import(app, _office(staff), raw, filename)
