"""Text messages to citizens (one-time codes): a pluggable gateway, chosen by dotted path in
CITIZEN_SMS_BACKEND.

The default logs the message: with the code in development (DEBUG, or the embedded install),
masked otherwise, so a production install that forgot to configure a gateway does not write
codes to its logs. Tests use the in-memory backend and read `outbox`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from cases.intake import mask_phone

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The gateway did not take the message."""


class SmsBackend:
    def send(self, *, phone: str, text: str) -> None:
        raise NotImplementedError


class LoggingSmsBackend(SmsBackend):
    def send(self, *, phone: str, text: str) -> None:
        if settings.DEBUG or getattr(settings, "EMBEDDED", False):
            logger.info("SMS to %s: %s", mask_phone(phone), text)
        else:
            logger.info("SMS to %s (%d characters, not logged)", mask_phone(phone), len(text))


@dataclass(frozen=True)
class SentSms:
    phone: str
    text: str


# What LocmemSmsBackend sent, in order (tests clear it).
outbox: list[SentSms] = []


class LocmemSmsBackend(SmsBackend):
    def send(self, *, phone: str, text: str) -> None:
        outbox.append(SentSms(phone=phone, text=text))


@cache
def _backend_class(path: str) -> type[SmsBackend]:
    return import_string(path)  # type: ignore[no-any-return]


def get_sms_backend() -> SmsBackend:
    return _backend_class(settings.CITIZEN_SMS_BACKEND)()
