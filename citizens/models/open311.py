"""Open311 GeoReport v2: the client apps that post requests, how catalogue items appear as
services, and what a request posted through Open311 carried besides the case.

Service codes are the catalogue item codes (S010201): an item is an Open311 service unless an
Open311Service row hides it. Case numbers are the service_request_ids.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models.api import rate_field

__all__ = ["Open311Client", "Open311Request", "Open311Service", "ServiceType"]


class Open311Client(models.Model):
    """A client application (a city app, a third-party reporting app) with its api_key."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    # The account its requests are reported as (no posts: it reports, nothing else).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="open311_client",
        verbose_name=_("service account"),
    )
    # The channel its reports arrive through: citizen_app, web or wechat.
    source = models.CharField(_("source channel"), max_length=20, default="citizen_app")
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    prefix = models.CharField(_("key prefix"), max_length=8)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    # Its own throttle rate for posting requests (a city app posts for many citizens).
    rate = rate_field()

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self) -> str:
        return self.name


class ServiceType(models.TextChoices):
    # The service_request_id comes back at once.
    REALTIME = "realtime", _("Realtime (the request id at once)")
    # A token comes back; GET tokens/{token} gives the request id.
    BATCH = "batch", _("Batch (a token, then the request id)")


class Open311Service(models.Model):
    """How a catalogue item shows as an Open311 service; items without a row are published."""

    item = models.OneToOneField(
        "cases.Item",
        on_delete=models.CASCADE,
        related_name="open311_service",
        verbose_name=_("catalogue item"),
    )
    published = models.BooleanField(
        _("published"), default=True, help_text=_("Unticked: the item is hidden from Open311.")
    )
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    group = models.CharField(
        _("group"), max_length=100, blank=True, help_text=_("Empty: the catalogue domain's name.")
    )
    service_type = models.CharField(
        _("type"), max_length=10, choices=ServiceType.choices, default=ServiceType.REALTIME
    )

    class Meta:
        verbose_name = _("Open311 service")
        verbose_name_plural = _("Open311 services")

    def __str__(self) -> str:
        return str(self.item)


class Open311Request(models.Model):
    """What a request posted through Open311 carried besides the case itself."""

    case = models.OneToOneField(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="open311_request",
        verbose_name=_("case"),
    )
    client = models.ForeignKey(
        Open311Client,
        on_delete=models.PROTECT,
        related_name="requests",
        verbose_name=_("client"),
    )
    token = models.CharField(_("token"), max_length=40, unique=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    # Personal data the client sent about the person; the name and phone go to the case's
    # contact, these stay here.
    email = models.EmailField(_("email"), blank=True)
    account_id = models.CharField(_("account id"), max_length=100, blank=True)
    device_id = models.CharField(_("device id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")

    def __str__(self) -> str:
        return self.token
