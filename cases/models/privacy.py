"""Reads of personal data: every look at a reporter's contact, masked or whole, leaves a row.

"Personal data is access-checked, masked where shown, and every read of it is logged." The
rows are written by cases.intake.contact_read and only ever appended (the database refuses
UPDATE, see migration 0004).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models.case import Case, Contact

__all__ = ["ContactAccessLog"]


class ContactAccessLog(models.Model):
    """One read of a reporter's contact: who, when, which contact of which case, and why."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("read by"),
    )
    # The role the reader stood in (intake operator, shift supervisor, district leader).
    role = models.CharField(_("acting as"), max_length=20)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="+", verbose_name=_("case")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="access_log", verbose_name=_("contact")
    )
    full = models.BooleanField(_("read in full"), default=False)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    accessed_at = models.DateTimeField(_("read at"))
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-accessed_at", "-pk"]
        verbose_name = _("contact access")
        verbose_name_plural = _("contact access log")
        indexes = [
            models.Index(fields=["contact", "accessed_at"], name="contactlog_contact_time"),
            models.Index(fields=["user", "accessed_at"], name="contactlog_user_time"),
            models.Index(fields=["case", "accessed_at"], name="contactlog_case_time"),
        ]

    def __str__(self) -> str:
        kind = _("full") if self.full else _("masked")
        return f"{self.user_id} {kind} {self.contact_id} {self.accessed_at:%Y-%m-%d %H:%M}"
