"""Handheld endpoints (me, my grids, catalogue, photos, tasks, patrol, history)."""

from django.urls import path

from cases.api.handheld import (
    AttachmentUploadView,
    CatalogueView,
    MeView,
    MyGridsView,
    MyHistoryView,
    MyTasksView,
    PatrolView,
)

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("me/grids/", MyGridsView.as_view(), name="api-my-grids"),
    path("me/tasks/", MyTasksView.as_view(), name="api-my-tasks"),
    path("me/history/", MyHistoryView.as_view(), name="api-my-history"),
    path("catalogue/", CatalogueView.as_view(), name="api-catalogue"),
    path("attachments/", AttachmentUploadView.as_view(), name="api-attachments"),
    path("patrol/", PatrolView.as_view(), name="api-patrol"),
]
