"""Every string a citizen or the office sees exists in Bahasa Indonesia and in English."""
from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from saas.config import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "saas" / "translations"
PO = TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.mo"


def _source_messages() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(PROJECT_ROOT / "saas"), method_map=method_map,
            keywords={"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}):
        found.add(message if isinstance(message, str) else message[0])
    return {m for m in found if m}


def test_every_source_string_has_an_indonesian_translation():
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="id")
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    missing = sorted(_source_messages() - set(translated))
    assert not missing, f"not in the catalog (run the extraction): {missing[:10]}"
    empty = sorted(k for k, m in translated.items() if not m.string or m.fuzzy)
    assert not empty, f"untranslated or fuzzy: {empty[:10]}"


def test_the_compiled_catalog_is_up_to_date():
    with PO.open("rb") as fh:
        source = {m.id: m.string for m in read_po(fh, locale="id") if m.id}
    with MO.open("rb") as fh:
        compiled = {m.id: m.string for m in read_mo(fh) if m.id}
    assert compiled == source


def test_the_language_switch_shows_english(client):
    english = client.get("/balikpapan/?lang=en").get_data(as_text=True)
    assert "Find your document" in english and 'lang="en"' in english
    indonesian = client.get("/balikpapan/?lang=id").get_data(as_text=True)
    assert "Cari dokumen Anda" in indonesian and 'lang="id"' in indonesian
