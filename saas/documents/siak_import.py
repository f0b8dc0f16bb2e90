"""Importing the day's SIAK export (CSV or XLSX): check every row, preview, then import.

The columns are fixed (see the README and the template); a file with other columns, in another
encoding or over the limits is refused whole. Each row gets a verdict: new, already registered,
or refused with its reason. Importing commits every new row in one transaction.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from dataclasses import dataclass, field

from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from saas.documents.identity import Protector, decrypt, encrypt
from saas.documents.lifecycle import Actor
from saas.documents.models import ImportBatch
from saas.documents.services import (
    REASON_CONFLICT,
    REASON_DUPLICATE,
    REASON_EXISTS,
    DocumentInput,
    DocumentRules,
    existing_identities,
    field_label,
    prepared_row,
    register_rows,
)
from saas.extensions import db
from saas.models import utcnow
from saas.security import mask_nik, redact_niks
from saas.tenancy.scope import current_tenant

#: SIAK column → Antar field. The first five are required.
COLUMNS = {
    "no_registrasi": "registration_no",
    "nik": "nik",
    "nama": "name",
    "jenis_dokumen": "doc_type",
    "no_hp": "phone",
    "email": "email",
    "no_kk": "kk_number",
    "kecamatan": "kecamatan",
}
REQUIRED_COLUMNS = ("no_registrasi", "nik", "nama", "jenis_dokumen", "no_hp")
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
#: Rows looked at, empty ones included: a sheet of millions of ``<row/>`` is refused early, not read through.
MAX_ROWS_LOOKED_AT = 5 * MAX_ROWS
#: What the workbook's parts may unpack to: a 5 MB .xlsx can hide gigabytes of XML.
MAX_UNPACKED_BYTES = 32 * 1024 * 1024
#: Columns read from the sheet, whatever its <dimension> says (the header names at most len(COLUMNS)).
MAX_COLUMNS = 64
TEMPLATE_ROWS = [
    ["no_registrasi", "nik", "nama", "jenis_dokumen", "no_hp", "email", "no_kk", "kecamatan"],
    ["6471-KTP-20261127-0001", "6471054508900002", "Siti Aminah", "ktp_el", "081234567890",
     "siti@example.test", "6471050101100003", "64.71.05"],
]


class FileRefused(Exception):
    """The whole file is refused; ``message`` says why, for the operator."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


@dataclass
class RowVerdict:
    """One row's verdict as the preview shows it, and what the import needs of it.

    Made once, at the preview, and kept (encrypted) with the batch: the preview page and the
    import read it back instead of checking every row again.
    """

    row_number: int
    verdict: str  # "new", "already_registered" or "refused"
    registration_no: str  # as typed, but never a whole NIK: shown on the preview and kept in the refusals
    name: str
    nik_masked: str
    reason: str | None = None
    messages: dict = field(default_factory=dict)  # the refusal's details, by language
    #: For a new row, its document's columns with the personal numbers already protected.
    row: dict | None = field(default=None, repr=False)

    @classmethod
    def of(cls, row_number: int, item: DocumentInput, raw: dict, verdict: str) -> RowVerdict:
        return cls(row_number=row_number, verdict=verdict,
                   registration_no=redact_niks((raw.get("registration_no") or "").strip().upper()),
                   name=redact_niks((raw.get("name") or "").strip()), nik_masked=mask_nik(str(raw.get("nik") or "")),
                   reason=item.reason, messages=_said_in_each_language(item))

    @property
    def message(self) -> str:
        """Each refused field by the name the office knows it, and why, in the reader's language."""
        return refusal_message({"message": self.messages})

    def refuse(self, item: DocumentInput, field_name: str, message, reason: str) -> None:
        item.refuse(field_name, message, reason)
        self.verdict, self.reason, self.row = "refused", item.reason, None
        self.messages = _said_in_each_language(item)


def _said_in_each_language(item: DocumentInput) -> dict[str, str]:
    """Kept with the batch (whose file goes at the import), so each reader gets their language."""
    said = {}
    for language in LANGUAGES:
        with force_locale(language):
            said[language] = redact_niks("; ".join(f"{field_label(f)}: {why}" for f, why in item.why.items()))
    return said


LANGUAGES = ("id", "en")
#: Why a row was refused, in a word the office reads (the codes stay in the batch and the API).
REASON_LABELS = {
    "missing_field": _l("missing field"), "bad_nik": _l("bad NIK"), "unknown_doc_type": _l("unknown document type"),
    "bad_phone": _l("bad phone"), "duplicate_in_file": _l("duplicate in file"), "bad_value": _l("bad value"),
    REASON_CONFLICT: _l("number of another person's document"),
}
#: Where a batch stands, as the office reads it.
BATCH_STATUS_LABELS = {"previewed": _l("Checked, not imported yet"), "imported": _l("Imported"),
                       "discarded": _l("Discarded")}


def refusal_message(refusal: dict) -> str:
    """A kept refusal's details in the reader's language (older batches kept one language only)."""
    message = refusal.get("message") or ""
    if isinstance(message, dict):
        locale = get_locale()
        return message.get(locale.language if locale else "id") or message.get("id") or ""
    return message


def _file_format(filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".xlsx"):
        return "xlsx"
    raise FileRefused(_l("Upload the SIAK export as .csv or .xlsx."))


def _check_header(header: list[str]) -> list[str]:
    names = [str(h or "").strip().lower() for h in header]
    while names and not names[-1]:
        names.pop()
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    unknown = [n for n in names if n not in COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        raise FileRefused(_l(
            "The columns are not those of the SIAK export. Expected: %(expected)s. "
            "Missing: %(missing)s. Unknown: %(unknown)s.",
            expected=", ".join(COLUMNS), missing=", ".join(missing) or "-",
            unknown=", ".join(unknown) or "-"))
    return names


def _rows_from_csv(raw: bytes) -> list[dict]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(_l("The file is not UTF-8 text. In Excel choose 'CSV UTF-8' when saving.")) from None
    if not text.strip():
        raise FileRefused(_l("The file is empty."))
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = _check_header(next(reader))
    rows = []
    try:
        for values in reader:
            _count_looked_at(reader.line_num)
            if not any(v.strip() for v in values):
                continue
            rows.append({COLUMNS[name]: (values[i] if i < len(values) else "") for i, name in enumerate(header)})
            if len(rows) > MAX_ROWS:
                raise FileRefused(_l("More than %(limit)s rows: split the export.", limit=f"{MAX_ROWS:,}"))
    except csv.Error as exc:  # a field over csv.field_size_limit(), a stray quote: say which row
        if "field limit" in str(exc):
            raise FileRefused(_l("Row %(row)s has a field longer than %(limit)s characters.",
                                 row=reader.line_num, limit=f"{csv.field_size_limit():,}")) from None
        raise FileRefused(_l("Row %(row)s cannot be read as CSV.", row=reader.line_num)) from None
    return rows


def _count_looked_at(looked_at: int) -> None:
    """Empty rows are no data rows, but a file may not make us look at millions of them."""
    if looked_at > MAX_ROWS_LOOKED_AT:
        raise FileRefused(_l("The sheet has more than %(limit)s rows, most of them empty: delete the empty rows "
                             "and save it again.", limit=f"{MAX_ROWS_LOOKED_AT:,}"))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _rows_from_xlsx(raw: bytes) -> list[dict]:
    from openpyxl import load_workbook

    _check_unpacked_size(raw)
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:
        raise FileRefused(_l("The file cannot be read as an Excel workbook (.xlsx).")) from None
    try:
        return _read_sheet(book.worksheets[0])
    except FileRefused:
        raise
    except Exception:  # broken XML inside a valid zip shows only while reading
        raise FileRefused(_l("The file cannot be read as an Excel workbook (.xlsx).")) from None
    finally:
        book.close()


def _check_unpacked_size(raw: bytes) -> None:
    import zipfile

    try:
        unpacked = sum(part.file_size for part in zipfile.ZipFile(io.BytesIO(raw)).infolist())
    except Exception:
        raise FileRefused(_l("The file cannot be read as an Excel workbook (.xlsx).")) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileRefused(_l("The workbook unpacks to more than %(mb)s MB: split the export.",
                             mb=MAX_UNPACKED_BYTES // (1024 * 1024)))


def _read_sheet(sheet) -> list[dict]:
    """Rows as they stream, counted: the sheet's own <dimension> is not trusted for size or width."""
    sheet.reset_dimensions()
    values = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    try:
        header = _check_header(list(next(values)))
    except StopIteration:
        raise FileRefused(_l("The file is empty.")) from None
    rows = []
    for looked_at, line in enumerate(values, start=2):
        _count_looked_at(looked_at)
        if not any(v not in (None, "") for v in line):
            continue
        row = {}
        for i, name in enumerate(header):
            value = line[i] if i < len(line) else None
            if name in ("nik", "no_kk") and isinstance(value, (int, float)):
                # Excel keeps 15 significant digits: a 16-digit number typed as a number is damaged.
                row[COLUMNS[name]] = "#number"
            else:
                row[COLUMNS[name]] = _cell(value)
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise FileRefused(_l("More than %(limit)s rows: split the export.", limit=f"{MAX_ROWS:,}"))
    return rows


def read_rows(filename: str, raw: bytes) -> tuple[str, list[dict]]:
    if len(raw) > MAX_BYTES:
        raise FileRefused(_l("The file is larger than %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)))
    file_format = _file_format(filename)
    rows = _rows_from_csv(raw) if file_format == "csv" else _rows_from_xlsx(raw)
    if not rows:
        raise FileRefused(_l("The file has a header but no rows."))
    return file_format, rows


def judge(rows: list[dict]) -> list[RowVerdict]:
    """A verdict for every row: new, already registered, or refused (with the reason).

    A new row's personal numbers are hashed and encrypted here, all with one set of keys, so the
    import only writes.
    """
    tenant = current_tenant
    rules = DocumentRules(tenant)
    protector = Protector()
    verdicts, items, seen = [], {}, set()
    for number, raw in enumerate(rows, start=2):  # row 1 is the header
        if raw.get("nik") == "#number" or raw.get("kk_number") == "#number":
            item = DocumentInput()
            field_name = "nik" if raw.get("nik") == "#number" else "kk_number"
            item.refuse(field_name, _l("Stored by Excel as a number, which loses digits: format the column as text."),
                        "bad_nik" if field_name == "nik" else "bad_value")
            verdicts.append(RowVerdict.of(number, item, {**raw, field_name: ""}, "refused"))
            continue
        item = rules.check(raw)
        if item.ok and item.values["registration_no"] in seen:
            item.refuse("registration_no", _l("Listed twice in this file."), REASON_DUPLICATE)
        if item.ok:
            seen.add(item.values["registration_no"])
        verdict = RowVerdict.of(number, item, raw, "new" if item.ok else "refused")
        if item.ok:
            verdict.row = prepared_row(item.values, protector)
            items[number] = item
        verdicts.append(verdict)
    _mark_existing(verdicts, items)
    return verdicts


def _mark_existing(verdicts: list[RowVerdict], items: dict[int, DocumentInput] | None = None) -> None:
    """New rows whose registration number the city already has: "already registered" when it is
    the same person's, refused as a conflict when it is another NIK's (a mistake on one side,
    never silently "already there")."""
    existing = existing_identities([v.row["registration_no"] for v in verdicts if v.verdict == "new"])
    for verdict in verdicts:
        if verdict.verdict != "new" or verdict.row["registration_no"] not in existing:
            continue
        if existing[verdict.row["registration_no"]] == verdict.row["nik_hash"]:
            verdict.verdict, verdict.row = REASON_EXISTS, None
        else:
            item = (items or {}).get(verdict.row_number) or DocumentInput()
            verdict.refuse(item, "registration_no", _l("This registration number already belongs to another "
                                                       "person's document (a different NIK)."), REASON_CONFLICT)


def _payload(verdicts: list[RowVerdict]) -> str:
    """The verdicts, encrypted: new rows hold personal numbers (protected, but also masked ones)."""
    return encrypt(json.dumps({"verdicts": [vars(v) for v in verdicts]}, separators=(",", ":")))


def preview(user, filename: str, raw: bytes) -> tuple[ImportBatch, list[RowVerdict]]:
    """Check a file once, and keep its verdicts (encrypted) for the preview page and the import."""
    tenant = current_tenant
    file_format, rows = read_rows(filename, raw)
    verdicts = judge(rows)
    batch = ImportBatch(
        tenant_id=tenant.id, uploaded_by_id=user.id, filename=filename[:255], file_format=file_format,
        file_sha256=hashlib.sha256(raw).hexdigest(), payload_encrypted=_payload(verdicts),
        rows_total=len(verdicts), **_counts(verdicts),
    )
    db.session.add(batch)
    db.session.flush()
    return batch, verdicts


def _counts(verdicts: list[RowVerdict]) -> dict:
    return {
        "rows_new": sum(v.verdict == "new" for v in verdicts),
        "rows_existing": sum(v.verdict == REASON_EXISTS for v in verdicts),
        "rows_refused": sum(v.verdict == "refused" for v in verdicts),
    }


def verdicts_of(batch: ImportBatch, tenant) -> list[RowVerdict]:
    """The verdicts the preview made. A batch previewed before verdicts were kept holds the file
    itself (base64, never starting with ``{``): its rows are checked again."""
    payload = decrypt(batch.payload_encrypted)
    if payload.startswith("{"):
        return [RowVerdict(**v) for v in json.loads(payload)["verdicts"]]
    return judge(read_rows(batch.filename, base64.b64decode(payload))[1])


class BatchClosed(Exception):
    pass


def import_batch(batch: ImportBatch, tenant, user) -> list[RowVerdict]:
    """Import every new row of a previewed batch, all in the caller's one transaction."""
    if batch.status != "previewed" or not batch.payload_encrypted:
        raise BatchClosed()
    verdicts = verdicts_of(batch, tenant)
    _mark_existing(verdicts)  # the register may have changed since
    register_rows([v.row for v in verdicts if v.verdict == "new"], Actor.staff(user),
                  note=f"SIAK import: {batch.filename}", batch_id=batch.id, staged=True)
    for key, value in _counts(verdicts).items():
        setattr(batch, key, value)
    batch.refusals = [
        {"row": v.row_number, "registration_no": v.registration_no, "reason": v.reason,
         "message": v.messages}
        for v in verdicts if v.verdict == "refused"
    ]
    batch.status = "imported"
    batch.imported_at = utcnow()
    batch.payload_encrypted = None  # the personal data now lives in the documents only
    return verdicts


def refused_rows(batch: ImportBatch, verdicts: list[RowVerdict] | None = None) -> list[dict]:
    """The refused rows of a batch, in the reader's language: from the file while it is kept,
    from what the import kept once the file is gone."""
    if batch.status == "previewed" and batch.payload_encrypted:
        verdicts = verdicts if verdicts is not None else verdicts_of(batch, current_tenant)
        rows = [{"row": v.row_number, "registration_no": v.registration_no, "reason": v.reason,
                 "message": v.message} for v in verdicts if v.verdict == "refused"]
    else:
        rows = [{**r, "message": refusal_message(r)} for r in batch.refusals or []]
    for row in rows:
        row["reason_label"] = str(REASON_LABELS.get(row["reason"], row["reason"] or ""))
    return rows


def refused_csv(batch: ImportBatch) -> bytes:
    """The refused rows to fix in SIAK and send again, as a spreadsheet opens it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(_l("Row")), str(_l("Registration no.")), str(_l("Reason")), str(_l("Details"))])
    for row in refused_rows(batch):
        writer.writerow([row["row"], row["registration_no"], row["reason_label"], row["message"]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read it as UTF-8


def discard_batch(batch: ImportBatch) -> None:
    batch.status = "discarded"
    batch.payload_encrypted = None


def template_csv() -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(TEMPLATE_ROWS)
    return out.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "SIAK"
    for row in TEMPLATE_ROWS:
        sheet.append(row)
    for column in "ABCDEFGH":  # text, so Excel keeps every digit of a NIK and the 0 of 08…
        for cell in sheet[column]:
            cell.number_format = "@"
        sheet.column_dimensions[column].width = 22
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
