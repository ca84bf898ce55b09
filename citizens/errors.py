"""Errors of the citizens' services, in the cases' error family (one error body in the API).

A registry record outside the user's jurisdiction is a 404 like a case outside it.
"""

from __future__ import annotations

from cases.errors import CaseError, InvalidInput, NotPermitted

__all__ = [
    "AlreadyRegistered",
    "InvalidCredentials",
    "InvalidInput",
    "NotPermitted",
    "PhotoTooLarge",
    "RecordNotFound",
    "SmsUnavailable",
    "TooManyRequests",
]


class RecordNotFound(CaseError):
    code = "not_found"
    http_status = 404


class TooManyRequests(CaseError):
    code = "throttled"
    http_status = 429


class SmsUnavailable(CaseError):
    code = "sms_unavailable"
    http_status = 503


class AlreadyRegistered(CaseError):
    code = "already_registered"
    http_status = 409


class InvalidCredentials(CaseError):
    code = "invalid_credentials"
    http_status = 400


class PhotoTooLarge(CaseError):
    code = "too_large"
    http_status = 413
