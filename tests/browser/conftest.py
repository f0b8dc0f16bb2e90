"""Browser tests: Playwright driving Debian's Chromium at a phone's size."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from saas.config import PROJECT_ROOT
from tests.conftest import missing_service

CHROMIUM = os.environ.get("ANTAR_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        missing_service(f"{CHROMIUM} is not installed (Debian package 'chromium')")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run", "--disable-quic"])
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def phone(chromium, live_server):
    """A fresh phone-sized browser context, pointed at the live app."""
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                   base_url=live_server.url, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15000)
    outside = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith((live_server.url, "data:")) else None)
    yield page
    context.close()
    assert not outside, f"the page loaded from another host: {outside}"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
