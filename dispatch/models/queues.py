"""A user's saved views of a work queue: a name and the filters, as the query string."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["SavedQueueView"]


class SavedQueueView(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_queue_views",
        verbose_name=_("user"),
    )
    queue = models.CharField(_("queue"), max_length=32)
    name = models.CharField(_("name"), max_length=60)
    # The filters as the queue page's query string (q, item, street, status, sort, …);
    # re-parsed on use, so a filter that no longer exists is simply ignored.
    query = models.CharField(_("filters"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved queue view")
        verbose_name_plural = _("saved queue views")
        ordering = ["queue", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "queue", "name"], name="savedqueueview_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.queue}: {self.name}"
