"""Brute-force protection for every way to log in (django-axes).

Where: the dashboard (/login/), the admin (/admin/login/), the browsable API (/api-auth/login/)
— all Django's authentication forms, checked by axes' backend and middleware — and the two
token log-ins of the API, which call `login_check` / `login_failed` themselves: staff
(/api/v1/auth/login/) and citizens' password log-in (/api/v1/citizen/login/).

What: failures are counted per account (LOGIN_FAILURES_PER_ACCOUNT, default 5) and per client
address (LOGIN_FAILURES_PER_ADDRESS, default 30: offices and mobile carriers put many people
behind one address) within LOGIN_LOCKOUT_MINUTES (default 15); past either limit, log-ins are
refused until the window has passed since the last failure, the right password too (a guesser
must not learn when they hit it). A citizen locked out of password log-in may still log in
with an SMS code. An administrator unlocks early in the admin (Axes → access attempts) or with
`manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS`.

The client address is the one DRF's throttles use (REST_FRAMEWORK["NUM_PROXIES"]), so a
client cannot pick a new address per request by sending X-Forwarded-For. Attempts are kept in
the database (axes' AccessAttempt), not in the cache: they hold when Redis is down.

Locked out, the API answers 429 with the error body (code `locked_out`, `retry_after_seconds`)
and a Retry-After header; a form answers a page saying so, in the reader's language.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.throttling import BaseThrottle

from config.api import ServiceError, error_body


class AccountLocked(ServiceError):
    code = "locked_out"
    http_status = 429


def lockout_seconds() -> int:
    cool_off = get_cool_off()
    return int(cool_off.total_seconds()) if cool_off else 0


def _message() -> str:
    minutes = max(1, lockout_seconds() // 60)
    return _(
        "Too many failed log-ins: this account or this address is locked for %(minutes)d "
        "minutes. Try again later, or ask an administrator to unlock it."
    ) % {"minutes": minutes}


def client_ip(request: HttpRequest) -> str:
    """The client's address as DRF's throttles see it (NUM_PROXIES hops back)."""
    return BaseThrottle().get_ident(request)  # type: ignore[arg-type]


class LoginAttempts(AxesDatabaseHandler):
    """axes' database handler with a limit per account and a larger one per address.

    axes compares one failure count with one limit (AXES_FAILURE_LIMIT, the account's): the
    address's count is scaled to it, so it locks at LOGIN_FAILURES_PER_ADDRESS.
    """

    def get_failures(self, request: Any, credentials: dict | None = None) -> int:
        counts = [
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        if len(counts) != 2:  # not the ["username", "ip_address"] parameters
            return max(counts, default=0)
        by_account, by_address = counts
        per_account = settings.LOGIN_FAILURES_PER_ACCOUNT
        per_address = settings.LOGIN_FAILURES_PER_ADDRESS
        return max(by_account, by_address * per_account // per_address)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What a locked-out log-in gets: the API's error body, or a page."""
    seconds = lockout_seconds()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            error_body(AccountLocked.code, _message(), retry_after_seconds=seconds), status=429
        )
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"message": _message(), "minutes": max(1, seconds // 60)},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response


# --- the API's token log-ins ------------------------------------------------------------------


def _credentials(username: str) -> dict[str, str]:
    return {str(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")): username}


def _locked() -> AccountLocked:
    return AccountLocked(_message(), retry_after_seconds=lockout_seconds())


def login_check(request: Any, username: str) -> None:
    """Raise AccountLocked when the account or the client's address is locked out."""
    if not AxesProxyHandler.is_allowed(request, _credentials(username)):
        raise _locked()


def login_failed(request: Any, username: str) -> None:
    """Count a failed log-in (as Django's authenticate does); raise AccountLocked when this
    failure locked the account or the address."""
    user_login_failed.send(sender=__name__, credentials=_credentials(username), request=request)
    if getattr(request, "axes_locked_out", False):
        raise _locked()


def raise_if_locked_out(request: Any) -> None:
    """After django.contrib.auth.authenticate() returned no user: raise AccountLocked when axes
    refused or locked the attempt (it marks the request it was given)."""
    if getattr(request, "axes_locked_out", False):
        raise _locked()
