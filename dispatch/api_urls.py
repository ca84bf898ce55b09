"""The command centre's REST endpoints, under /api/v1/."""

from django.urls import path

from dispatch.api import CaseNearestView
from dispatch.geocode_api import GeocodeView
from dispatch.inbox_api import (
    InboxListView,
    InboxMarkReadView,
    PushUnsubscribeView,
    PushView,
)
from dispatch.supervisions import SupervisionListView

urlpatterns = [
    path("me/inbox/", InboxListView.as_view(), name="api-inbox"),
    path("me/inbox/read/", InboxMarkReadView.as_view(), name="api-inbox-read"),
    path("me/push/", PushView.as_view(), name="api-push"),
    path("me/push/unsubscribe/", PushUnsubscribeView.as_view(), name="api-push-unsubscribe"),
    path("geocode/", GeocodeView.as_view(), name="api-geocode"),
    path("supervisions/", SupervisionListView.as_view(), name="api-supervisions"),
    path(
        "emergency/cases/<int:case_id>/nearest/",
        CaseNearestView.as_view(),
        name="api-emergency-case-nearest",
    ),
]
