"""The office's printed records in Chromium: the Print button prints, the paper is the one chosen."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import accessible
from tests.conftest import make_user
from tests.factories import add_document

pytestmark = pytest.mark.browser
POINTS_PER_MM = 72 / 25.4


def _page_widths_mm(pdf: bytes) -> set[int]:
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    return {round(float(width) / POINTS_PER_MM) for width, _height in boxes}


def test_the_pickup_receipt_prints_on_a4_or_on_the_roll(app, screen):
    number = add_document(app, registration_no="BPP-8801", status="collected", name="Siti Aminah")
    make_user(app, "balikpapan", "operator", "op@balikpapan.test")
    page = screen
    page.add_init_script("window.print = function () { window.printed = (window.printed || 0) + 1; };")
    page.goto("/balikpapan/office/login")
    page.get_by_label("E-mail").fill("op@balikpapan.test")
    page.get_by_label("Kata sandi").fill("correct horse battery")
    page.get_by_role("button", name="Masuk").click()

    page.goto(f"/balikpapan/office/documents/{number}")
    page.get_by_role("link", name="Cetak tanda terima pengambilan").click()
    assert "Tanda Terima Pengambilan Dokumen" in page.inner_text("h1").title()
    accessible(page, "print-pickup-receipt-a4")
    page.get_by_role("button", name="Cetak").click()
    assert page.evaluate("window.printed") == 1
    assert _page_widths_mm(page.pdf(prefer_css_page_size=True)) == {210}

    page.get_by_role("link", name="Kertas gulung 80 mm").click()
    assert "paper=80mm" in page.url
    accessible(page, "print-pickup-receipt-80mm")
    assert _page_widths_mm(page.pdf(prefer_css_page_size=True)) == {80}
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Cetak").is_visible()  # the toolbar stays off the paper
    assert page.get_by_text("Siti Aminah").is_visible()
