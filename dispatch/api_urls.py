"""The command centre's REST endpoints, under /api/v1/."""

from django.urls import path

from dispatch.api import CaseNearestView

urlpatterns = [
    path(
        "emergency/cases/<int:case_id>/nearest/",
        CaseNearestView.as_view(),
        name="api-emergency-case-nearest",
    ),
]
