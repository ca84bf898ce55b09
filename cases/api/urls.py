from django.urls import include, path

from cases.api.auth_views import LoginView, LogoutView, RevokeAllView
from cases.api.files import AttachmentFileView, AttachmentThumbnailView

urlpatterns = [
    path("auth/login/", LoginView.as_view(), name="api-login"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("auth/revoke-all/", RevokeAllView.as_view(), name="api-revoke-all"),
    path("attachments/<int:pk>/file/", AttachmentFileView.as_view(), name="attachment-file"),
    path(
        "attachments/<int:pk>/thumbnail/",
        AttachmentThumbnailView.as_view(),
        name="attachment-thumbnail",
    ),
    path("", include("cases.api.handheld_urls")),
    path("", include("cases.api.case_urls")),
]
