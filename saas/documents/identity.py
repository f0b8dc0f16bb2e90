"""NIK, KK number and phone: checked on the way in, matchable, never readable at rest.

python-stdnum checks a NIK's length, province/regency (its own table of Kemendagri codes) and
birth date (women +40 on the day); this module adds what it lacks: the day is 01–31 or 41–71
(stdnum takes it modulo 40, so day 99 passed as the 19th), the kecamatan part is not ``00`` and
the serial is not ``0000``. The region part is where the NIK was first issued, so a
NIK from another city is as valid as a local one.

At rest a NIK is a keyed hash (to find and compare it) plus a Fernet token (to show it to the
person themselves, masked); both keys are derived from ``ANTAR_DATA_KEY``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import date
from functools import lru_cache

import phonenumbers
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import lazy_gettext as _l
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.id import nik as stdnum_nik

from saas.security import mask_nik

_DIGITS = re.compile(r"\D")


class IdentityError(ValueError):
    """A NIK, KK number or phone number that is not one; ``str()`` is a message for people."""


def _digits(value: str | None) -> str:
    return _DIGITS.sub("", value or "")


@lru_cache(maxsize=4096)
def _region_known(regency: str) -> bool:
    """stdnum's check of the NIK's first four digits (its table of Kemendagri codes), once per code."""
    try:
        stdnum_nik.validate(regency + "01" + "010180" + "0001")  # a birth date that always exists
        return True
    except StdnumError:
        return False


@lru_cache(maxsize=65536)
def _birth_date_exists(ddmmyy: str) -> bool:
    """stdnum's check of the NIK's birth date (women +40 on the day), once per DDMMYY."""
    try:
        stdnum_nik.get_birth_date("000000" + ddmmyy + "0000")
        return True
    except StdnumError:
        return False


def clean_nik(value: str | None) -> str:
    """The 16-digit NIK, or IdentityError saying what is wrong with it.

    stdnum's ``validate`` looks at two things only, the region (digits 1–4) and the birth date
    (digits 7–12): each is asked once per distinct value, so a 10,000-row import asks a few
    thousand times, not 10,000.
    """
    number = _digits(value)
    if len(number) != 16:
        raise IdentityError(_l("A NIK has 16 digits."))
    if not (_region_known(number[:4]) and _birth_date_exists(number[6:12])):
        raise IdentityError(_l("This NIK's region or birth date is not valid."))
    if not (1 <= int(number[6:8]) <= 31 or 41 <= int(number[6:8]) <= 71):
        raise IdentityError(_l("This NIK's region or birth date is not valid."))
    if number[4:6] == "00":
        raise IdentityError(_l("This NIK's kecamatan part is not valid."))
    if number[12:] == "0000":
        raise IdentityError(_l("This NIK's serial number cannot be 0000."))
    return number


def nik_birth_date(number: str) -> date:
    return stdnum_nik.get_birth_date(number)


def clean_kk(value: str | None) -> str:
    """A KK number: 16 digits, area part and a real DDMMYY entry date (no +40), serial not 0000."""
    number = _digits(value)
    if len(number) != 16:
        raise IdentityError(_l("A KK number has 16 digits."))
    if not _real_ddmmyy(number[6:12]) or number[12:] == "0000" or number[:2] == "00":
        raise IdentityError(_l("This KK number is not valid."))
    return number


def _real_ddmmyy(text: str) -> bool:
    """A date that exists in 19YY or 20YY: 31-02 never, 29-02 in a leap year."""
    day, month, year = int(text[:2]), int(text[2:4]), int(text[4:])
    for century in (1900, 2000):
        try:
            date(century + year, month, day)
            return True
        except ValueError:
            pass
    return False


#: The usual ways a mobile number is written: 0812…, +62 812…, with spaces, dots or dashes.
_PLAIN_MOBILE = re.compile(r"(?:\+62|0)(8\d{6,12})")
_SEPARATORS = str.maketrans("", "", " -.")
_ACCEPTED_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def clean_phone(value: str | None) -> str:
    """An Indonesian mobile number in E.164 (+628…), from 0812…, 62812… or +62 812-…

    A number written the usual way (0812… or +62 812…) skips the parser, whose work there is only
    to drop the ``0`` or ``+62`` (half of a SIAK import's time went there); phonenumbers still
    judges its type and validity. Anything else is parsed in full.
    """
    raw = (value or "").strip()
    if not raw:
        raise IdentityError(_l("A phone number is needed."))
    plain = _PLAIN_MOBILE.fullmatch(raw.translate(_SEPARATORS))
    if plain:
        national = plain.group(1)
        if phonenumbers.number_type(phonenumbers.PhoneNumber(country_code=62, national_number=int(national))) \
                not in _ACCEPTED_TYPES:
            raise IdentityError(_l("Give a mobile number: messages are sent to it.")
                                if _valid_indonesian(national) else
                                _l("This is not a valid Indonesian phone number."))
        return "+62" + national
    return parse_phone(raw)


def parse_phone(raw: str) -> str:
    """``clean_phone`` by phonenumbers' parser alone, for any way of writing a number."""
    try:
        parsed = phonenumbers.parse(raw, "ID")
    except phonenumbers.NumberParseException:
        raise IdentityError(_l("This is not a phone number.")) from None
    if parsed.country_code != 62 or not phonenumbers.is_valid_number(parsed):
        raise IdentityError(_l("This is not a valid Indonesian phone number."))
    if phonenumbers.number_type(parsed) not in (phonenumbers.PhoneNumberType.MOBILE,
                                               phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise IdentityError(_l("Give a mobile number: messages are sent to it."))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _valid_indonesian(national: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.PhoneNumber(country_code=62, national_number=int(national)))


def mask_phone(e164: str | None) -> str:
    """``+6281234565678`` → ``+62 812-****-5678``."""
    if not e164:
        return ""
    rest = e164[3:] if e164.startswith("+62") else e164
    return f"+62 {rest[:3]}-****-{rest[-4:]}"


# -- keys ---------------------------------------------------------------------------------
def _derive(purpose: bytes) -> bytes:
    secret = current_app.config["DATA_KEY"].encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"antar", info=purpose).derive(secret)


@lru_cache(maxsize=8)
def _keys(data_key: str) -> tuple[bytes, Fernet]:
    del data_key  # the cache key; derivation reads it from the app
    return _derive(b"identity-hash"), Fernet(base64.urlsafe_b64encode(_derive(b"identity-encrypt")))


def _key_pair() -> tuple[bytes, Fernet]:
    return _keys(current_app.config["DATA_KEY"])


def identity_hash(number: str) -> str:
    """Keyed hash for matching (HMAC-SHA256): equal numbers, equal hashes; nothing to reverse."""
    return hmac.new(_key_pair()[0], number.encode(), hashlib.sha256).hexdigest()


def tail_hash(number: str, digits: int = 4) -> str:
    """Keyed hash of the last digits, so staff can search "…0001" without them being stored."""
    return identity_hash("tail:" + number[-digits:])


def encrypt(value: str) -> str:
    return _key_pair()[1].encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _key_pair()[1].decrypt(token.encode()).decode()


class Protector:
    """The keys read once, for protecting many numbers in a row (an import of 10,000)."""

    def __init__(self):
        key, self._fernet = _key_pair()
        self._hmac = hmac.new(key, digestmod=hashlib.sha256)

    def hash(self, text: str) -> str:
        mac = self._hmac.copy()
        mac.update(text.encode())
        return mac.hexdigest()

    def nik(self, number: str) -> dict:
        return {"nik_hash": self.hash(number), "nik_tail_hash": self.hash("tail:" + number[-4:]),
                "nik_encrypted": self._fernet.encrypt(number.encode()).decode(), "nik_masked": mask_nik(number)}

    def kk(self, number: str | None) -> dict:
        if not number:
            return {"kk_hash": None, "kk_encrypted": None}
        return {"kk_hash": self.hash("kk:" + number), "kk_encrypted": self._fernet.encrypt(number.encode()).decode()}


def protect_nik(number: str) -> dict:
    """The columns a stored NIK becomes."""
    return Protector().nik(number)


def protect_kk(number: str | None) -> dict:
    return Protector().kk(number)


def kk_hash(number: str) -> str:
    return identity_hash("kk:" + number)
