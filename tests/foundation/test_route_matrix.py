"""The route matrix: every route and method of the product, asked by every kind of caller.

The outside security test that found the holes of issue 12 walked 89 route×method pairs × 9 roles;
this is that walk, kept. Roles: nobody, Balikpapan's operator, supervisor and admin, Samarinda's admin,
the platform operator, and API tokens of Balikpapan, of Samarinda and of the platform. For each
request: never a server error; a caller outside the page's audience (another city's staff, a city's
staff on the console, an anonymous visitor on the office or the API) never gets the page and changes
nothing, even with the CSRF check out of the way. The sandboxes (refused in production) and static
files are left out. The figures are written to test-output/route-matrix.txt.
"""
from __future__ import annotations

import re
from collections import Counter

import pytest
import sqlalchemy as sa

from saas.api.services import create_token
from saas.config import PROJECT_ROOT
from saas.extensions import db
from saas.tenancy.services import get_tenant
from tests.conftest import make_user, sign_in
from tests.factories import add_document

_PLACEHOLDER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>")
OFFICE_OPEN = ("/login", "/welcome/<token>")  # the sign-in, and the first admin's signed one-time link
CONSOLE_OPEN = ("/admin/login",)
API_OPEN = ("/api/v1/openapi.json", "/api/v1/<tenant_slug>/public/status")
REFUSED = {302, 400, 401, 403, 404, 405, 410}


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/sandbox"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url(rule, number: str) -> str:
    def fill(match):
        name = match.group(1)
        if name == "tenant_slug":
            return "balikpapan"
        if name == "registration_no":
            return number
        if name == "provider":
            return "gosend"
        return "1"
    return _PLACEHOLDER.sub(fill, rule.rule)


def _audience(rule) -> str:
    if rule.rule.startswith("/<tenant_slug>/office"):
        return "open" if rule.rule.endswith(OFFICE_OPEN) else "office"
    if rule.rule.startswith("/admin"):
        return "open" if rule.rule in CONSOLE_OPEN else "console"
    if rule.rule.startswith("/api/v1/admin"):
        return "platform-api"
    if rule.rule.startswith("/api/"):
        return "open" if rule.rule in API_OPEN else "city-api"
    return "open"


def _snapshot(app) -> dict[str, int]:
    """Row counts of every table: a refused request writes nothing."""
    with app.app_context():
        tables = db.metadata.sorted_tables
        return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)
                                          .execution_options(all_tenants=True)) for t in tables
                if t.name not in ("access_log", "platform_audit_log")}


@pytest.fixture
def callers(app):
    """One signed-in client per role, and the API tokens."""
    clients = {"nobody": app.test_client()}
    for key, slug, role in (("bpp-operator", "balikpapan", "operator"), ("bpp-supervisor", "balikpapan", "supervisor"),
                            ("bpp-admin", "balikpapan", "admin"), ("smr-admin", "samarinda", "admin"),
                            ("platform", None, "superadmin")):
        email = f"{role}@{slug or 'platform'}.matrix"
        make_user(app, slug, role, email)
        client = app.test_client()
        assert sign_in(client, slug, email).status_code == 302, key
        clients[key] = client
    with app.app_context():
        tokens = {}
        for key, slug in (("token-bpp", "balikpapan"), ("token-smr", "samarinda"), ("token-platform", None)):
            _, tokens[key] = create_token(tenant=get_tenant(slug) if slug else None, name=f"matrix {key}")
        db.session.commit()
    return clients, tokens


def _outsiders(audience: str) -> set[str]:
    """The callers for whom a page of this audience must be refused."""
    staff = {"bpp-operator", "bpp-supervisor", "bpp-admin"}
    return {
        "office": {"nobody", "smr-admin", "platform", "token-bpp", "token-smr", "token-platform"},
        "console": {"nobody", "smr-admin", "token-bpp", "token-smr", "token-platform"} | staff,
        "city-api": {"nobody", "smr-admin", "platform", "token-smr", "token-platform"} | staff,
        "platform-api": {"nobody", "smr-admin", "platform", "token-bpp", "token-smr"} | staff,
        "open": set(),
    }[audience]


def test_every_route_and_role(app, callers, monkeypatch):
    clients, tokens = callers
    number = add_document(app, status="ready")
    figures: Counter = Counter()
    failures: list[str] = []
    pairs = list(_rules(app))
    for rule, method in pairs:
        audience = _audience(rule)
        url = _url(rule, number)
        for caller in [*clients, *tokens]:
            outsider = caller in _outsiders(audience)
            client = clients.get(caller) or clients["nobody"]
            headers = {"Authorization": f"Bearer {tokens[caller]}"} if caller in tokens else {}
            # Outsiders meet no CSRF check: what stops them must be the page's own guard.
            monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", not outsider)
            before = _snapshot(app) if outsider and method != "GET" else None
            if caller in ("bpp-operator", "bpp-supervisor", "bpp-admin", "smr-admin", "platform") \
                    and method == "POST" and rule.rule.endswith(("/logout", "/sign-out")):
                continue  # signing a caller out would spoil the rest of its walk
            response = client.open(url, method=method, headers=headers, data={}, follow_redirects=False)
            status = response.status_code
            figures[(audience, "refused" if outsider else "member", status)] += 1
            if status >= 500:
                failures.append(f"{method} {url} as {caller}: {status}")
            if outsider:
                location = response.headers.get("Location", "")
                if status not in REFUSED or (status == 302 and "login" not in location):
                    failures.append(f"{method} {url} as {caller} ({audience}): {status} {location}")
                if before is not None and _snapshot(app) != before:
                    failures.append(f"{method} {url} as {caller} ({audience}) changed rows")
    requests_made = sum(figures.values())
    lines = [f"{len(pairs)} route×method pairs × {len(clients) + len(tokens)} callers = {requests_made} requests",
             *(f"{audience:13} {kind:8} {status}: {count}" for (audience, kind, status), count in sorted(figures.items()))]
    out = PROJECT_ROOT / "test-output"
    out.mkdir(exist_ok=True)
    (out / "route-matrix.txt").write_text("\n".join(lines) + "\n")
    assert not failures, "\n".join(failures[:40])
