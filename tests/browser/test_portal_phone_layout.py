"""What a 360 px phone shows (issue 14, item 9): every city's home fits, the slot picker keeps its
button in reach, the stars stay on one row, and a note never wears an error's red."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PHONE, fits_the_phone, shot
from tests.factories import add_document, make_nik

pytestmark = pytest.mark.browser
CITIES = ("balikpapan", "bontang", "makassar", "samarinda", "surabaya", "tangerang-selatan")


def test_every_citys_home_fits_a_360_px_phone(app, phone):
    for slug in CITIES:
        phone.goto(f"/{slug}/")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (slug, width)


def _open(page, slug, number, nik):
    page.goto(f"/{slug}/")
    page.get_by_label("Nomor registrasi").fill(number)
    page.get_by_label("NIK pemilik dokumen (16 angka)").fill(nik)
    page.get_by_role("button", name="Cari").click()


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def test_the_slot_picker_shows_a_day_and_keeps_the_button_in_reach(app, phone):
    nik = make_nik("357801", serial=7201)
    add_document(app, slug="surabaya", registration_no="SB-PH01", status="ready", nik=nik)  # 15-minute slots
    page = phone
    _open(page, "surabaya", "SB-PH01", nik)
    page.get_by_role("link", name="Pilih jadwal").click()
    page.wait_for_url(re.compile(r"/jadwal"))  # measured once the slot page is there, not mid-navigation
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2 * PHONE["height"], height
    button = page.get_by_role("button", name="Pesan jadwal ini")
    assert _in_view(page, button) and fits_the_phone(page)
    shot(page, "surabaya-slots-360")
    tabs = page.get_by_role("navigation", name="Hari").get_by_role("link")
    assert tabs.count() >= 5
    tabs.nth(2).click()
    assert page.locator("nav.day-tabs a[aria-current=page]").inner_text() == tabs.nth(2).inner_text()
    page.locator("label.slot").last.click()
    assert _in_view(page, button)
    button.click()
    assert re.fullmatch(r"JDW-[A-Z0-9]{6}", page.locator("p.code").inner_text())


def test_the_stars_stay_on_one_row_and_notes_are_not_red(app, phone):
    nik = make_nik("357801", serial=7202)
    add_document(app, slug="surabaya", registration_no="SB-PH02", status="collected", nik=nik)
    page = phone
    _open(page, "surabaya", "SB-PH02", nik)
    tops = {round(box["y"]) for box in (s.bounding_box() for s in page.locator("label.star").all())}
    assert len(tops) == 1, tops
    page.get_by_role("button", name="Dokumen sudah saya terima").click()
    page.get_by_label("5★").check()
    page.get_by_role("button", name="Kirim penilaian").click()
    note = page.locator(".flash-success, .flash-info").first
    assert note.is_visible()
    page.evaluate("document.querySelector('.flashes').insertAdjacentHTML('beforeend', "
                  "'<p class=\"flash flash-info\" id=\"probe\">x</p>')")
    colour = page.evaluate("getComputedStyle(document.getElementById('probe')).borderLeftColor")
    brand = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()")
    assert brand.lower() == "#b3261e" and colour != "rgb(179, 38, 30)", colour
    assert fits_the_phone(page)
