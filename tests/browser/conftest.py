"""Browser tests: Playwright driving Debian's Chromium at a phone's size."""
from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest

from saas.config import PROJECT_ROOT
from tests.conftest import missing_service

CHROMIUM = os.environ.get("ANTAR_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
#: The README's pictures, rewritten only when ANTAR_UPDATE_SCREENSHOTS=1: a CI run leaves the tree clean.
README_SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}
#: What "0 violations" is measured against: WCAG 2.0, 2.1 and 2.2, levels A and AA.
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


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


@pytest.fixture(params=[PHONE, DESKTOP], ids=["360px", "1366px"])
def screen(request, chromium, live_server):
    """A fresh browser context at a phone's and at a laptop's size: a journey runs at both."""
    size = request.param
    phone = size is PHONE
    context = chromium.new_context(viewport=size, device_scale_factor=2 if phone else 1, is_mobile=phone,
                                   has_touch=phone, base_url=live_server.url, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15000)
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((live_server.url, "data:")) else None)
    yield page
    context.close()
    assert not outside, f"the page loaded from another host: {outside}"


def accessible(page, name: str) -> None:
    """axe-core (bundled in axe-playwright-python, injected from the local install) finds no WCAG 2.2 AA
    violation on the page as it stands; a screenshot at this size is kept as test output."""
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state()  # a click may have left the next page committed but not yet whole
    width = page.viewport_size["width"]
    shot(page, f"{name}-{width}px")
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    assert results.violations_count == 0, f"{page.url} at {width}px:\n{results.generate_report()}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{page.url} overflows {width}px"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def readme_shot(page, name: str) -> None:
    """The page as the README shows it: the laptop's first screen, 1366 px wide, written to
    docs/screenshots/<name>.png when ANTAR_UPDATE_SCREENSHOTS=1 and the page is at the laptop's size."""
    if os.environ.get("ANTAR_UPDATE_SCREENSHOTS") != "1" or page.viewport_size["width"] != DESKTOP["width"]:
        return
    README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (README_SCREENSHOTS / f"{name}.png").write_bytes(_recompressed(page.screenshot()))


def _recompressed(png: bytes) -> bytes:
    """The same PNG with its pixels deflated at the highest level (Chromium writes them fast, not small)."""
    chunks, at = [], 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        chunks.append((kind, png[at + 8:at + 8 + length]))
        at += 12 + length
    pixels = zlib.compress(zlib.decompress(b"".join(data for kind, data in chunks if kind == b"IDAT")), 9)
    out = [png[:8]]
    for kind, data in chunks:
        if kind == b"IDAT":
            if pixels is None:
                continue
            data, pixels = pixels, None
        out.append(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data)))
    return b"".join(out)
