"""API authentication: expiring tokens (handhelds), agency keys (other systems), sessions
(the browser, with CSRF)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from cases.models import AgencyKey, ApiToken
from grids.models import User

# Refresh last_used_at at most this often: a busy handheld must not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    row: ApiToken


def token_issue(
    *, user: AbstractBaseUser, device: str = "", now: datetime | None = None
) -> IssuedToken:
    now = now or timezone.now()
    secret = secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user,
        key_hash=_hash(secret),
        prefix=secret[:8],
        device=device[:100],
        created_at=now,
        expires_at=now + timedelta(seconds=settings.API_TOKEN_LIFETIME_SECONDS),
    )
    return IssuedToken(token=secret, expires_at=row.expires_at, row=row)


def token_revoke(*, token: ApiToken, now: datetime | None = None) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )


def token_revoke_all(*, user: AbstractBaseUser, now: datetime | None = None) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )


@dataclass(frozen=True)
class IssuedAgencyKey:
    key: str
    row: AgencyKey


def agency_key_issue(*, name: str, source: str, now: datetime | None = None) -> IssuedAgencyKey:
    """A new agency key (and its service account). Revoke the old one to rotate."""
    now = now or timezone.now()
    secret = "ak_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        user, _created = User.objects.get_or_create(
            username=f"agency-{_hash(name)[:12]}", defaults={"first_name": name[:150]}
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        row, _ = AgencyKey.objects.update_or_create(
            name=name,
            defaults={
                "source": source,
                "user": user,
                "key_hash": _hash(secret),
                "prefix": secret[:8],
                "created_at": now,
                "revoked_at": None,
            },
        )
    return IssuedAgencyKey(key=secret, row=row)


def agency_key_revoke(*, key: AgencyKey, now: datetime | None = None) -> None:
    AgencyKey.objects.filter(pk=key.pk).update(revoked_at=now or timezone.now())


def _touch(
    model: type[ApiToken] | type[AgencyKey], row: ApiToken | AgencyKey, now: datetime
) -> None:
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        model.objects.filter(pk=row.pk).update(last_used_at=now)


class ExpiringTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <token>`; expired or revoked tokens are refused with 401."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            secret = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from None
        now = timezone.now()
        row = ApiToken.objects.select_related("user").filter(key_hash=_hash(secret)).first()
        if row is None or row.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        if row.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("The token has expired; log in again."))
        if not row.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        _touch(ApiToken, row, now)
        return row.user, row

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class AgencyKeyAuthentication(authentication.BaseAuthentication):
    """`X-Api-Key: <key>` for other agencies' systems."""

    header = "HTTP_X_API_KEY"

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, AgencyKey] | None:
        secret = request.META.get(self.header)
        if not secret:
            return None
        row = AgencyKey.objects.select_related("user").filter(key_hash=_hash(secret)).first()
        if row is None or row.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        _touch(AgencyKey, row, timezone.now())
        return row.user, row

    def authenticate_header(self, request: Request) -> str:
        return "X-Api-Key"


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "cases.api.auth.ExpiringTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token <token> from POST /api/v1/auth/login/",
        }


class AgencyKeyScheme(OpenApiAuthenticationExtension):
    target_class = "cases.api.auth.AgencyKeyAuthentication"
    name = "agencyKey"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
