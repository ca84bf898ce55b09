"""Errors of the citizens' services, in the project's error family (config.api.ServiceError;
one error body in the API).

A registry record outside the user's jurisdiction is a 404 like a case outside it.
"""

from __future__ import annotations

from cases.errors import InvalidInput, NotPermitted
from config.api import ServiceError

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


class RecordNotFound(ServiceError):
    code = "not_found"
    http_status = 404


class TooManyRequests(ServiceError):
    code = "throttled"
    http_status = 429


class SmsUnavailable(ServiceError):
    code = "sms_unavailable"
    http_status = 503


class AlreadyRegistered(ServiceError):
    code = "already_registered"
    http_status = 409


class InvalidCredentials(ServiceError):
    code = "invalid_credentials"
    http_status = 400


class PhotoTooLarge(ServiceError):
    code = "too_large"
    http_status = 413
