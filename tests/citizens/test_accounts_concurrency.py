"""Two requests for one phone at the same moment: one code, one account. On real PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection

from citizens import sms
from citizens.accounts import citizen_register, otp_request
from citizens.models import CitizenProfile, PhoneCode
from config.api import ServiceError
from grids.models import User
from tests.citizens.citizen_helpers import PASSWORD, PHONE, last_code
from tests.helpers import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite is one writer)"
    ),
]


@pytest.fixture(autouse=True)
def _fresh_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def test_two_code_requests_for_a_new_phone_at_once_send_one_code():
    results, errors = race(
        lambda: otp_request(phone=PHONE, purpose="register"),
        lambda: otp_request(phone=PHONE, purpose="register"),
    )
    assert sum(r is not None for r in results) == 1
    (error,) = [e for e in errors if e is not None]
    assert isinstance(error, ServiceError)
    assert error.http_status == 429
    assert PhoneCode.objects.filter(phone=PHONE).count() == 1
    assert len(sms.outbox) == 1


def test_one_code_used_by_two_registrations_at_once_makes_one_account():
    otp_request(phone=PHONE, purpose="register")
    code = last_code()

    def register():
        return citizen_register(phone=PHONE, code=code, password=PASSWORD)

    results, errors = race(register, register)
    assert sum(r is not None for r in results) == 1
    (error,) = [e for e in errors if e is not None]
    assert isinstance(error, ServiceError)
    assert error.http_status in (400, 409)
    assert CitizenProfile.objects.filter(phone=PHONE).count() == 1
    assert User.objects.filter(phone=PHONE).count() == 1
