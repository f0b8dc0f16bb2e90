"""Sessions bound to their browser, and an account lockout an outsider cannot turn on its owner."""
from __future__ import annotations

from tests.conftest import make_user, sign_in, submit

OWNER = "ani@balikpapan.test"
HOME = "/balikpapan/office/"


def _browser(app, agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", address="127.0.0.1"):
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": agent, "REMOTE_ADDR": address})
    return client


def test_a_copied_session_cookie_does_not_work_in_another_browser(app):
    make_user(app, "balikpapan", "operator", OWNER)
    owner = _browser(app)
    assert sign_in(owner, "balikpapan", OWNER).status_code == 302
    assert owner.get(HOME).status_code == 200
    stolen_session = owner.get_cookie("session").value
    device = owner.get_cookie("antar_device")
    assert device is not None and device.http_only

    # the session cookie alone, in another browser
    thief = _browser(app, agent="curl/8.5.0", address="203.0.113.9")
    thief.set_cookie("session", stolen_session)
    refused = thief.get(HOME)
    assert refused.status_code == 302 and "/balikpapan/office/login" in refused.headers["Location"]

    # both cookies, from a client that is not the same browser
    thief = _browser(app, agent="curl/8.5.0", address="203.0.113.9")
    thief.set_cookie("session", stolen_session)
    thief.set_cookie("antar_device", device.value)
    assert thief.get(HOME).status_code == 302
    # a forged device cookie is no better
    forger = _browser(app)
    forger.set_cookie("session", stolen_session)
    forger.set_cookie("antar_device", "eyJkIjoieCIsInUiOlsxXX0.forged")
    assert forger.get(HOME).status_code == 302

    # the owner's browser goes on working
    assert owner.get(HOME).status_code == 200


def test_an_outsiders_wrong_passwords_do_not_lock_the_owner_out_of_a_known_browser(app):
    make_user(app, "balikpapan", "operator", OWNER)
    owner = _browser(app)
    assert sign_in(owner, "balikpapan", OWNER).status_code == 302  # the browser becomes known
    home = owner.get(HOME)
    submit(owner, HOME, {}, action="/balikpapan/office/logout")

    outsider = _browser(app, agent="python-requests/2.32", address="198.51.100.7")
    for _ in range(5):
        assert sign_in(outsider, "balikpapan", OWNER, "guess guess guess").status_code == 401
    # The account is held back: a browser it does not know gets the pause, right password or not,
    held = sign_in(outsider, "balikpapan", OWNER)
    assert held.status_code == 429 and "Terlalu banyak percobaan" in held.get_data(as_text=True)
    fresh = _browser(app, address="192.0.2.44")
    assert sign_in(fresh, "balikpapan", OWNER).status_code == 429
    # ... but the owner, on the browser she signed in on before, gets in.
    assert home.status_code == 200
    assert sign_in(owner, "balikpapan", OWNER).status_code == 302
    assert owner.get(HOME).status_code == 200


def test_refusals_by_the_address_limit_do_not_count_against_the_account(app):
    make_user(app, "balikpapan", "operator", OWNER)
    noisy = _browser(app, address="198.51.100.8")
    for n in range(10):
        assert sign_in(noisy, "balikpapan", f"user{n}@balikpapan.test", "guess guess guess").status_code == 401
    for _ in range(6):  # refused by the address limit before any password is looked at
        assert sign_in(noisy, "balikpapan", OWNER, "guess guess guess").status_code == 429
    newcomer = _browser(app, address="192.0.2.45")
    assert sign_in(newcomer, "balikpapan", OWNER).status_code == 302
