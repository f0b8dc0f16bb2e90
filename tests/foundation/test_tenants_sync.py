"""tenants/<slug>/tenant.toml is the source of truth; a bad file changes nothing."""
from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa

from saas.extensions import db
from saas.tenancy.models import Tenant
from saas.tenancy.services import TenantFileError, list_tenants, sync_tenants
from tests.conftest import TENANTS_DIR

SHIPPED = {
    "balikpapan": ("64.71", "Asia/Makassar"),
    "samarinda": ("64.72", "Asia/Makassar"),
    "bontang": ("64.74", "Asia/Makassar"),
    "surabaya": ("35.78", "Asia/Jakarta"),
    "makassar": ("73.71", "Asia/Makassar"),
    "tangerang-selatan": ("36.74", "Asia/Jakarta"),
}


def _wipe_tenants():
    db.session.execute(sa.delete(Tenant))
    db.session.commit()


def _snapshot():
    return sorted((t.slug, t.settings_digest, t.status) for t in list_tenants())


@pytest.fixture
def tenants_copy(tmp_path):
    target = tmp_path / "tenants"
    shutil.copytree(TENANTS_DIR, target)
    return target


def test_sync_creates_the_six_shipped_cities_then_changes_nothing(ctx):
    _wipe_tenants()
    report = sync_tenants(TENANTS_DIR)
    assert sorted(report) == sorted(f"created {slug}" for slug in SHIPPED)
    cities = {t.slug: t for t in list_tenants()}
    assert {slug: (t.region_code, t.timezone) for slug, t in cities.items()} == SHIPPED
    assert sync_tenants(TENANTS_DIR) == []


def test_each_city_has_its_own_colours_logo_and_office(ctx):
    cities = list_tenants()
    assert len({c.branding["primary_color"] for c in cities}) == 6
    assert len({c.office["address"] for c in cities}) == 6
    assert all(c.logo_svg and c.logo_svg.lstrip().startswith("<svg") for c in cities)
    assert len({c.logo_svg for c in cities}) == 6


def test_balikpapan_is_the_pilot_with_its_six_kecamatan(ctx):
    balikpapan = next(t for t in list_tenants() if t.slug == "balikpapan")
    assert balikpapan.go_live_date.isoformat() == "2020-06-17"
    assert [(k["code"], k["name"]) for k in balikpapan.areas] == [
        ("64.71.01", "Balikpapan Timur"), ("64.71.02", "Balikpapan Barat"),
        ("64.71.03", "Balikpapan Utara"), ("64.71.04", "Balikpapan Tengah"),
        ("64.71.05", "Balikpapan Selatan"), ("64.71.06", "Balikpapan Kota"),
    ]


def test_an_edited_file_updates_only_that_city_and_says_what_changed(ctx, tenants_copy):
    toml = tenants_copy / "bontang" / "tenant.toml"
    toml.write_text(toml.read_text().replace('primary_color = "#00695c"', 'primary_color = "#004d40"'))
    assert sync_tenants(tenants_copy) == ["updated bontang: branding"]
    assert sync_tenants(tenants_copy) == []


@pytest.mark.parametrize("old, new, field", [
    ('timezone = "Asia/Makassar"', 'timezone = "Asia/Makasar"', "timezone"),
    ('timezone = "Asia/Makassar"', 'timezone = "Europe/Paris"', "timezone"),
    ('primary_color = "#0b5d8a"', 'primary_color = "blue"', "branding.primary_color"),
    ('primary_color = "#0b5d8a"', 'primary_color = "#f5f5f5"', "branding.text_on_primary"),
    ('region_code = "64.71"\n', '', "region_code"),
    ('pass_key_env = "BALIKPAPAN_GOSEND_PASS_KEY"', 'pass_key_env = "s3cr3t-pass-key"', "couriers.gosend.pass_key_env"),
    ('collection_rule = "owner_or_proxy"', 'collection_rule = "anyone"', "documents.collection_rule"),
    ('slug = "balikpapan"', 'slug = "balikpapan"\nmayor = "someone"', "mayor"),
])
def test_a_broken_file_is_refused_naming_file_and_field_and_nothing_is_written(
        ctx, tenants_copy, old, new, field):
    toml = tenants_copy / "balikpapan" / "tenant.toml"
    assert old in toml.read_text()
    toml.write_text(toml.read_text().replace(old, new))
    other = tenants_copy / "bontang" / "tenant.toml"
    other.write_text(other.read_text().replace("Bontang Lestari, Bontang 75325", "Bontang Lestari, 75325"))
    before = _snapshot()
    with pytest.raises(TenantFileError) as refused:
        sync_tenants(tenants_copy)
    files_and_fields = [(f, fld) for f, fld, _ in refused.value.problems]
    assert (str(toml), field) in files_and_fields
    assert _snapshot() == before


def test_a_folder_whose_name_differs_from_its_slug_is_refused(ctx, tenants_copy):
    (tenants_copy / "balikpapan").rename(tenants_copy / "bpp")
    with pytest.raises(TenantFileError) as refused:
        sync_tenants(tenants_copy)
    assert refused.value.problems[0][1] == "slug"


def test_a_logo_with_a_script_is_refused(ctx, tenants_copy):
    logo = tenants_copy / "makassar" / "logo.svg"
    logo.write_text(logo.read_text().replace("<title>", "<script>alert(1)</script><title>"))
    with pytest.raises(TenantFileError) as refused:
        sync_tenants(tenants_copy)
    assert refused.value.problems == [(str(logo), "(file)", "<script> is not allowed in a logo")]


def test_cli_sync_reports_and_refuses(app, tenants_copy):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tenants", "sync", "--dir", str(tenants_copy)])
    assert result.exit_code == 0 and "No changes." in result.output
    toml = tenants_copy / "surabaya" / "tenant.toml"
    toml.write_text(toml.read_text().replace('timezone = "Asia/Jakarta"', 'timezone = "Asia/Tokyo"'))
    result = runner.invoke(args=["tenants", "sync", "--dir", str(tenants_copy)])
    assert result.exit_code == 1
    assert f"{toml}: timezone: Not an Indonesian time zone" in result.output
    assert "nothing was written" in result.output


def test_cli_list_prints_every_city(app):
    result = app.test_cli_runner().invoke(args=["tenants", "list"])
    assert result.exit_code == 0
    for slug, (region, zone) in SHIPPED.items():
        line = next(line for line in result.output.splitlines() if line.startswith(slug + " "))
        assert region in line and zone in line and "active" in line
