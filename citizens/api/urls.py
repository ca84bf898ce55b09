"""Citizen API under /api/v1/citizen/."""

from django.urls import path

from citizens.api.views import (
    CategoriesView,
    CitizenLoginView,
    CitizenLogoutView,
    NearbyView,
    OtpRequestView,
    RateView,
    RegisterView,
    ReportDetailView,
    ReportsView,
)

urlpatterns = [
    path("otp/", OtpRequestView.as_view(), name="citizen-otp"),
    path("register/", RegisterView.as_view(), name="citizen-register"),
    path("login/", CitizenLoginView.as_view(), name="citizen-login"),
    path("logout/", CitizenLogoutView.as_view(), name="citizen-logout"),
    path("nearby/", NearbyView.as_view(), name="citizen-nearby"),
    path("categories/", CategoriesView.as_view(), name="citizen-categories"),
    path("reports/", ReportsView.as_view(), name="citizen-reports"),
    path("reports/<int:case_id>/", ReportDetailView.as_view(), name="citizen-report"),
    path("reports/<int:case_id>/rate/", RateView.as_view(), name="citizen-report-rate"),
]
