"""Resident ID numbers (居民身份证号码, GB 11643-1999): check, protect, mask.

An 18-character number is 6 digits of the administrative division where it was issued, 8 of
the birth date (YYYYMMDD), 3 of a sequence (odd for men, even for women) and a check
character: the weighted sum of the first 17 digits (weights 2^(17-i) mod 11) mod 11 indexes
"10X98765432".

At rest a number is never in the clear: `encrypt` (Fernet, keys from PERSONAL_DATA_KEYS,
MultiFernet so keys rotate) to show it, `keyed_hash` (HMAC-SHA256 under
PERSONAL_DATA_HASH_KEY) to find a person by it. A database dump alone reveals neither.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"


class IdNumberError(ValueError):
    """The text is not a valid resident ID number; the message says why."""


def check_character(first17: str) -> str:
    """The GB 11643 check character for 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def normalise(text: str) -> str:
    """Strip spaces; a lower-case x is the same check character as X."""
    return "".join(str(text).split()).upper()


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    sex: str  # "M" or "F"


def parse(text: str) -> IdNumber:
    """A valid 18-character number with its birth date and sex, or IdNumberError."""
    number = normalise(text)
    if len(number) != 18:
        raise IdNumberError(_("An ID number has 18 characters."))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError(_("An ID number is 17 digits and a digit or X."))
    if number[0] == "0" or number[:2] == "00":
        raise IdNumberError(_("The ID number's region code is not valid."))
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(_("The ID number's birth date is not a date.")) from None
    if born.year < 1880 or born > date.today():  # noqa: DTZ011 - a calendar date, no instant
        raise IdNumberError(_("The ID number's birth date is out of range."))
    if check_character(number[:17]) != number[17]:
        raise IdNumberError(_("The ID number's check digit is wrong."))
    return IdNumber(number=number, birth_date=born, sex="M" if int(number[16]) % 2 else "F")


def mask(number: str) -> str:
    """370203199001011234 → 370203********1234: the first 6 and the last 4 only."""
    if len(number) < 10:
        return "*" * len(number)
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"


# --- keys ----------------------------------------------------------------------------------


def _derived(label: str) -> bytes:
    return hashlib.sha256(f"wangge-personal-data:{label}:{settings.SECRET_KEY}".encode()).digest()


def keys_configured() -> bool:
    return bool(settings.PERSONAL_DATA_KEYS) and bool(settings.PERSONAL_DATA_HASH_KEY)


def check_keys() -> None:
    """Refuse to start without keys, except where development keys are allowed (DEBUG, the
    embedded install, tests); and refuse keys Fernet cannot use."""
    if not keys_configured() and not settings.PERSONAL_DATA_DEV_KEYS:
        raise ImproperlyConfigured(
            "PERSONAL_DATA_KEYS and PERSONAL_DATA_HASH_KEY must be set in production "
            "(ID numbers are encrypted with them)."
        )
    _fernet()


@cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"PERSONAL_DATA_KEYS: each key must be 32 url-safe base64-encoded bytes ({exc})."
        ) from None


def _fernet() -> MultiFernet:
    keys = tuple(settings.PERSONAL_DATA_KEYS) or (
        base64.urlsafe_b64encode(_derived("encrypt")).decode(),
    )
    return _fernet_for(keys)


def _hash_key() -> bytes:
    configured = settings.PERSONAL_DATA_HASH_KEY
    return configured.encode() if configured else _derived("hash")


def encrypt(number: str) -> str:
    return _fernet().encrypt(number.encode()).decode()


def decrypt(token: str) -> str:
    """The number back; "" for a record without one, "?" when no key opens it."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return "?"


def reencrypt(token: str) -> str:
    """The same number under the first (newest) key."""
    return _fernet().rotate(token.encode()).decode()


def keyed_hash(number: str) -> str:
    """HMAC-SHA256 of the normalised number, hex: the exact-lookup column."""
    return hmac.new(_hash_key(), normalise(number).encode(), hashlib.sha256).hexdigest()


def protect(number: str) -> tuple[str, str]:
    """(encrypted, keyed hash) for the Person columns."""
    return encrypt(number), keyed_hash(number)


def make_number(region: str, born: date, sequence: int, sex: str) -> str:
    """A valid number for generated data: sequence 0–499, made odd for men, even for women."""
    serial = sequence % 500 * 2 + (1 if sex == "M" else 0)
    first17 = f"{region}{born:%Y%m%d}{serial:03d}"
    return first17 + check_character(first17)
