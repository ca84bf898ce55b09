"""GB 11643 check digits, masking, and the keyed hash."""

from __future__ import annotations

from datetime import date

import pytest

from citizens import idnumbers

# Published examples of the algorithm (GB 11643-1999 appendix style); the last has check X.
VALID = ["11010519491231002X", "440524188001010014", "11010119900307803X", "110101199003074477"]


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers_pass_with_their_birth_date_and_sex(number: str) -> None:
    parsed = idnumbers.parse(number)
    assert parsed.number == number
    assert parsed.birth_date == date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert parsed.sex == ("M" if int(number[16]) % 2 else "F")


def test_lower_case_x_and_spaces_are_the_same_number() -> None:
    assert idnumbers.parse(" 110105 19491231 002x ").number == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("110105194912310021", "check digit"),  # check should be X
        ("440524188001010015", "check digit"),
        ("11010519491231002", "18 characters"),
        ("1101051949123100AX", "17 digits"),
        ("110105194913310028", "not a date"),  # month 13
        ("110105230012310020", "out of range"),  # born in 2300
    ],
)
def test_invalid_numbers_are_refused_with_the_reason(number: str, why: str) -> None:
    with pytest.raises(idnumbers.IdNumberError, match=why):
        idnumbers.parse(number)


def test_generated_numbers_are_valid() -> None:
    for sequence in range(0, 1000, 37):
        number = idnumbers.make_number("370203", date(1988, 2, 29), sequence, "M")
        assert idnumbers.parse(number).sex == "M"


def test_mask_keeps_the_first_six_and_last_four() -> None:
    assert idnumbers.mask("11010519491231002X") == "110105********002X"


def test_encryption_round_trips_and_is_not_the_number() -> None:
    token = idnumbers.encrypt("11010519491231002X")
    assert "11010519491231002X" not in token
    assert idnumbers.decrypt(token) == "11010519491231002X"
    assert idnumbers.encrypt("11010519491231002X") != token  # a fresh IV each time


def test_keyed_hash_is_stable_and_keyed(settings) -> None:
    before = idnumbers.keyed_hash("11010519491231002x")
    assert before == idnumbers.keyed_hash("11010519491231002X")
    assert "11010519491231002X" not in before
    settings.PERSONAL_DATA_HASH_KEY = "another-key"
    assert idnumbers.keyed_hash("11010519491231002X") != before


def test_old_key_still_decrypts_after_rotation(settings) -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PERSONAL_DATA_KEYS = [old]
    token = idnumbers.encrypt("11010519491231002X")
    settings.PERSONAL_DATA_KEYS = [new, old]
    assert idnumbers.decrypt(token) == "11010519491231002X"
    rotated = idnumbers.reencrypt(token)
    settings.PERSONAL_DATA_KEYS = [new]
    assert idnumbers.decrypt(rotated) == "11010519491231002X"
    assert idnumbers.decrypt(token) == "?"


def test_production_without_keys_refuses_to_start(settings) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.PERSONAL_DATA_KEYS = []
    settings.PERSONAL_DATA_HASH_KEY = ""
    settings.PERSONAL_DATA_DEV_KEYS = False
    with pytest.raises(ImproperlyConfigured, match="PERSONAL_DATA_KEYS"):
        idnumbers.check_keys()
    settings.PERSONAL_DATA_DEV_KEYS = True
    idnumbers.check_keys()


@pytest.mark.django_db
def test_rotation_command_moves_every_number_to_the_new_key(settings) -> None:
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from citizens.models import Person
    from citizens.services import person_register

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PERSONAL_DATA_KEYS = [old]
    person = person_register(name="甲", id_number="11010519491231002X")
    settings.PERSONAL_DATA_KEYS = [new, old]
    call_command("rotate_personal_data_keys", stdout=None)
    settings.PERSONAL_DATA_KEYS = [new]
    person = Person.objects.get(pk=person.pk)
    assert idnumbers.decrypt(person.id_number_encrypted) == "11010519491231002X"
