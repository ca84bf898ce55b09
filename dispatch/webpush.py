"""Web Push (RFC 8030, payloads encrypted per RFC 8291, VAPID per RFC 8292): browsers that
allowed notifications hear about their user's notifications even with the app closed.

The app subscribes through the browser's push service and hands the subscription here
(`push_subscribe`); the outbox delivery calls `WebPushBackend` like any other channel. Keys:
WEBPUSH_VAPID_PRIVATE_KEY (make one with `manage.py webpush_keys`) and WEBPUSH_VAPID_SUBJECT;
without a key the channel is off and subscribing is refused.

The server posts to whatever endpoint a browser names, so endpoints are checked: https only
(WEBPUSH_ALLOW_HTTP for a local test server), and, when WEBPUSH_ENDPOINT_HOSTS is set, only on
those push services' hosts (or their subdomains).
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.errors import InvalidInput
from config.api import ServiceError
from dispatch.models.notifications import PushSubscription
from dispatch.notifications import Delivery, NotificationBackend, Recipient
from grids.models import User

logger = logging.getLogger(__name__)

MAX_ENDPOINT = 1000
MAX_SUBSCRIPTIONS_PER_USER = 10


class PushUnavailable(ServiceError):
    http_status = 409
    code = "push_unavailable"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@cache
def _vapid(private_key: str) -> Any:
    from py_vapid import Vapid

    return Vapid.from_string(private_key=private_key)


def vapid_configured() -> bool:
    return bool(getattr(settings, "WEBPUSH_VAPID_PRIVATE_KEY", ""))


def vapid_public_key() -> str:
    """The application server key a browser subscribes with (base64url, uncompressed point),
    or "" when push is not configured."""
    if not vapid_configured():
        return ""
    public = _vapid(settings.WEBPUSH_VAPID_PRIVATE_KEY).public_key
    raw = public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(raw)


def vapid_keys_generate() -> tuple[str, str]:
    """A new (private, public) VAPID key pair, base64url (private: the raw 32-byte scalar)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(private), _b64url(public)


# --- subscriptions ------------------------------------------------------------------------------


def _check_endpoint(endpoint: str) -> str:
    endpoint = (endpoint or "").strip()
    parts = urlsplit(endpoint)
    schemes = {"https", "http"} if getattr(settings, "WEBPUSH_ALLOW_HTTP", False) else {"https"}
    hosts = [h.lower().strip(".") for h in getattr(settings, "WEBPUSH_ENDPOINT_HOSTS", [])]
    host = (parts.hostname or "").lower()
    problem = ""
    if len(endpoint) > MAX_ENDPOINT or parts.scheme not in schemes or not host:
        problem = _("A push service's https URL.")
    elif hosts and not any(host == h or host.endswith("." + h) for h in hosts):
        problem = _("Not a known push service.")
    if problem:
        raise InvalidInput(problem, field_errors={"endpoint": [problem]})
    return endpoint


def _check_key(name: str, value: str, length: int) -> str:
    try:
        raw = _b64url_decode((value or "").strip())
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != length:
        message = _("Not the browser's subscription key.")
        raise InvalidInput(message, field_errors={f"keys.{name}": [message]})
    return value.strip()


def push_subscribe(
    *, user: User, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> tuple[PushSubscription, bool]:
    """Keep the browser's subscription for the user (the same endpoint again updates it; a
    browser now logged in as another user moves to them). Returns (row, created)."""
    if not vapid_configured():
        raise PushUnavailable(_("Push notifications are not configured on this server."))
    endpoint = _check_endpoint(endpoint)
    p256dh = _check_key("p256dh", p256dh, 65)
    auth = _check_key("auth", auth, 16)
    with transaction.atomic():
        row, created = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={
                "user": user,
                "p256dh": p256dh,
                "auth": auth,
                "user_agent": (user_agent or "")[:200],
            },
            create_defaults={
                "user": user,
                "p256dh": p256dh,
                "auth": auth,
                "user_agent": (user_agent or "")[:200],
                "created_at": timezone.now(),
            },
        )
        # A user's oldest browsers make way for new ones.
        stale = PushSubscription.objects.filter(user=user).order_by("-created_at", "-pk")[
            MAX_SUBSCRIPTIONS_PER_USER:
        ]
        PushSubscription.objects.filter(pk__in=[s.pk for s in stale]).delete()
    return row, created


def push_unsubscribe(*, user: User, endpoint: str) -> int:
    """Forget the user's subscription at this endpoint (nothing when it is not theirs)."""
    deleted, _rows = PushSubscription.objects.filter(
        user=user, endpoint=(endpoint or "").strip()
    ).delete()
    return deleted


# --- the channel --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PushMessage:
    title: str
    body: str
    topic: str
    case_id: int | None
    case_number: str
    created_at: datetime

    def as_json(self) -> str:
        return json.dumps(
            {
                "title": self.title,
                "body": self.body,
                "topic": self.topic,
                "case_id": self.case_id,
                "case_number": self.case_number,
                "created_at": self.created_at.isoformat(),
            },
            ensure_ascii=False,
        )


class PushFailed(Exception):
    pass


class WebPushBackend(NotificationBackend):
    """Sends each notification to every push subscription of a staff or citizen account."""

    channel = "webpush"

    def accepts(self, recipient: Recipient) -> bool:
        return (
            recipient.user is not None
            and vapid_configured()
            and PushSubscription.objects.filter(user=recipient.user).exists()
        )

    def send(self, message: Delivery) -> None:
        assert message.recipient.user is not None  # noqa: S101 - accepts() guarantees it
        payload = PushMessage(
            title=message.title,
            body=message.body,
            topic=message.topic,
            case_id=message.case_id,
            case_number=message.case_number,
            created_at=message.created_at,
        ).as_json()
        failures = []
        for subscription in PushSubscription.objects.filter(user=message.recipient.user):
            try:
                self.push(subscription, payload)
            except PushFailed as exc:
                failures.append(str(exc))
        if failures:
            # The whole channel is retried for this recipient (a browser may then see the
            # message twice; the service worker shows one notification per case and topic).
            raise PushFailed("; ".join(failures)[:1000])

    def push(self, subscription: PushSubscription, payload: str) -> None:
        from pywebpush import WebPushException, webpush

        try:
            webpush(
                subscription_info={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=payload,
                vapid_private_key=_vapid(settings.WEBPUSH_VAPID_PRIVATE_KEY),
                vapid_claims={"sub": settings.WEBPUSH_VAPID_SUBJECT},
                ttl=int(getattr(settings, "WEBPUSH_TTL_SECONDS", 86400)),
                timeout=float(getattr(settings, "WEBPUSH_TIMEOUT_SECONDS", 10)),
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (404, 410):
                # The browser unsubscribed or the subscription expired: forget it.
                subscription.delete()
                logger.info("Push subscription %s is gone (%s)", subscription.pk, status)
                return
            raise PushFailed(f"subscription {subscription.pk}: HTTP {status}") from exc
        except Exception as exc:  # the push service unreachable, a timeout
            raise PushFailed(f"subscription {subscription.pk}: {type(exc).__name__}") from exc
        PushSubscription.objects.filter(pk=subscription.pk).update(last_sent_at=timezone.now())
