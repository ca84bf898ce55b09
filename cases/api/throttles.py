"""Request rates per client.

A person's token or session is counted per user at the "user" rate (3,000 an hour). Another
agency's system posting with its key speaks for many people (the 12345 hotline forwards every
call), so it is counted per key at the key's own rate (`AgencyKey.rate`), or at the "agency"
rate when the key names none (API_RATE_AGENCY, 20 a second). Open311 clients are counted the
same way for their posts (citizens.open311.views).

DRF keeps each client's recent request times in the cache and refuses the one that would
exceed the count in the period: short periods (a second, a minute) keep that list short.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from cases.models import AgencyKey


def default_rate(scope: str) -> str | None:
    """The deployment's rate for a scope (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], as DRF's
    own throttles read it), looked up at each request."""
    return SimpleRateThrottle.THROTTLE_RATES.get(scope)


class PerClientRate(SimpleRateThrottle):
    """A throttle whose rate is decided per request (`rate_for`), not per class."""

    def __init__(self) -> None:  # the rate is not known before the request
        pass

    def rate_for(self, request: Request) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        self.rate = self.rate_for(request)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class ClientRateThrottle(PerClientRate, UserRateThrottle):
    """The API's default: per agency key at its rate, otherwise per user (or per address)."""

    def rate_for(self, request: Request) -> str | None:
        key = request.auth
        if isinstance(key, AgencyKey):
            return key.rate or default_rate("agency")
        return default_rate("user")

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        key = request.auth
        if isinstance(key, AgencyKey):
            return self.cache_format % {"scope": "agency", "ident": key.pk}
        return super().get_cache_key(request, view)
