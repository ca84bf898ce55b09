"""Reads of population records: every look at a person, masked or whole, leaves a row.

Written by citizens.access.persons_read in the same request that shows the data, and only
ever appended (the database refuses UPDATE, and on PostgreSQL DELETE too: migration 0001).
Auditors read it (citizens.selectors.access_log_for_user).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from citizens.models.registry import Person

__all__ = ["PersonAccessLog", "ReadPurpose"]


class ReadPurpose(models.TextChoices):
    """Which view showed the person (the reason field says why)."""

    RECORD = "record", _("Person's record")
    LOOKUP = "lookup", _("Lookup by ID number")
    DWELLING = "dwelling", _("Dwelling's people")
    BUILDING = "building", _("Building's residents")
    PARCEL = "parcel", _("Parcel's residents")
    KEY_GROUP = "key_group", _("Key group list")
    EXPORT = "export", _("Resident list printed or exported")


class PersonAccessLog(models.Model):
    """One read of one person's record: who, when, which person, how, and why."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("read by"),
        db_index=False,  # (user, accessed_at) below
    )
    # The role the reader stood in, and the person's grid at the time (auditors are scoped
    # by it; it stays what it was when the person moves).
    role = models.CharField(_("acting as"), max_length=20, blank=True)
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="access_log",
        verbose_name=_("person"),
        db_index=False,  # (person, accessed_at) below
    )
    grid_code = models.CharField(_("grid"), max_length=15, blank=True)
    purpose = models.CharField(_("view"), max_length=20, choices=ReadPurpose.choices)
    full = models.BooleanField(_("read in full"), default=False)
    reason = models.CharField(_("reason"), max_length=255)
    accessed_at = models.DateTimeField(_("read at"))
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-accessed_at", "-pk"]
        verbose_name = _("person record access")
        verbose_name_plural = _("person record access log")
        indexes = [
            models.Index(fields=["person", "accessed_at"], name="personlog_person_time"),
            models.Index(fields=["user", "accessed_at"], name="personlog_user_time"),
            models.Index(fields=["grid_code", "accessed_at"], name="personlog_grid_time"),
            models.Index(fields=["accessed_at"], name="personlog_time"),
        ]

    def __str__(self) -> str:
        kind = _("full") if self.full else _("masked")
        return f"{self.user_id} {kind} {self.person_id} {self.accessed_at:%Y-%m-%d %H:%M}"
