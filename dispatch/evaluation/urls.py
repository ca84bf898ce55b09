"""Evaluation pages, included by dispatch/urls.py under evaluation/ (names in "dispatch")."""

from django.urls import path

from dispatch.evaluation import views

urlpatterns = [
    path("", views.evaluation_index, name="evaluation"),
    path("trend.json", views.evaluation_trend, name="evaluation-trend"),
    path("export.csv", views.evaluation_export, {"fmt": "csv"}, name="evaluation-csv"),
    path("export.xlsx", views.evaluation_export, {"fmt": "xlsx"}, name="evaluation-xlsx"),
    path("<str:group>/<str:subject>/", views.evaluation_subject, name="evaluation-subject"),
    path("<str:group>/<str:subject>/cases/", views.evaluation_cases, name="evaluation-cases"),
]
