"""NIK, KK and phone checks; masking; matchable but unreadable storage."""
from __future__ import annotations

from datetime import date

import pytest

from saas.documents.identity import (
    IdentityError,
    clean_kk,
    clean_nik,
    clean_phone,
    decrypt,
    identity_hash,
    mask_phone,
    nik_birth_date,
    protect_nik,
)
from saas.security import mask_nik, redact_niks
from tests.factories import make_kk, make_nik


@pytest.mark.parametrize("nik", [
    make_nik("647105", date(1990, 8, 17)),                 # Balikpapan Selatan, a man
    make_nik("647105", date(1990, 8, 17), female=True),    # the same date, a woman (+40)
    make_nik("317101", date(2001, 1, 31)),                 # first issued in Jakarta: still valid
    "6471 0557 0890 0001",                                 # spaces as people type them
])
def test_valid_niks(nik):
    assert clean_nik(nik) == nik.replace(" ", "")


def test_women_add_forty_to_the_day():
    assert nik_birth_date(make_nik("647105", date(1990, 8, 17), female=True)) == date(1990, 8, 17)


@pytest.mark.parametrize("nik, why", [
    ("647105170890001", "16 digits"),                      # 15 digits
    ("9971051708900001", "region or birth date"),          # no province 99
    ("6471053208900001", "region or birth date"),          # 32 August
    ("6471057308900001", "region or birth date"),          # 73 = 33 + 40: no such day
    ("6471051708900000", "serial"),                        # serial 0000
    ("6471001708900001", "kecamatan"),                     # kecamatan 00
])
def test_invalid_niks_say_why(app, nik, why):
    with app.test_request_context("/?lang=en"):
        with pytest.raises(IdentityError) as refused:
            clean_nik(nik)
        assert why in str(refused.value)


def test_kk_numbers():
    assert clean_kk(make_kk(serial=7)) == make_kk(serial=7)
    for bad in ("647105010120", "6471053201200007", "6471050101200000"):
        with pytest.raises(IdentityError):
            clean_kk(bad)


@pytest.mark.parametrize("given", ["081234567890", "6281234567890", "+62 812-3456-7890", "0812 3456 7890"])
def test_phones_become_e164(given):
    assert clean_phone(given) == "+6281234567890"


@pytest.mark.parametrize("given", ["0542873990", "+14155550123", "12345", "not a phone", ""])
def test_non_mobile_or_foreign_phones_are_refused(app, given):
    with app.test_request_context(), pytest.raises(IdentityError):
        clean_phone(given)


def test_masks():
    assert mask_nik("6471051708900001") == "6471**********01"
    assert mask_phone("+6281234567890") == "+62 812-****-7890"
    assert redact_niks("nik=6471051708900001 kk 6471050101200007.") == "nik=6471**********01 kk 6471**********07."


def test_stored_form_matches_but_cannot_be_read(app):
    with app.app_context():
        stored = protect_nik("6471051708900001")
        assert "6471051708900001" not in repr(stored)
        assert stored["nik_masked"] == "6471**********01"
        assert stored["nik_hash"] == identity_hash("6471051708900001") != identity_hash("6471051708900002")
        assert decrypt(stored["nik_encrypted"]) == "6471051708900001"
