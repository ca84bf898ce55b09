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
from grids.selectors import PER_REQUEST

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
        user_id=user.pk,
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
    return ApiToken.objects.filter(user_id=user.pk, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )


# --- tokens die with the password and with the account ------------------------------------------
# A token outlived a password change by up to its lifetime (7 days). These two receivers see
# every save of a user, whatever path it takes (the admin's password and user forms, Django's
# password forms, `manage.py changepassword`, code calling set_password), and revoke all of the
# user's tokens when the password was changed or the account deactivated. A password hash
# upgraded at log-in is not a change (Django clears `_password` for it too). QuerySet.update()
# bypasses them: an inactive user's tokens are refused at every request anyway.


def tokens_check_credentials_change(
    sender: type,
    instance: AbstractBaseUser,
    update_fields: frozenset[str] | None = None,
    **_: object,
) -> None:
    """pre_save: note whether this save changes the password or deactivates the account."""
    instance._revoke_api_tokens = False  # type: ignore[attr-defined]
    if instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    old = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if old is None:
        return
    new_password = instance.password != old["password"] and (
        getattr(instance, "_password", None) is not None or not instance.has_usable_password()
    )
    deactivated = old["is_active"] and not getattr(instance, "is_active", True)
    instance._revoke_api_tokens = bool(new_password or deactivated)  # type: ignore[attr-defined]


def tokens_revoke_after_credentials_change(
    sender: type, instance: AbstractBaseUser, **_: object
) -> None:
    """post_save: revoke every token of the user when the save changed their credentials."""
    if getattr(instance, "_revoke_api_tokens", False):
        instance._revoke_api_tokens = False  # type: ignore[attr-defined]
        token_revoke_all(user=instance)


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
        row.user.__dict__[PER_REQUEST] = True
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
        if not row.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        _touch(AgencyKey, row, timezone.now())
        row.user.__dict__[PER_REQUEST] = True
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
