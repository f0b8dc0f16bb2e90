"""The office queue in Chromium: what a person at the desk can read."""
from __future__ import annotations

import re

import pytest

from tests.conftest import make_user
from tests.factories import add_document

pytestmark = pytest.mark.browser


def _luminance(css: str) -> float:
    red, green, blue = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_active_tabs_count_can_be_read(app, chromium, live_server):
    add_document(app, status="ready")
    make_user(app, "balikpapan", "operator", "op@balikpapan.test")
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.goto("/balikpapan/office/login")
    page.get_by_label("E-mail").fill("op@balikpapan.test")
    page.get_by_label("Kata sandi").fill("correct horse battery")
    page.get_by_role("button", name="Masuk").click()
    page.goto("/balikpapan/office/")
    badge = page.locator('.tabs a[aria-current="page"] .badge')
    assert badge.inner_text() == "1"
    colours = badge.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
    assert contrast(*colours) >= 4.5, colours
    context.close()
