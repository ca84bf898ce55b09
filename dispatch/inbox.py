"""The in-app inbox: what the InboxBackend delivered, read by its owner alone.

Selectors and one service, used by the dashboard page, the top bar's unread badge and the
REST endpoints (`/api/v1/me/inbox/`) the handhelds poll.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from dispatch.models import InboxMessage


def inbox_qs_for_user(
    user: AbstractBaseUser | AnonymousUser, *, unread_only: bool = False
) -> QuerySet[InboxMessage]:
    """The user's own messages, newest first (nothing for an anonymous user)."""
    if not user.is_authenticated:
        return InboxMessage.objects.none()
    messages = InboxMessage.objects.filter(user_id=user.pk)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    return messages.order_by("-created_at", "-pk")


def inbox_unread_count(user: AbstractBaseUser | AnonymousUser) -> int:
    # Served by the partial index inbox_user_unread.
    return inbox_qs_for_user(user, unread_only=True).count()


def inbox_mark_read(
    *,
    user: AbstractBaseUser,
    message_ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> int:
    """Mark the user's unread messages read: those listed, or all when none are listed.

    Ids of other users' messages, or of messages already read, are ignored: marking is
    idempotent, so a handheld may resend the same request. Returns how many changed.
    """
    unread = inbox_qs_for_user(user, unread_only=True)
    if message_ids is not None:
        unread = unread.filter(pk__in=list(message_ids))
    return unread.order_by().update(read_at=now or timezone.now())


def inbox_badge(request: HttpRequest) -> dict[str, int]:
    """Context processor: the unread count for the top bar of every dashboard page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": inbox_unread_count(user)}
