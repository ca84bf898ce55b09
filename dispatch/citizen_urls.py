"""The citizen's inbox and Web Push, served under /api/v1/citizen/ beside the citizen API
(config/urls.py mounts both): the citizens' app talks to /api/v1/citizen/ only."""

from django.urls import path

from dispatch.inbox_api import (
    InboxListView,
    InboxMarkReadView,
    PushUnsubscribeView,
    PushView,
)

urlpatterns = [
    path("inbox/", InboxListView.as_view(), name="citizen-inbox"),
    path("inbox/read/", InboxMarkReadView.as_view(), name="citizen-inbox-read"),
    path("push/", PushView.as_view(), name="citizen-push"),
    path("push/unsubscribe/", PushUnsubscribeView.as_view(), name="citizen-push-unsubscribe"),
]
