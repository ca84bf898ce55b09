"""Making subscriptions (the command line and the admin share this)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import AgencyKey, Item
from cases.workflow import Action
from exchange.models import Subscription
from exchange.signing import new_secret
from grids.models import Region


class SubscriptionInvalid(ValueError):
    """Bad input for a subscription; the message is one line for the user."""


@dataclass(frozen=True)
class NewSubscription:
    subscription: Subscription
    secret: str  # shown once


def event_types() -> list[str]:
    """The event types one may subscribe to: the case actions (cases.workflow)."""
    return [str(action) for action in Action]


def subscription_create(
    *,
    name: str,
    url: str,
    events: Sequence[str] = (),
    items: Sequence[str] = (),
    region: str = "",
    answers_back_for: str = "",
    now: datetime | None = None,
) -> NewSubscription:
    """A new webhook subscription with a new secret. Raises SubscriptionInvalid."""
    name = name.strip()
    if not name or len(name) > 100:
        raise SubscriptionInvalid(_("name: give 1 to 100 characters."))
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
        raise SubscriptionInvalid(_("URL: give an http or https address."))
    known = set(event_types())
    unknown = sorted({e for e in events if e not in known})
    if unknown:
        raise SubscriptionInvalid(
            _("events: unknown %(bad)s (one of: %(known)s).")
            % {"bad": ", ".join(unknown), "known": ", ".join(event_types())}
        )
    # Checks that read the database come after the ones that need none.
    if Subscription.objects.filter(name=name).exists():
        raise SubscriptionInvalid(_("name: a subscription %(name)s exists.") % {"name": name})
    found = list(Item.objects.filter(code__in=set(items)))
    missing = sorted(set(items) - {item.code for item in found})
    if missing:
        raise SubscriptionInvalid(_("items: no item %(codes)s.") % {"codes": ", ".join(missing)})
    region_row = None
    if region:
        region_row = Region.objects.filter(code=region).first()
        if region_row is None:
            raise SubscriptionInvalid(_("region: no region %(code)s.") % {"code": region})
    agency = None
    if answers_back_for:
        agency = AgencyKey.objects.filter(name=answers_back_for, revoked_at__isnull=True).first()
        if agency is None:
            raise SubscriptionInvalid(
                _("answers back: no live agency key %(name)s.") % {"name": answers_back_for}
            )
    secret = new_secret()
    with transaction.atomic():
        subscription = Subscription.objects.create(
            name=name,
            url=url.strip(),
            secret=secret,
            kind=Subscription.Kind.ANSWERS_BACK if agency else Subscription.Kind.FILTERED,
            agency=agency,
            event_types=sorted(set(events)),
            region=region_row,
            created_at=now or timezone.now(),
        )
        subscription.items.set(found)
    return NewSubscription(subscription=subscription, secret=secret)


def subscription_rotate_secret(*, subscription: Subscription) -> str:
    """A new secret for a subscription (the old one stops signing at once)."""
    secret = new_secret()
    Subscription.objects.filter(pk=subscription.pk).update(secret=secret)
    return secret
