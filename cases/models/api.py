"""Credentials for the API: expiring tokens for handhelds, keys for other agencies' systems.

Only a hash of each secret is stored; the secret is shown once, when it is made.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["AgencyKey", "ApiToken", "rate_field"]

# A request rate as the API's throttles read it: a count per second, minute, hour or day.
rate_validator = RegexValidator(
    r"^[1-9][0-9]{0,6}/(s|sec|second|m|min|minute|h|hour|d|day)$",
    _("A count per period, e.g. 20/second, 600/minute or 36000/hour."),
)


def rate_field() -> models.CharField:
    """The request rate a key's client is allowed; blank: the deployment's default for such
    clients (API_RATE_AGENCY, API_RATE_OPEN311_POST)."""
    return models.CharField(
        _("request rate"),
        max_length=20,
        blank=True,
        validators=[rate_validator],
        help_text=_(
            "Requests allowed to this client, e.g. 20/second or 600/minute. Blank: the "
            "deployment's default for such clients."
        ),
    )


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    prefix = models.CharField(_("key prefix"), max_length=8)
    device = models.CharField(_("device"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_live")]

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"


class AgencyKey(models.Model):
    """One key per agency system (12345 platform, 110, WeChat gateway, another bureau)."""

    name = models.CharField(_("agency"), max_length=100, unique=True)
    source = models.CharField(_("source channel"), max_length=20)
    # The service account the agency's requests act as (no posts: it can report, not handle).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="agency_key",
        verbose_name=_("service account"),
    )
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    prefix = models.CharField(_("key prefix"), max_length=8)
    created_at = models.DateTimeField(_("created at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    # Its own throttle rate (an agency's system posts for many people: the 12345 hotline).
    rate = rate_field()

    class Meta:
        verbose_name = _("agency API key")
        verbose_name_plural = _("agency API keys")

    def __str__(self) -> str:
        return self.name
