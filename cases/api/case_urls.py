"""Case endpoints (list, detail, report, actions, unit queue, one-window intake, sync)."""

from django.urls import path

from cases.api.assets import AssetDetailView, AssetListView
from cases.api.cases import (
    CaseActionsView,
    CaseContactView,
    CaseDetailView,
    CaseListView,
    DuplicateCandidatesView,
    IntakeView,
    MyQueueView,
)
from cases.api.sync import SyncView

urlpatterns = [
    path("cases/", CaseListView.as_view(), name="api-cases"),
    path("cases/duplicates/", DuplicateCandidatesView.as_view(), name="api-case-duplicates"),
    path("cases/<int:case_id>/", CaseDetailView.as_view(), name="api-case"),
    path("cases/<int:case_id>/actions/", CaseActionsView.as_view(), name="api-case-actions"),
    path("cases/<int:case_id>/contact/", CaseContactView.as_view(), name="api-case-contact"),
    path("me/queue/", MyQueueView.as_view(), name="api-my-queue"),
    path("intake/", IntakeView.as_view(), name="api-intake"),
    path("sync/", SyncView.as_view(), name="api-sync"),
    path("assets/", AssetListView.as_view(), name="api-assets"),
    path("assets/<str:code>/", AssetDetailView.as_view(), name="api-asset"),
]
