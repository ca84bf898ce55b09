"""Helpers for the citizen tests: codes read from the in-memory SMS backend, a registered
citizen holding a token."""

from __future__ import annotations

import re

from rest_framework.test import APIClient

from citizens import sms
from citizens.accounts import citizen_register, otp_request
from grids.models import User

PHONE = "13812345678"
PASSWORD = "qingdao-shibei-2026"


def last_code(phone: str = PHONE) -> str:
    for message in reversed(sms.outbox):
        if message.phone == phone:
            match = re.search(r"\b(\d{6})\b", message.text)
            assert match is not None
            return match.group(1)
    raise AssertionError(f"no code sent to {phone}")


def register_citizen(phone: str = PHONE, name: str = "李四") -> tuple[User, str]:
    """A registered citizen and their API token."""
    otp_request(phone=phone, purpose="register")
    session = citizen_register(phone=phone, code=last_code(phone), password=PASSWORD, name=name)
    return session.user, session.token.token


def citizen_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="en")
    return client
