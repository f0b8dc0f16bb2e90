"""Staff sign-in: per city, per role, rate limited, with safe cookies and fresh sessions."""
from __future__ import annotations

import sqlalchemy as sa

from saas.accounts.models import StaffAccessLog
from saas.extensions import db
from saas.tenancy.scope import all_tenants
from tests.conftest import make_user, sign_in, submit


def test_office_sign_in_lands_on_the_office_and_is_logged(app, client):
    make_user(app, "balikpapan", "operator", "ani@balikpapan.test")
    response = sign_in(client, "balikpapan", "ani@balikpapan.test")
    assert response.status_code == 302 and response.headers["Location"].endswith("/balikpapan/office/")
    home = client.get("/balikpapan/office/")
    assert home.status_code == 200
    assert "Kota Balikpapan" in home.get_data(as_text=True)
    with app.app_context(), all_tenants():
        assert [row.action for row in db.session.scalars(sa.select(StaffAccessLog))] == ["sign_in"]


def test_wrong_password_answers_like_an_unknown_address(app, client):
    make_user(app, "balikpapan", "operator", "ani@balikpapan.test")
    wrong = sign_in(client, "balikpapan", "ani@balikpapan.test", "not the password")
    unknown = sign_in(client, "balikpapan", "nobody@balikpapan.test")
    assert wrong.status_code == unknown.status_code == 401
    assert "E-mail atau kata sandi salah." in wrong.get_data(as_text=True)
    assert "E-mail atau kata sandi salah." in unknown.get_data(as_text=True)


def test_a_balikpapan_account_cannot_sign_in_to_samarinda_or_admin(app, client):
    make_user(app, "balikpapan", "admin", "boss@balikpapan.test")
    assert sign_in(client, "samarinda", "boss@balikpapan.test").status_code == 401
    assert sign_in(client, "balikpapan", "boss@balikpapan.test").status_code == 302
    # Signed in to Balikpapan, Samarinda's office still asks for Samarinda's sign-in.
    other = client.get("/samarinda/office/")
    assert other.status_code == 302 and "/samarinda/office/login" in other.headers["Location"]
    assert client.get("/admin/").status_code == 403
    client.get("/balikpapan/office/")  # still in
    assert sign_in(client, None, "boss@balikpapan.test").status_code == 401


def test_a_superadmin_signs_in_to_admin_only(app, client):
    make_user(app, None, "superadmin", "root@antar.test")
    assert sign_in(client, "balikpapan", "root@antar.test").status_code == 401
    response = sign_in(client, None, "root@antar.test")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200
    office = client.get("/balikpapan/office/")
    assert office.status_code == 302 and "/balikpapan/office/login" in office.headers["Location"]


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/balikpapan/office/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/balikpapan/office/login?next=")
    assert client.get("/admin/").headers["Location"].startswith("/admin/login")


def test_session_cookie_is_httponly_and_lax_and_renewed_at_sign_in(app, client):
    make_user(app, "balikpapan", "operator", "ani@balikpapan.test")
    client.get("/balikpapan/office/login?lang=en")
    before = client.get_cookie("session").value
    response = sign_in(client, "balikpapan", "ani@balikpapan.test")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header  # development; production sets it (see test_config)
    assert client.get_cookie("session").value != before
    # Nothing chosen before sign-in survives it: the language preference was dropped.
    assert 'lang="id"' in client.get("/balikpapan/office/").get_data(as_text=True)


def test_sign_out_ends_the_session_even_for_a_copied_cookie(app, client):
    make_user(app, "balikpapan", "operator", "ani@balikpapan.test")
    sign_in(client, "balikpapan", "ani@balikpapan.test")
    stolen = client.get_cookie("session").value
    home = client.get("/balikpapan/office/")
    response = client.post("/balikpapan/office/logout",
                           data={"csrf_token": _token(home.get_data(as_text=True))})
    assert response.status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/balikpapan/office/").status_code == 302


def _token(html):
    from tests.conftest import csrf_token_from

    return csrf_token_from(html)


def test_forms_without_csrf_token_are_refused(app, client):
    make_user(app, "balikpapan", "operator", "ani@balikpapan.test")
    response = client.post("/balikpapan/office/login",
                           data={"email": "ani@balikpapan.test", "password": "correct horse battery"})
    assert response.status_code == 400
    assert "Formulir sudah kedaluwarsa" in response.get_data(as_text=True)


def test_failed_sign_ins_are_rate_limited_per_account(app, client):
    make_user(app, "balikpapan", "operator", "ani@balikpapan.test")
    for _ in range(5):
        assert sign_in(client, "balikpapan", "ani@balikpapan.test", "guess guess guess").status_code == 401
    limited = sign_in(client, "balikpapan", "ani@balikpapan.test")
    assert limited.status_code == 429
    assert "Terlalu banyak percobaan" in limited.get_data(as_text=True)
    # Another account at the same office is not locked out by it.
    make_user(app, "balikpapan", "supervisor", "budi@balikpapan.test")
    assert sign_in(client, "balikpapan", "budi@balikpapan.test").status_code == 302


def test_sign_in_attempts_are_rate_limited_per_address(app, client):
    for n in range(10):
        assert sign_in(client, "samarinda", f"user{n}@samarinda.test").status_code == 401
    assert sign_in(client, "samarinda", "user99@samarinda.test").status_code == 429


def test_roles_rank_operator_supervisor_admin(app):
    from saas.accounts.models import User

    operator, supervisor, admin = (User(role=r, tenant_id=1) for r in ("operator", "supervisor", "admin"))
    assert operator.has_role("operator") and not operator.has_role("supervisor")
    assert supervisor.has_role("operator") and supervisor.has_role("supervisor") and not supervisor.has_role("admin")
    assert admin.has_role("admin") and admin.has_role("operator")
    assert not User(role="superadmin").has_role("admin")


def test_passwords_are_stored_as_argon2id(app):
    from saas.accounts.models import User

    user_id = make_user(app, "bontang", "operator", "c@bontang.test")
    with app.app_context():
        stored = db.session.get(User, user_id).password_hash
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


def test_users_create_cli(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--tenant", "surabaya", "--role", "supervisor",
                                 "--email", "Sari@Surabaya.test", "--password", "a long password"])
    assert result.exit_code == 0, result.output
    assert "Created supervisor sari@surabaya.test in surabaya." in result.output
    result = runner.invoke(args=["users", "create", "--role", "superadmin", "--email", "ops@antar.test"],
                           input="another long one\nanother long one\n")
    assert result.exit_code == 0 and "in platform" in result.output
    refused = runner.invoke(args=["users", "create", "--tenant", "surabaya", "--role", "superadmin",
                                  "--email", "x@surabaya.test", "--password", "a long password"])
    assert refused.exit_code != 0 and "role is one of" in refused.output
    short = runner.invoke(args=["users", "create", "--tenant", "nowhere", "--role", "admin",
                                "--email", "x@y.test", "--password", "a long password"])
    assert short.exit_code != 0 and "No city 'nowhere'" in short.output


def test_next_parameter_cannot_send_you_to_another_site(app, client):
    make_user(app, "balikpapan", "operator", "ani@balikpapan.test")
    response = submit(client, "/balikpapan/office/login?next=//evil.example/x",
                      {"email": "ani@balikpapan.test", "password": "correct horse battery"})
    assert response.headers["Location"] == "/balikpapan/office/"
