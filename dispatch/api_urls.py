"""The command centre's REST endpoints, under /api/v1/."""

from django.urls import path

from dispatch.api import CaseNearestView
from dispatch.inbox_api import InboxListView, InboxMarkReadView

urlpatterns = [
    path("me/inbox/", InboxListView.as_view(), name="api-inbox"),
    path("me/inbox/read/", InboxMarkReadView.as_view(), name="api-inbox-read"),
    path(
        "emergency/cases/<int:case_id>/nearest/",
        CaseNearestView.as_view(),
        name="api-emergency-case-nearest",
    ),
]
