from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import healthz

admin.site.site_header = _("Wangge grid governance")
admin.site.site_title = _("Wangge")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("grids.urls")),
    path("api/v1/", include("cases.api.urls")),
    path("api/v1/", include("dispatch.api_urls")),
    path("api/v1/citizen/", include("citizens.api.urls")),
    path("open311/", include("citizens.open311.urls")),
    path("api/v1/evaluation/", include("dispatch.evaluation.api_urls")),
    path("api/v1/", include("citizens.api.registry_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api-auth/", include("rest_framework.urls")),
    path("", include("dispatch.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)


def _not_found(request, exception=None):  # noqa: ANN001 - Django's handler signature
    """JSON 404s under /api/ (the one error body), Django's page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "not_found", "message": str(_("Not found.")), "errors": {}}, status=404
        )
    return page_not_found(request, exception)


handler404 = _not_found
