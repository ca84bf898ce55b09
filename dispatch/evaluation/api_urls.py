"""Evaluation API, included by config/urls.py under api/v1/evaluation/."""

from django.urls import path

from dispatch.evaluation.api import DrilldownView, ScoresView, SubjectScoreView

urlpatterns = [
    path("scores/", ScoresView.as_view(), name="api-evaluation-scores"),
    path(
        "scores/<str:group>/<str:subject>/",
        SubjectScoreView.as_view(),
        name="api-evaluation-subject",
    ),
    path("cases/", DrilldownView.as_view(), name="api-evaluation-cases"),
]
