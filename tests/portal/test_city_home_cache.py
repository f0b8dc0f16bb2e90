"""The city's home page is rendered once per city and language and kept with the city: each visitor
still gets their own CSRF token, each city and language its own page, and a city's change shows at once."""
from __future__ import annotations

from flask import template_rendered

from saas import create_app
from saas.extensions import db
from saas.tenancy.cache import EXTENSION_KEY
from saas.tenancy.services import get_tenant
from tests.conftest import base_config, csrf_token_from


class Renders:
    """The templates an app renders, by name, while the block lasts."""

    def __init__(self, app):
        self.app, self.names = app, []

    def _heard(self, sender, template, context, **extra):
        self.names.append(template.name)

    def __enter__(self):
        template_rendered.connect(self._heard, self.app)
        return self

    def __exit__(self, *exc):
        template_rendered.disconnect(self._heard, self.app)


def _rename_office(app, slug: str, office_name: str) -> None:
    with app.app_context():
        tenant = get_tenant(slug)
        tenant.office = {**tenant.office, "name": office_name}
        db.session.commit()


def test_the_home_page_is_rendered_once_and_each_visitor_gets_their_own_working_token(app):
    first, second = app.test_client(), app.test_client()
    with Renders(app) as renders:
        one = first.get("/bontang/").get_data(as_text=True)
        two = second.get("/bontang/").get_data(as_text=True)
        again = first.get("/bontang/").get_data(as_text=True)
    assert renders.names.count("portal/city_home.html") == 1
    assert "Bontang" in one and one.replace(csrf_token_from(one), "") == two.replace(csrf_token_from(two), "")
    assert csrf_token_from(one) != csrf_token_from(two)  # never another visitor's token
    assert csrf_token_from(again) == csrf_token_from(one)
    assert "antar-csrf-" not in one + two  # the mark the kept page holds in the token's place
    for client, page in ((first, one), (second, two)):  # the token in the kept page works for its visitor
        answer = client.post("/bontang/cari", data={"csrf_token": csrf_token_from(page), "registration_no": "X-1",
                                                    "nik": "6474011708900001"})
        assert answer.status_code == 200 and "Kami tidak menemukan dokumen" in answer.get_data(as_text=True)
    stolen = second.post("/bontang/cari", data={"csrf_token": csrf_token_from(one), "registration_no": "X-1",
                                                "nik": "6474011708900001"})
    assert stolen.status_code == 400  # a token from a page kept for someone else is refused


def test_each_city_and_each_language_gets_its_own_page(app):
    visitor = app.test_client()
    bontang = visitor.get("/bontang/").get_data(as_text=True)
    makassar = visitor.get("/makassar/").get_data(as_text=True)
    english = visitor.get("/makassar/?lang=en").get_data(as_text=True)
    indonesian = visitor.get("/makassar/?lang=id").get_data(as_text=True)
    bontang_again = visitor.get("/bontang/").get_data(as_text=True)
    assert "Bontang" in bontang and "Makassar" not in bontang
    assert "Makassar" in makassar and "Bontang" not in makassar
    assert "Find your document" in english and "Cari dokumen Anda" not in english
    assert "Cari dokumen Anda" in indonesian and "Find your document" not in indonesian
    assert "Bontang" in bontang_again and "Makassar" not in bontang_again and "Cari dokumen Anda" in bontang_again


def test_a_city_edit_is_on_the_page_at_once_in_the_app_that_made_it(app, client):
    assert "Kantor Lama" not in client.get("/samarinda/").get_data(as_text=True)
    _rename_office(app, "samarinda", "Kantor Lama Samarinda")
    assert "Kantor Lama Samarinda" in client.get("/samarinda/").get_data(as_text=True)
    _rename_office(app, "samarinda", "Kantor Baru Samarinda")
    page = client.get("/samarinda/").get_data(as_text=True)
    assert "Kantor Baru Samarinda" in page and "Kantor Lama" not in page


def test_a_city_edit_made_by_another_process_is_on_the_page_after_the_check_interval(app, tmp_path):
    other = create_app(base_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"]))
    clock = [1000.0]
    cache = other.extensions[EXTENSION_KEY]
    cache.clock, cache.seconds = (lambda: clock[0]), 1.0
    visitor = other.test_client()
    try:
        assert "Kantor Pindahan" not in visitor.get("/tangerang-selatan/").get_data(as_text=True)
        _rename_office(app, "tangerang-selatan", "Kantor Pindahan Tangsel")
        clock[0] += 1.0
        assert "Kantor Pindahan Tangsel" in visitor.get("/tangerang-selatan/").get_data(as_text=True)
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_waiting_message_is_shown_to_its_visitor_only(app):
    visitor, other = app.test_client(), app.test_client()
    other.get("/surabaya/")  # the page is kept
    with visitor.session_transaction() as session:
        session["_flashes"] = [("info", "Slot Anda dibatalkan.")]
    assert "Slot Anda dibatalkan." in visitor.get("/surabaya/").get_data(as_text=True)
    assert "Slot Anda dibatalkan." not in visitor.get("/surabaya/").get_data(as_text=True)  # shown once
    assert "Slot Anda dibatalkan." not in other.get("/surabaya/").get_data(as_text=True)
