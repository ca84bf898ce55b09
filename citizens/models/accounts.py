"""Citizen accounts: a user with a verified phone, and the one-time codes that verify it.

A citizen's account is an ordinary user (grids.User) with no posts; the profile holds the phone
it registered with. One-time codes are kept one row per phone, so sending a new code and
checking one both lock that row: two requests for the same phone take turns.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["CitizenProfile", "OtpPurpose", "PhoneCode"]


class CitizenProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="citizen_profile",
        verbose_name=_("user"),
    )
    # Personal data: shown masked in the admin and never in a case's timeline.
    phone = models.CharField(_("phone"), max_length=20, unique=True)
    phone_verified_at = models.DateTimeField(_("phone verified at"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("citizen account")
        verbose_name_plural = _("citizen accounts")

    def __str__(self) -> str:
        return str(self.user)


class OtpPurpose(models.TextChoices):
    REGISTER = "register", _("Register")
    LOGIN = "login", _("Log in")


class PhoneCode(models.Model):
    """The current one-time code for a phone, and the counters that limit sending."""

    phone = models.CharField(_("phone"), max_length=20, unique=True)
    purpose = models.CharField(_("purpose"), max_length=10, choices=OtpPurpose.choices)
    # HMAC of phone, purpose and code under the secret key: the code itself is never stored.
    code_hash = models.CharField(_("code hash"), max_length=64)
    sent_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    # Codes sent to this phone since window_started_at (the per-phone hourly limit).
    window_started_at = models.DateTimeField(_("window started at"))
    sent_in_window = models.PositiveSmallIntegerField(_("sent in window"), default=0)
    requested_ip = models.GenericIPAddressField(_("requested from"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")

    def __str__(self) -> str:
        return f"{self.purpose} {self.sent_at:%Y-%m-%d %H:%M}"
