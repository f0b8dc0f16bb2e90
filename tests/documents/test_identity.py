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


@pytest.mark.parametrize("nik", [
    "6471059908900002",   # day 99: python-stdnum reads it as 19 (99 % 40)
    "6471058108900002",   # day 81 = 41 + 40: no such day, for men or women
    "6471053102900002",   # 31 February
    "6471052902010002",   # 29 February 1901 / 2001: neither is a leap year
])
def test_impossible_birth_days_are_refused(app, nik):
    with app.test_request_context("/?lang=en"):
        with pytest.raises(IdentityError) as refused:
            clean_nik(nik)
        assert "region or birth date" in str(refused.value)


def test_29_february_is_a_birth_day_in_a_leap_year():
    assert clean_nik("6471052902000002") == "6471052902000002"   # 2000
    assert clean_nik("6471056902960002") == "6471056902960002"   # a woman born 29-02-1996


def test_a_kk_entry_date_must_exist(app):
    with app.test_request_context("/?lang=en"):
        for bad in ("6471053102200007", "6471052902210007", "6471054101200007"):  # 31 Feb, 29 Feb 2021, day 41
            with pytest.raises(IdentityError):
                clean_kk(bad)
    assert clean_kk("6471052902200007") == "6471052902200007"  # 29 Feb 2020


@pytest.mark.parametrize("text, redacted", [
    ("NIK saya 6471 0117 0890 0001 tolong", "NIK saya 6471**********01 tolong"),
    ("nik:6471-0545-0890-0002.", "nik:6471**********02."),
    ("64.71.01.170890.0001", "6471**********01"),
    ("647101 170890 0001 dan 2 dokumen", "6471**********01 dan 2 dokumen"),
    ("KK 6471 0501 0120 0007, NIK 6471-0117-0890-0001", "KK 6471**********07, NIK 6471**********01"),
    ("6471 0117 0890 0001 2", "6471**********01 2"),
])
def test_niks_and_kk_numbers_written_with_spaces_dots_or_dashes_are_redacted(text, redacted):
    assert redact_niks(text) == redacted


@pytest.mark.parametrize("text", [
    "Hubungi 0812-3456-7890 atau 0812 3456 7890",
    "lahir 17-08-1990, diambil 17.08.2026 pukul 10.30",
    "ongkir Rp 1.500.000 dan Rp 25.000",
    "telepon 0812 3456 7890 1234",
    "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
    "Jl. Sudirman No. 12 RT 03 RW 04",
])
def test_ordinary_numbers_are_left_alone(text):
    assert redact_niks(text) == text


def _outcome(check, raw):
    try:
        return check(raw)
    except Exception as exc:  # noqa: BLE001 - the refusal and its words are the outcome
        return (type(exc).__name__, str(exc))


def test_the_quick_phone_check_agrees_with_the_full_parser(app):
    """0812… and +62 812… skip the parser; every number must get the parser's own verdict."""
    import random

    from saas.documents.identity import clean_phone, parse_phone

    rng = random.Random(62)
    written = []
    for _ in range(3000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 13)))
        national = rng.choice(["8", "81", "85", "88", "89", "80", "8"]) + digits
        written.append(rng.choice(["0", "+62", "+62 ", "0"]) + national)
        written.append("0" + national[:3] + "-" + national[3:7] + "." + national[7:])
    written += ["0812", "081234567890", "+6281234567890", "0542873990", "08001234567", "0809123456"]
    with app.app_context():
        for raw in written:
            assert _outcome(clean_phone, raw) == _outcome(parse_phone, raw), raw


def test_the_cached_nik_check_agrees_with_stdnum(app):
    import random

    from stdnum.id import nik as stdnum_nik

    from saas.documents.identity import clean_nik

    rng = random.Random(16)
    with app.app_context():
        for _ in range(3000):
            number = (rng.choice(["6471", "3171", "1101", "9999", "0000", "6403"]) + f"{rng.randint(1, 20):02d}" +
                      f"{rng.randint(0, 75):02d}{rng.randint(0, 13):02d}{rng.randint(0, 99):02d}" +
                      f"{rng.randint(1, 9999):04d}")
            day = int(number[6:8])
            expected = stdnum_nik.is_valid(number) and (1 <= day <= 31 or 41 <= day <= 71)
            assert (_outcome(clean_nik, number) == number) == expected, number
