"""The comparison page in Chromium with the demo's six cities (a smaller history), at 360 px and 1366 px, with
axe-core on it; at 1366 px it is the README's picture of the console."""
from __future__ import annotations

import random

import pytest

from saas.sandboxes.demo_history import fill_city
from saas.extensions import db
from saas.models import utcnow
from saas.stats.services import rebuild
from saas.tenancy.scope import tenant_bound
from saas.tenancy.services import list_tenants
from tests.browser.conftest import accessible, readme_shot
from tests.conftest import make_user

pytestmark = pytest.mark.browser


def test_the_comparison_page_shows_six_cities_with_their_own_figures(app, screen):
    rng = random.Random(7)
    with app.app_context():
        for tenant in list_tenants():
            with tenant_bound(tenant):
                fill_city(tenant, rng, utcnow(), days=35, scale=0.06)
                rebuild(tenant)
        db.session.commit()
    make_user(app, None, "superadmin", "root@antar.test", name="Operator Platform")
    page = screen
    page.goto("/admin/login")
    page.get_by_label("E-mail").fill("root@antar.test")
    page.get_by_label("Kata sandi").fill("correct horse battery")
    page.get_by_role("button", name="Masuk").click()
    page.goto("/admin/compare")
    rows = page.locator("table.compare tbody tr")
    assert rows.count() == 6
    ready = [int(rows.nth(i).locator("td").nth(1).inner_text()) for i in range(6)]
    assert len(set(ready)) == 6 and all(ready)  # six cities, six different volumes
    assert page.locator("svg.sparkline").count() == 6 and page.locator("svg.chart circle").count() == 6
    assert page.locator("th[title]").count() >= 11  # each figure explains itself on hover
    page.get_by_role("link", name="Porsi kurir").click()
    assert page.locator("th[aria-sort]").count() == 1
    readme_shot(page, "console-comparison")
    accessible(page, "console-compare-six-cities")
