from django.urls import include, path

from cases.api.auth_views import LoginView, LogoutView, RevokeAllView

urlpatterns = [
    path("auth/login/", LoginView.as_view(), name="api-login"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("auth/revoke-all/", RevokeAllView.as_view(), name="api-revoke-all"),
    path("", include("cases.api.handheld_urls")),
    path("", include("cases.api.case_urls")),
]
