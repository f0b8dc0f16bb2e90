"""Walk the URL map: every city route resolves its city, every office and console page is guarded."""
from __future__ import annotations

import re

from tests.conftest import make_user, sign_in

_PLACEHOLDER = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


def _routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            yield rule


def _url(rule, slug="balikpapan"):
    return _PLACEHOLDER.sub(lambda m: slug if m.group(1) == "tenant_slug" else "1", rule.rule)


def test_every_city_route_is_404_for_an_unknown_city(app, client):
    city_rules = [r for r in _routes(app) if "<tenant_slug>" in r.rule]
    assert city_rules
    for rule in city_rules:
        assert client.get(_url(rule, "atlantis")).status_code == 404, rule.rule


def test_every_office_page_needs_a_sign_in_to_that_city(app, client):
    # Signing in and the first admin's one-time sign-up link (the signed token is the credential)
    # are the two office pages open to a visitor; a link that is not valid answers 410 and shows nothing.
    office_rules = [r for r in _routes(app) if r.rule.startswith("/<tenant_slug>/office")
                    and not r.rule.endswith(("/login", "/welcome/<token>"))]
    assert office_rules
    assert client.get("/balikpapan/office/welcome/not-a-signed-token").status_code == 410
    for rule in office_rules:
        response = client.get(_url(rule))
        assert response.status_code == 302, rule.rule
        assert "/balikpapan/office/login" in response.headers["Location"], rule.rule
    make_user(app, "samarinda", "admin", "admin@samarinda.test")
    sign_in(client, "samarinda", "admin@samarinda.test")
    for rule in office_rules:
        response = client.get(_url(rule))
        assert response.status_code == 302 and "/balikpapan/office/login" in response.headers["Location"], rule.rule


def test_every_console_page_is_for_superadmins_only(app, client):
    console_rules = [r for r in _routes(app) if r.rule.startswith("/admin") and not r.rule.endswith("/login")]
    assert console_rules
    for rule in console_rules:
        assert client.get(_url(rule)).status_code == 302, rule.rule
    make_user(app, "balikpapan", "admin", "admin@balikpapan.test")
    sign_in(client, "balikpapan", "admin@balikpapan.test")
    for rule in console_rules:
        assert client.get(_url(rule)).status_code == 403, rule.rule
